"""Run configuration: the focal brand and its rivals, periods, file mappings.

Read from ``upmarket.toml`` in the dataset folder; command-line flags and keyword arguments
override it. Per-analysis options live in a table named after the analysis
(``[market] yoy_period = "2024H1"``) and reach the analysis typed and validated as ``config.settings("market")``
(:mod:`upmarket.settings`; ``config.options`` gives the table as written, for code not yet converted).
Every key is checked: a mistake is one line naming the key and what is allowed (ConfigError).
The keys are documented by their field metadata, from which ``docs/config.md`` is generated.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from upmarket.errors import UpmarketError

CONFIG_FILE = "upmarket.toml"


@dataclass(frozen=True)
class FileMapping:
    """A ``[[files]]`` entry: files matching ``glob`` load into ``table``.

    ``columns`` overrides the header mapping (``columns = {"原列名" = "visitors"}``), kept as
    ``(header, column)`` pairs so that the entry stays hashable.
    """

    glob: str = field(metadata={"doc": "files this entry maps, relative to the dataset folder; `*` and `?` stay "
                                       "within a folder, `**` spans folders (`exports/生意参谋/*.xls`)"})
    table: str = field(metadata={"doc": "the contract table the files load into (`traffic`, `orders`, ...)"})
    platform: str | None = field(default=None, metadata={"doc": "platform code for rows whose file has no platform "
                                                                 "column (`jd`, `tmall`, `douyin`, ...)"})
    channel: str | None = field(default=None, metadata={"doc": "channel for `spend` rows whose file has no channel "
                                                               "column (`douyin_ads`)"})
    sheet: str | None = field(default=None, metadata={"doc": "the workbook sheet to read (default: the first)"})
    encoding: str | None = field(default=None, metadata={"doc": "text encoding of CSV/TSV files when sniffing "
                                                                 "guesses wrong (`gbk`, `gb18030`, `utf-8`)"})
    columns: tuple[tuple[str, str], ...] = field(default=(), metadata={"doc": "header → contract column overrides "
                                                                       "for these files "
                                                                       "(`columns = {\"原列名\" = \"visitors\"}`)"})

    def __post_init__(self) -> None:
        if isinstance(self.columns, dict):
            object.__setattr__(self, "columns", tuple((str(k), str(v)) for k, v in self.columns.items()))


@dataclass(frozen=True)
class Config:
    focal_brand: str = field(default="Xiaomi", metadata={"doc": "the brand whose move upmarket is analysed; it must "
                                                                "appear in products.brand or market_sales.brand"})
    sub_brands: tuple[str, ...] = field(default=("Redmi",), metadata={"doc": "the focal brand's sub-brands (a single "
                                                                             "name is read as a one-item list)"})
    competitors: tuple[str, ...] = field(default=("Huawei", "Apple", "OPPO", "vivo", "Honor"),
                                         metadata={"doc": "the brands to benchmark against"})
    periods: tuple[str, ...] = field(default=(), metadata={"doc": "analysis periods (`2024`, `2024H1`, `2024Q4`, "
                                                                  "`2024-11`); empty means every period in the data"})
    currency: str = field(default="CNY", metadata={"doc": "the currency of money columns"})
    premium_price: str = field(default="contract", metadata={
        "doc": "the price that decides a price band and premium (≥ 4000 CNY): `contract` — sold rows (market_sales) "
               "by the price paid, listed SKUs (the funnel) by list price, as the contract defines each figure; "
               "`paid` or `list` — that price everywhere (upmarket/market_rules.py)"})
    files: tuple[FileMapping, ...] = field(default=(), metadata={"doc": "`[[files]]` entries mapping files that do "
                                                                        "not follow the naming rule (below)"})
    analysis_options: dict[str, dict[str, Any]] = field(default_factory=dict, metadata={
        "doc": "one `[<analysis>]` table of options per analysis (below)"})

    def __post_init__(self) -> None:
        """Brand names as the warehouse stores them (``focal_brand = "小米"`` finds the rows of Xiaomi)."""
        from upmarket.contract.codes import canonical_brand

        object.__setattr__(self, "focal_brand", canonical_brand(self.focal_brand))
        object.__setattr__(self, "sub_brands", tuple(canonical_brand(b) for b in self.sub_brands))
        object.__setattr__(self, "competitors", tuple(canonical_brand(b) for b in self.competitors))
        from upmarket.market_rules import PREMIUM_PRICES

        if self.premium_price not in PREMIUM_PRICES:
            near = difflib.get_close_matches(str(self.premium_price), PREMIUM_PRICES, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"premium_price must be one of {', '.join(map(repr, PREMIUM_PRICES))}, not "
                              f"{self.premium_price!r}{hint}")

    def options(self, analysis: str) -> dict[str, Any]:
        """The ``[analysis]`` table of upmarket.toml as written, or an empty dict.

        The compatibility path for code not yet converted to :meth:`settings` (``opts.get("key", default)``)."""
        return dict(self.analysis_options.get(analysis, {}))

    def settings(self, analysis: str, where: str = CONFIG_FILE) -> Any:
        """The typed, validated options of ``analysis`` (its ``settings_type``, defaults filled in)."""
        cls = settings_type(analysis)
        if cls is None:
            raise ConfigError(f"{where}: the {analysis} analysis declares no settings (settings_type)")
        return cls.from_options(self.analysis_options.get(analysis, {}), where)

    @property
    def brands(self) -> tuple[str, ...]:
        """The focal brand, its sub-brands and the competitors, in that order."""
        return (self.focal_brand, *self.sub_brands, *self.competitors)

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with every non-None override applied (flags beat the file)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("sub_brands", "competitors", "periods"):
            if key in given:
                given[key] = (given[key],) if isinstance(given[key], str) else tuple(given[key])
        return replace(self, **given)

    def to_dict(self) -> dict[str, Any]:
        return {
            "focal_brand": self.focal_brand,
            "sub_brands": list(self.sub_brands),
            "competitors": list(self.competitors),
            "periods": list(self.periods),
            "currency": self.currency,
            "premium_price": self.premium_price,
            "analysis_options": self.analysis_options,
        }


class ConfigError(UpmarketError, ValueError):
    """A mistake in upmarket.toml or in an override: one line naming the key and what is allowed."""


_SCALARS = {f.name for f in fields(Config)} - {"files", "analysis_options"}


def _describe(hint: Any) -> str:
    """A type hint in words, for error messages and docs."""
    args = [a for a in get_args(hint) if a is not type(None)]
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple and get_origin(args[0]) is tuple:  # pairs, written in TOML as a table (``columns``)
        return "a table of strings"
    if origin is tuple:
        return f"a list of {_plural(_describe(args[0]))}"
    if origin is dict:
        return f"a table of {_plural(_describe(args[1]))}" if len(args) == 2 else "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(hint, "a value")


def _plural(described: str) -> str:
    """'a table of numbers' → 'tables of numbers', 'a string' → 'strings'."""
    head, _, rest = described.removeprefix("a ").removeprefix("an ").partition(" ")
    return f"{head}s {rest}".rstrip() if not head.endswith("s") else described


def _toml_repr(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} ({text if len(text) <= 40 else text[:39] + '…'})"


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """``value`` checked against ``hint``; ConfigError naming ``where`` otherwise.

    TOML arrays become tuples. A string where a list is due is read as a one-item list:
    ``sub_brands = "Redmi"`` plainly means one brand, and splitting it into letters never does.
    """
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        for arg in get_args(hint):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError:
                continue
    elif hint is Any:
        return value
    elif origin is tuple:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return tuple(_coerce(v, get_args(hint)[0], f"{where}[{i}]") for i, v in enumerate(value))
    elif origin is dict:
        if isinstance(value, dict):
            k_hint, v_hint = get_args(hint) or (Any, Any)
            return {_coerce(k, k_hint, where): _coerce(v, v_hint, f"{where}.{k}") for k, v in value.items()}
    elif hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    elif isinstance(hint, type) and isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"{where} must be {_describe(hint)}, not {_toml_repr(value)}")


def _unknown(key: str, allowed: list[str], where: str, shown: list[str] | None = None) -> ConfigError:
    near = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return ConfigError(f"{where}: unknown key {key!r}{hint}; allowed: {', '.join(shown or allowed)}")


def _file_mapping(entry: Any, where: str) -> FileMapping:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table (glob = ..., table = ...), not {_toml_repr(entry)}")
    hints = get_type_hints(FileMapping)
    names = [f.name for f in fields(FileMapping)]
    kwargs = {}
    for key, value in entry.items():
        if key not in hints:
            raise _unknown(key, names, where)
        if key == "columns":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{where}: columns must be a table of header = \"column\" "
                                  f"(columns = {{\"原列名\" = \"visitors\"}}), not {_toml_repr(value)}")
            kwargs[key] = tuple((str(k), v) for k, v in value.items())
            continue
        kwargs[key] = _coerce(value, hints[key], f"{where}: {key}")
    missing = [f.name for f in fields(FileMapping) if f.default is MISSING and f.name not in kwargs]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)} (each [[files]] entry needs glob and table)")
    _check_mapping(kwargs["glob"], kwargs["table"], where)
    return FileMapping(**kwargs)


def _check_mapping(glob: str, table: str, where: str) -> None:
    """A glob that compiles and stays inside the dataset, and a table the contract has."""
    import re

    from upmarket.contract import TABLES
    from upmarket.io.discover import _glob_regex

    if table not in TABLES:
        near = difflib.get_close_matches(table, list(TABLES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(f"{where}: table {table!r} is not a contract table{hint}; tables: {', '.join(TABLES)}")
    if not glob.strip() or glob.startswith("/") or ".." in Path(glob).parts:
        raise ConfigError(f"{where}: glob {glob!r} must be a pattern relative to the dataset folder (no leading / "
                          f"and no ..)")
    try:
        _glob_regex(glob)
    except re.error as exc:
        raise ConfigError(f"{where}: glob {glob!r} is not a valid pattern ({exc})") from None


def settings_type(analysis: str) -> Any:
    """The settings class of ``analysis`` (None when it declares none); ConfigError for an unknown analysis."""
    from upmarket.analyses.base import registered

    analyses = registered()
    if analysis not in analyses:
        raise _unknown(analysis, list(analyses), "settings")
    return analyses[analysis].settings_type


def analysis_names() -> list[str]:
    """The analyses a ``[<analysis>]`` options table may name."""
    from upmarket.analyses.base import registered

    return list(registered())


def parse_config(raw: dict[str, Any], where: str = CONFIG_FILE) -> Config:
    """A Config from parsed TOML; ConfigError (one line naming the key and the allowed keys) for any mistake."""
    hints = get_type_hints(Config)
    kwargs: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    analyses: list[str] | None = None
    for key, value in raw.items():
        if key == "files":
            if isinstance(value, dict):
                value = [value]  # a single [files] table
            if not isinstance(value, list):
                raise ConfigError(f"{where}: files must be [[files]] tables, not {_toml_repr(value)}")
            kwargs["files"] = tuple(_file_mapping(e, f"{where}: [[files]] #{i + 1}") for i, e in enumerate(value))
        elif key in _SCALARS:
            kwargs[key] = _coerce(value, hints[key], f"{where}: {key}")
        else:
            analyses = analyses if analyses is not None else analysis_names()
            if key in analyses and isinstance(value, dict):
                cls = settings_type(key)
                if cls is not None:
                    cls.from_options(value, where)  # every key checked when the file is read
                options[key] = value
            elif key in analyses:
                raise ConfigError(f"{where}: [{key}] must be a table of options for the {key} analysis, "
                                  f"not {_toml_repr(value)}")
            else:
                scalars = [f.name for f in fields(Config) if f.name in _SCALARS]
                raise _unknown(key, [*scalars, "files", *analyses], where,
                               [*scalars, "[[files]]", *(f"[{a}]" for a in analyses)])
    try:
        return Config(**kwargs, analysis_options=options)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_config(dataset: str | Path | None, **overrides: Any) -> Config:
    """Config from ``DATASET/upmarket.toml`` (if any) with ``overrides`` applied (checked the same way)."""
    raw: dict[str, Any] = {}
    where = CONFIG_FILE
    if dataset is not None:
        path = Path(dataset) / CONFIG_FILE
        where = str(path)
        if path.is_file():
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from None
            except UnicodeDecodeError:
                raise ConfigError(f"{path}: not UTF-8 text (save it as UTF-8)") from None
    config = parse_config(raw, where)
    hints = get_type_hints(Config)
    given = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in _SCALARS:
            raise _unknown(key, [f.name for f in fields(Config) if f.name in _SCALARS], "override")
        given[key] = _coerce(value, hints[key], key)
    return config.with_overrides(**given)
