"""The Squid fast path of the ingest: the same lines give the same rows however they arrive.

A file read whole, the same file read in many small blocks, appended to and read piece by
piece, or compressed: identical events, malformed lines (with their line numbers) and rollups.
The Squid parser's fields are also checked against a plain-Python reading of the format.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from safesocial.monitoring.engine import Ingester, open_store
from safesocial.monitoring.engine import ingest as ingest_module
from safesocial.monitoring.engine.store import Connection
from tests.enforce.school import school_snapshot

from .logs import SQUID_AFTER_ROTATION, SQUID_BEFORE_ROTATION, SQUID_FIRST, epoch

# every test runs with the compiled scanner and with the SQL parsers (conftest.parser)
pytestmark = pytest.mark.usefixtures("parser")

T = epoch(2025, 3, 4, 10, 15)

# Every width of the elapsed-time field, both logformats, IPv6, CONNECT, odd URLs, and lines
# that must be kept aside as malformed (with the reason given).
LINES: list[str] = [
    *(line for line, _ in SQUID_FIRST + SQUID_BEFORE_ROTATION + SQUID_AFTER_ROTATION),
    f"{T}.001      1 10.20.3.4 TCP_MISS/200 10 GET http://www.bbc.co.uk/x - HIER_NONE/- -",
    f"{T}.002 123456 10.20.3.4 TCP_MISS/200 10 GET http://www.bbc.co.uk/x - HIER_NONE/- -",
    f"{T}.003 1234567 10.20.3.4 TCP_TUNNEL/200 10 CONNECT www.tiktok.com:443 - HIER/- -",
    f"{T}.004 98765432 10.20.3.4 alice.l TCP_TUNNEL/200 10 CONNECT www.tiktok.com:443 rule=x",
    f"{T}.005     12 2001:db8:20::9 TCP_MISS/200 10 GET http://[2001:db8::1]:8080/a - H/- -",
    f"{T}.006     12 10.20.3.4 TCP_MISS/200 10 GET https://u:p@WWW.Facebook.COM./a?b#c - H/- -",
    f"{T}.007     12 10.20.3.4 TCP_MISS/200 10 GET http://example.org?q=/x - HIER_NONE/- -",
    f"{T}.008     12 10.20.3.4 NONE_NONE/400 0 NONE error:invalid-request - HIER_NONE/- -",
    f"  {T}.009     12 10.20.3.4 TCP_MISS/200 10 GET http://example.org/ - HIER_NONE/- -  ",
    f"{T}.010     12 10.20.3.4 TCP_MISS/200 10 GET http://example.org/ - HIER/- - extra",  # kept
    f"{T}.011     12 not-an-address TCP_MISS/200 10 GET http://example.org/ - HIER/- -",
    f"{T}.012 12 345 10.20.3.4 TCP_MISS/200 10 GET http://example.org/ - HIER/- -",
    f"{T}.013     12 10.20.3.4 TCP_MISS 10 GET http://example.org/ - HIER_NONE/- -",
    f"{T}.014     12 10.20.3.4 TCP_MISS/200 ten GET http://example.org/ - HIER_NONE/- -",
    f"{T}.015     12 10.20.3.4 TCP_MISS/200 10 GET /relative - HIER_NONE/- -",
    f"{T}.016       ",
    f"{T}390     12 10.20.3.4 TCP_MISS/200 10 GET http://example.org/ - HIER/- -",  # too long
    f"{T}",
    "not a squid line at all",
    "",
]


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def contents(con: Connection) -> dict[str, Any]:
    """Everything the ingest stored, in a form that compares across databases."""
    return {
        "events": Counter(
            con.execute("SELECT * EXCLUDE (file_id) FROM events ORDER BY line_no").fetchall()
        ),
        "malformed": con.execute(
            "SELECT line_no, reason, raw FROM malformed ORDER BY line_no"
        ).fetchall(),
        "rollup": sorted(
            con.execute(
                "SELECT local_day, local_dow, local_hour, source, service_id, category,"
                " person_id, role_group, segment, school_hours, sum(requests), sum(blocked),"
                " sum(bytes)"
                " FROM rollup_hourly GROUP BY ALL"
            ).fetchall(),
            key=repr,
        ),
        "files": con.execute(
            "SELECT sum(lines), sum(events), sum(malformed), sum(ignored) FROM files"
        ).fetchone(),
    }


def ingest_whole(tmp_path: Path, name: str, lines: list[str]) -> dict[str, Any]:
    con = open_store(tmp_path / f"{name}.duckdb")
    path = tmp_path / f"{name}.log"
    write(path, lines)
    with Ingester(con, school_snapshot()) as ingester:
        ingester.ingest_paths([path])
    return contents(con)


def test_whole_file_blocks_appends_and_gzip_store_the_same(tmp_path: Path) -> None:
    whole = ingest_whole(tmp_path, "whole", LINES)
    assert whole["files"] == (len(LINES), sum(whole["events"].values()), 11, 2)
    assert whole["rollup"]  # every event is in the rollup
    assert sum(r[10] for r in whole["rollup"]) == sum(whole["events"].values())

    # Small blocks: many transactions, block boundaries inside the malformed lines.
    con = open_store(tmp_path / "blocks.duckdb")
    path = tmp_path / "blocks.log"
    write(path, LINES)
    with Ingester(con, school_snapshot(), block_bytes=700) as ingester:
        ingester.ingest_paths([path])
    assert contents(con) == whole

    # The live file growing between ingests, including a line written in two halves.
    con = open_store(tmp_path / "appended.duckdb")
    path = tmp_path / "appended.log"
    path.write_text("")
    with Ingester(con, school_snapshot()) as ingester:
        for start in range(0, len(LINES), 4):
            write(path, LINES[start : start + 4], mode="a")
            ingester.ingest_paths([path])
        # a half line waits for the rest
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(LINES[0][:30])
        assert ingester.ingest_paths([path]).lines == 0
    appended = contents(con)
    assert appended == whole

    gz = tmp_path / "access.log.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in LINES)
    con = open_store(tmp_path / "gz.duckdb")
    with Ingester(con, school_snapshot()) as ingester:
        ingester.ingest_paths([gz])
    assert contents(con) == whole


def test_malformed_lines_keep_their_line_numbers_and_reasons(tmp_path: Path) -> None:
    con = open_store(tmp_path / "db.duckdb")
    path = tmp_path / "access.log"
    write(path, LINES)
    with Ingester(con, school_snapshot(), block_bytes=500) as ingester:
        ingester.ingest_paths([path])
    rows = con.execute("SELECT line_no, reason, raw FROM malformed ORDER BY line_no").fetchall()
    by_line = {line_no: (reason, raw) for line_no, reason, raw in rows}
    for number, line in enumerate(LINES, start=1):
        if number in by_line:
            assert by_line[number][1] == line
    reasons = {LINES[n - 1].strip()[:14]: reason for n, (reason, _) in by_line.items()}
    assert reasons[f"{T}.011"] == "bad client address"
    assert reasons[f"{T}.012"] == "bad result code/status"  # "345" taken as the client
    assert reasons[f"{T}.013"] == "bad result code/status"
    assert reasons[f"{T}.014"] == "bad size"
    assert reasons[f"{T}.015"] == "no host in request URL"
    assert reasons[f"{T}.016"] == "expected 10 fields (Squid native) or 9 ending in rule= " + (
        "(safesocial), found 1"
    )
    assert reasons[f"{T}390 "] == "bad timestamp"  # not an overflow that stops the ingest
    assert reasons["not a squid li"].endswith("found 6")
    # events carry the line number they came from
    numbers = [n for (n,) in con.execute("SELECT line_no FROM events ORDER BY line_no").fetchall()]
    assert len(numbers) == len(set(numbers))
    assert set(numbers).isdisjoint(by_line)
    assert len(numbers) + len(by_line) + 2 == len(LINES)  # two blank lines, ignored


def _python_fields(line: str) -> tuple[Any, ...]:
    """The Squid fields of a well-formed line, read the plain way (for comparison)."""
    body = line.strip(" ")
    _stamp, _, rest = body.partition(" ")
    fields = rest.lstrip(" ").split(" ")[1:]  # after the elapsed time
    custom = len(fields) == 7 and fields[6].startswith("rule=")
    if custom:
        client, user, code, size, method, url = fields[:6]
    else:
        client, code, size, method, url, user = fields[:6]
    result_code, _, status = code.partition("/")
    user_name = None if user == "-" else user
    return (client, user_name, method.upper(), result_code, int(status), int(size), url)


@pytest.mark.parametrize("block_bytes", [300, 1 << 20])
def test_parsed_fields_match_a_plain_reading(tmp_path: Path, block_bytes: int) -> None:
    con = open_store(tmp_path / "db.duckdb")
    path = tmp_path / "access.log"
    write(path, LINES)
    with Ingester(con, school_snapshot(), block_bytes=block_bytes) as ingester:
        ingester.ingest_paths([path])
    rows = con.execute(
        "SELECT line_no, client, user_name, method, result_code, status, bytes, host, port"
        " FROM events ORDER BY line_no"
    ).fetchall()
    assert rows
    for line_no, client, user, method, result_code, status, size, host, port in rows:
        expected = _python_fields(LINES[line_no - 1])
        e_client, e_user, e_method, e_code, e_status, e_size, url = expected
        assert (client, method, result_code, status, size) == (
            e_client,
            e_method,
            e_code,
            e_status,
            e_size,
        )
        assert (user is None) == (e_user is None)
        if url.startswith("error:"):
            assert host is None
            continue
        assert host and host == host.lower() and not host.endswith(".")
        assert host in url.lower()
        assert port in (80, 443, 8080, None) or port > 0
    hosts = dict(con.execute("SELECT host, port FROM events WHERE method = 'GET'").fetchall())
    assert hosts["2001:db8::1"] == 8080
    assert hosts["www.facebook.com"] == 443
    assert hosts["example.org"] == 80


@pytest.mark.parametrize("failing_block", [1, 2, 3, 4])
def test_a_failed_block_loses_its_transaction_and_the_next_run_reads_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_block: int
) -> None:
    # Blocks share a transaction (ingest.BLOCKS_PER_COMMIT): storing block N fails, with the
    # blocks before it in the same transaction stored; whatever was committed stays, the rest
    # is read again by the next run, and nothing ends up twice.
    whole = ingest_whole(tmp_path, "whole", LINES)
    con = open_store(tmp_path / "failed.duckdb")
    path = tmp_path / "failed.log"
    write(path, LINES)
    blocks = {"count": 0, "fail": False}
    real_block = ingest_module.Ingester._ingest_block

    def counting_block(self: Any, *args: Any) -> None:
        blocks["count"] += 1
        blocks["fail"] = blocks["count"] == failing_block
        real_block(self, *args)

    def failing_after(real: Any) -> Any:
        def store(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts = real(self, *args, **kwargs)  # the block's rows are written, then:
            if blocks["fail"]:
                raise RuntimeError("disk full")
            return counts

        return store

    monkeypatch.setattr(ingest_module.Ingester, "_ingest_block", counting_block)
    for name in ("_store_scanned", "_store_parsed"):
        real = getattr(ingest_module.Ingester, name)
        monkeypatch.setattr(ingest_module.Ingester, name, failing_after(real))
    with (
        Ingester(con, school_snapshot(), block_bytes=700) as ingester,
        pytest.raises(RuntimeError, match="disk full"),
    ):
        ingester.ingest_paths([path])
    assert blocks["count"] == failing_block
    committed = con.execute("SELECT coalesce(sum(lines), 0) FROM files").fetchone()
    assert committed is not None
    assert committed[0] < len(LINES)
    monkeypatch.undo()
    with Ingester(con, school_snapshot(), block_bytes=700) as ingester:
        ingester.ingest_paths([path])
    assert contents(con) == whole


def test_a_later_run_stores_every_event_of_kinds_stored_before(tmp_path: Path) -> None:
    # Each run is a new Ingester on the same store: kinds of event (method, result, ...)
    # stored by the first are known to the second from the store, and its events are stored
    # all the same (the SQL loader once dropped them).
    whole = ingest_whole(tmp_path, "whole", LINES)
    con = open_store(tmp_path / "runs.duckdb")
    half = len(LINES) // 2
    for number, part in enumerate((LINES[:half], LINES[half:])):
        path = tmp_path / f"part{number}.log"
        write(path, part)
        with Ingester(con, school_snapshot()) as ingester:
            ingester.ingest_paths([path])
    stored = con.execute("SELECT count(*), (SELECT sum(events) FROM files) FROM event_log")
    assert stored.fetchone() == (sum(whole["events"].values()),) * 2


def test_duckdb_keeps_to_the_calling_thread_while_the_scanner_reads_then_is_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str
) -> None:
    # The reading thread has one core; DuckDB's own workers would only compete for it. The
    # setting is DuckDB's, for the whole process: it must be as it was after the run, a
    # failed one too.
    con = open_store(tmp_path / "threads.duckdb")
    con.execute("SET threads = 3")
    path = tmp_path / "threads.log"
    write(path, LINES)
    seen: list[int] = []
    real = ingest_module.Ingester._ingest_block

    def watching(self: Any, *args: Any) -> None:
        [(threads,)] = self.con.execute("SELECT current_setting('threads')").fetchall()
        seen.append(int(threads))
        real(self, *args)
        if len(seen) == 3:
            raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module.Ingester, "_ingest_block", watching)
    with (
        Ingester(con, school_snapshot(), block_bytes=700) as ingester,
        pytest.raises(RuntimeError, match="disk full"),
    ):
        ingester.ingest_paths([path])
    assert seen == [1 if parser == "scanner" else 3] * 3
    assert con.execute("SELECT current_setting('threads')").fetchone() == (3,)
    monkeypatch.undo()
    with Ingester(con, school_snapshot(), block_bytes=700) as ingester:
        ingester.ingest_paths([path])
    assert con.execute("SELECT current_setting('threads')").fetchone() == (3,)
    assert contents(con) == ingest_whole(tmp_path, "whole", LINES)


def test_a_block_of_very_short_lines(tmp_path: Path) -> None:
    # The scanner's columns are sized for lines of about LINE_BYTES_GUESS bytes; a block of
    # much shorter ones (here mostly one-character lines) is counted and scanned again.
    valid = LINES[0]
    lines = [valid if n % 50 == 0 else "x" for n in range(20_000)]
    assert sum(len(line) + 1 for line in lines) // len(lines) < ingest_module.LINE_BYTES_GUESS
    con = open_store(tmp_path / "short.duckdb")
    path = tmp_path / "short.log"
    write(path, lines)
    with Ingester(con, school_snapshot()) as ingester:
        ingester.ingest_paths([path])
    assert contents(con)["files"] == (20_000, 400, 19_600, 0)
    reasons = con.execute("SELECT DISTINCT reason FROM malformed").fetchall()
    assert len(reasons) == 1
