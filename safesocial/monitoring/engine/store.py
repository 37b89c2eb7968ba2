"""The per-school DuckDB database: schema, opening, and the policy tables the report reads.

Times are UTC, to the millisecond (`events.ts` is a `TIMESTAMP`). Events keep the host and
port of each request, never the URL path or query string (they can carry personal data). The
`policy_*` tables hold the parts of the snapshot the report evaluates against; each ingest
replaces them with its snapshot's.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

SCHEMA_VERSION = "3"

# Events are numbered file_id * FILE_STRIDE + line number: one column instead of two (each
# stored column costs about the same to write), and a file may have 2**40 lines.
FILE_STRIDE = 1 << 40

# The UTC minute of a TIMESTAMP `ts`, as whole minutes since 1970 (the scanner's ts // 60000),
# and the milliseconds into it: event_log's minute_no and ms.
MINUTE_NO = "CAST(floor(epoch_ms({ts}) / 60000) AS INTEGER)"
MS_INTO_MINUTE = "CAST(epoch_ms({ts}) - floor(epoch_ms({ts}) / 60000) * 60000 AS INTEGER)"

Connection = duckdb.DuckDBPyConnection


class StoreError(Exception):
    """The monitoring database cannot be opened or has the wrong layout."""


_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS files (
        file_id INTEGER PRIMARY KEY,
        path VARCHAR NOT NULL,
        device BIGINT,
        inode BIGINT,
        first_line_sha256 VARCHAR NOT NULL,
        compressed BOOLEAN NOT NULL,
        format VARCHAR NOT NULL,
        offset_bytes BIGINT NOT NULL,
        lines BIGINT NOT NULL,
        events BIGINT NOT NULL,
        malformed BIGINT NOT NULL,
        ignored BIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    # One row per event, kept narrow: every text value is a key into a dimension table below.
    # Writing a column costs about the same whatever it holds, so the wide, readable form is
    # the `events` view (_EVENTS_VIEW), which resolves the keys when it is read.
    """CREATE TABLE IF NOT EXISTS event_log (
        event_no BIGINT NOT NULL,  -- file_id * FILE_STRIDE + line number in the file
        -- The time, as whole minutes since 1970 (UTC; the key to dim_minutes) and the
        -- milliseconds into that minute: two small integers cost less to store than one
        -- timestamp, and a join on a key computed from a timestamp would be planned first,
        -- before the selective ones. The `events` view puts `ts` together again.
        minute_no INTEGER NOT NULL,
        ms INTEGER NOT NULL,
        who_key INTEGER NOT NULL,
        request_key INTEGER NOT NULL,
        bytes BIGINT
    )""",
    # Who sent a request: the client address and login as logged, and who the snapshot of the
    # ingest that first met them (with the DHCP lease in force, when leases are given) said
    # that was. A later snapshot that says otherwise adds a row with a new key, so the events
    # already stored keep the attribution they were stored with.
    """CREATE TABLE IF NOT EXISTS dim_who (
        who_key INTEGER PRIMARY KEY,
        client_raw VARCHAR,
        user_raw VARCHAR,
        client VARCHAR,
        user_name VARCHAR,
        person_id VARCHAR,
        role_group VARCHAR,
        device VARCHAR,
        segment VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS dim_hosts (
        host_key INTEGER PRIMARY KEY,
        host VARCHAR,
        service_id VARCHAR,
        category VARCHAR
    )""",
    # What was asked for: a host and a kind of event (one key for the pair, one column less
    # in event_log; hosts have a few kinds each, so this table stays small).
    """CREATE TABLE IF NOT EXISTS dim_requests (
        request_key INTEGER PRIMARY KEY,
        host_key INTEGER NOT NULL,  -- 0: no host (dim_hosts has a row 0 of NULLs)
        kind_key INTEGER NOT NULL
    )""",
    # What happened: the log's own words, which no snapshot changes (so one row per value).
    """CREATE TABLE IF NOT EXISTS dim_kinds (
        kind_key INTEGER PRIMARY KEY,
        source VARCHAR NOT NULL,
        method VARCHAR,
        result_code VARCHAR,
        status INTEGER,
        blocked BOOLEAN NOT NULL,
        rule_raw VARCHAR,
        port INTEGER,
        rule_id VARCHAR
    )""",
    # Local time and school hours of each UTC minute that has events.
    """CREATE TABLE IF NOT EXISTS dim_minutes (
        minute_no INTEGER PRIMARY KEY,
        minute TIMESTAMP NOT NULL,
        school_hours BOOLEAN,
        local_day DATE NOT NULL,
        local_dow SMALLINT NOT NULL,
        local_hour SMALLINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS malformed (
        file_id INTEGER NOT NULL,
        path VARCHAR NOT NULL,
        line_no BIGINT NOT NULL,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    )""",
    # One row per local hour and combination; refreshed for every day an ingest touches.
    """CREATE TABLE IF NOT EXISTS rollup_hourly (
        local_day DATE NOT NULL,
        local_dow SMALLINT NOT NULL,
        local_hour SMALLINT NOT NULL,
        source VARCHAR NOT NULL,
        service_id VARCHAR,
        category VARCHAR,
        person_id VARCHAR,
        role_group VARCHAR,
        segment VARCHAR,
        school_hours BOOLEAN,
        requests BIGINT NOT NULL,
        blocked BIGINT NOT NULL,
        bytes BIGINT
    )""",
    "CREATE TABLE IF NOT EXISTS rollup_dirty_days (local_day DATE)",
    """CREATE TABLE IF NOT EXISTS policy_people (
        person_id VARCHAR, username VARCHAR, role_group VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS policy_segments (name VARCHAR, kind VARCHAR)",
    """CREATE TABLE IF NOT EXISTS policy_services (
        service_id VARCHAR, name VARCHAR, category VARCHAR)""",
    # Rules flattened: one row per (rule, person or everyone, segment or any, service or
    # category or every host); NULL means "any". Groups are expanded to their people.
    """CREATE TABLE IF NOT EXISTS policy_grants (
        rule_id VARCHAR, ord INTEGER, action VARCHAR, when_ VARCHAR,
        person_id VARCHAR, segment VARCHAR, service_id VARCHAR, category VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS policy_sanctions (
        sanction_id VARCHAR, person_id VARCHAR, start_utc TIMESTAMP, end_utc TIMESTAMP)""",
)

# Every event with its attribution, as the report reads it (keys resolved on reading).
_EVENTS_VIEW = """
CREATE OR REPLACE VIEW events AS
SELECT epoch_ms(e.minute_no * 60000::BIGINT + e.ms) AS ts, k.source,
    CAST(e.event_no // {stride} AS INTEGER) AS file_id, e.event_no % {stride} AS line_no,
    w.client, w.user_name, k.method, h.host, k.port, k.status, e.bytes, k.result_code,
    k.blocked, k.rule_id, w.person_id, w.role_group, w.device, w.segment, h.service_id,
    h.category, m.school_hours, m.local_day, m.local_dow, m.local_hour
FROM event_log e
JOIN dim_requests r ON r.request_key = e.request_key
JOIN dim_kinds k ON k.kind_key = r.kind_key
JOIN dim_minutes m ON m.minute_no = e.minute_no
JOIN dim_who w ON w.who_key = e.who_key
JOIN dim_hosts h ON h.host_key = r.host_key
"""


def open_store(path: str | os.PathLike[str]) -> Connection:
    """Open (creating if needed) a school's monitoring database."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
    except (OSError, duckdb.Error) as exc:
        raise StoreError(f"cannot open monitoring database {target}: {exc}") from None
    prepare(con)
    return con


def prepare(con: Connection) -> None:
    """Session settings and schema; safe to call on every open."""
    con.execute("SET TimeZone = 'UTC'")
    # Run-length encoding is tried on every integer column as it is written, and barely ever
    # wins against bit-packing here (event_log: same file size without it, appends 8 % faster).
    con.execute("SET disabled_compression_methods = 'rle'")
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None and row[0] != SCHEMA_VERSION:
        raise StoreError(
            f"monitoring database has schema version {row[0]}, this code expects "
            f"{SCHEMA_VERSION}: move it aside and ingest the logs again into a new one"
        )
    for statement in _DDL:
        con.execute(statement)
    # Inner joins only in the view: DuckDB neither drops a LEFT JOIN nobody reads nor moves
    # a selective join below one, so "no host" is a row of its own.
    con.execute(
        "INSERT INTO dim_hosts SELECT 0, NULL, NULL, NULL"
        " WHERE NOT EXISTS (SELECT 1 FROM dim_hosts WHERE host_key = 0)"
    )
    con.execute(_EVENTS_VIEW.format(stride=FILE_STRIDE))
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
