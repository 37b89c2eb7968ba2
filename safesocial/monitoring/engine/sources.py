"""Log files as byte streams: identity, resuming at an offset, gzip, complete lines only.

A file is known by (device, inode) plus the SHA-256 of its first line. Inodes are reused after a
file is deleted, so the hash tells a new file from an old one; the hash alone also recognises
the same content under another inode (a `copytruncate` copy, or a rotated file compressed to
.gz), so the remainder of a rotated file is read from where the live file was left.
Offsets count uncompressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import mmap
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

FIRST_LINE_LIMIT = 64 * 1024


class SourceError(Exception):
    """A log file cannot be read; the message names the file and says why."""


@dataclass(slots=True)
class OpenLog:
    path: Path
    handle: BinaryIO
    compressed: bool
    device: int
    inode: int
    first_line: bytes
    first_line_sha256: str

    def close(self) -> None:
        self.handle.close()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


def open_log(path: str | os.PathLike[str]) -> OpenLog | None:
    """Open a log file; None while it holds no complete first line yet."""
    target = Path(path)
    try:
        stat = os.stat(target)
        compressed = _is_gzip(target)
        handle = cast(BinaryIO, gzip.open(target, "rb") if compressed else open(target, "rb"))  # noqa: SIM115
    except FileNotFoundError:
        raise SourceError(f"{target}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{target}: is a directory, not a log file") from None
    except OSError as exc:
        raise SourceError(f"{target}: cannot read ({exc.strerror or exc})") from None
    try:
        first = handle.readline(FIRST_LINE_LIMIT)
    except (OSError, EOFError, zlib.error) as exc:
        handle.close()
        raise SourceError(f"{target}: cannot read ({exc})") from None
    incomplete = not first.endswith(b"\n") and len(first) < FIRST_LINE_LIMIT
    if incomplete and not (compressed and first):
        handle.close()
        return None  # the first line is still being written
    handle.seek(0)
    return OpenLog(
        path=target,
        handle=handle,
        compressed=compressed,
        device=stat.st_dev,
        inode=stat.st_ino,
        first_line=first,
        first_line_sha256=hashlib.sha256(first).hexdigest(),
    )


def same_file(log: OpenLog, path: str | os.PathLike[str]) -> bool:
    """Whether `path` still names the file `log` has open (False once it was rotated away)."""
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return (stat.st_dev, stat.st_ino) == (log.device, log.inode)


def read_blocks(log: OpenLog, offset: int, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Blocks of complete lines from `offset`, each with the offset just after it.

    A plain file's unfinished last line is left for the next read; a .gz file is complete, so
    its last line counts even without a newline.
    """
    for view, end in read_blocks_into(log, offset, [bytearray(block_bytes)]):
        yield bytes(view), end  # copied before the buffer's next turn


def read_blocks_into(
    log: OpenLog, offset: int, buffers: list[bytearray | mmap.mmap], first_bytes: int = 0
) -> Iterator[tuple[memoryview, int]]:
    """`read_blocks`, into the given buffers in turn instead of new bytes objects (a fresh
    100 MB object per block costs more in page faults and copies than the reading itself).

    A block is a view of one buffer, valid until that buffer's next turn: with two buffers,
    while the next block is read. A buffer grows when one line does not fit in it.
    `first_bytes`: read at most this much for the first block (0: a whole buffer), so that a
    reader that overlaps blocks has something to work on sooner.
    """
    handle: Any = log.handle  # a file or gzip file: both have readinto
    try:
        handle.seek(offset)
        position = offset
        carry = b""
        slot = 0
        while True:
            buffer = buffers[slot]
            if len(carry) * 2 > len(buffer):  # a very long line: make room for it and more
                buffer = buffers[slot] = bytearray(len(carry) * 2)
            view = memoryview(buffer)
            view[: len(carry)] = carry
            room = view[len(carry) :]
            if first_bytes and position == offset and len(carry) < first_bytes:
                room = room[: first_bytes - len(carry)]
            read = handle.readinto(room)
            if not read:
                break
            filled = len(carry) + read
            cut = buffer.rfind(b"\n", 0, filled)
            if cut < 0:
                carry = bytes(view[:filled])
                continue
            carry = bytes(view[cut + 1 : filled])
            position += cut + 1
            yield view[: cut + 1], position
            slot = (slot + 1) % len(buffers)
        if carry and log.compressed:
            position += len(carry)
            yield memoryview(carry + b"\n"), position
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{log.path}: read failed ({exc})") from None


def file_size(log: OpenLog) -> int | None:
    """Bytes on disk (compressed size for .gz), for progress bars."""
    try:
        return os.fstat(log.handle.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None
