"""Benchmark: our ingest + standard report vs GoAccess on the same Squid access.log.

    .venv/bin/python bench/monitoring/bench_ingest.py --lines 10000000 --runs 3

Generates a native-format Squid access.log (school-like traffic: a few thousand clients,
social media, CONNECT and plain HTTP with unique paths and query strings), then per run times
(a) a child process that ingests the file into a fresh DuckDB database and builds the standard
report (it also notes its start-up / ingest / report split), and (b) GoAccess 1.7, single
thread, CSV output; the two alternate, so both see the same machine, each after a pause
(`--settle`). Wall time and peak RSS come from /usr/bin/time. Prints the medians, the ratio
and the load average. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO)]

import duckdb  # noqa: E402

from safesocial.enforce.snapshot import write_snapshot  # noqa: E402
from tests.enforce.school import school_snapshot  # noqa: E402

# GoAccess 1.7's predefined SQUID format does not parse Squid's native lines (it expects a
# syslog prefix); this is the same format without the prefix.
GOACCESS_FORMAT = "%x.%^ %~%L %h %^/%s %b %m %U"
HOSTS = [
    "www.facebook.com",
    "static.xx.fbcdn.net",
    "www.tiktok.com",
    "v16.tiktokcdn.com",
    "i.instagram.com",
    "www.bbc.co.uk",
    "www.google.com",
    "docs.google.com",
    "login.microsoftonline.com",
    "teams.microsoft.com",
    "www.youtube.com",
    "example.org",
    "cdn.example.net",
    "dns.google",
    "nordvpn.com",
    "en.wikipedia.org",
]


def generate(path: Path, lines: int) -> None:
    """Write `lines` native Squid lines with DuckDB (Python would take minutes for 10M)."""
    hosts = "[" + ", ".join(f"'{h}'" for h in HOSTS) + "]"
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT
                printf('%d.%03d %6d %s %s %d %s %s %s %s',
                    1741068000 + i // 60, i % 1000, 1 + (i * 7919) % 99999,
                    CASE WHEN i % 10 = 0 THEN printf('2001:db8:20::%x', (i * 31) % 4096)
                         ELSE printf('10.20.%d.%d', (i * 13) % 16, (i * 7) % 250 + 1) END,
                    CASE WHEN i % 17 = 0 THEN 'TCP_DENIED/403'
                         WHEN i % 2 = 0 THEN 'TCP_TUNNEL/200' ELSE 'TCP_MISS/200' END,
                    (i * 104729) % 200000,
                    CASE WHEN i % 2 = 0 THEN 'CONNECT' ELSE 'GET' END,
                    CASE WHEN i % 2 = 0 THEN h || ':443'
                         ELSE printf('http://%s/p/%d?session=%d', h, i % 100000, i) END,
                    CASE WHEN i % 3 = 0 THEN printf('user%d', i % 2000) ELSE '-' END,
                    CASE WHEN i % 2 = 0 THEN 'HIER_DIRECT/' || h || ' -'
                         ELSE 'HIER_DIRECT/93.184.216.34 text/html' END) AS line
            FROM (SELECT i, {hosts}[1 + (i * 2654435761) % {len(HOSTS)}] AS h
                  FROM range({lines}) t(i))
        ) TO '{path}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')
        """  # noqa: S608
    )
    con.close()


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KB) of a child process, from GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", out.name, *command],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds, kilobytes = out.read().split()[-2:]
    return float(seconds), int(kilobytes)


OURS = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, {repo!r})
from safesocial.enforce.snapshot import load_snapshot
from safesocial.monitoring.engine import Ingester, open_store, standard_report
from safesocial.monitoring.engine.native import load_scanner
parser = "compiled scanner" if load_scanner() is not None else "SQL parser (no scanner built)"
con = open_store({db!r})
ingest_from = time.perf_counter()
with Ingester(con, load_snapshot({snap!r})) as ingester:
    summary = ingester.ingest_paths([{log!r}])
report_from = time.perf_counter()
report = standard_report(con)
done = time.perf_counter()
assert report["requests"] + report["malformed"] == {lines}, (report["requests"], summary.line())
with open({split!r}, "w") as out:
    out.write(
        f"{{parser}}: start-up {{ingest_from - started:.1f}} s,"
        f" ingest {{report_from - ingest_from:.1f}} s, report {{done - report_from:.1f}} s"
    )
"""


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--goaccess-runs", type=int, help="default: --runs")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp dir)")
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="seconds to wait before each timed run (default 10), so that the aftermath of"
        " the one before (memory it freed, the store's file written back) does not fall on it",
    )
    args = parser.parse_args()
    goaccess = shutil.which("goaccess")
    if goaccess is None:
        sys.exit("goaccess is not installed (apt-get install -y goaccess)")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-monitoring-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "access.log"
    if not log.exists() or _count_lines(log) != args.lines:
        print(f"generating {args.lines} lines ...", flush=True)
        generate(log, args.lines)
    snap = work / "school.snap"
    if snap.exists():
        snap.unlink()
    write_snapshot(school_snapshot(), snap)
    print(f"log: {log} ({log.stat().st_size / 1e6:.0f} MB)", flush=True)
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)

    ours: list[tuple[float, int]] = []
    theirs: list[tuple[float, int]] = []
    goaccess_runs = args.runs if args.goaccess_runs is None else args.goaccess_runs
    # Alternate the two, so that both see the same (shared, noisy) machine.
    for run in range(max(args.runs, goaccess_runs)):
        if run < args.runs:
            db = work / f"run{run}.duckdb"
            split = work / f"run{run}.split"
            for leftover in (db, Path(str(db) + ".wal"), split):
                leftover.unlink(missing_ok=True)
            code = OURS.format(
                repo=str(REPO),
                db=str(db),
                snap=str(snap),
                log=str(log),
                lines=args.lines,
                split=str(split),
            )
            time.sleep(args.settle)
            ours.append(timed([sys.executable, "-c", code]))
            print(
                f"ours run {run + 1}: {ours[-1][0]:.1f} s, {ours[-1][1] / 1024:.0f} MB"
                f" ({split.read_text().strip()})",
                flush=True,
            )
            db.unlink(missing_ok=True)
        if run < goaccess_runs:
            time.sleep(args.settle)
            theirs.append(
                timed(
                    [
                        goaccess,
                        str(log),
                        f"--log-format={GOACCESS_FORMAT}",
                        "--date-format=%s",
                        "--time-format=%s",
                        "--no-global-config",
                        "--no-progress",
                        "-o",
                        str(work / "goaccess.csv"),
                    ]
                )
            )
            print(
                f"goaccess run {run + 1}: {theirs[-1][0]:.1f} s, {theirs[-1][1] / 1024:.0f} MB",
                flush=True,
            )
    our_s = statistics.median(s for s, _ in ours)
    their_s = statistics.median(s for s, _ in theirs)
    our_rate, their_rate = args.lines / our_s, args.lines / their_s
    print(
        f"ours:     {our_s:8.1f} s  {our_rate:12,.0f} lines/s  peak "
        f"{max(k for _, k in ours) / 1024:.0f} MB (median of {len(ours)})"
    )
    print(
        f"goaccess: {their_s:8.1f} s  {their_rate:12,.0f} lines/s  peak "
        f"{max(k for _, k in theirs) / 1024:.0f} MB (median of {len(theirs)})"
    )
    print(f"ratio: {our_rate / their_rate:.1f}x (target >= 30x); memory target < 2048 MB")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
