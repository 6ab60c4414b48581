"""Named artefacts: intermediate results (a fitted model, a scored table) shared by analyses, computed once.

An :class:`Artefact` declares what it is computed from — the warehouse tables it ``reads``, the config
``settings`` that affect it (whole option sections such as ``"segments"``, or top-level config fields such as
``"focal_brand"``) and the other artefacts it takes as ``inputs`` — and its key is a hash of exactly those:
the content hashes of the files loaded into those tables, the settings' values, the inputs' keys and the package
and contract versions. Settings are hashed as whole sections, never as hand-picked option names, so an option
added later (the latent-class fit once forgot ``covariates``) cannot be left out of the key.

An analysis declares the artefacts it ``produces`` (the declarations) and ``consumes`` (names); the runner
builds the graph from the registry (:func:`artefact_graph`: an error names a missing producer, two producers or
a cycle) and hands each analysis an :class:`ArtefactStore` view. An artefact is computed when first asked for,
its inputs first (the graph is acyclic, so this is a topological order), by whichever analysis asks.
The store computes an
artefact at most once per run and saves it under ``OUT/artefacts/<name>/`` in a documented, pickle-free format
(:func:`save_value`), so ``upmarket report OUT``, the dashboard and a later run with the same key load it
instead of refitting.

Saved format (``OUT/artefacts/<name>/``): ``artefact.json`` holds the name, key, what it was computed from and
the value as JSON in which arrays are ``{"$array": "<id>"}`` (stored in ``arrays.npz``, loaded with
``allow_pickle=False``), tables ``{"$table": "<file>.parquet"}``, dataclasses ``{"$dataclass":
"module:Class", "fields": {...}}`` (only classes under ``upmarket``) and tuples ``{"$tuple": [...]}``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import importlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from upmarket.analyses.base import Analysis
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

log = logging.getLogger(__name__)

ARTEFACTS_DIR = "artefacts"
META_FILE = "artefact.json"
ARRAYS_FILE = "arrays.npz"


class ArtefactGraphError(ValueError):
    """The declarations do not form a graph the runner can order: a missing producer, two producers, a cycle."""


class UndeclaredArtefactError(KeyError):
    """An analysis (or an artefact's compute) asked for an artefact it did not declare."""

    def __str__(self) -> str:  # KeyError quotes its argument; this one is a sentence
        return str(self.args[0])


@dataclass
class ArtefactContext:
    """What an artefact's ``compute`` sees: the data, the config and its declared inputs (``get``)."""

    warehouse: Warehouse
    config: Config
    get: Callable[[str], Any]


@dataclass(frozen=True)
class Artefact:
    """A named intermediate result and everything its value depends on.

    ``compute(ctx)`` must depend only on ``reads`` (tables), ``settings`` and ``inputs``: the key says so.
    ``compute=None``: the producing analysis makes the value inside its run (:meth:`ArtefactView.produce`: a
    fitted model it saves for the dashboard); the store keys, saves and reloads it like any other.
    ``persist=False`` keeps a value that cannot be written in the saved format in memory only.
    ``files(warehouse, config)`` names files outside the tables that the value also reads (the mix model's
    ``lift_tests.csv`` in the dataset folder): their contents go into the key, so an edited file is refitted.
    """

    name: str
    compute: Callable[[ArtefactContext], Any] | None
    reads: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    doc: str = ""
    persist: bool = True
    files: Callable[[Warehouse, Config], Iterable[Path]] | None = None


@dataclass
class SavedModel:
    """A fitted model saved for the dashboard to use without refitting (the ``demand_fit`` and ``mix_model``
    artefacts): labelled numbers (``meta``, JSON) and arrays, in the store's saved format like every artefact."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]


def artefact_graph(analyses: Mapping[str, type[Analysis]]) -> dict[str, Artefact]:
    """Every artefact the analyses produce, by name; an error for two producers, a missing one or a cycle."""
    graph: dict[str, Artefact] = {}
    producer: dict[str, str] = {}
    for name, cls in analyses.items():
        for art in cls.produces:
            if art.name in graph and graph[art.name] is not art:
                raise ArtefactGraphError(f"artefact {art.name!r} is produced by both {producer[art.name]} and {name}")
            graph[art.name], producer[art.name] = art, name
    for name, cls in analyses.items():
        for wanted in cls.consumes:
            if wanted not in graph:
                raise ArtefactGraphError(f"analysis {name} consumes artefact {wanted!r}, which no analysis produces")
    for art in graph.values():
        for wanted in art.inputs:
            if wanted not in graph:
                raise ArtefactGraphError(f"artefact {art.name} takes {wanted!r} as input, which no analysis produces")
    topological([(a.name, a.inputs) for a in graph.values()], what="artefact")
    return graph


def topological(nodes: Iterable[tuple[str, Iterable[str]]], what: str = "node",
                priority: Mapping[str, Any] | None = None) -> list[str]:
    """``nodes`` (name, the names it depends on) ordered so each comes after what it depends on.

    Among nodes free to go next, the one with the smallest ``priority`` (then name) goes first, so a graph
    without edges keeps the priority order. A cycle raises :class:`ArtefactGraphError` naming it.
    """
    deps = {name: set(d) for name, d in nodes}
    prio = priority or {}
    users: dict[str, set[str]] = {n: set() for n in deps}
    for n, d in deps.items():
        for m in d:
            users.setdefault(m, set()).add(n)
    waiting = {n: len(d & deps.keys()) for n, d in deps.items()}
    ready = [(prio.get(n, 0), n) for n, c in waiting.items() if c == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, n = heapq.heappop(ready)
        out.append(n)
        for m in sorted(users.get(n, ())):
            if m in waiting:
                waiting[m] -= 1
                if waiting[m] == 0:
                    heapq.heappush(ready, (prio.get(m, 0), m))
    if len(out) < len(deps):
        stuck = sorted(set(deps) - set(out))
        raise ArtefactGraphError(f"the {what}s {', '.join(stuck)} depend on each other in a cycle")
    return out


def analysis_order(analyses: Mapping[str, type[Analysis]]) -> list[str]:
    """Analyses in run (and report) order, ``order`` then name, once the artefact graph is checked.

    Artefacts do not constrain the order: the store computes one (its inputs first, in topological order) when
    the first analysis asks for it, whoever produces it; only ``upstream`` figures need an earlier analysis.
    """
    artefact_graph(analyses)
    return sorted(analyses, key=lambda n: (analyses[n].order, n))


def data_state(warehouse: Warehouse, tables: Iterable[str]) -> dict[str, list[str]]:
    """Per table, the content hashes of the files loaded into it (sorted): equal states hold equal rows."""
    tables = sorted(set(tables))
    if not tables:
        return {}
    rows = warehouse.con.execute(
        'SELECT "table", file_id FROM ingest_manifest WHERE "table" IN (SELECT unnest(?)) ORDER BY 1, 2',
        [tables]).fetchall()
    out: dict[str, list[str]] = {t: [] for t in tables}
    for table, file_id in rows:
        out[table].append(str(file_id))
    return out


def file_state(paths: Iterable[Path]) -> dict[str, str]:
    """Per side file, the SHA-256 of its bytes, or "absent" (a file that appears or goes changes the key too)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "absent" for p in paths}


