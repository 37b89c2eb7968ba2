"""The per-school DuckDB database: schema, opening, and the policy tables the report reads.

Times are UTC `TIMESTAMP`s. Events keep the host and port of each request, never the URL path
or query string (they can carry personal data). The `policy_*` tables hold the parts of the
snapshot the report evaluates against; each ingest replaces them with its snapshot's.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

SCHEMA_VERSION = "1"

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
    """CREATE TABLE IF NOT EXISTS events (
        ts TIMESTAMP NOT NULL,
        source VARCHAR NOT NULL,
        file_id INTEGER NOT NULL,
        line_no BIGINT NOT NULL,
        client VARCHAR,
        user_name VARCHAR,
        method VARCHAR,
        host VARCHAR,
        port INTEGER,
        status INTEGER,
        bytes BIGINT,
        result_code VARCHAR,
        blocked BOOLEAN NOT NULL,
        rule_id VARCHAR,
        person_id VARCHAR,
        role_group VARCHAR,
        device VARCHAR,
        segment VARCHAR,
        service_id VARCHAR,
        category VARCHAR,
        school_hours BOOLEAN,
        local_day DATE,
        local_dow SMALLINT,
        local_hour SMALLINT
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
    # Line numbers come from row_number() over the file's order.
    con.execute("SET preserve_insertion_order = true")
    for statement in _DDL:
        con.execute(statement)
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    elif row[0] != SCHEMA_VERSION:
        raise StoreError(
            f"monitoring database has schema version {row[0]}, this code expects {SCHEMA_VERSION}"
        )
