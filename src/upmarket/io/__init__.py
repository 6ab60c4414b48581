"""Readers: find a dataset's files and stream each one as Arrow batches with contract column names.

The flow, one module per step: ``discover`` (which file is which table) → ``sniff`` (format,
compression, encoding from the bytes) → ``headers`` (find the header row among title rows,
normalise and map header cells onto contract names) → ``readers`` (``open_table`` checks required
columns; ``RawTable.batches()`` streams ``_row`` + string columns). Cleaning — parsing numbers,
dates and codes, quarantining bad rows — happens downstream, in the ingest layer.

>>> from upmarket.io import discover, open_table          # doctest: +SKIP
>>> for source in discover("data/", config):                # doctest: +SKIP
...     raw = open_table(source)
...     for batch in raw.batches():
...         ...
"""

from upmarket.io.discover import Discovery, IgnoredFile, SourceFile, discover, file_dates
from upmarket.io.errors import UnreadableFile
from upmarket.io.readers import RawTable, RowProblem, open_table

__all__ = [
    "Discovery",
    "IgnoredFile",
    "RawTable",
    "RowProblem",
    "SourceFile",
    "UnreadableFile",
    "discover",
    "file_dates",
    "open_table",
]