def setting_values(config: Config, settings: Iterable[str]) -> dict[str, Any]:
    """The values of ``settings``: a config field by its name, else that option section (all of it, resolved by
    the analysis' settings class, so writing a default out does not change a key)."""
    from upmarket.config import ConfigError, settings_type

    out: dict[str, Any] = {}
    fields = {f.name for f in dataclasses.fields(config)}
    for s in sorted(set(settings)):
        if s in fields:
            out[s] = getattr(config, s)
            continue
        try:
            typed = settings_type(s) is not None
        except ConfigError:  # not an analysis: the table as written
            typed = False
        out[s] = config.settings(s).to_dict() if typed else config.options(s)
    return out


def _stable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _stable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple | set | frozenset):
        items = [_stable(v) for v in obj]
        return sorted(items, key=repr) if isinstance(obj, set | frozenset) else items
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return repr(obj)


def fingerprint(obj: Any) -> str:
    """A short hash of a JSON-able description (keys sorted)."""
    blob = json.dumps(_stable(obj), sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def package_state() -> dict[str, str]:
    """What a saved artefact or output folder was written by: the package and contract versions."""
    from upmarket import __version__
    from upmarket.contract import CONTRACT_VERSION

    return {"upmarket": __version__, "contract": str(CONTRACT_VERSION)}


class ArtefactStore:
    """Computes, keys, saves and loads the artefacts of one run (at most one computation each).

    ``out`` is the output folder (None: in memory only). With ``reuse`` a saved artefact whose key matches is
    loaded instead of computed.
    """

    def __init__(self, warehouse: Warehouse | None, config: Config | None, graph: Mapping[str, Artefact],
                 out: str | Path | None = None, *, reuse: bool = True) -> None:
        self.warehouse, self.config, self.graph = warehouse, config, dict(graph)
        self.out = Path(out) if out is not None else None
        self.reuse = reuse
        self._values: dict[str, Any] = {}
        self._keys: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}
        """Name → what manifest.json lists: key, what it was computed from, where it is saved, how it was got."""

    def key(self, name: str) -> str:
        """hash(data state of its tables + its settings + its inputs' keys + package and contract versions)."""
        if name not in self._keys:
            art = self._declared(name)
            if self.warehouse is None or self.config is None:
                raise RuntimeError(f"artefact {name}: a store without a warehouse and config can only load")
            described: dict[str, Any] = {
                "artefact": name, "package": package_state(),
                "data": data_state(self.warehouse, art.reads),
                "settings": setting_values(self.config, art.settings),
                "inputs": {i: self.key(i) for i in art.inputs}}
            if art.files is not None:  # only then: other artefacts keep the keys they were saved with
                described["files"] = file_state(art.files(self.warehouse, self.config))
            self._keys[name] = fingerprint(described)
        return self._keys[name]

    def _declared(self, name: str) -> Artefact:
        if name not in self.graph:
            raise UndeclaredArtefactError(f"no analysis produces an artefact named {name!r}; known: "
                                          f"{', '.join(sorted(self.graph)) or 'none'}")
        return self.graph[name]

    def _saved(self, name: str) -> tuple[Artefact, str, Path | None, Any]:
        """The declaration, the key, the folder and the value saved there with that key (or _MISSING)."""
        art = self._declared(name)
        key = self.key(name)
        folder = self.out / ARTEFACTS_DIR / name if self.out is not None else None
        value: Any = _MISSING
        if folder is not None and self.reuse and art.persist:
            value = _load_if(folder, key)
        return art, key, folder, value

    def get(self, name: str) -> Any:
        """The artefact's value: from this run, else saved with the same key, else computed (and saved)."""
        if name in self._values:
            return self._values[name]
        art, key, folder, value = self._saved(name)
        how = "loaded" if value is not _MISSING else "computed"
        if value is _MISSING:
            assert self.warehouse is not None and self.config is not None
            if art.compute is None:
                raise UndeclaredArtefactError(f"artefact {name} is made by its producing analysis' run, which has not "
                                              "run yet (and no saved one has this key)")
            for i in art.inputs:  # inputs first: a depth-first walk of an acyclic graph is a topological order
                self.get(i)
            ctx = ArtefactContext(self.warehouse, self.config, self._input_getter(art))
            value = art.compute(ctx)
        return self._keep(name, art, key, folder, value, how)

    def produce(self, name: str, make: Callable[[], Any]) -> Any:
        """The value of an artefact its analysis makes in its run: saved with the same key (then ``make`` is not
        called), else ``make()`` (saved). ``make`` returning None means 'nothing to save': nothing is kept."""
        if name in self._values:
            return self._values[name]
        art, key, folder, value = self._saved(name)
        how = "loaded" if value is not _MISSING else "computed"
        if value is _MISSING:
            value = make()
            if value is None:
                return None
        return self._keep(name, art, key, folder, value, how)

    def _keep(self, name: str, art: Artefact, key: str, folder: Path | None, value: Any, how: str) -> Any:
        self._values[name] = value
        rec: dict[str, Any] = {"key": key, "reads": list(art.reads), "settings": list(art.settings),
                               "inputs": list(art.inputs), "how": how, "path": None}
        if folder is not None and art.persist:
            if how == "computed":
                save_value(folder, value, meta={"name": name, "key": key, **package_state(),
                                                "reads": list(art.reads), "settings": list(art.settings),
                                                "inputs": {i: self.key(i) for i in art.inputs}, "doc": art.doc})
            rec["path"] = f"{ARTEFACTS_DIR}/{name}"
        self.records[name] = rec
        return value

    def _input_getter(self, art: Artefact) -> Callable[[str], Any]:
        def get(name: str) -> Any:
            if name not in art.inputs:
                raise UndeclaredArtefactError(f"artefact {art.name} read {name!r}, which is not among its inputs "
                                              f"({', '.join(art.inputs) or 'none'}); declare it")
            return self.get(name)
        return get

    def view(self, allowed: Iterable[str], who: str) -> ArtefactView:
        """The artefacts one analysis declared (consumes ∪ produces), nothing else."""
        return ArtefactView(self, frozenset(allowed), who)


