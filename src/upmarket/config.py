"""Run configuration: the focal brand and its rivals, periods, file mappings.

Read from ``upmarket.toml`` in the dataset folder; command-line flags and keyword arguments
override it. Per-analysis options live in a table named after the analysis
(``[market] yoy_period = "2024H1"``) and reach the analysis as ``config.options("market")``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

CONFIG_FILE = "upmarket.toml"


@dataclass(frozen=True)
class FileMapping:
    """A ``[[files]]`` entry: files matching ``glob`` load into ``table``.

    ``columns`` overrides the header mapping (``columns = {"原列名" = "visitors"}``), kept as
    ``(header, column)`` pairs so that the entry stays hashable.
    """

    glob: str
    table: str
    platform: str | None = None
    channel: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    columns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.columns, dict):
            object.__setattr__(self, "columns", tuple((str(k), str(v)) for k, v in self.columns.items()))


@dataclass(frozen=True)
class Config:
    focal_brand: str = "Xiaomi"
    sub_brands: tuple[str, ...] = ("Redmi",)
    competitors: tuple[str, ...] = ("Huawei", "Apple", "OPPO", "vivo", "Honor")
    periods: tuple[str, ...] = ()
    currency: str = "CNY"
    files: tuple[FileMapping, ...] = ()
    analysis_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Brand names as the warehouse stores them (``focal_brand = "小米"`` finds the rows of Xiaomi)."""
        from upmarket.contract.codes import canonical_brand

        object.__setattr__(self, "focal_brand", canonical_brand(self.focal_brand))
        object.__setattr__(self, "sub_brands", tuple(canonical_brand(b) for b in self.sub_brands))
        object.__setattr__(self, "competitors", tuple(canonical_brand(b) for b in self.competitors))

    def options(self, analysis: str) -> dict[str, Any]:
        """The ``[analysis]`` table of upmarket.toml, or an empty dict."""
        return dict(self.analysis_options.get(analysis, {}))

    @property
    def brands(self) -> tuple[str, ...]:
        """The focal brand, its sub-brands and the competitors, in that order."""
        return (self.focal_brand, *self.sub_brands, *self.competitors)

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with every non-None override applied (flags beat the file)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("sub_brands", "competitors", "periods"):
            if key in given:
                given[key] = tuple(given[key])
        return replace(self, **given)

    def to_dict(self) -> dict[str, Any]:
        return {
            "focal_brand": self.focal_brand,
            "sub_brands": list(self.sub_brands),
            "competitors": list(self.competitors),
            "periods": list(self.periods),
            "currency": self.currency,
            "analysis_options": self.analysis_options,
        }


_SCALARS = {f.name for f in fields(Config)} - {"files", "analysis_options"}


def load_config(dataset: str | Path | None, **overrides: Any) -> Config:
    """Config from ``DATASET/upmarket.toml`` (if any) with ``overrides`` applied."""
    raw: dict[str, Any] = {}
    if dataset is not None:
        path = Path(dataset) / CONFIG_FILE
        if path.is_file():
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from None
    kwargs: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if key == "files":
            kwargs["files"] = tuple(FileMapping(**entry) for entry in value)
        elif key in _SCALARS:
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        elif isinstance(value, dict):
            options[key] = value
        else:
            raise ValueError(f"{dataset}/{CONFIG_FILE}: unknown setting {key!r}")
    return Config(**kwargs, analysis_options=options).with_overrides(**overrides)
