"""Typed options of one analysis: a frozen dataclass per ``[<analysis>]`` table of upmarket.toml.

Each analysis declares its options once, as fields made with :func:`option` (type, default, unit, one-line doc,
allowed range or choices), in ``analyses/<name>/settings.py`` (or its module) and names the class in
``Analysis.settings_type``. ``config.settings("<name>")`` returns it validated; ``parse_config`` validates
every table when the file is read, so a mistake stops the run with one line naming the file, the table and the
key (an unknown key with a did-you-mean). ``docs/config.md`` and ``upmarket init`` are generated from the fields.

Compatibility: ``config.options("<name>")`` still returns the table as written (a plain dict), so code that
reads ``opts.get("key", default)`` keeps working while it is converted; :meth:`Settings.get` answers the same
call on a settings object. A new option is a new field: a key that no field declares is rejected.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Self, get_type_hints


def option(default: Any = MISSING, *, doc: str, unit: str | None = None, choices: tuple[Any, ...] | None = None,
           ge: float | None = None, gt: float | None = None, le: float | None = None, lt: float | None = None,
           default_doc: str | None = None, factory: Any = MISSING) -> Any:
    """A settings field: its default (``factory`` for a table), what it means, its unit and what is allowed.

    ``default_doc`` describes a default computed at run time (the field's own default is then None)."""
    meta = {"doc": doc, "unit": unit, "choices": choices, "ge": ge, "gt": gt, "le": le, "lt": lt,
            "default_doc": default_doc}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Base of every analysis' options: build with :meth:`from_options`, read as attributes."""

    aliases: ClassVar[Mapping[str, str]] = {}
    """Old key → the field it now is (``reference`` → ``reference_brand``); giving both is an error."""
    table: ClassVar[str] = ""
    """The upmarket.toml table these options live in (``demand``)."""

    @classmethod
    def from_options(cls, raw: Mapping[str, Any] | None, where: str = "upmarket.toml") -> Self:
        """The settings of the table ``raw`` as written; ConfigError naming ``where``, the table and the key."""
        from upmarket.config import ConfigError, _coerce, _toml_repr

        raw = dict(raw or {})
        names = [f.name for f in fields(cls)]
        hints = get_type_hints(cls)
        head = f"{where}: [{cls.table}]"
        for old, new in cls.aliases.items():
            if old in raw:
                if new in raw:
                    raise ConfigError(f"{head} {old} and {new} are the same option ({old} is its old name); "
                                      f"give {new} only")
                raw[new] = raw.pop(old)
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in hints or key not in names:
                near = difflib.get_close_matches(key, [*names, *cls.aliases], n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigError(f"{head}: unknown key {key!r}{hint}; allowed: {', '.join(names) or 'none'}")
            value = _coerce(value, hints[key], f"{head} {key}")
            _check(value, next(f for f in fields(cls) if f.name == key).metadata, f"{head} {key}", _toml_repr)
            kwargs[key] = value
        return cls(**kwargs)

    def get(self, key: str, default: Any = None) -> Any:
        """``opts.get(key, default)`` on the settings: the field's value (compatibility with dict reads)."""
        return getattr(self, key, default)

    def to_dict(self) -> dict[str, Any]:
        """Every option with its value (defaults filled in), as TOML would hold it."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _check(value: Any, meta: Mapping[str, Any], where: str, show: Any) -> None:
    """Range and choice checks of :func:`option` (a None value is the documented 'not set')."""
    from upmarket.config import ConfigError

    if value is None:
        return
    choices = meta.get("choices")
    if choices is not None:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item not in choices:
                near = difflib.get_close_matches(str(item), [str(c) for c in choices], n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigError(f"{where} must be one of {', '.join(map(repr, choices))}, not {item!r}{hint}")
    numbers = [v for v in (value if isinstance(value, tuple) else (value,))
               if isinstance(v, int | float) and not isinstance(v, bool)]
    for v in numbers:
        for bound, ok, words in (("ge", lambda x, b: x >= b, "at least"), ("gt", lambda x, b: x > b, "above"),
                                 ("le", lambda x, b: x <= b, "at most"), ("lt", lambda x, b: x < b, "below")):
            b = meta.get(bound)
            if b is not None and not (ok(v, b) and math.isfinite(v)):
                raise ConfigError(f"{where} must be {words} {b:g}, not {show(v)}")


def describe_default(f: Any) -> str:
    """The default of a settings field as docs and ``upmarket init`` show it."""
    if f.metadata.get("default_doc"):
        return str(f.metadata["default_doc"])
    if f.default is not MISSING:
        value = f.default
    elif f.default_factory is not MISSING:
        value = f.default_factory()
    else:
        return "required"
    return "`" + toml_value(value) + "`" if value not in ((), {}, None) else "—"


def toml_value(value: Any) -> str:
    """``value`` as a TOML literal (for docs and the starter config)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def allowed(f: Any) -> str:
    """The field's range or choices in words ('' when anything of its type goes)."""
    m = f.metadata
    parts = []
    if m.get("choices") is not None:
        parts.append("one of " + ", ".join(f"`{toml_value(c)}`" for c in m["choices"]))
    for bound, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
        if m.get(bound) is not None:
            parts.append(f"{sign} {m[bound]:g}")
    return "; ".join(parts)
