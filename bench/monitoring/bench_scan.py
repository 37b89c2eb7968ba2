"""Speed of the compiled Squid scanner (squidscan.c) alone, on one core.

    .venv/bin/python bench/monitoring/bench_scan.py [--lines 2000000] [--runs 5] [--sql]

Generates the benchmark's native-format access.log (bench_ingest.generate), reads it into
memory, and times Scanner.scan over all of it with a fresh Scanner per run (so every run
builds its string tables from nothing). Prints lines per second (median of the runs). With
`--sql`, also times formats.SQUID_SQL over the same file on one DuckDB thread, read as the
loader reads a block. Needs `python -m safesocial.monitoring.engine.build_native`. Not run by
the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
from bench_ingest import generate  # noqa: E402

from safesocial.monitoring.engine.formats import SQUID_SQL  # noqa: E402
from safesocial.monitoring.engine.native import COLUMNS, load_scanner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sql", action="store_true", help="time the SQL parser too")
    args = parser.parse_args()
    module = load_scanner()
    if module is None:
        sys.exit("no current build: python -m safesocial.monitoring.engine.build_native")
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        log = Path(tmp) / "access.log"
        generate(log, args.lines)
        data = log.read_bytes()
        sql_seconds = time_sql(log, args.runs) if args.sql else None
    lines = data.count(b"\n")
    # touched once here, so that no run pays for the first write to fresh pages
    columns = [np.ones(lines, dtype) for dtype in COLUMNS.values()]
    times = []
    for _ in range(args.runs):
        scanner = module.Scanner()
        started = time.perf_counter()
        scanned = scanner.scan(data, *columns)
        times.append(time.perf_counter() - started)
        assert scanned == lines, (scanned, lines)
    deferred = int(columns[list(COLUMNS).index("flag")].sum())
    seconds = statistics.median(times)
    print(
        f"{lines:,} lines, {len(data) / lines:.0f} bytes a line, {deferred:,} deferred;"
        f" tables {scanner.sizes()}"
    )
    print(
        f"scan: {seconds * 1e3:.0f} ms, {lines / seconds / 1e6:.1f} M lines/s,"
        f" {seconds / lines * 1e9:.0f} ns a line, {len(data) / seconds / 1e9:.2f} GB/s"
        f" (median of {len(times)}; runs {', '.join(f'{t * 1e3:.0f}' for t in times)} ms)"
    )
    if sql_seconds is not None:
        print(
            f"SQUID_SQL, one thread: {sql_seconds * 1e3:.0f} ms,"
            f" {lines / sql_seconds / 1e6:.2f} M lines/s; the scanner: {sql_seconds / seconds:.0f}x"
        )


def time_sql(log: Path, runs: int) -> float:
    """Median seconds of SQUID_SQL over the file (DuckDB's reader, one thread), as a table."""
    con = duckdb.connect(config={"threads": 1})
    # the path is a temporary file of ours: no quoting to worry about
    con.execute(
        "CREATE TEMP VIEW stage AS SELECT NULL::BIGINT AS n, line FROM read_csv("  # noqa: S608
        f"'{log}', columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '', escape = '',"
        " header = false, auto_detect = false, strict_mode = false)"
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {SQUID_SQL}")
        times.append(time.perf_counter() - started)
    con.close()
    return statistics.median(times)


if __name__ == "__main__":
    main()
