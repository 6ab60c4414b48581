"""The market twin: a simulated Chinese smartphone market that writes every contract table with planted truth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from upmarket.twin.run import TwinRun


def simulate(out: Any, preset: str = "demo", seed: int = 0, progress: Any = None) -> TwinRun:
    """Simulate the twin into folder ``out``; see ``upmarket.twin.run.simulate``."""
    from upmarket.twin.run import simulate as _simulate

    return _simulate(out, preset=preset, seed=seed, progress=progress)


__all__ = ["simulate"]
