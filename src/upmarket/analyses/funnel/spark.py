"""Engine selection: the funnel's Ibis expressions run on the warehouse's DuckDB or on Apache Spark.

Every function of the funnel takes a *table source*: anything with ``table(name) -> ibis Table``
and ``has_rows(name) -> bool``. ``Warehouse`` is one (DuckDB); :class:`SparkSource` is another,
serving the same contract tables from a SparkSession through Ibis' ``pyspark`` backend. The
expressions are the same; only the backend that compiles them differs.

Spark needs ``pyspark`` (the ``spark`` extra) and a Java 17+ runtime (``JAVA_HOME`` or ``java``
on the PATH). :func:`local_session` starts a small local session with UTC as the session time
zone, so naive Beijing-time timestamps are not shifted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.warehouse import Warehouse

FUNNEL_TABLES: tuple[str, ...] = ("traffic", "events", "users", "orders", "products")


class TableSource(Protocol):
    """What the funnel reads from: a Warehouse, or a SparkSource."""

    def table(self, name: str) -> ir.Table: ...

    def has_rows(self, name: str) -> bool: ...


def spark_available() -> str | None:
    """None when pyspark imports and Java is found, else the reason it cannot run."""
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'upmarket[spark]')"
    import os

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime: set JAVA_HOME or put java (17+) on the PATH"
    return None


def local_session(cores: int = 1, shuffle_partitions: int = 2, app: str = "upmarket-funnel", small: bool = False,
                  driver_memory: str = "2g") -> Any:
    """A local SparkSession sized for a laptop: UTC session time zone, no UI, few shuffle partitions.

    ``small=True`` turns off adaptive execution, whole-stage code generation and broadcast joins:
    on test-sized data, compiling and planning cost more than running (about 2× faster here).
    """
    from pyspark.sql import SparkSession

    b = (
        SparkSession.builder.master(f"local[{cores}]").appName(app)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if small:
        b = (b.config("spark.sql.adaptive.enabled", "false").config("spark.sql.codegen.wholeStage", "false")
             .config("spark.sql.autoBroadcastJoinThreshold", "-1"))
    session = b.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkSource:
    """Contract tables served by Spark (temporary views), as Ibis tables on the ``pyspark`` backend."""

    def __init__(self, session: Any, views: dict[str, str]) -> None:
        self.session = session
        self.views = dict(views)
        self._con: Any = None

    @property
    def ibis(self) -> Any:
        if self._con is None:
            import ibis

            self._con = ibis.pyspark.connect(self.session)
        return self._con

    def table(self, name: str) -> ir.Table:
        if name not in self.views:
            raise KeyError(f"table {name!r} is not registered with this Spark source ({', '.join(self.views)})")
        return self.ibis.table(self.views[name])

    def has_rows(self, name: str) -> bool:
        return name in self.views and bool(self.session.table(self.views[name]).limit(1).count())

    @classmethod
    def from_parquet(cls, session: Any, paths: dict[str, str | Path], prefix: str = "um_") -> SparkSource:
        """Register Parquet files or folders (one per table) as temporary views."""
        views = {}
        for name, path in paths.items():
            view = f"{prefix}{name}"
            session.read.parquet(str(path)).createOrReplaceTempView(view)
            views[name] = view
        return cls(session, views)

    @classmethod
    def from_warehouse(cls, wh: Warehouse, session: Any, tables: tuple[str, ...] = FUNNEL_TABLES,
                       directory: str | Path | None = None) -> SparkSource:
        """Copy the warehouse's tables to Parquet (Ibis ``to_parquet``) and serve them from Spark."""
        out = Path(directory or tempfile.mkdtemp(prefix="upmarket-spark-"))
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in tables:
            if not wh.has_rows(name):
                continue
            path = out / f"{name}.parquet"
            wh.table(name).to_parquet(path)
            paths[name] = path
        return cls.from_parquet(session, paths)
