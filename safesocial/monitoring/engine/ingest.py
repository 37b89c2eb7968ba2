"""Incremental ingest of Squid, Unbound and AdGuard Home logs into the school's DuckDB database.

Per file: find its state (identity and offset, see sources.py), read the new complete lines in
blocks, and per block in one transaction: load the lines into DuckDB, parse them in SQL
(formats.py), attribute them with joins (policy.py), append events and malformed lines, add the
block's hourly counts to the rollup, and move the offset. A crash loses at most the block in
flight, and re-reading it adds nothing twice.

Where the time goes (a Squid log, CPU seconds per million lines on the benchmark machine, see
docs/benchmarks.md): reading and parsing the block 2.3-3, the INSERT into `events` (24 columns
written to the database file) about 1.5, the rest (attribution of new distinct values, rollups,
checks) about 0.25. Reading, checking and writing the next block for DuckDB (about 0.5) runs in
a helper thread, overlapped with DuckDB's work on the current one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safesocial.enforce.snapshot import Snapshot

from .formats import PARSERS, FormatError, detect_format
from .policy import Attribution, Lease, store_policy
from .sources import OpenLog, SourceError, open_log, read_blocks, same_file
from .store import Connection

BLOCK_BYTES = 96 * 1024 * 1024
RAW_LIMIT = 500  # characters of a malformed line kept

Progress = Callable[[int], None]


class IngestError(Exception):
    """A file cannot be ingested; the message says which and why."""


@dataclass(slots=True)
class FileResult:
    path: str
    format: str
    status: str  # new | resumed | unchanged | empty
    lines: int = 0
    events: int = 0
    malformed: int = 0
    ignored: int = 0
    bytes_read: int = 0


@dataclass(slots=True)
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def malformed(self) -> int:
        return sum(f.malformed for f in self.files)

    @property
    def ignored(self) -> int:
        return sum(f.ignored for f in self.files)

    def line(self) -> str:
        return (
            f"{len(self.files)} file(s): {self.lines} new lines, {self.events} events, "
            f"{self.malformed} malformed, {self.ignored} ignored"
        )


@dataclass(slots=True)
class _Block:
    path: Path  # the block's lines, cleaned, for DuckDB's reader
    lines: int
    size: int  # bytes read from the log
    end: int  # the log's offset just after the block


@dataclass(slots=True)
class _State:
    file_id: int
    offset: int
    lines: int
    format: str


class Ingester:
    """Ingest runs against one database and one snapshot."""

    def __init__(
        self,
        con: Connection,
        snapshot: Snapshot,
        *,
        leases: Sequence[Lease] = (),
        syslog_year: int | None = None,
        block_bytes: int = BLOCK_BYTES,
        fmt: str | None = None,
    ) -> None:
        if fmt is not None and fmt not in PARSERS:
            raise IngestError(f"unknown format {fmt!r} (known: {', '.join(PARSERS)})")
        self.con = con
        self.snapshot = snapshot
        self.block_bytes = block_bytes
        self.fmt = fmt
        self.syslog_year = syslog_year or datetime.now(UTC).year
        self._tmpdir = Path(tempfile.mkdtemp(prefix="safesocial-ingest-"))
        con.begin()
        store_policy(con, snapshot)
        self.attribution = Attribution(con, snapshot, leases)
        con.commit()

    def close(self) -> None:
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Ingester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- state ------------------------------------------------------------------------------

    def _find_state(self, log: OpenLog) -> _State | None:
        row = self.con.execute(
            "SELECT file_id, offset_bytes, lines, format FROM files WHERE first_line_sha256 = ?"
            " ORDER BY (device = ? AND inode = ?) DESC, offset_bytes DESC LIMIT 1",
            [log.first_line_sha256, log.device, log.inode],
        ).fetchone()
        if row is None:
            return None
        return _State(file_id=row[0], offset=row[1], lines=row[2], format=row[3])

    def _new_state(self, log: OpenLog) -> _State:
        if self.fmt is not None:
            fmt = self.fmt
        else:
            try:
                fmt = detect_format(log.first_line.decode("utf-8", "replace"))
            except FormatError as exc:
                raise IngestError(f"{log.path}: {exc}") from None
        row = self.con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM files").fetchone()
        file_id = int(row[0]) if row else 1
        self.con.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, ?)",
            [
                file_id,
                str(log.path),
                log.device,
                log.inode,
                log.first_line_sha256,
                log.compressed,
                fmt,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        return _State(file_id=file_id, offset=0, lines=0, format=fmt)

    # --- files ------------------------------------------------------------------------------

    def ingest_paths(
        self, paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None
    ) -> IngestSummary:
        summary = IngestSummary()
        for path in paths:
            try:
                log = open_log(path)
            except SourceError as exc:
                raise IngestError(str(exc)) from None
            if log is None:
                summary.files.append(FileResult(str(path), "", "empty"))
                continue
            try:
                summary.files.append(self.ingest_open(log, progress))
            finally:
                log.close()
        self.refresh_rollups()
        return summary

    def ingest_open(self, log: OpenLog, progress: Progress | None = None) -> FileResult:
        """Read what is new in an open log file."""
        state = self._find_state(log)
        status = "resumed"
        if state is None:
            state = self._new_state(log)
            status = "new"
        elif not log.compressed and _size(log) < state.offset:
            # Same first line but shorter than what we read: rewritten in place; start over.
            self.con.execute("DELETE FROM files WHERE file_id = ?", [state.file_id])
            state = self._new_state(log)
            status = "new"
        result = FileResult(str(log.path), state.format, status)
        # closing(): on an error, wait for the helper thread before the caller closes the log
        with closing(self._staged_blocks(log, state.offset)) as blocks:
            for staged in blocks:
                self._ingest_block(state, log, staged, result)
                if progress is not None:
                    progress(staged.size)
        if result.lines == 0 and status == "resumed":
            result.status = "unchanged"
        return result

    def _staged_blocks(self, log: OpenLog, offset: int) -> Generator[_Block]:
        """The new lines in blocks, each cleaned and written to a file for DuckDB to read.

        A helper thread reads and writes the next block while DuckDB works on this one (DuckDB
        releases the GIL); two files take turns.
        """
        blocks = read_blocks(log, offset, self.block_bytes)

        def stage(slot: int) -> _Block | None:
            item = next(blocks, None)
            if item is None:
                return None
            block, end = item
            path = self._tmpdir / f"block{slot}.log"
            path.write_bytes(_clean(block))
            return _Block(path=path, lines=block.count(b"\n"), size=len(block), end=end)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read") as pool:
            slot = 0
            future = pool.submit(stage, slot)
            while (staged := future.result()) is not None:
                slot ^= 1
                future = pool.submit(stage, slot)
                yield staged

    def _ingest_block(
        self, state: _State, log: OpenLog, staged: _Block, result: FileResult
    ) -> None:
        con = self.con
        line_count = staged.lines
        # The path is ours (a temporary directory) and the size a number: no injection.
        lines_sql = (
            f"read_csv('{staged.path}', columns = {{'line': 'VARCHAR'}},"
            " delim = '\x01', quote = '', escape = '', header = false,"
            f" auto_detect = false, strict_mode = false, max_line_size = {staged.size + 2})"
        )
        # Line numbers are the row ids of the parsed table (the reader and the parser keep the
        # file's order), not row_number() OVER (), which would run the parser on one thread.
        # Parsed outside the transaction: inside it, a new table's row ids do not start at 0.
        stage_sql = "CREATE OR REPLACE TEMP VIEW stage AS SELECT NULL::BIGINT AS n, line FROM "
        con.execute(stage_sql + lines_sql)
        parser = PARSERS[state.format]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE parsed_rows AS {parser}",
            {"tz": self.snapshot.calendar.timezone, "year": self.syslog_year}
            if "$tz" in parser
            else None,
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW parsed AS"
            " SELECT * REPLACE (rowid + 1 AS n) FROM parsed_rows"
        )
        con.begin()
        try:
            self.attribution.extend("parsed")
            if (
                self.attribution.invalid_clients
                and con.execute(
                    "SELECT 1 FROM parsed_rows WHERE reason IS NULL AND NOT ignored"
                    " AND client IN (SELECT raw FROM dim_clients WHERE NOT valid) LIMIT 1"
                ).fetchone()
            ):
                # Addresses are checked once per distinct value (Python), not per line; the
                # line itself is read again for these (the Squid parser keeps only bad ones).
                con.execute(
                    "UPDATE parsed_rows SET reason = 'bad client address', line = block.line"  # noqa: S608
                    " FROM (SELECT row_number() OVER () AS n, line"
                    f" FROM {lines_sql}) block"
                    " WHERE block.n = parsed_rows.rowid + 1"
                    " AND parsed_rows.reason IS NULL AND NOT parsed_rows.ignored"
                    " AND parsed_rows.client IN (SELECT raw FROM dim_clients WHERE NOT valid)"
                )
            counts = con.execute(
                "SELECT count(*) FILTER (WHERE reason IS NULL AND NOT ignored),"
                " count(*) FILTER (WHERE reason IS NOT NULL),"
                " count(*) FILTER (WHERE reason IS NULL AND ignored),"
                " count(*), coalesce(min(n), 1), coalesce(max(n), 0) FROM parsed"
            ).fetchone()
            assert counts is not None
            events, malformed, ignored, read, first, last = (int(c) for c in counts)
            if read != line_count or (first, last) != (1, read):
                raise IngestError(f"{log.path}: read {read} lines where {line_count} were expected")
            if malformed:
                con.execute(
                    "INSERT INTO malformed SELECT ?, ?, ? + n, reason, left(line, ?)"
                    " FROM parsed WHERE reason IS NOT NULL ORDER BY n",
                    [state.file_id, str(log.path), state.lines, RAW_LIMIT],
                )
            if events:
                con.execute(
                    _insert_events(leases=self.attribution.has_leases),
                    [state.file_id, state.lines],
                )
                self._add_rollups(state.file_id, state.lines)
            con.execute(
                "UPDATE files SET path = ?, device = ?, inode = ?, offset_bytes = ?,"
                " lines = lines + ?, events = events + ?, malformed = malformed + ?,"
                " ignored = ignored + ?, updated_at = ? WHERE file_id = ?",
                [
                    str(log.path),
                    log.device,
                    log.inode,
                    staged.end,
                    line_count,
                    events,
                    malformed,
                    ignored,
                    datetime.now(UTC).replace(tzinfo=None),
                    state.file_id,
                ],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        state.offset = staged.end
        state.lines += line_count
        result.lines += line_count
        result.events += events
        result.malformed += malformed
        result.ignored += ignored
        result.bytes_read += staged.size

    def _add_rollups(self, file_id: int, after_line: int) -> None:
        """Add the hourly counts of the events just stored (file_id, line_no > after_line).

        The rollup may then hold several rows per hour and combination; every reader sums
        them, and `refresh_rollups` folds them into one per combination.
        """
        con = self.con
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE rollup_delta AS
            SELECT {_ROLLUP_KEYS}, count(*) AS requests,
                sum(CASE WHEN blocked THEN 1 ELSE 0 END) AS blocked, sum(bytes) AS bytes
            FROM events WHERE file_id = ? AND line_no > ?
            GROUP BY {_ROLLUP_KEYS}
            """,  # noqa: S608
            [file_id, after_line],
        )
        con.execute("INSERT INTO rollup_hourly SELECT * FROM rollup_delta")
        con.execute("INSERT INTO rollup_dirty_days SELECT DISTINCT local_day FROM rollup_delta")

    def refresh_rollups(self) -> None:
        """Fold the hourly rollup rows added since the last call into one per combination."""
        con = self.con
        con.begin()
        con.execute(
            "CREATE OR REPLACE TEMP TABLE days AS SELECT DISTINCT local_day FROM rollup_dirty_days"
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE rollup_days AS
            SELECT {_ROLLUP_KEYS}, sum(requests) AS requests, sum(blocked) AS blocked,
                sum(bytes) AS bytes
            FROM rollup_hourly WHERE local_day IN (SELECT local_day FROM days)
            GROUP BY {_ROLLUP_KEYS}
            """  # noqa: S608
        )
        con.execute("DELETE FROM rollup_hourly WHERE local_day IN (SELECT local_day FROM days)")
        con.execute("INSERT INTO rollup_hourly SELECT * FROM rollup_days")
        con.execute("DELETE FROM rollup_dirty_days")
        con.commit()

    # --- follow -----------------------------------------------------------------------------

    def follow(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        max_seconds: float | None = None,
        poll_seconds: float = 1.0,
        on_result: Callable[[FileResult], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> IngestSummary:
        """Ingest live files as they grow, until `max_seconds` (None: forever).

        Each file is kept open, so when it is rotated away the rest of it is read from the open
        handle before the new file at the same path is started.
        """
        summary = IngestSummary()
        handles: dict[str, OpenLog] = {}
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        try:
            while True:
                for path in map(str, paths):
                    for result in self._poll(path, handles):
                        summary.files.append(result)
                        if on_result is not None and result.lines:
                            on_result(result)
                self.refresh_rollups()
                if deadline is not None and time.monotonic() >= deadline:
                    break
                sleep(poll_seconds)
        finally:
            for log in handles.values():
                log.close()
        return summary

    def _poll(self, path: str, handles: dict[str, OpenLog]) -> list[FileResult]:
        results: list[FileResult] = []
        log = handles.get(path)
        if log is not None and not same_file(log, path):
            results.append(self.ingest_open(log))  # finish the rotated file
            log.close()
            del handles[path]
            log = None
        if log is None:
            try:
                log = open_log(path)
            except SourceError:
                return results  # not there yet (between rotation and re-creation)
            if log is None:
                return results
            handles[path] = log
        results.append(self.ingest_open(log))
        return results


def _size(log: OpenLog) -> int:
    try:
        return os.fstat(log.handle.fileno()).st_size
    except OSError:
        return 0


def _clean(block: bytes) -> bytes:
    """Bytes DuckDB's reader takes line for line: UTF-8, no CR, no NUL or \\x01.

    Bad bytes become U+FFFD, which the parsers report as malformed; CRLF endings are accepted.
    """
    # The usual block (plain ASCII, LF endings) needs nothing: check that first, cheaply.
    if b"\r" not in block and b"\x00" not in block and b"\x01" not in block and block.isascii():
        return block
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\xef\xbf\xbd")
    if b"\x00" in block or b"\x01" in block:
        block = block.replace(b"\x00", b"\xef\xbf\xbd").replace(b"\x01", b"\xef\xbf\xbd")
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        block = block.decode("utf-8", "replace").encode("utf-8")
    return block


_ROLLUP_KEYS = (
    "local_day, local_dow, local_hour, source, service_id, category, role_group, segment,"
    " school_hours"
)


def _insert_events(*, leases: bool) -> str:
    """The INSERT of a block's usable lines into `events`, attributed ($1 file, $2 lines before).

    Who: the login first, then the address (the snapshot's people and devices), then a DHCP
    lease (only joined when there are leases; it is a range join).
    """
    lease_join = (
        """
    LEFT JOIN (
        SELECT n, device, person_id, role_group FROM (
            SELECT p2.n, l2.device, l2.person_id, l2.role_group,
                row_number() OVER (PARTITION BY p2.n ORDER BY l2.start_utc DESC) AS rn
            FROM parsed p2
            JOIN dim_clients c2 ON c2.raw = p2.client
            JOIN leases l2 ON l2.address = c2.address
                AND p2.ts >= l2.start_utc AND p2.ts < l2.end_utc
            WHERE p2.reason IS NULL AND NOT p2.ignored
        ) WHERE rn = 1
    ) l ON l.n = p.n"""
        if leases
        else ""
    )
    lease = (lambda column: f"l.{column}") if leases else (lambda column: "NULL")
    return f"""
INSERT INTO events
SELECT p.ts, p.source, $1 AS file_id, $2 + p.n AS line_no,
    coalesce(c.address, p.client) AS client, u.user_name, p.method, p.host, p.port, p.status,
    p.bytes, p.result_code, p.blocked, url_decode(p.rule_raw) AS rule_id,
    coalesce(u.person_id, c.person_id, {lease("person_id")}) AS person_id,
    CASE WHEN u.person_id IS NOT NULL THEN u.role_group
         WHEN c.person_id IS NOT NULL THEN c.role_group
         ELSE {lease("role_group")} END AS role_group,
    coalesce(c.device, {lease("device")}) AS device,
    c.segment, h.service_id, h.category,
    m.school_hours, m.local_day, m.local_dow, m.local_hour
FROM parsed p
LEFT JOIN dim_users u ON u.raw = p.user_raw
LEFT JOIN dim_clients c ON c.raw = p.client
LEFT JOIN dim_hosts h ON h.host = p.host
LEFT JOIN dim_minutes m ON m.minute = date_trunc('minute', p.ts){lease_join}
WHERE p.reason IS NULL AND NOT p.ignored
"""  # noqa: S608