class ArtefactView(Mapping[str, Any]):
    """An analysis' read-only window on the store: only the artefacts it declared."""

    def __init__(self, store: ArtefactStore, allowed: frozenset[str], who: str) -> None:
        self._store, self._allowed, self._who = store, allowed, who

    def __getitem__(self, name: str) -> Any:
        if name not in self._allowed:
            raise UndeclaredArtefactError(f"analysis {self._who} read artefact {name!r} without declaring it in "
                                          f"consumes or produces")
        return self._store.get(name)

    def produce(self, name: str, make: Callable[[], Any]) -> Any:
        """:meth:`ArtefactStore.produce` for an artefact this analysis declared."""
        if name not in self._allowed:
            raise UndeclaredArtefactError(f"analysis {self._who} made artefact {name!r} without declaring it in "
                                          f"produces")
        return self._store.produce(name, make)

    def __iter__(self):
        return iter(sorted(self._allowed))

    def __len__(self) -> int:
        return len(self._allowed)


_MISSING = object()


def _load_if(folder: Path, key: str) -> Any:
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        return _MISSING
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return _MISSING
        return load_value(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged artefact is recomputed, not fatal
        log.warning("artefact %s not reused (%s); computing it again", folder.name, exc)
        return _MISSING


def save_value(folder: Path, value: Any, meta: Mapping[str, Any]) -> Path:
    """Write ``value`` to ``folder`` in the saved format (see the module docstring); replaces what was there."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    arrays: dict[str, np.ndarray] = {}
    tables: list[str] = []

    def enc(obj: Any) -> Any:
        if obj is None or isinstance(obj, bool | int | str):
            return obj
        if isinstance(obj, float):
            return obj if np.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, np.generic):
            return enc(obj.item())
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                raise TypeError("object arrays cannot be saved without pickle")
            ident = f"a{len(arrays)}"
            arrays[ident] = obj
            return {"$array": ident}
        if isinstance(obj, pd.DataFrame):
            file = f"t{len(tables)}.parquet"
            obj.to_parquet(folder / file)
            tables.append(file)
            return {"$table": file}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            if not cls.__module__.startswith("upmarket."):
                raise TypeError(f"only upmarket's dataclasses are saved, not {cls.__module__}.{cls.__qualname__}")
            return {"$dataclass": f"{cls.__module__}:{cls.__qualname__}",
                    "fields": {f.name: enc(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
        if isinstance(obj, tuple):
            return {"$tuple": [enc(v) for v in obj]}
        if isinstance(obj, list):
            return [enc(v) for v in obj]
        if isinstance(obj, dict):
            if not all(isinstance(k, str) for k in obj):
                raise TypeError("only dicts with text keys are saved")
            if any(k.startswith("$") for k in obj):
                raise TypeError("dict keys starting with $ are reserved")
            return {k: enc(v) for k, v in obj.items()}
        raise TypeError(f"cannot save a {type(obj).__name__} as an artefact")

    doc = {**meta, "format": 1, "value": enc(value)}
    np.savez(folder / ARRAYS_FILE, **arrays)
    (folder / META_FILE).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def load_value(folder: Path) -> Any:
    """The value :func:`save_value` wrote to ``folder`` (no pickle: arrays with ``allow_pickle=False``)."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}

    def dec(obj: Any) -> Any:
        if isinstance(obj, list):
            return [dec(v) for v in obj]
        if not isinstance(obj, dict):
            return obj
        if "$float" in obj:
            return float(obj["$float"])
        if "$array" in obj:
            return arrays[obj["$array"]]
        if "$table" in obj:
            return pd.read_parquet(folder / obj["$table"])
        if "$tuple" in obj:
            return tuple(dec(v) for v in obj["$tuple"])
        if "$dataclass" in obj:
            module, _, qualname = obj["$dataclass"].partition(":")
            if not module.startswith("upmarket."):
                raise ValueError(f"{folder}: refusing to build {module}:{qualname} (not an upmarket class)")
            cls: Any = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
            fields_ = {f.name: f for f in dataclasses.fields(cls)}
            values = {k: dec(v) for k, v in obj["fields"].items()}
            init = {k: v for k, v in values.items() if k in fields_ and fields_[k].init}
            inst = cls(**init)
            for k, v in values.items():
                if k in fields_ and not fields_[k].init:
                    object.__setattr__(inst, k, v)
            return inst
        return {k: dec(v) for k, v in obj.items()}

    return dec(meta["value"])


def save_artefact(out: str | Path, name: str, value: Any) -> Path:
    """Save ``value`` as artefact ``name`` of output folder ``out`` outside a run (a test, a notebook): keyed
    by nothing, so a run never reuses it, but :func:`load_saved` (the dashboard) reads it like any other."""
    return save_value(Path(out) / ARTEFACTS_DIR / name, value, meta={"name": name, "key": None, **package_state()})


def load_saved(out: str | Path, name: str) -> Any:
    """A saved artefact of a finished run (``upmarket report``, the dashboard): no warehouse, no refit."""
    folder = Path(out) / ARTEFACTS_DIR / name
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(f"{folder}: no saved artefact {name!r} (run `upmarket analyze` first)")
    return load_value(folder)


def mermaid(analyses: Mapping[str, type[Analysis]]) -> str:
    """The artefact graph as a mermaid flowchart: tables → artefacts → analyses (generated, for docs)."""
    graph = artefact_graph(analyses)
    lines = ["flowchart LR"]
    tables = sorted({t for a in graph.values() for t in a.reads})
    for t in tables:
        lines.append(f"    t_{t}[({t})]")
    for name in sorted(graph):
        lines.append(f"    a_{name}{{{{{name}}}}}")
    for name in analyses:
        lines.append(f"    x_{name}[{name}]")
    for name in sorted(graph):
        art = graph[name]
        lines += [f"    t_{t} --> a_{name}" for t in art.reads]
        lines += [f"    a_{i} --> a_{name}" for i in art.inputs]
    for name, cls in analyses.items():
        lines += [f"    x_{name} -. produces .-> a_{a.name}" for a in cls.produces]
        lines += [f"    a_{c} --> x_{name}" for c in cls.consumes]
    return "\n".join(lines) + "\n"



def store_for(warehouse: Warehouse, config: Config, out: str | Path | None = None) -> ArtefactStore:
    """A store over every registered analysis' artefacts: how a caller outside a run (a test, a notebook,
    the dashboard) gets one artefact — ``store_for(wh, config).get("latent_classes")`` — computed as a run would."""
    from upmarket.analyses.base import registered

    return ArtefactStore(warehouse, config, artefact_graph(registered()), out)


def render_artefacts_markdown() -> str:
    """docs/artefacts.md: the artefact graph (mermaid) and one row per artefact, from the declarations."""
    from upmarket.analyses.base import registered

    analyses = registered()
    graph = artefact_graph(analyses)
    producer = {a.name: n for n, c in analyses.items() for a in c.produces}
    users = {a: [n for n, c in analyses.items() if a in c.consumes] for a in graph}
    rows = [f"| `{a.name}` | {producer[a.name]} | {', '.join(users[a.name]) or '—'} | "
            f"{', '.join(a.reads) or '—'} | {', '.join(a.settings) or '—'} | {', '.join(a.inputs) or '—'} | "
            f"{'yes' if a.persist else 'no'} | {a.doc} |" for a in (graph[n] for n in sorted(graph))]
    return "\n".join([
        "# Artefacts", "",
        "Generated by `upmarket docs` from the analyses' `produces` / `consumes` declarations "
        "(`upmarket.artefacts.render_artefacts_markdown`); a test fails when this file is stale.", "",
        "An artefact is an intermediate result several analyses share (a fitted model, a scored table). Its key is a "
        "hash of the content hashes of the files in the tables it reads, the whole option sections (or config "
        "fields) it declares, its inputs' keys and the package and contract versions. It is computed at most once per "
        "run, by whichever analysis asks first, and saved under `OUT/artefacts/<name>/` (`artefact.json` with the "
        "labelled values, arrays in `arrays.npz`, tables as Parquet; never pickle), where `upmarket report`, the "
        "dashboard and a later run with the same key find it.", "",
        "Tables are cylinders, artefacts hexagons, analyses boxes; a dotted arrow points from an analysis to what "
        "it declares it produces.", "",
        "```mermaid", mermaid(analyses).rstrip(), "```", "",
        "| artefact | produced by | consumed by | reads | settings | inputs | saved | what |",
        "|---|---|---|---|---|---|---|---|", *rows, ""])
