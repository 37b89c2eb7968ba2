"""The compiled Squid scanner (squidscan.c), when built and current; else None (the SQL parser).

    module = load_scanner()            # None: not built, stale, or SAFESOCIAL_PURE_PYTHON=1
    scanner = module.Scanner()         # one per ingest run: it holds the string tables
    n = scanner.scan(data, ts, client, user, method, result, status, size, host, port, rule,
                     flag, offset)     # positional or by these names
    hosts += scanner.new_strings("host")   # so that hosts[id] is the host of id

`data` is any bytes-like object of complete lines, each ending in a newline (a last line
without one is taken up to the end of the data). The other arguments are writable, contiguous
integer buffers (NumPy arrays) with room for one item per line; `scan` returns the number of
lines and writes, for line i:

- `flag` (int8/uint8): 0 taken, 1 deferred: parse the line with formats.SQUID_SQL instead
  (malformed or unusual lines: not printable ASCII, CRLF, leading or trailing spaces, empty
  fields, an `error:` URL, no host, ...). The other columns of a deferred line are 0.
- `offset` (int64): where the line starts in `data` (for every line, deferred or not).
- `ts` (int64): the time in epoch milliseconds.
- `client`, `user`, `method`, `result`, `host`, `rule` (int32): ids of strings, each in a table
  of its own (0, 1, 2, ... in order of first appearance); -1 for none (user `-`, URL `-`, no or
  an empty `rule=`, and always `rule` on Squid's native lines). `method` is upper-cased, `host`
  lower-cased without trailing dots (it may be ""), `user` and `rule` are as logged
  (URL-encoded: decode them as the SQL path does), `client` as logged (not checked).
- `status` (int32): the HTTP status (up to 9 digits), `size` (int64): the reply size,
  `port` (int32): the port of the request URL, or the scheme's (http 80, https 443, ftp 21),
  or -1.

`scanner.new_strings(table)` (table: client, user, method, result, host, rule) returns the
strings added to that table since the last call for it, in id order. A too short or mistyped
buffer raises ValueError naming it (for too short, the first rows may have been written).
`scan` releases the GIL; use each Scanner from one thread at a time (RuntimeError otherwise).

Two helpers for the ingest:

- `module.Tuples(width)`: `intern(out, flag, *columns)` writes to `out` (int32) the id of each
  line's tuple of `width` int32 values (ids 0, 1, ... in order of first appearance; -1 where
  `flag` is not 0), and `new_tuples()` returns the tuples added since its last call. The
  ingest numbers who (client, user) and request (host, method, result, status, rule, port)
  with it. `count(sizes, ids0, table0, ids1, table1, ...)` counts each line under the tuple
  (table0[ids0[i]], table1[ids1[i]], ...) and adds up its size (int64); `take_counts()`
  returns [(tuple id, lines, sum of sizes)] counted since its last call and starts again.
  The ingest's hourly rollup counts lines by their groups (hour, person, service, ...) so.
- `module.count_lines(buffer)`: the number of newlines, to size the columns before a scan.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

HERE = Path(__file__).resolve().parent
C_SOURCE = "squidscan.c"
SOURCE = HERE / C_SOURCE
MODULE = "safesocial.monitoring.engine._native.squidscan"
TABLES = ("client", "user", "method", "result", "host", "rule")
# The columns `scan` writes, in its argument order, with the NumPy type each one takes.
COLUMNS: dict[str, type[np.integer[Any]]] = {
    "ts": np.int64,
    "client": np.int32,
    "user": np.int32,
    "method": np.int32,
    "result": np.int32,
    "status": np.int32,
    "size": np.int64,
    "host": np.int32,
    "port": np.int32,
    "rule": np.int32,
    "flag": np.int8,
    "offset": np.int64,
}


class SquidScanner(Protocol):
    """A Scanner of squidscan.c (its buffers: anything with the buffer protocol)."""

    def scan(
        self,
        data: Any,
        ts: Any,
        client: Any,
        user: Any,
        method: Any,
        result: Any,
        status: Any,
        size: Any,
        host: Any,
        port: Any,
        rule: Any,
        flag: Any,
        offset: Any,
    ) -> int: ...

    def new_strings(self, table: str) -> list[str]: ...

    def sizes(self) -> dict[str, int]: ...


class ScannerModule(Protocol):
    """The extension module: `Scanner()` and the digest of the source it was built from."""

    @property
    def BUILD(self) -> str: ...

    def Scanner(self) -> SquidScanner: ...

    def Tuples(self, width: int) -> Any: ...

    def count_lines(self, buffer: Any) -> int: ...


def source_digest(source: Path = SOURCE) -> str:
    """SHA-256 of the scanner's C source (what a build carries as BUILD)."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def current_build(module: object, source: Path = SOURCE) -> bool:
    """Whether `module` was built from `source` as it is now."""
    try:
        digest = source_digest(source)
    except OSError:
        return False
    return getattr(module, "BUILD", None) == digest


@functools.cache
def load_scanner() -> ScannerModule | None:
    """The extension module if it imports here and was built from the current squidscan.c.

    Anything else (not built, built for another Python, built from an older source, or
    SAFESOCIAL_PURE_PYTHON=1) means None. The answer is cached for the process
    (`load_scanner.cache_clear()` forgets it).
    """
    if os.environ.get("SAFESOCIAL_PURE_PYTHON") == "1":
        return None
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        return None
    if not current_build(module):
        return None
    return cast(ScannerModule, module)
