"""Incremental ingest of Squid, Unbound and AdGuard Home logs into the school's DuckDB database.

Per file: find its state (identity and offset, see sources.py), read the new complete lines in
blocks, and per block: parse the lines, give every value a key (policy.Attribution: who,
request, minute), append the events to `event_log` and malformed lines to `malformed`, add the
block's hourly counts to the rollup, and move the offset, in the same transaction
(BLOCKS_PER_COMMIT blocks per transaction). A crash loses at most the blocks of the open
transaction, and re-reading them adds nothing twice.

Two parsers give the same rows:

- Squid, when the compiled scanner is built (`make native`, native.py) and no DHCP leases are
  given: the scanner splits and types every ordinary line in C and interns its strings and
  their combinations (`Tuples`); lookup arrays map its ids to keys, and DuckDB appends the key
  columns straight from the NumPy arrays. Lines the scanner does not take as ordinary
  (malformed, non-ASCII, CRLF, `error:` URLs, ...) go through the SQL parser below, so the
  results are the SQL's.
- The SQL parsers in formats.py, for every other case: DuckDB reads the block as one column of
  lines, parses it, and joins the values to their keys.

A helper thread reads (and, with the scanner, scans and numbers the combinations of) up to
READ_AHEAD blocks ahead while the main thread stores the current one (with the scanner, it
also gives new combinations their keys, maps ids to keys and counts the rollup, which balances
the two; DuckDB then keeps to the main thread, as its own workers would only compete for the
two stages' cores). The scanner and DuckDB release the GIL (docs/benchmarks.md, Monitoring).
"""

from __future__ import annotations

import gc
import mmap
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from safesocial.enforce.snapshot import Snapshot

from .formats import PARSERS, FormatError, detect_format
from .native import COLUMNS as SCAN_COLUMNS
from .native import TABLES as SCAN_TABLES
from .native import load_scanner
from .policy import Attribution, Lease, insert_rows, normal_address, store_policy
from .sources import OpenLog, SourceError, open_log, read_blocks, read_blocks_into, same_file
from .store import FILE_STRIDE, MINUTE_NO, MS_INTO_MINUTE, Connection

# 48 MB (about 380,000 Squid lines): measured on 10M lines against 32, 96 and 192 MB, the
# fastest in all (the first block, which is not overlapped, is short; DuckDB closes the store
# quickly), and the SLOTS buffers of it are little memory.
BLOCK_BYTES = 48 * 1024 * 1024
# Blocks per transaction: each commit waits for the disk; a crash loses (and the next run
# reads again) at most the blocks of the open transaction.
BLOCKS_PER_COMMIT = 2
# Squid lines are rarely under 100 bytes: the scanner's columns have room for a block of lines
# this long on average (else the block is counted and scanned again).
LINE_BYTES_GUESS = 64
# The first block is read and prepared while the main thread has nothing to do: keep it short.
FIRST_BLOCK_BYTES = 4 * 1024 * 1024
# Blocks the reading thread may prepare ahead of the one being stored, and so the slots
# (buffers, scanner columns, files) that take turns: one more, for the block being stored.
READ_AHEAD = 2
SLOTS = READ_AHEAD + 1
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
    path: Path | None  # the block's lines, cleaned, for DuckDB's reader (SQL parser)
    lines: int
    size: int  # bytes read from the log
    end: int  # the log's offset just after the block
    scanned: _Scanned | None = None  # the compiled scanner's columns (Squid)


@dataclass(slots=True)
class _Scanned:
    """One block the compiled scanner read, with each line's who and request combination ids
    (in the reading thread: the C parts)."""

    data: memoryview  # valid until the reading thread's next turn with the same buffer
    columns: dict[str, np.ndarray]  # the scanner's, in arrays as long-lived as data
    who: np.ndarray  # each line's who combination id (-1: a deferred line)
    request: np.ndarray  # each line's request combination id (-1: a deferred line)
    minute_no: np.ndarray  # each line's minute (epoch minutes) ...
    ms: np.ndarray  # ... and milliseconds into it
    new_strings: dict[str, list[str]]  # the scanner's strings first met in this block
    new_who: list[tuple[int, ...]]  # the combinations first met in this block, in id order
    new_requests: list[tuple[int, ...]]


