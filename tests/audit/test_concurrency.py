"""Several OS processes writing the audit trail at once, and one killed mid-write."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.audit.procs import OwnDatabase, safesocial

pytestmark = pytest.mark.multiprocess

PER_WRITER = 500


def _ready(writer: subprocess.Popen[str]) -> None:
    assert writer.stdout is not None
    line = writer.stdout.readline().strip()
    if line != "ready":
        writer.kill()
        _, err = writer.communicate()
        pytest.fail(f"writer did not start: {line!r} {err}")


def _verified_count(database: OwnDatabase) -> int:
    done = safesocial(database.env, "audit-verify")
    assert done.returncode == 0, done.stdout + done.stderr
    words = done.stdout.split()
    assert words[0] == "OK" and words[2] == "entries", done.stdout
    return int(words[1])


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres_only)]
)
def test_two_processes_writing_500_changes_each_make_one_unbroken_chain(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database: OwnDatabase = request.getfixturevalue(
        "sqlite_file_db" if backend == "sqlite" else "postgres_own_db"
    )
    setup = _verified_count(database)
    go = tmp_path / "go"
    writers = [database.writer(f"writer{n}", PER_WRITER, 1, go) for n in range(2)]
    for writer in writers:
        _ready(writer)
    go.touch()

    # Check the chain while both write: entries committed during the check must not look like
    # tampering (the check compares against the head it read first).
    checks: list[subprocess.CompletedProcess[str]] = []
    while any(writer.poll() is None for writer in writers) or not checks:
        checks.append(safesocial(database.env, "audit-verify"))
    results = [writer.communicate(timeout=120) for writer in writers]

    for writer, (out, err) in zip(writers, results, strict=True):
        assert "database is locked" not in err
        assert writer.returncode == 0, err
        assert out.startswith("done "), out
    for check in checks:
        assert check.returncode == 0, check.stderr
        assert check.stdout.startswith("OK ")

    # The two writers really overlapped: each started before the other finished. (SQLite's
    # busy handler is not fair: one writer may commit hundreds of times while the other waits.)
    windows = [tuple(map(float, out.split()[1:4])) for out, _ in results]
    assert max(start for start, _, _ in windows) < min(end for _, _, end in windows)

    total = setup + 2 * PER_WRITER
    assert _verified_count(database) == total
    sequences = [row[0] for row in database.query("SELECT sequence FROM audit_auditentry")]
    assert sorted(sequences) == list(range(1, total + 1))  # none duplicated, none skipped
    head = database.query("SELECT last_sequence, last_hash FROM audit_chainhead")
    last = database.query(
        f"SELECT entry_hash FROM audit_auditentry WHERE sequence = {total}"  # noqa: S608
    )
    assert head == [(total, last[0][0])]

    # Each writer's 500 changes are all there.
    per_object = database.query(
        "SELECT object_id FROM audit_auditentry WHERE action = 'auth.sessions_ended' "
        "ORDER BY sequence"
    )
    objects = [row[0] for row in per_object]
    assert sorted({objects.count(o) for o in objects}) == [PER_WRITER]
    assert len(set(objects)) == 2
    if backend == "postgresql":
        # Row-lock waiters queue in order on PostgreSQL, so the two streams interleave.
        switches = sum(1 for a, b in itertools.pairwise(objects) if a != b)
        assert switches > 1


def test_writer_killed_mid_stream_leaves_a_chain_that_verifies(
    sqlite_file_db: OwnDatabase, tmp_path: Path
) -> None:
    database = sqlite_file_db
    assert database.sqlite_path is not None
    batch = 5  # entries per transaction: a kill between them must leave none half-written
    go = tmp_path / "go"
    writer = database.writer("victim", 0, batch, go)
    _ready(writer)
    go.touch()
    deadline = time.monotonic() + 30
    while database.query("SELECT COUNT(*) FROM audit_auditentry")[0][0] < 100:
        assert writer.poll() is None, writer.communicate()
        assert time.monotonic() < deadline, "the writer wrote too slowly"
        time.sleep(0.01)
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    # It died with its write-ahead log open: the state a power cut or OOM kill leaves.
    assert database.sqlite_path.with_name(database.sqlite_path.name + "-wal").exists()

    connection = sqlite3.connect(database.sqlite_path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        connection.close()
    survived = _verified_count(database)
    assert survived >= 100
    assert survived % batch == 0  # whole transactions only

    # The chain carries on from where the killed writer's last commit left it.
    go2 = tmp_path / "go2"
    go2.touch()
    after = database.writer("successor", batch, batch, go2)
    _ready(after)
    _, err = after.communicate(timeout=60)
    assert after.returncode == 0, err
    assert _verified_count(database) == survived + batch


def test_audit_verify_command_names_the_bad_entry_and_exits_1(
    sqlite_file_db: OwnDatabase, tmp_path: Path
) -> None:
    """The console command end to end: exit status and wording, before and after tampering."""
    database = sqlite_file_db
    assert database.sqlite_path is not None
    go = tmp_path / "go"
    go.touch()
    writer = database.writer("someone", 4, 1, go)
    _ready(writer)
    assert writer.communicate(timeout=60)[1] == "" or writer.returncode == 0
    done = safesocial(database.env, "audit-verify", "--head")
    assert done.returncode == 0
    head = database.query("SELECT last_hash FROM audit_chainhead")[0][0]
    assert done.stdout.splitlines() == ["OK 4 entries", f"head 4 {head}"]

    third = database.query("SELECT id FROM audit_auditentry WHERE sequence = 3")[0][0]
    connection = sqlite3.connect(database.sqlite_path)
    with connection:
        connection.execute(
            "UPDATE audit_auditentry SET action = 'auth.sign_in' WHERE id = ?", (third,)
        )
    connection.close()
    done = safesocial(database.env, "audit-verify")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        f"FAILED at entry id {third}: its content was changed (2 entries verified)"
    )
