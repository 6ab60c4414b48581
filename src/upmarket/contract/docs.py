"""``docs/contract.md``, generated from the contract code so the docs can never drift from it."""

from __future__ import annotations

from upmarket.contract.codes import CODE_LISTS, PRICE_BAND_EDGES
from upmarket.contract.tables import CONTRACT_VERSION, TABLES, Column

_TYPE_WORDS = {
    "str": "text",
    "id": "id (text)",
    "int": "integer",
    "float": "number",
    "rate": "rate (0–1 or `3.2%`)",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "boolean",
    "code": "code",
}


def _rule(c: Column) -> str:
    parts = []
    if c.codes and c.dtype == "str":
        parts.append(f"names read through `{c.codes}`")
    elif c.codes:
        parts.append(f"one of `{c.codes}`")
    if c.min is not None:
        parts.append(f"{'>' if c.min_exclusive else '>='} {c.min:g}")
    if c.max is not None:
        parts.append(f"<= {c.max:g}")
    if c.week_start:
        parts.append("stored as its week's Monday")
    if c.default is not None:
        parts.append(f"default `{c.default}`")
    return "; ".join(parts)


def render_contract_markdown() -> str:
    """The user-facing description of every table, column, code list and rule."""
    out = [
        f"# The upmarket data contract, version {CONTRACT_VERSION}",
        "",
        "_Generated from `src/upmarket/contract/` by `upmarket docs`; do not edit by hand "
        "(a test fails when this file is stale)._",
        "",
        "A dataset is a folder with one file per table (`orders.csv`, `events.parquet`, ...) or a folder of "
        "part files per table (`events/part-0001.parquet`). CSV/TSV (UTF-8, UTF-8 with BOM, GBK, GB18030), "
        "XLSX/XLS (first sheet), Parquet and JSON Lines are read, optionally gzip- or zstd-compressed. "
        "Only the tables an analysis needs are required. `R` = required column, `O` = optional.",
        "",
        "Every rejected row goes to the `quarantine` table with its file, row, column, reason and raw value; "
        "for every file `rows read = rows loaded + rows quarantined`. Columns a table does not name are kept "
        "in `_extra`. Timestamps without a zone are Beijing time and are stored as Beijing time.",
        "",
        "## Tables",
        "",
    ]
    for t in TABLES.values():
        out += [f"### {t.name}", "", t.doc[0].upper() + t.doc[1:] + ".", ""]
        if t.key:
            out += [f"Key: `{', '.join(t.key)}` — a repeated key is quarantined as `duplicate_key`.", ""]
        out += ["| column | | type | rule | aliases | meaning |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            need = "R" if c.required else "O"
            aliases = ", ".join(c.aliases)
            out.append(f"| `{c.name}` | {need} | {_TYPE_WORDS[c.dtype]} | {_rule(c)} | {aliases} | {c.doc} |")
        out.append("")
        for r in t.rules:
            out.append(f"- Row rule `{r.name}`: {r.doc}.")
        for note in t.notes:
            out.append(f"- {note}")
        if t.rules or t.notes:
            out.append("")
    out += ["## Code lists", ""]
    for cl in CODE_LISTS.values():
        kind = ("open (other lower-case codes are kept)" if cl.open else "closed (other values are quarantined)")
        if cl.name == "brand":
            kind = "names: " + cl.doc
        out.append(f"### `{cl.name}` — {kind}")
        out.append("")
        out.append("Codes: " + ", ".join(f"`{c}`" for c in cl.codes) + ".")
        if cl.aliases:
            out.append("")
            out.append("Also accepted: " + ", ".join(f"{k} → `{v}`" for k, v in cl.aliases.items()) + ".")
        out.append("")
    out += ["## Price bands", "", "| band | from (CNY) | below (CNY) |", "|---|---|---|"]
    out += [f"| `{b}` | {lo:g} | {'—' if hi == float('inf') else f'{hi:g}'} |" for b, lo, hi in PRICE_BAND_EDGES]
    out += ["", "Premium means a selling price of 4000 CNY or more.", ""]
    return "\n".join(out)
