"""The one error a reader raises for a file it cannot read at all."""

from __future__ import annotations

from pathlib import Path


class UnreadableFile(Exception):  # noqa: N818 - the name is the shared interface
    """A file that cannot be read at all (wrong format, corrupt, no header, a required column missing).

    ``str(exc)`` is one line, ``"{path}: {problem}"``, so a CLI can print it as is.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.path}: {self.problem}")

    def __reduce__(self):  # keep it picklable across process pools
        return (type(self), (self.path, self.problem))
