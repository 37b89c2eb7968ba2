from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest

from safesocial.enforce import snapshot as snap
from safesocial.enforce.snapshot import (
    FORMAT_VERSION,
    Rule,
    SnapshotError,
    canonical_bytes,
    load_snapshot,
    write_snapshot,
)

from .school import school_snapshot


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    original = school_snapshot()
    path = tmp_path / "net.snap"
    digest = write_snapshot(original, path)
    loaded = load_snapshot(path)
    assert loaded == original
    assert digest == hashlib.sha256(canonical_bytes(original)).hexdigest()


def test_header_names_format_version_checksum_and_length(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(), path)
    header, body = path.read_bytes().split(b"\n", 1)
    magic, version, checksum, length = header.split(b" ")
    assert magic == b"safesocial-snapshot"
    assert int(version) == FORMAT_VERSION
    assert checksum == b"sha256:" + hashlib.sha256(body).hexdigest().encode()
    assert int(length) == len(body)


def test_canonical_form_does_not_depend_on_build_order() -> None:
    a = school_snapshot()
    b = dataclasses.replace(a, groups=tuple(a.groups))
    assert canonical_bytes(a) == canonical_bytes(b)
    assert canonical_bytes(a) != canonical_bytes(dataclasses.replace(a, version=2))


def _rewrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_tampered_body_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(), path)
    data = path.read_bytes()
    header, body = data.split(b"\n", 1)
    tampered = body.replace(b'"action":"deny"', b'"action":"allow"', 1)
    assert tampered != body
    # A careful forger also fixes the length: only the checksum can catch it.
    magic, version, checksum, _length = header.split(b" ")
    new_header = b" ".join([magic, version, checksum, b"%d" % len(tampered)])
    _rewrite(path, new_header + b"\n" + tampered)
    with pytest.raises(SnapshotError, match="checksum"):
        load_snapshot(path)


def test_truncated_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(), path)
    data = path.read_bytes()
    _rewrite(path, data[: len(data) // 2])
    with pytest.raises(SnapshotError, match="truncated"):
        load_snapshot(path)
    _rewrite(path, data[:10])
    with pytest.raises(SnapshotError, match="header"):
        load_snapshot(path)
    _rewrite(path, b"")
    with pytest.raises(SnapshotError, match="header"):
        load_snapshot(path)


def test_wrong_version_is_rejected_with_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(), path)
    data = path.read_bytes()
    future = data.replace(
        b"safesocial-snapshot %d " % FORMAT_VERSION,
        b"safesocial-snapshot %d " % (FORMAT_VERSION + 1),
        1,
    )
    _rewrite(path, future)
    with pytest.raises(SnapshotError, match="format version 2 is not supported"):
        load_snapshot(path)


def test_missing_file_and_other_content_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        load_snapshot(tmp_path / "absent.snap")
    other = tmp_path / "other.snap"
    other.write_bytes(b"hello world\n{}")
    with pytest.raises(SnapshotError, match="not a safesocial snapshot"):
        load_snapshot(other)


def test_valid_checksum_over_wrong_structure_is_rejected(tmp_path: Path) -> None:
    body = b'{"school":"x"}'
    path = tmp_path / "odd.snap"
    digest = hashlib.sha256(body).hexdigest().encode()
    path.write_bytes(b"safesocial-snapshot 1 sha256:%s %d\n%s" % (digest, len(body), body))
    with pytest.raises(SnapshotError, match="malformed"):
        load_snapshot(path)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(version=1), path)
    first_inode = path.stat().st_ino
    write_snapshot(school_snapshot(version=2), path)
    assert load_snapshot(path).version == 2
    assert path.stat().st_ino != first_inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.snap"]


def test_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(version=1), path)

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(school_snapshot(version=2), path)
    monkeypatch.undo()
    assert load_snapshot(path).version == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.snap"]


def test_inconsistent_snapshot_is_not_written(tmp_path: Path) -> None:
    base = school_snapshot()
    broken = dataclasses.replace(
        base,
        rules=(*base.rules, Rule("r-x", "6", "x", "deny", services=("nosuchservice",))),
    )
    with pytest.raises(SnapshotError, match="unknown service 'nosuchservice'"):
        write_snapshot(broken, tmp_path / "net.snap")
    assert not (tmp_path / "net.snap").exists()


def test_domains_must_be_normalised(tmp_path: Path) -> None:
    base = school_snapshot()
    bad_service = dataclasses.replace(base.services[0], domains=("Facebook.COM.",))
    broken = dataclasses.replace(base, services=(bad_service, *base.services[1:]))
    with pytest.raises(SnapshotError, match="invalid domain"):
        write_snapshot(broken, tmp_path / "net.snap")


def test_problems_list_catches_bad_references() -> None:
    base = school_snapshot()
    assert snap.snapshot_problems(base) == []
    bad = dataclasses.replace(base, default_action="maybe")  # type: ignore[arg-type]
    assert any("default action" in p for p in snap.snapshot_problems(bad))
