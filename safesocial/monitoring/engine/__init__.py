"""Monitoring and evaluation engine (policy clause 7): log ingest into DuckDB, report, alerts.

No Django here, so the engine runs and is tested on its own (and later, the report SQL on
Spark). Entry points: `open_store`, `Ingester`, `standard_report`, `report_text`.
"""

from .formats import FORMATS, FormatError, detect_format
from .ingest import FileResult, Ingester, IngestError, IngestSummary
from .policy import Lease, LeaseError, load_leases
from .report import QUERIES, report_text, standard_report
from .sources import SourceError
from .store import Connection, StoreError, open_store

__all__ = [
    "FORMATS",
    "QUERIES",
    "Connection",
    "FileResult",
    "FormatError",
    "IngestError",
    "IngestSummary",
    "Ingester",
    "Lease",
    "LeaseError",
    "SourceError",
    "StoreError",
    "detect_format",
    "load_leases",
    "open_store",
    "report_text",
    "standard_report",
]
