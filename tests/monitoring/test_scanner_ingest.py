"""The compiled Squid scanner and the SQL parser store exactly the same, line for line.

The scanner takes the ordinary lines and leaves the rest (malformed, non-ASCII, CRLF, odd
URLs) to the SQL parser; here a log mixing both, with random variations, is ingested once each
way and everything stored (events with their attribution, malformed lines, rollups, counts) is
compared.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from safesocial.monitoring.engine import Ingester, open_store
from safesocial.monitoring.engine import ingest as ingest_module
from safesocial.monitoring.engine.native import load_scanner
from tests.conftest import require_or_skip
from tests.enforce.school import school_snapshot

from .test_ingest_blocks import LINES, contents, write

T = 1741083300  # 2025-03-04 10:15 UTC, in school hours

CLIENTS = ["10.20.3.4", "10.30.1.1", "2001:db8:20::9", "10.20.3.5", "not-an-address", "::1"]
USERS = ["-", "alice.l", "alice%40school.org", "DOM%5Cbob", "mr.smith"]
URLS = [
    "www.tiktok.com:443",
    "http://www.bbc.co.uk/x?y=1",
    "https://u:p@WWW.Facebook.COM./a?b#c",
    "http://[2001:db8::1]:8080/a",
    "http://example.org?q=/x",
    "ftp://files.example.net/f",
    "nordvpn.com:443",
    "-",
    "error:invalid-request",
    "http:///nohost",
    "host:abc",
    "http://caf\u00e9.example/",
]
CODES = ["TCP_MISS/200", "TCP_TUNNEL/200", "TCP_DENIED/403", "NONE_NONE/000", "TCP_MISS/x"]


def random_lines(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        ts = f"{T + rng.randrange(-30_000, 30_000)}.{rng.randrange(1000):03d}"
        pad = " " * rng.choice([1, 1, 2, 5])
        client, user, url = rng.choice(CLIENTS), rng.choice(USERS), rng.choice(URLS)
        code, size = rng.choice(CODES), str(rng.randrange(100_000))
        method = rng.choice(["GET", "CONNECT", "post", "HEAD"])
        if rng.random() < 0.5:
            line = f"{ts}{pad}{i % 999} {client} {code} {size} {method} {url} {user} HIER/- -"
        else:
            rule = rng.choice(["rule=-", "rule=allow%2Dlessons", "rule=", "rule=r-7"])
            line = f"{ts}{pad}{i % 999} {client} {user} {code} {size} {method} {url} {rule}"
        roll = rng.random()
        if roll < 0.03:
            line += "\r"  # a CRLF ending
        elif roll < 0.06:
            cut = rng.randrange(len(line))
            line = line[:cut] + line[cut + 1 :]  # a character lost
        elif roll < 0.08:
            line = " " + line
        lines.append(line)
    return lines


def ingest(tmp_path: Path, name: str, lines: list[str]) -> dict[str, object]:
    con = open_store(tmp_path / f"{name}.duckdb")
    path = tmp_path / f"{name}.log"
    write(path, lines)
    with Ingester(con, school_snapshot(), block_bytes=64 * 1024) as ingester:
        ingester.ingest_paths([path])
    return contents(con)


def test_the_scanner_and_the_sql_parser_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_or_skip(load_scanner() is not None, "no compiled scanner (make native)")
    lines = LINES + random_lines(5_000, seed=8)
    scanned = ingest(tmp_path, "scanned", lines)
    monkeypatch.setattr(ingest_module, "load_scanner", lambda: None)
    parsed = ingest(tmp_path, "parsed", lines)
    assert scanned == parsed
    events, malformed, ignored = scanned["files"][1:]  # type: ignore[index]
    # both kinds of line were there: the comparison is not between two empty stores
    assert events > 2_000 and malformed > 200 and ignored >= 1
