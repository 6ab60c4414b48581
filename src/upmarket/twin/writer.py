"""Write twin tables through the contract: column order and types come from ``upmarket.contract.TABLES``.

The twin never keeps a second copy of the schema. ``arrow_schema`` turns a contract table into an
Arrow schema; ``TableWriter`` casts each chunk to it (extra columns are kept after the contract
ones) and writes deterministic files (fixed Parquet settings, no timestamps of "now").
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from upmarket.contract import TABLES
from upmarket.contract import table as contract_table

ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "str": pa.string(),
    "code": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "rate": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),  # naive, Beijing time
    "bool": pa.bool_(),
}

PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "use_dictionary": True, "write_statistics": True}
"""Fixed writer settings so the same data gives the same bytes."""


def arrow_schema(table: str, extra_columns: pa.Schema | list[pa.Field] | None = None) -> pa.Schema:
    """The Arrow schema of a contract table, followed by ``extra_columns`` (kept as given)."""
    t = contract_table(table)
    fields = [pa.field(c.name, ARROW_TYPES[c.dtype], nullable=True) for c in t.columns]
    known = set(t.names)
    for f in list(extra_columns or []):
        if f.name not in known:
            fields.append(f)
    return pa.schema(fields)


def _to_arrow(data: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(f"expected a pandas DataFrame or an Arrow table, got {type(data).__name__}")


def _cast_column(col: pa.ChunkedArray, target: pa.DataType, table: str, name: str) -> pa.ChunkedArray:
    if col.type == target:
        return col
    try:
        if pa.types.is_string(target) and not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if pa.types.is_floating(col.type):
                # ids kept as text without a trailing ".0" when the floats are whole numbers
                arr = col.to_numpy(zero_copy_only=False)
                finite = arr[~np.isnan(arr)]
                if finite.size == 0 or np.all(finite == np.round(finite)):
                    col = col.cast(pa.int64())
            return col.cast(target)
        if pa.types.is_timestamp(target) and pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = pa.chunked_array([c.cast(pa.timestamp(col.type.unit)) for c in col.chunks])
        return col.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"table {table!r}, column {name!r}: cannot convert {col.type} to {target}: {exc}") from None


def conform(data: pd.DataFrame | pa.Table, table: str) -> pa.Table:
    """Order and cast columns as the contract says; extra columns follow; missing required columns raise."""
    t = contract_table(table)
    at = _to_arrow(data)
    missing = [c for c in t.required if c not in at.column_names]
    if missing:
        raise ValueError(f"table {table!r}: required column(s) missing: {', '.join(missing)}")
    arrays, fields = [], []
    for c in t.columns:
        target = ARROW_TYPES[c.dtype]
        if c.name in at.column_names:
            arrays.append(_cast_column(at.column(c.name), target, table, c.name))
        else:
            arrays.append(pa.chunked_array([pa.nulls(at.num_rows, type=target)]))
        fields.append(pa.field(c.name, target))
    for name in at.column_names:
        if name not in t.names:
            col = at.column(name)
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                col = _cast_column(col, pa.timestamp("us"), table, name)
            arrays.append(col)
            fields.append(pa.field(name, col.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


class TableWriter:
    """Append chunks of one contract table to ``OUT/<table>.<fmt>`` (or ``OUT/<table>/part-NNNNN.<fmt>``).

    Parameters
    ----------
    out_dir : dataset folder.
    table : contract table name.
    fmt : ``parquet``, ``csv``, ``tsv`` or ``jsonl`` (csv/tsv/jsonl are buffered until ``close``
        unless ``parts=True``).
    parts : each ``write`` becomes its own part file — constant memory for large tables.
    encoding : text encoding for csv/tsv (``gbk`` for platform-like exports).
    headers : ``canonical`` column names, or ``zh`` — the first Chinese alias where the contract has one.
    """

    def __init__(
        self,
        out_dir: Path,
        table: str,
        fmt: str = "parquet",
        parts: bool = False,
        encoding: str = "utf-8",
        headers: Literal["canonical", "zh"] = "canonical",
    ) -> None:
        if table not in TABLES:
            contract_table(table)  # raises a clear error
        if fmt not in ("parquet", "csv", "tsv", "jsonl"):
            raise ValueError(f"unsupported format {fmt!r}: use parquet, csv, tsv or jsonl")
        self.out_dir = Path(out_dir)
        self.table = table
        self.fmt = fmt
        self.parts = parts
        self.encoding = encoding
        self.headers = headers
        self.rows = 0
        self._n_parts = 0
        self._pq: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._buffer: list[pa.Table] = []

    @property
    def path(self) -> Path:
        """The file (or folder of parts) this writer produces."""
        return self.out_dir / self.table if self.parts else self.out_dir / f"{self.table}.{self.fmt}"

    def _renamed(self, at: pa.Table) -> pa.Table:
        if self.headers == "canonical":
            return at
        t = contract_table(self.table)
        names = []
        for name in at.column_names:
            col = t.column(name) if name in t.names else None
            names.append(col.aliases[0] if col is not None and col.aliases else name)
        return at.rename_columns(names)

    def write(self, data: pd.DataFrame | pa.Table) -> int:
        """Append one chunk (cast through the contract); returns the rows written."""
        at = conform(data, self.table)
        if self._schema is None:
            self._schema = at.schema
        elif at.schema != self._schema:
            at = at.cast(self._schema)
        self.rows += at.num_rows
        if self.parts:
            self.path.mkdir(parents=True, exist_ok=True)
            part = self.path / f"part-{self._n_parts:05d}.{self.fmt}"
            self._n_parts += 1
            self._write_file(at, part)
        elif self.fmt == "parquet":
            if self._pq is None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                self._pq = pq.ParquetWriter(self.path, self._renamed(at).schema, **PARQUET_OPTIONS)
            self._pq.write_table(self._renamed(at), row_group_size=1_000_000)
        else:
            self._buffer.append(at)
        return at.num_rows

    def _write_file(self, at: pa.Table, path: Path) -> None:
        at = self._renamed(at)
        if self.fmt == "parquet":
            pq.write_table(at, path, row_group_size=1_000_000, **PARQUET_OPTIONS)
            return
        df = at.to_pandas()
        if self.fmt == "jsonl":
            path.write_text(df.to_json(orient="records", lines=True, force_ascii=False, date_format="iso"),
                            encoding="utf-8")
            return
        buf = io.StringIO()
        df.to_csv(buf, index=False, sep="\t" if self.fmt == "tsv" else ",", quoting=csv.QUOTE_MINIMAL,
                  lineterminator="\n")
        path.write_bytes(buf.getvalue().encode(self.encoding))

    def close(self) -> int:
        """Finish the file(s); returns the total rows written (an empty table still gets a file)."""
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        elif not self.parts and self.fmt == "parquet" and self.rows == 0:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            pq.write_table(self._renamed(arrow_schema(self.table).empty_table()), self.path, **PARQUET_OPTIONS)
        if self._buffer or (not self.parts and self.fmt != "parquet" and self.rows == 0):
            self.out_dir.mkdir(parents=True, exist_ok=True)
            at = pa.concat_tables(self._buffer) if self._buffer else arrow_schema(self.table).empty_table()
            self._write_file(at, self.path)
            self._buffer = []
        return self.rows

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_table(df: pd.DataFrame | pa.Table, table: str, out_dir: Path, fmt: str = "parquet") -> Path:
    """Write one whole table through the contract; returns the file path."""
    w = TableWriter(Path(out_dir), table, fmt=fmt)
    w.write(df)
    w.close()
    return w.path
