"""The output folder of a run, written in one place: results.json, tables, sections, artefacts,
``manifest.json``, then (optionally) the report rendered from what was saved.

``manifest.json`` records what wrote the folder and from what: the package and contract versions, a hash of the
config, the data state (per table, the content hashes of the files loaded into it) and every artefact with its
key. ``upmarket report OUT`` reads it first and refuses a folder another version or contract wrote, because the
report would then be rebuilt from figures whose shape it does not know.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from upmarket.artefacts import data_state, fingerprint, package_state
from upmarket.errors import UpmarketError

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.results import Results
    from upmarket.warehouse import Warehouse

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1


class OutputMismatchError(UpmarketError):
    """An output folder this installation cannot re-render: no manifest, or another version or contract wrote it."""


def run_state(wh: Warehouse) -> dict[str, list[str]]:
    """The data state of every table with loaded files (for the manifest; read while the warehouse is open)."""
    tables = [r[0] for r in wh.con.execute('SELECT DISTINCT "table" FROM ingest_manifest').fetchall()]
    return data_state(wh, tables)


def manifest(results: Results, config: Config, state: dict[str, list[str]]) -> dict[str, Any]:
    """What manifest.json holds for ``results`` (see the module docstring)."""
    out: dict[str, Any] = {
        "manifest": MANIFEST_FORMAT, **package_state(),
        "config_hash": fingerprint(config.to_dict()),
        "data_state": state, "data_hash": fingerprint(state),
        "artefacts": {name: dict(rec) for name, rec in sorted(results.artefacts.items())},
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return out


def write_output(out: str | Path, results: Results, config: Config, state: dict[str, list[str]], *,
                 report: bool = True, lang: str = "en", pdf: bool = False) -> Path:
    """Write the whole output folder, then render the report from what was written.

    ``sections.json`` is saved whether or not the report is rendered, and the report (charts included) is drawn
    from the folder alone, so ``analyze --no-report`` followed by ``upmarket report OUT`` gives the report
    ``analyze`` would have.
    """
    from upmarket.report import render_all, save_sections
    from upmarket.results import read_results

    out = Path(out)
    if report and pdf:
        from upmarket.report.pdf import pdf_status

        results.figures["report"] = pdf_status()
    results.write(out)
    save_sections(results.sections, out)
    written = manifest(results, config, state)  # the fitted models (demand_fit, mix_model) are artefacts too
    (out / MANIFEST_FILE).write_text(json.dumps(written, ensure_ascii=False, indent=1), encoding="utf-8")
    if report:
        results.report_files = render_all(read_results(out), None, out, lang=lang, pdf=pdf)
    return out


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a finished run, checked against this installation (:class:`OutputMismatchError` if not)."""
    path = Path(out) / MANIFEST_FILE
    if not path.is_file():
        raise OutputMismatchError(f"{path}: no manifest.json, so this folder was not written by this upmarket "
                                  "(or is incomplete); run `upmarket analyze` again")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise OutputMismatchError(f"{path}: not valid JSON ({exc}); run `upmarket analyze` again") from None
    want = package_state()
    off = [f"{k} {found.get(k)!r} (installed: {v!r})" for k, v in want.items() if str(found.get(k)) != v]
    if off:
        raise OutputMismatchError(f"{path}: written by another version: " + ", ".join(off)
                                  + "; run `upmarket analyze` again with this installation")
    return found
