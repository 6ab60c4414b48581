"""Progress reporting for long work, decoupled from the terminal.

Library code takes an optional ``progress`` (a ``Progress``) and calls
``progress.task(description, total)`` then ``advance()`` on what it gets back; the CLI passes
a Rich-backed one, tests pass nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Task(Protocol):
    def advance(self, n: float = 1) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: float | None = None) -> Task: ...


class _NullTask:
    def advance(self, n: float = 1) -> None:
        pass


class NullProgress:
    """Reports nothing."""

    def task(self, description: str, total: float | None = None) -> Task:
        return _NullTask()


def ensure(progress: Progress | None) -> Progress:
    """``progress`` or a silent stand-in."""
    return progress if progress is not None else NullProgress()


class RichProgress(AbstractContextManager):
    """A Rich progress display with a bar per task; descriptions (file names) are shown as written, not as markup."""

    def __init__(self, transient: bool = False) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=transient,
        )

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def task(self, description: str, total: float | None = None) -> Task:
        task_id = self._progress.add_task(description, total=total)
        progress = self._progress

        class _Task:
            def advance(self, n: float = 1) -> None:
                progress.advance(task_id, n)

        return _Task()


def fraction_callback(progress: Progress | None, description: str):
    """A ``callback(step, fraction_done)`` driving one task of ``progress`` (for steps known by fraction)."""
    task = ensure(progress).task(description, total=100)
    done = [0.0]

    def callback(step: str, fraction: float) -> None:
        target = round(100 * min(max(fraction, 0.0), 1.0))
        if target > done[0]:
            task.advance(target - done[0])
            done[0] = target

    return callback
