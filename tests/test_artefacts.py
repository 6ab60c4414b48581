"""Artefacts: keyed by what they read, computed once per run, saved without pickle and reused by key."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.base import Analysis, registered
from upmarket.artefacts import (
    ARRAYS_FILE,
    Artefact,
    ArtefactGraphError,
    ArtefactStore,
    SavedModel,
    UndeclaredArtefactError,
    artefact_graph,
    load_saved,
    load_value,
    save_value,
    store_for,
)
from upmarket.choice.latent import LatentClassFit, LatentSegments
from upmarket.config import Config
from upmarket.warehouse import Warehouse

SIZE = pd.DataFrame({"period": ["2024"], "region": ["CN"], "potential_units": ["1"]})


def _analysis(name: str, produces=(), consumes=()) -> type[Analysis]:
    return type(name, (Analysis,), {"name": name, "title": name, "produces": tuple(produces),
                                    "consumes": tuple(consumes)})


def _toy(calls: list[str]) -> dict[str, Artefact]:
    def base(ctx):
        calls.append("base")
        return {"n": int(ctx.warehouse.con.execute("SELECT count(*) FROM market_size").fetchone()[0])}

    def derived(ctx):
        calls.append("derived")
        return (ctx.get("base")["n"] + 1, np.arange(3.0), pd.DataFrame({"x": [1.5, np.nan]}), float("nan"))

    graph = artefact_graph({"a": _analysis("a", produces=[
        Artefact("base", base, reads=("market_size",), settings=("segments",)),
        Artefact("derived", derived, inputs=("base",), settings=("focal_brand",))])})
    return graph


def test_each_artefact_is_computed_once_and_its_inputs_first() -> None:
    calls: list[str] = []
    with Warehouse() as wh:
        wh.load_frame("market_size", SIZE)
        store = ArtefactStore(wh, Config(), _toy(calls))
        assert store.get("derived")[0] == 2
        store.get("derived"), store.get("base")
    assert calls == ["base", "derived"]


def test_the_key_covers_every_option_of_a_declared_section_and_the_data() -> None:
    """The latent-class memo once left ``covariates`` out of its key; a whole-section key cannot."""
    with Warehouse() as wh:
        wh.load_frame("market_size", SIZE)
        config = Config()
        key = ArtefactStore(wh, config, _toy([])).key("base")
        other = replace(config, analysis_options={"segments": {"covariates": ["gender"]}})
        assert ArtefactStore(wh, other, _toy([])).key("base") != key
        assert ArtefactStore(wh, other, _toy([])).key("derived") != ArtefactStore(wh, config, _toy([])).key("derived")
        unrelated = replace(config, analysis_options={"voice": {"n_boot": 5}})
        assert ArtefactStore(wh, unrelated, _toy([])).key("base") == key
        wh.load_frame("market_size", SIZE.assign(potential_units=["2"]))
        assert ArtefactStore(wh, config, _toy([])).key("base") != key, "new data, new key"


def test_the_real_latent_class_key_moves_with_covariates() -> None:
    with Warehouse() as wh:
        config = Config()
        a = store_for(wh, config).key("latent_classes")
        b = store_for(wh, replace(config, analysis_options={"segments": {"covariates": []}})).key("latent_classes")
        c = store_for(wh, replace(config, analysis_options={"voice": {"domain": "x"}})).key("latent_classes")
    assert a != b and a == c


def test_saved_artefacts_are_reused_by_key_and_recomputed_when_it_changes(tmp_path: Path) -> None:
    calls: list[str] = []
    with Warehouse() as wh:
        wh.load_frame("market_size", SIZE)
        first = ArtefactStore(wh, Config(), _toy(calls), tmp_path)
        value = first.get("derived")
        assert (tmp_path / "artefacts" / "derived" / "artefact.json").is_file()
        again = ArtefactStore(wh, Config(), _toy(calls), tmp_path)
        loaded = again.get("derived")
        assert calls == ["base", "derived"], "same key: loaded, not computed"
        assert again.records["derived"]["how"] == "loaded"
        assert loaded[0] == value[0] and np.array_equal(loaded[1], value[1]) and np.isnan(loaded[3])
        pd.testing.assert_frame_equal(loaded[2], value[2])
        other = replace(Config(), focal_brand="Huawei")
        ArtefactStore(wh, other, _toy(calls), tmp_path).get("derived")
        assert calls == ["base", "derived", "derived"], "focal_brand is a setting of derived only"


def test_fitted_models_round_trip_exactly_without_pickle(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    fit = LatentClassFit(betas=rng.normal(size=(2, 3)), shares=np.array([0.25, 0.75]), loglik=-123.456789,
                         posterior=rng.dirichlet([1, 1], size=5), cov=rng.normal(size=(6, 6)),
                         names=["price", "brand=Apple", "camera"], n_respondents=5, starts_loglik=[-123.4, -130.0],
                         covariates=["city_tier=1"], price_log_sd=0.1 / 3, price_nodes=3)
    value = LatentSegments(fit, [fit, replace(fit, loglik=-1e9)], ["价格敏感", "brand-driven: Apple"], ["w"])
    save_value(tmp_path / "lc", value, meta={"name": "latent_classes", "key": "k"})
    with np.load(tmp_path / "lc" / ARRAYS_FILE, allow_pickle=False) as npz:
        assert len(npz.files) >= 4
    meta = json.loads((tmp_path / "lc" / "artefact.json").read_text(encoding="utf-8"))
    assert meta["value"]["$dataclass"] == "upmarket.choice.latent:LatentSegments"
    back = load_value(tmp_path / "lc")
    assert isinstance(back, LatentSegments) and back.names == value.names and back.warnings == ["w"]
    for got, want in ((back.best, fit), (back.fits[1], value.fits[1])):
        for f in ("betas", "shares", "posterior", "cov"):
            assert np.array_equal(getattr(got, f), getattr(want, f))
        assert got.loglik == want.loglik and got.price_log_sd == want.price_log_sd and got.Z is None
    assert back.best.bic == fit.bic


def test_what_the_format_cannot_hold_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="pickle"):
        save_value(tmp_path / "x", np.array([object()]), meta={})
    with pytest.raises(TypeError, match="cannot save"):
        save_value(tmp_path / "y", {1, 2}, meta={})


def test_graph_errors_name_the_problem() -> None:
    art = Artefact("a1", lambda ctx: 1)
    with pytest.raises(ArtefactGraphError, match="consumes artefact 'zz', which no analysis produces"):
        artefact_graph({"x": _analysis("x", consumes=["zz"])})
    with pytest.raises(ArtefactGraphError, match="produced by both x and y"):
        artefact_graph({"x": _analysis("x", produces=[art]), "y": _analysis("y", produces=[Artefact("a1", len)])})
    cyc = [Artefact("p", len, inputs=("q",)), Artefact("q", len, inputs=("p",))]
    with pytest.raises(ArtefactGraphError, match="cycle"):
        artefact_graph({"x": _analysis("x", produces=cyc)})


def test_undeclared_reads_are_refused() -> None:
    graph = artefact_graph({"x": _analysis("x", produces=[
        Artefact("a", lambda ctx: 1), Artefact("b", lambda ctx: ctx.get("a"))])})
    with Warehouse() as wh:
        store = ArtefactStore(wh, Config(), graph)
        with pytest.raises(UndeclaredArtefactError, match="not among its inputs"):
            store.get("b")
        with pytest.raises(UndeclaredArtefactError, match="without declaring it"):
            store.view(["a"], "someone")["b"]


def test_the_built_in_graph_is_well_formed() -> None:
    graph = artefact_graph(registered())
    assert {"scored_reviews", "choice_design", "latent_classes"} <= set(graph)
    assert "covariates" not in graph["latent_classes"].settings, "whole sections, never hand-picked options"
    assert "segments" in graph["latent_classes"].settings and "users" in graph["latent_classes"].reads


def test_docs_artefacts_md_is_generated_and_current() -> None:
    from upmarket.artefacts import render_artefacts_markdown

    committed = (Path(__file__).resolve().parents[1] / "docs" / "artefacts.md").read_text(encoding="utf-8")
    text = render_artefacts_markdown()
    assert committed == text, "docs/artefacts.md is stale: run `upmarket docs`"
    assert "```mermaid" in text and "a_latent_classes --> x_pricing_plan" in text


def test_an_analysis_run_on_its_own_gets_a_store_of_its_own() -> None:
    """Tests and notebooks call ``X().run(wh, config)`` without a runner: the analysis still sees exactly what it
    declared, from a fresh store per call."""
    from upmarket.analyses.base import Section

    seen = []

    class Probe(Analysis):
        name, title, consumes = "probe", "probe", ("latent_classes",)

        def run(self, warehouse, config):
            seen.append(self.artefacts)
            with pytest.raises(UndeclaredArtefactError):
                self.artefacts["scored_reviews"]
            return Section(self.name, self.title)

    probe = Probe()
    with Warehouse() as a, Warehouse() as b:
        probe.run(a, Config())
        probe.run(b, Config())
    assert seen[0] is not seen[1] and list(seen[0]) == ["latent_classes"]


def test_a_model_made_in_a_run_is_reused_by_key_and_remade_when_an_option_changes(tmp_path: Path) -> None:
    """The saved models (demand_fit, mix_model) are store artefacts its analysis makes in its run: a rerun with the
    same key loads the saved one without calling ``make``; a changed option of its section makes it again."""
    made: list[int] = []
    graph = artefact_graph({"a": _analysis("a", produces=[
        Artefact("model", None, reads=("market_size",), settings=("mix",))])})

    def make() -> SavedModel:
        made.append(1)
        return SavedModel({"format": "toy", "n": len(made)}, {"beta": np.arange(3.0) * len(made)})

    with Warehouse() as wh:
        wh.load_frame("market_size", SIZE)
        config = Config(analysis_options={"mix": {"draws": 300}})
        first = ArtefactStore(wh, config, graph, tmp_path).produce("model", make)
        again = ArtefactStore(wh, config, graph, tmp_path)
        reloaded = again.produce("model", make)
        assert made == [1] and again.records["model"]["how"] == "loaded"
        assert reloaded.meta == first.meta and np.array_equal(reloaded.arrays["beta"], first.arrays["beta"])
        assert load_saved(tmp_path, "model").meta["n"] == 1, "the dashboard's loader reads the same thing"
        written_out = replace(config, analysis_options={"mix": {"draws": 300, "seed": 0}})  # the default, written
        assert ArtefactStore(wh, written_out, graph, tmp_path).produce("model", make).meta["n"] == 1
        changed = ArtefactStore(wh, replace(config, analysis_options={"mix": {"draws": 200}}), graph, tmp_path)
        assert changed.produce("model", make).meta["n"] == 2 and changed.records["model"]["how"] == "computed"
        with pytest.raises(UndeclaredArtefactError, match="made by its producing analysis' run"):
            ArtefactStore(wh, config, graph).get("model")  # nothing saved, and no run made it


def test_the_mix_model_key_moves_with_the_lift_test_file(tmp_path: Path) -> None:
    """The mix fit reads ``lift_tests.csv`` beside the tables: a new, edited or removed file is a new key, the same
    bytes the same key, and another artefact's key does not move with it."""
    csv = tmp_path / "lift_tests.csv"
    with Warehouse(tmp_path / ".upmarket.duckdb") as wh:
        config = Config()

        def keys() -> tuple[str, str]:
            store = store_for(wh, config)
            return store.key("mix_model"), store.key("latent_classes")

        absent, other = keys()
        csv.write_text("channel,start,end,lift\njd_ads,2024-03-04,2024-04-28,1000000\n", encoding="utf-8")
        one = keys()
        csv.write_text("channel,start,end,lift\njd_ads,2024-03-04,2024-04-28,2000000\n", encoding="utf-8")
        two = keys()
        csv.write_text("channel,start,end,lift\njd_ads,2024-03-04,2024-04-28,1000000\n", encoding="utf-8")
        again = keys()
        renamed = replace(config, analysis_options={"mix": {"lift_tests_file": "elsewhere.csv"}})
        elsewhere = store_for(wh, renamed).key("mix_model")
    assert len({absent, one[0], two[0], elsewhere}) == 4
    assert again == one
    assert other == one[1] == two[1], "latent_classes reads no lift tests"
