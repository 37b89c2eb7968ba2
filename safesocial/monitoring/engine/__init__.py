"""Monitoring and evaluation engine (policy clause 7): log ingest into DuckDB, report, alerts.

No Django here, so the engine runs and is tested on its own. Entry points: `open_store`,
`Ingester`, `standard_report`, `report_text`, and `trust_report` for several schools. The
same report SQL runs on Apache Spark through `safesocial.monitoring.engine.spark` (not
imported here, so pyspark stays optional).
"""

import os

# NumPy's OpenBLAS starts a thread per core that spins for a while, even when nothing asks it
# for linear algebra (the engine never does): on a 2-core server that is CPU taken from the
# ingest. Set before NumPy is first imported (every engine module imports this package first).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .formats import FORMATS, FormatError, detect_format
from .ingest import FileResult, Ingester, IngestError, IngestSummary
from .policy import Lease, LeaseError, load_leases
from .report import (
    QUERIES,
    DuckDBEngine,
    SqlEngine,
    report_text,
    standard_report,
    trust_report,
    trust_text,
)
from .sources import SourceError
from .store import Connection, StoreError, open_store

__all__ = [
    "FORMATS",
    "QUERIES",
    "Connection",
    "DuckDBEngine",
    "FileResult",
    "FormatError",
    "IngestError",
    "IngestSummary",
    "Ingester",
    "Lease",
    "LeaseError",
    "SourceError",
    "SqlEngine",
    "StoreError",
    "detect_format",
    "load_leases",
    "open_store",
    "report_text",
    "standard_report",
    "trust_report",
    "trust_text",
]