@dataclass(slots=True)
class _Sorted:
    """A scanned block's lines sorted into stored events, bad clients and deferred lines (in
    the main thread, which gives new combinations their keys)."""

    events: dict[str, np.ndarray]  # the stored lines' columns (who and request as ids)
    minutes: np.ndarray  # their distinct minutes, sorted
    bad_clients: np.ndarray  # lines whose client is not an IP address (malformed)
    deferred: np.ndarray  # lines left to the SQL parser


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
        # The scanner attributes no leases (a lease depends on the line's time): with leases,
        # Squid logs take the SQL path.
        module = load_scanner() if not leases else None
        self._module: Any = module
        self._scanner = module.Scanner() if module is not None else None
        # Reused from block to block (taking turns): fresh 50 MB objects cost page faults.
        # Anonymous maps, not bytearrays: those are zeroed when made (0.07 s each).
        self._buffers: list[bytearray | mmap.mmap] = (
            [mmap.mmap(-1, block_bytes) for _slot in range(SLOTS)] if module else []
        )
        self._columns: list[dict[str, np.ndarray]] = [{} for _slot in range(SLOTS)]
        self._lookups = _Lookups(module) if module is not None else None
        self._groups = _RollupGroups(module) if module is not None else None
        self._blocks_open = 0  # blocks stored in the open transaction

    def close(self) -> None:
        self.attribution.close()
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
        scanned = state.format == "squid" and self._scanner is not None
        with (
            _collector_paused(),
            _duckdb_threads(self.con, 1 if scanned else None),
            closing(self._staged_blocks(log, state.offset, state.format)) as blocks,
        ):
            try:
                for staged in blocks:
                    self._ingest_block(state, log, staged, result)
                    if progress is not None:
                        progress(staged.size)
            finally:
                # the blocks stored so far (after a read error too; a block that failed to
                # store was rolled back with the others of its transaction)
                self._commit_open()
        if result.lines == 0 and status == "resumed":
            result.status = "unchanged"
        return result

    def _staged_blocks(self, log: OpenLog, offset: int, fmt: str) -> Generator[_Block]:
        """The new lines in blocks, ready for DuckDB: scanned (Squid, compiled scanner) or
        cleaned and written to a file for DuckDB's reader.

        A helper thread reads and prepares up to READ_AHEAD blocks while DuckDB works on this
        one (DuckDB and the scanner release the GIL); the SLOTS buffers or files take turns.
        """
        scanner = self._scanner if fmt == "squid" else None
        blocks: Iterator[tuple[bytes | memoryview, int]]
        if scanner is not None:
            blocks = read_blocks_into(log, offset, self._buffers, FIRST_BLOCK_BYTES)
        else:
            blocks = read_blocks(log, offset, self.block_bytes)

        def stage(slot: int) -> _Block | None:
            item = next(blocks, None)
            if item is None:
                return None
            block, end = item
            if scanner is not None:
                assert isinstance(block, memoryview)
                scanned = self._prepare(scanner, block, slot)
                return _Block(None, len(scanned.who), len(block), end, scanned)
            assert isinstance(block, bytes)
            lines = block.count(b"\n")
            path = self._tmpdir / f"block{slot}.log"
            path.write_bytes(_clean(block))
            return _Block(path=path, lines=lines, size=len(block), end=end)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read") as pool:
            # The reader works up to READ_AHEAD blocks ahead of the block being stored (each in
            # its own slot), so that neither stage waits for the other's slower blocks.
            ahead = deque(pool.submit(stage, slot) for slot in range(READ_AHEAD))
            block = READ_AHEAD
            while (staged := ahead.popleft().result()) is not None:
                ahead.append(pool.submit(stage, block % SLOTS))
                block += 1
                yield staged

    def _ingest_block(
        self, state: _State, log: OpenLog, staged: _Block, result: FileResult
    ) -> None:
        con = self.con
        if staged.path is not None:
            # Parsed outside the transaction: inside it, a new table's row ids do not start
            # at 0, and the line numbers are the row ids.
            self._commit_open()
            self._parse_sql(_csv_source(staged.path, staged.size), state.format)
        if not self._blocks_open:
            con.begin()
        try:
            if staged.scanned is not None:
                counts = self._store_scanned(state, log, staged.scanned, staged.lines)
            else:
                counts = self._store_parsed(state, log)
            events, malformed, ignored, read = counts
            if read != staged.lines:
                raise IngestError(
                    f"{log.path}: read {read} lines where {staged.lines} were expected"
                )
            con.execute(
                "UPDATE files SET path = ?, device = ?, inode = ?, offset_bytes = ?,"
                " lines = lines + ?, events = events + ?, malformed = malformed + ?,"
                " ignored = ignored + ?, updated_at = ? WHERE file_id = ?",
                [
                    str(log.path),
                    log.device,
                    log.inode,
                    staged.end,
                    staged.lines,
                    events,
                    malformed,
                    ignored,
                    datetime.now(UTC).replace(tzinfo=None),
                    state.file_id,
                ],
            )
        except BaseException:
            self._blocks_open = 0
            con.rollback()
            raise
        self._blocks_open += 1
        if self._blocks_open >= BLOCKS_PER_COMMIT or staged.path is not None:
            self._commit_open()
        state.offset = staged.end
        state.lines += staged.lines
        result.lines += staged.lines
        result.events += events
        result.malformed += malformed
        result.ignored += ignored
        result.bytes_read += staged.size

    def _commit_open(self) -> None:
        """Commit the blocks stored since the last commit, if any."""
        if self._blocks_open:
            self._blocks_open = 0
            self.con.commit()

    # --- the SQL parsers --------------------------------------------------------------------

    def _parse_sql(self, lines_sql: str, fmt: str) -> None:
        """Parse `lines_sql` (rows of n, line; n NULL = the row's position) into `parsed`."""
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP VIEW stage AS SELECT n, line FROM {lines_sql}")  # noqa: S608
        parser = PARSERS[fmt]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE parsed_rows AS {parser}",
            {"tz": self.snapshot.calendar.timezone, "year": self.syslog_year}
            if "$tz" in parser
            else None,
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW parsed AS"
            " SELECT * REPLACE (coalesce(n, rowid + 1) AS n) FROM parsed_rows"
        )

    def _store_parsed(
        self, state: _State, log: OpenLog, *, deferred: bool = False
    ) -> tuple[int, int, int, int]:
        """Attribute and store the rows in `parsed`; (events, malformed, ignored, lines).

        `deferred`: these are the lines of a scanned block the scanner left to SQL.
        """
        con = self.con
        attribution = self.attribution
        attribution.extend("parsed")
        if (
            attribution.invalid_clients
            and con.execute(
                "SELECT 1 FROM parsed_rows WHERE reason IS NULL AND NOT ignored"
                " AND client IN (SELECT raw FROM run_bad_clients) LIMIT 1"
            ).fetchone()
        ):
            # Addresses are checked once per distinct value (Python), not per line; the line
            # itself is read again for these (the Squid parser keeps only bad ones).
            con.execute(
                "UPDATE parsed_rows SET reason = 'bad client address', line = block.line"
                " FROM (SELECT coalesce(n, row_number() OVER ()) AS n, line FROM stage) block"
                " WHERE block.n = coalesce(parsed_rows.n, parsed_rows.rowid + 1)"
                " AND parsed_rows.reason IS NULL AND NOT parsed_rows.ignored"
                " AND parsed_rows.client IN (SELECT raw FROM run_bad_clients)"
            )
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE reason IS NULL AND NOT ignored),"
            " count(*) FILTER (WHERE reason IS NOT NULL),"
            " count(*) FILTER (WHERE reason IS NULL AND ignored), count(*) FROM parsed"
        ).fetchone()
        assert counts is not None
        events, malformed, ignored, read = (int(c) for c in counts)
        if malformed:
            con.execute(
                "INSERT INTO malformed SELECT ?, ?, ? + n, reason, left(line, ?)"
                " FROM parsed WHERE reason IS NOT NULL ORDER BY n",
                [state.file_id, str(log.path), state.lines, RAW_LIMIT],
            )
        if events:
            con.execute(
                _insert_events(leases=attribution.has_leases),
                [state.file_id * FILE_STRIDE + state.lines],
            )
            self._add_rollups(state.file_id, state.lines, only_parsed=deferred)
        return events, malformed, ignored, read

    # --- the compiled scanner ---------------------------------------------------------------

    def _scan(self, scanner: Any, data: memoryview, slot: int) -> dict[str, np.ndarray]:
        """The scanner's columns for the lines of a block, in this slot's reused arrays.

        They are sized for lines of LINE_BYTES_GUESS bytes on average (counting the lines
        first would read the block once more); a block of shorter lines is counted and scanned
        again into columns of the right size.
        """
        try:
            return self._scan_into(scanner, data, slot, len(data) // LINE_BYTES_GUESS + 1)
        except ValueError:  # more lines than room for them
            # + 1: a last line without a newline
            return self._scan_into(scanner, data, slot, self._module.count_lines(data) + 1)

    def _scan_into(
        self, scanner: Any, data: memoryview, slot: int, room: int
    ) -> dict[str, np.ndarray]:
        if len(self._columns[slot].get("ts", ())) < room:
            self._columns[slot] = {
                name: np.empty(room, dtype) for name, dtype in SCAN_COLUMNS.items()
            }
        lines = int(scanner.scan(data, *self._columns[slot].values()))
        return {name: column[:lines] for name, column in self._columns[slot].items()}

    def _prepare(self, scanner: Any, data: memoryview, slot: int) -> _Scanned:
        """Scan a block and number its lines' combinations (in the reading thread, so that it
        overlaps the main thread's storing of earlier blocks; the scanner and the `Tuples` are
        only ever used from this thread)."""
        columns = self._scan(scanner, data, slot)
        lookups = self._lookups
        assert lookups is not None
        new_strings = {table: scanner.new_strings(table) for table in SCAN_TABLES}
        who, new_who = lookups.who_ids(columns)
        request, new_requests = lookups.request_ids(columns)
        minute_no, ms = (part.astype(np.int32) for part in np.divmod(columns["ts"], 60_000))
        return _Scanned(
            data, columns, who, request, minute_no, ms, new_strings, new_who, new_requests
        )

    def _sort_lines(self, scanned: _Scanned) -> _Sorted:
        """Give the block's new combinations their keys (Python: the main thread has the time
        for it while the reading thread scans) and sort its lines."""
        columns = scanned.columns
        lines = len(columns["ts"])
        lookups, attribution = self._lookups, self.attribution
        assert lookups is not None
        lookups.update(scanned.new_strings)
        lookups.add_who(attribution, scanned.new_who)
        lookups.add_requests(attribution, scanned.new_requests)
        usable: np.ndarray | None = None  # None: every line (the usual block)
        bad_clients = deferred = np.zeros(0, np.int64)
        if columns["flag"].any() or not lookups.who.all():  # deferred lines or bad clients
            accepted = columns["flag"] == 0
            usable = accepted.copy()
            usable[accepted] = lookups.who[scanned.who[accepted]] != 0  # 0: not an address
            bad_clients = np.flatnonzero(accepted & ~usable)
            deferred = np.flatnonzero(~accepted)
        count = lines if usable is None else int(np.count_nonzero(usable))
        if count == lines:
            usable = None  # no copies needed
        events: dict[str, np.ndarray] = {}
        minutes = np.zeros(0, np.int32)
        if count:

            def stored(column: np.ndarray) -> np.ndarray:
                return column if usable is None else column[usable]

            minute_no = stored(scanned.minute_no)
            # every distinct minute starts a run of equal ones
            changes = np.flatnonzero(minute_no[1:] != minute_no[:-1]) + 1
            minutes = np.unique(minute_no[np.r_[0, changes]])
            attribution.add_minutes(minutes.tolist())
            events = {
                "position": np.arange(lines) if usable is None else np.flatnonzero(usable),
                "minute_no": minute_no,
                "ms": stored(scanned.ms),
                "who": stored(scanned.who),
                "request": stored(scanned.request),
                "bytes": stored(columns["size"]),
            }
        return _Sorted(events, minutes, bad_clients, deferred)

    def _store_scanned(
        self, state: _State, log: OpenLog, scanned: _Scanned, lines: int
    ) -> tuple[int, int, int, int]:
        """Store a block the scanner read; its deferred lines go through the SQL parser."""
        con = self.con
        lookups = self._lookups
        assert lookups is not None
        sorted_lines = self._sort_lines(scanned)
        self.attribution.write_pending(con)  # the dimension rows the block's keys refer to
        events = len(sorted_lines.events.get("ms", ()))
        if events:
            stored = sorted_lines.events
            first_event = state.file_id * FILE_STRIDE + state.lines + 1
            block = {
                "event_no": stored["position"] + first_event,
                "minute_no": stored["minute_no"],
                "ms": stored["ms"],
                "who_key": lookups.who[stored["who"]],
                "request_key": lookups.request[stored["request"]],
                "bytes": stored["bytes"],
            }
            rollup = self._scanned_rollup(stored, sorted_lines.minutes)
            con.register("scanned_block", block)
            try:
                con.execute(
                    "INSERT INTO event_log SELECT event_no, minute_no, ms, who_key, request_key,"
                    " bytes FROM scanned_block"
                )
            finally:
                con.unregister("scanned_block")
            insert_rows(con, "rollup_hourly", _ROLLUP_TABLE_COLUMNS, rollup)
            insert_rows(
                con,
                "rollup_dirty_days",
                ("local_day",),
                [(day,) for day in {row[0] for row in rollup}],
            )
        offsets = scanned.columns["offset"]
        data = scanned.data

        def text(index: int) -> bytes:
            end = int(offsets[index + 1]) - 1 if index + 1 < lines else len(data) - 1
            return bytes(data[int(offsets[index]) : end])

        malformed = 0
        bad_clients = sorted_lines.bad_clients
        if bad_clients.size:
            insert_rows(
                con,
                "malformed",
                ("file_id", "path", "line_no", "reason", "raw"),
                [
                    (
                        state.file_id,
                        str(log.path),
                        state.lines + 1 + int(i),
                        "bad client address",
                        text(int(i))[:RAW_LIMIT].decode("ascii"),
                    )
                    for i in bad_clients
                ],
            )
            malformed += int(bad_clients.size)
        ignored = 0
        deferred = sorted_lines.deferred
        if deferred.size:
            cleaned = [_clean(text(int(i)) + b"\n")[:-1].decode("utf-8") for i in deferred]
            con.execute(
                "CREATE OR REPLACE TEMP TABLE deferred_lines AS"
                " SELECT unnest($1) AS n, unnest($2) AS line",
                [[int(i) + 1 for i in deferred], cleaned],
            )
            self._parse_sql("deferred_lines", "squid")
            more_events, more_malformed, ignored, read = self._store_parsed(
                state, log, deferred=True
            )
            if read != deferred.size:
                raise IngestError(f"{log.path}: the SQL parser lost deferred lines")
            events += more_events
            malformed += more_malformed
        return events, malformed, ignored, lines

    def _add_rollups(self, file_id: int, after_line: int, *, only_parsed: bool = False) -> None:
        """Add the hourly counts of the events just stored (file_id, line_no > after_line;
        `only_parsed`: only the lines in `parsed`, when the scanner stored the others).

        Counted first by key (cheap integer grouping), then by what the keys stand for. The
        rollup may then hold several rows per hour and combination; every reader sums them,
        and `refresh_rollups` folds them into one per combination.
        """
        con = self.con
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE rollup_delta AS
            WITH counted AS (
                SELECT minute_no, who_key, request_key,
                    count(*) AS n, sum(bytes) AS bytes
                FROM event_log
                WHERE event_no > $1 AND event_no < $2 {_ONLY_PARSED if only_parsed else ""}
                GROUP BY ALL
            )
            SELECT {_ROLLUP_KEYS}, sum(c.n) AS requests,
                sum(CASE WHEN k.blocked THEN c.n ELSE 0 END) AS blocked, sum(c.bytes) AS bytes
            FROM counted c
            JOIN dim_requests r ON r.request_key = c.request_key
            JOIN dim_kinds k ON k.kind_key = r.kind_key
            JOIN dim_minutes m ON m.minute_no = c.minute_no
            JOIN dim_who w ON w.who_key = c.who_key
            JOIN dim_hosts h ON h.host_key = r.host_key
            GROUP BY ALL
            """,  # noqa: S608
            [file_id * FILE_STRIDE + after_line, (file_id + 1) * FILE_STRIDE],
        )
        con.execute("INSERT INTO rollup_hourly SELECT * FROM rollup_delta")
        con.execute("INSERT INTO rollup_dirty_days SELECT DISTINCT local_day FROM rollup_delta")

    def _scanned_rollup(
        self, stored: dict[str, np.ndarray], minutes: np.ndarray
    ) -> list[tuple[Any, ...]]:
        """The hourly counts of a scanned block's stored events: each line is counted in C
        under its tuple of group numbers (_RollupGroups), looked up from its who and request
        combination ids and its minute. (Main thread only: the groups are not shared.)"""
        groups, lookups, attribution = self._groups, self._lookups, self.attribution
        assert groups is not None and lookups is not None
        minute_table, minute_index = groups.minutes(
            attribution.minute_rollup, minutes, stored["minute_no"]
        )
        who_table = groups.by_id("who", attribution.who_rollup, lookups.who)
        request_table = groups.by_id("request", attribution.request_rollup, lookups.request)
        combinations = groups.combinations
        combinations.count(
            stored["bytes"],
            minute_index,
            minute_table,
            stored["who"],
            who_table,
            stored["request"],
            request_table,
        )
        groups.found += combinations.new_tuples()
        names = {part: groups.names(part) for part in ("who", "request", "minute")}
        rows = []
        for combination, n, size in combinations.take_counts():
            minute_number, who_number, request_number = groups.found[combination]
            day, dow, hour, school_hours = names["minute"][minute_number]
            service_id, category, source, blocked = names["request"][request_number]
            person_id, role_group, segment = names["who"][who_number]
            rows.append(
                (
                    day,
                    dow,
                    hour,
                    source,
                    service_id,
                    category,
                    person_id,
                    role_group,
                    segment,
                    school_hours,
                    n,
                    n if blocked else 0,
                    size,
                )
            )
        return rows

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
            SELECT {_ROLLUP_COLUMNS}, sum(requests) AS requests, sum(blocked) AS blocked,
                sum(bytes) AS bytes
            FROM rollup_hourly WHERE local_day IN (SELECT local_day FROM days)
            GROUP BY {_ROLLUP_COLUMNS}
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is read: attributing new values makes many
    small objects but no cycles, and each full collection walks every object the run holds
    (about 0.1 s per 10M lines). It runs again once the file is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _duckdb_threads(con: Connection, threads: int | None) -> Iterator[None]:
    """DuckDB held to `threads` threads (None: as it is), then set back.

    While the compiled scanner reads, one: the reading thread keeps one core busy and the
    main thread's appends the other; DuckDB's own worker, on the same two cores, only slowed
    both (10-13 % longer on 10M lines, docs/benchmarks.md)."""
    if threads is None:
        yield
        return
    [(before,)] = con.execute("SELECT current_setting('threads')").fetchall()
    con.execute(f"SET threads = {int(threads)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(before)}")


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


# rollup_hourly's combination, then its counts
_ROLLUP_GROUP = (
    "local_day",
    "local_dow",
    "local_hour",
    "source",
    "service_id",
    "category",
    "person_id",
    "role_group",
    "segment",
    "school_hours",
)
_ROLLUP_COLUMNS = ", ".join(_ROLLUP_GROUP)
_ROLLUP_TABLE_COLUMNS = (*_ROLLUP_GROUP, "requests", "blocked", "bytes")
# the lines of `parsed` that were stored (the rest of the block was stored by the scanner)
_ONLY_PARSED = "AND event_no IN (SELECT $1 + n FROM parsed WHERE reason IS NULL AND NOT ignored)"
_ROLLUP_KEYS = (
    "m.local_day, m.local_dow, m.local_hour, k.source, h.service_id, h.category, w.person_id,"
    " w.role_group, w.segment, m.school_hours"
)


# The scanner's columns: name -> NumPy type (native.py documents them).


class _Lookups:
    """The scanner's ids -> the store's keys, grown as the scanner meets new values.

    Who (client and login) and request (host, method, result, status, rule, port) are
    combinations of the scanner's ids: the scanner module's `Tuples` gives each line the id of
    its combination, and only new combinations reach Python, which maps them to keys.
    """

    def __init__(self, module: Any) -> None:
        self.clients: list[str] = []
        self.bad_client: list[bool] = []  # not an IP address: the line is malformed
        self.users: list[str | None] = [None]  # shifted by one
        self.hosts: list[str] = []
        self.methods: list[str] = []
        self.results: list[str] = []
        self.rules: list[str | None] = [None]  # shifted by one
        self.who_tuples = module.Tuples(2)  # (client, user)
        self.who = np.zeros(0, np.int32)  # combination id -> who key (0: a bad client)
        self.request_tuples = module.Tuples(6)  # (host, method, result, status, rule, port)
        self.request = np.zeros(0, np.int32)

    def update(self, new: dict[str, list[str]]) -> None:
        if new["client"]:
            self.clients += new["client"]
            self.bad_client += [normal_address(raw) is None for raw in new["client"]]
        self.users += new["user"]
        self.hosts += new["host"]
        self.methods += new["method"]
        self.results += new["result"]
        self.rules += new["rule"]

    def who_ids(self, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        """Each line's who combination (-1 for deferred lines), and the new combinations
        (reading thread)."""
        ids = np.empty(len(columns["flag"]), np.int32)
        self.who_tuples.intern(ids, columns["flag"], columns["client"], columns["user"])
        return ids, self.who_tuples.new_tuples()

    def request_ids(
        self, columns: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        """Each line's request combination (-1 for deferred lines), and the new combinations
        (reading thread)."""
        ids = np.empty(len(columns["flag"]), np.int32)
        parts = ("host", "method", "result", "status", "rule", "port")
        self.request_tuples.intern(ids, columns["flag"], *(columns[p] for p in parts))
        return ids, self.request_tuples.new_tuples()

    def add_who(self, attribution: Attribution, new: list[tuple[int, ...]]) -> None:
        """Keys for new who combinations, in id order (main thread): `who[id]`."""
        if new:
            good = [(c, u) for c, u in new if not self.bad_client[c]]
            keys = iter(
                attribution.who_keys([(self.clients[c], self.users[u + 1], -1) for c, u in good])
            )
            found = [0 if self.bad_client[c] else next(keys) for c, _u in new]
            self.who = np.concatenate([self.who, np.array(found, np.int32)])

    def add_requests(self, attribution: Attribution, new: list[tuple[int, ...]]) -> None:
        """Keys for new request combinations, in id order (main thread): `request[id]`."""
        if new:
            hosts = sorted({host for host, *_kind in new if host >= 0})
            keys_of_hosts = attribution.host_keys([self.hosts[h] for h in hosts])
            host_key = dict(zip(hosts, keys_of_hosts, strict=True))
            host_key[-1] = 0  # no host: dim_hosts' row of NULLs
            kinds = attribution.kind_keys(
                [
                    (
                        "squid",
                        self.methods[method],
                        self.results[result],
                        status,
                        "DENIED" in self.results[result],
                        self.rules[rule + 1],
                        None if port < 0 else port,
                    )
                    for _host, method, result, status, rule, port in new
                ]
            )
            keys = attribution.request_keys(
                [(host_key[request[0]], kind) for request, kind in zip(new, kinds, strict=True)]
            )
            self.request = np.concatenate([self.request, np.array(keys, np.int32)])


# Up to this many minutes between a block's first and last (or four per line), a lookup
# table indexed by minute beats a binary search in its distinct minutes.
DENSE_LIMIT = 1 << 16


class _RollupGroups:
    """Group numbers for the parts of the rollup's combination, as lookup tables for
    `Tuples.count`, and the combinations met so far (`found`, by combination id).

    The groups: who -> (person, role group, segment), request -> (service, category, source,
    blocked), minute -> (local day, weekday, hour, school hours).
    """

    def __init__(self, module: Any) -> None:
        self.numbers: dict[str, dict[tuple[Any, ...], int]] = {
            part: {} for part in ("who", "request", "minute")
        }
        self.tables: dict[str, np.ndarray] = {
            part: np.zeros(0, np.int32) for part in ("who", "request")
        }
        self.combinations = module.Tuples(3)  # (minute, who, request) group numbers
        self.found: list[tuple[int, int, int]] = []

    def by_id(
        self, part: str, attributes: dict[int, tuple[Any, ...]], keys: np.ndarray
    ) -> np.ndarray:
        """The group number of each combination id, from its key (`keys[id]`; key 0, a
        line that is not stored, has no group: -1)."""
        table = self.tables[part]
        if len(table) < len(keys):
            numbers = self.numbers[part]
            more = [
                numbers.setdefault(attributes[key], len(numbers)) if key else -1
                for key in keys[len(table) :].tolist()
            ]
            table = self.tables[part] = np.concatenate([table, np.array(more, np.int32)])
        return table

    def minutes(
        self, attributes: dict[int, tuple[Any, ...]], distinct: np.ndarray, minute_no: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(table, index): each line's group number is table[index[line]]."""
        numbers = self.numbers["minute"]
        groups = np.array(
            [numbers.setdefault(attributes[m], len(numbers)) for m in distinct.tolist()],
            np.int32,
        )
        first = int(distinct[0])
        space = int(distinct[-1]) - first + 1
        if space <= max(DENSE_LIMIT, 4 * len(minute_no)):
            table = np.full(space, -1, np.int32)
            table[distinct - first] = groups
            return table, minute_no - np.int32(first)
        return groups, np.searchsorted(distinct, minute_no).astype(np.int32)

    def names(self, part: str) -> list[tuple[Any, ...]]:
        return list(self.numbers[part])


def _csv_source(path: Path, size: int) -> str:
    """DuckDB's reader over a staged block: one VARCHAR per line, nothing interpreted."""
    # The path is ours (a temporary directory) and the size a number: no injection.
    return (
        f"(SELECT NULL::BIGINT AS n, line FROM read_csv('{path}', columns = {{'line': 'VARCHAR'}},"  # noqa: S608
        " delim = '\x01', quote = '', escape = '', header = false,"
        f" auto_detect = false, strict_mode = false, max_line_size = {size + 2}))"
    )


def _insert_events(*, leases: bool) -> str:
    """The INSERT of the usable rows of `parsed` into `event_log` ($1: the event number before
    the block's first line):
    each value joined to its key (the run_* tables Attribution.extend filled)."""
    lease = "coalesce(l.lease_id, -1)" if leases else "-1"
    lease_join = "LEFT JOIN parsed_leases l ON l.n = p.n" if leases else ""
    return f"""
INSERT INTO event_log
SELECT $1 + p.n, {MINUTE_NO.format(ts="p.ts")}, {MS_INTO_MINUTE.format(ts="p.ts")}, w.who_key,
    r.request_key, p.bytes
FROM parsed p
{lease_join}
JOIN run_who w ON w.client_raw IS NOT DISTINCT FROM p.client
    AND w.user_raw IS NOT DISTINCT FROM p.user_raw AND w.lease_id = {lease}
LEFT JOIN run_hosts h ON h.host = p.host
JOIN run_kinds k ON k.source = p.source AND k.method IS NOT DISTINCT FROM p.method
    AND k.result_code IS NOT DISTINCT FROM p.result_code
    AND k.status IS NOT DISTINCT FROM p.status AND k.blocked = p.blocked
    AND k.rule_raw IS NOT DISTINCT FROM p.rule_raw AND k.port IS NOT DISTINCT FROM p.port
JOIN run_requests r ON r.host_key = coalesce(h.host_key, 0) AND r.kind_key = k.kind_key
WHERE p.reason IS NULL AND NOT p.ignored
"""  # noqa: S608
