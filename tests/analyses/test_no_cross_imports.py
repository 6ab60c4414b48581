"""No module under analyses/X imports analyses/Y (Y ≠ X; ``base`` is for everyone): analyses share artefacts
(``consumes``) and earlier figures (``upstream``), and helpers live in neutral modules (upmarket.text,
upmarket.choice, upmarket.market_rules)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(importlib.util.find_spec("upmarket.analyses").origin).parent  # found, not imported: a fast test
ALLOWED = {"base"}


def _imported(tree: ast.AST, rel: Path) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = ["upmarket", "analyses", *rel.parent.parts][: None if node.level == 1
                                                                                      else 1 - node.level]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            if mod == "upmarket.analyses":  # from upmarket.analyses import voice
                out += [(node.lineno, f"upmarket.analyses.{a.name}") for a in node.names]
    return out


def cross_imports(root: Path = ROOT) -> list[str]:
    """``path:line imports module`` for every import of another analysis, TYPE_CHECKING blocks included."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        if path.parent == root:  # analyses/__init__.py registers every analysis; base.py is shared
            continue
        rel = path.relative_to(root)
        own = rel.parts[0].removesuffix(".py")
        for line, mod in sorted(_imported(ast.parse(path.read_text(encoding="utf-8")), rel)):
            parts = mod.split(".")
            if parts[:2] == ["upmarket", "analyses"] and len(parts) > 2 and parts[2] not in {own, *ALLOWED}:
                bad.append(f"{path.relative_to(root.parent)}:{line} imports {mod}")
    return bad


def test_no_analysis_imports_another() -> None:
    assert cross_imports() == []


def test_the_walk_finds_an_import_of_another_analysis(tmp_path: Path) -> None:
    """The check itself: a planted import (plain, from, relative, under TYPE_CHECKING) is caught."""
    pkg = tmp_path / "analyses"
    (pkg / "demand").mkdir(parents=True)
    (pkg / "demand" / "x.py").write_text(
        "from typing import TYPE_CHECKING\nimport upmarket.analyses.base\nfrom upmarket.analyses.demand import y\n"
        "if TYPE_CHECKING:\n    from upmarket.analyses.voice.score import Scored\nfrom ..segments import stp\n"
        "import upmarket.analyses.spread.topics\n", encoding="utf-8")
    found = cross_imports(pkg)
    assert [f.split(" imports ")[1] for f in found] == [
        "upmarket.analyses.voice.score", "upmarket.analyses.segments", "upmarket.analyses.spread.topics"]
