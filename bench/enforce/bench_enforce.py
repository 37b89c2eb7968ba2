"""Benchmarks of the enforcement side (not run by the test suite).

    .venv/bin/python bench/enforce/bench_enforce.py all --runs 3
    .venv/bin/python bench/enforce/bench_enforce.py throughput|latency|memory|squid --runs 5

throughput  the helper vs squidGuard 1.6 on the same 1,000,000 generated requests
            (each fed through stdin, replies to /dev/null; runs interleaved in rounds)
latency     one request at a time round trips through the helper's pipes: p50 / p99
memory      a 1,000,000-domain snapshot: load time (load_snapshot + engine) and helper RSS
squid       real Squid with the helper vs without, wrk through the proxy to a local origin

Every measurement is repeated --runs times and the median printed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from enforce.servers import (  # noqa: E402  (tests/enforce holds the server harness)
    free_port,
    helper_python,
    shared_tempdir,
    start_squid,
    stop_process,
)

from safesocial.enforce.engine import PolicyEngine  # noqa: E402
from safesocial.enforce.snapshot import (  # noqa: E402
    Group,
    Person,
    Rule,
    Segment,
    Service,
    Snapshot,
    load_snapshot,
    write_snapshot,
)

FAKE_NOW = "2025-03-04T10:15:00+00:00"
TLDS = ("com", "net", "org", "co.uk", "io", "info")
HELPER = [sys.executable, "-m", "safesocial.enforce.squid_helper"]


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    values = [measure() for _ in range(runs)]
    return statistics.median(values), values


def random_domains(rng: random.Random, count: int, prefix: str) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    seen: set[str] = set()
    while len(seen) < count:
        name = "".join(rng.choice(letters) for _ in range(rng.randint(6, 14)))
        seen.add(f"{prefix}{name}.{rng.choice(TLDS)}")
    return sorted(seen)


def bench_snapshot(blacklist: list[str], people: int = 2000) -> Snapshot:
    """A school-like policy plus a blacklist category denied to everyone."""
    return Snapshot(
        school="bench",
        version=1,
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        groups=(Group("learners", "Learners"), Group("staff", "Staff")),
        people=tuple(
            Person(f"p{i}", f"user{i}", ("learners" if i % 10 else "staff",)) for i in range(people)
        ),
        segments=(Segment("learners", ("10.20.0.0/16",), "school-owned", ("learners",)),),
        services=(
            Service("facebook", "Facebook", "social", ("facebook.com", "fbcdn.net"), 13),
            Service("blacklist", "Blacklist", "blacklist", tuple(blacklist)),
        ),
        rules=(
            Rule("blacklist", "3", "On the blacklist", "deny", categories=("blacklist",)),
            Rule(
                "learners-social",
                "6",
                "No social media",
                "deny",
                when="school_hours",
                groups=("learners",),
                categories=("social",),
            ),
        ),
    )


def browsing(rng: random.Random, blacklist: list[str], count: int) -> list[tuple[str, str, str]]:
    """(user, client address, host) as page loads: each of 2,000 users has one device address;
    a page load is 5-30 requests to one site's hosts; sites are picked with Zipf popularity
    from 200,000 ordinary sites and the 100,000 blacklisted ones."""
    sites = random_domains(rng, 200_000, "ok") + blacklist
    rng.shuffle(sites)
    weights = [1.0 / rank for rank in range(1, len(sites) + 1)]
    addresses = [f"10.20.{i // 250}.{i % 250 + 1}" for i in range(2000)]
    out: list[tuple[str, str, str]] = []
    while len(out) < count:
        pages = rng.choices(sites, weights=weights, k=1000)
        for site in pages:
            user = rng.randrange(2000)
            for _ in range(rng.randint(5, 30)):
                host = rng.choice(("", "www.", "static.", "cdn.")) + site
                out.append((f"user{user}", addresses[user], host))
    return out[:count]


def requests(rng: random.Random, blacklist: list[str], count: int) -> list[tuple[str, str, str]]:
    """Worst case, (user, client address, host) all random: 30 % blacklisted hosts, the rest
    from 200,000 sites, so almost every line is new to every cache."""
    allowed = random_domains(rng, 200_000, "ok")
    out = []
    for _ in range(count):
        user = f"user{rng.randrange(2000)}"
        address = f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if rng.random() < 0.3:
            host = rng.choice(("www.", "cdn.", "")) + rng.choice(blacklist)
        else:
            host = rng.choice(("www.", "")) + rng.choice(allowed)
        out.append((user, address, host))
    return out


def timed_pipe(command: list[str], input_path: Path, env: dict[str, str]) -> float:
    with open(input_path, "rb") as stdin:
        start = time.perf_counter()
        subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, env=env, check=True)
        return time.perf_counter() - start


def helper_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFESOCIAL_")}
    return {**env, "PYTHONPATH": str(REPO), "SAFESOCIAL_FAKE_NOW": FAKE_NOW, **extra}


def native_available() -> bool:
    from safesocial.enforce.squid_helper import native_module

    return native_module() is not None


def native_hotpath() -> Any:
    """The C loop module when the compiled fast path is in use, else None."""
    from safesocial.enforce.squid_helper import HOTPATH_MODULE

    return importlib.import_module(HOTPATH_MODULE) if native_available() else None


def cmd_throughput(runs: int, count: int) -> None:
    squidguard = shutil.which("squidGuard")
    rng = random.Random(1)
    blacklist = random_domains(rng, 100_000, "bl")
    work = Path(tempfile.mkdtemp(prefix="ss-bench-"))
    snap = work / "net.snap"
    write_snapshot(bench_snapshot(blacklist), snap)
    workloads = {
        "browsing": browsing(rng, blacklist, count),
        "uniform": requests(rng, blacklist, count),
    }
    # The helper as installed (compiled fast path if built) and forced to pure Python.
    variants = {"": helper_env(), ", pure Python": helper_env(SAFESOCIAL_PURE_PYTHON="1")}
    print(f"helper compiled fast path built and current: {native_available()}")
    commands: dict[str, tuple[list[str], Path, dict[str, str]]] = {}
    for name, reqs in workloads.items():
        helper_in = work / f"helper-{name}.in"
        with open(helper_in, "w") as out:
            for i, (user, address, host) in enumerate(reqs):
                out.write(f"{i % 100} {user} {address} {host} -\n")
        for variant, env in variants.items():
            commands[f"helper{variant}, {name}"] = (
                [*HELPER, "--snapshot", str(snap)],
                helper_in,
                env,
            )
    if squidguard:
        conf = _squidguard_setup(squidguard, work, blacklist)
        for name, reqs in workloads.items():
            sg_in = work / f"sg-{name}.in"
            with open(sg_in, "w") as out:
                for user, address, host in reqs:
                    out.write(f"http://{host}/ {address}/- {user} GET -\n")
            _squidguard_sample(squidguard, conf, sg_in)
            commands[f"squidGuard, {name}"] = (
                [squidguard, "-c", str(conf)],
                sg_in,
                dict(os.environ),
            )
    else:
        print("squidGuard not installed: apt-get install -y squidguard")
    # Runs are interleaved (every command once per round), so that other work on a shared
    # machine slows the helper and squidGuard alike; ratios are also given round by round.
    rates: dict[str, list[float]] = {key: [] for key in commands}
    for round_number in range(1, runs + 1):
        print(f"round {round_number}: load average {os.getloadavg()[0]:.2f}")
        for key, (command, path, env) in commands.items():
            rates[key].append(count / timed_pipe(command, path, env))
            print(f"  {key}: {rates[key][-1]:,.0f} lines/s")
    for key, values in rates.items():
        print(
            f"{key} workload (pipelined): median {statistics.median(values):,.0f} lines/s "
            f"runs {[f'{r:,.0f}' for r in values]}"
        )
    if squidguard:
        log = (work / "log" / "squidGuard.log").read_text(errors="replace").splitlines()
        print(f"  squidGuard log: {len(log)} lines, e.g. {[ln[20:] for ln in log[-4:]]}")
        for name in workloads:
            sg = rates[f"squidGuard, {name}"]
            for variant in variants:
                helper = rates[f"helper{variant}, {name}"]
                per_round = [h / g for h, g in zip(helper, sg, strict=True)]
                print(
                    f"ratio helper{variant} / squidGuard, {name}: "
                    f"{statistics.median(helper) / statistics.median(sg):.2f}x of medians, "
                    f"rounds {[f'{r:.2f}' for r in per_round]} (target >= 2x)"
                )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(work, ignore_errors=True)


def _squidguard_setup(squidguard: str, work: Path, blacklist: list[str]) -> Path:
    (work / "db" / "bl").mkdir(parents=True)
    (work / "log").mkdir()
    (work / "db" / "bl" / "domains").write_text("\n".join(blacklist) + "\n")
    conf = work / "squidGuard.conf"
    conf.write_text(
        f"dbhome {work}/db\nlogdir {work}/log\n"
        "dest bl {\n    domainlist bl/domains\n}\n"
        "acl {\n    default {\n        pass !bl all\n"
        "        redirect http://blocked.invalid/\n    }\n}\n"
    )
    subprocess.run([squidguard, "-c", str(conf), "-C", "all"], check=True, capture_output=True)
    # squidGuard at its best: Berkeley DB built by -C (not the text list), no `log` in the
    # acl (nothing written per request), one process, as Squid would run each child.
    db_file = work / "db" / "bl" / "domains.db"
    print(f"  squidGuard db file: {db_file.name} {db_file.stat().st_size:,} bytes")
    return conf


def _squidguard_sample(squidguard: str, conf: Path, sg_in: Path) -> None:
    """Show what squidGuard answers for a sample, so the race is seen to be a fair one."""
    sample = (
        subprocess.run(
            [squidguard, "-c", str(conf)],
            input=sg_in.read_bytes()[:20000],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .splitlines()
    )
    print(
        f"  squidGuard sample ({sg_in.name}): {len(sample)} replies, "
        f"{sum('blocked' in line for line in sample)} redirected to the block page; "
        f"first replies {sample[:2]}"
    )


def cmd_latency(runs: int, count: int = 20_000) -> None:
    rng = random.Random(2)
    blacklist = random_domains(rng, 100_000, "bl")
    work = Path(tempfile.mkdtemp(prefix="ss-bench-"))
    snap = work / "net.snap"
    write_snapshot(bench_snapshot(blacklist), snap)
    lines = [f"{u} {a} {h} -\n".encode() for u, a, h in browsing(rng, blacklist, count)]

    def one_run() -> float:
        proc = subprocess.Popen(
            [*HELPER, "--snapshot", str(snap)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=helper_env(),
        )
        assert proc.stdin and proc.stdout
        fd_in, fd_out = proc.stdin.fileno(), proc.stdout.fileno()
        samples = []
        for i, line in enumerate(lines):
            start = time.perf_counter()
            os.write(fd_in, line)
            reply = os.read(fd_out, 4096)
            elapsed = time.perf_counter() - start
            assert reply.endswith(b"\n")
            if i >= 1000:  # warm-up: first snapshot load and caches
                samples.append(elapsed)
        proc.stdin.close()
        proc.wait()
        samples.sort()
        p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
        print(f"  run: p50 {p50 * 1e3:.3f} ms  p99 {p99 * 1e3:.3f} ms")
        return p99

    p99, _ = median_of(runs, one_run)
    print(f"round trip p99 (median of runs): {p99 * 1e3:.3f} ms (target < 0.2 ms)")
    shutil.rmtree(work, ignore_errors=True)


def cmd_memory(runs: int, count: int = 1_000_000) -> None:
    rng = random.Random(3)
    work = Path(tempfile.mkdtemp(prefix="ss-bench-"))
    snap = work / "net.snap"
    write_snapshot(bench_snapshot(random_domains(rng, count, "")), snap)
    print(f"snapshot with {count:,} domains: {snap.stat().st_size / 1e6:.1f} MB on disk")

    hotpath = native_hotpath()

    cpu_times: list[float] = []

    def load() -> float:
        start, cpu = time.perf_counter(), time.process_time()
        engine = PolicyEngine(load_snapshot(snap))
        if hotpath is not None:  # what the helper also builds: the C loop's host table
            table_start = time.process_time()
            hotpath.HostTable(engine.domain_table(), engine.service_set_index, 1)
            print(f"  run: C host table {time.process_time() - table_start:.3f} s CPU")
        cpu_times.append(time.process_time() - cpu)
        return time.perf_counter() - start

    seconds, values = median_of(runs, load)
    what = " + C host table" if hotpath is not None else ""
    # CPU time as well: on a shared machine the wall time mostly says how busy it was.
    print(
        f"load_snapshot + PolicyEngine{what}: median {seconds:.3f} s runs "
        f"{[f'{v:.3f}' for v in values]} (target < 1 s); CPU time median "
        f"{statistics.median(cpu_times):.3f} s runs {[f'{v:.3f}' for v in cpu_times]}"
    )

    def rss() -> float:
        proc = subprocess.Popen(
            [*HELPER, "--snapshot", str(snap)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=helper_env(),
        )
        assert proc.stdin and proc.stdout
        proc.stdin.write(b"user1 10.20.1.1 www.example.com -\n")
        proc.stdin.flush()
        proc.stdout.readline()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        proc.stdin.close()
        proc.wait()
        current = int(fields["VmRSS"].split()[0]) / 1024
        peak = int(fields["VmHWM"].split()[0]) / 1024
        print(f"  run: RSS {current:.0f} MB, peak {peak:.0f} MB")
        return peak

    peak, _ = median_of(runs, rss)
    print(f"helper peak RSS with the snapshot loaded: median {peak:.0f} MB (target < 300 MB)")
    shutil.rmtree(work, ignore_errors=True)


ORIGIN = r"""
import asyncio, sys
BODY = b"x" * 512
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
            % len(BODY)) + BODY
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def cmd_squid(runs: int, seconds: int = 10, connections: int = 32) -> None:
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk not installed: apt-get install -y wrk")
        return
    work = shared_tempdir("ss-bench-squid-")
    snap = work / "net.snap"
    snapshot = bench_snapshot(random_domains(random.Random(4), 100_000, "bl"))
    write_snapshot(snapshot, snap)
    origin_port = free_port()
    origin = subprocess.Popen([sys.executable, "-c", ORIGIN, str(origin_port)])
    script = work / "proxy.lua"
    script.write_text(f'wrk.path = "http://www.school-site.example:{origin_port}/page"\n')
    hosts = {"www.school-site.example": "127.0.0.1"}
    helper = [helper_python(), "-m", "safesocial.enforce.squid_helper", "--snapshot", str(snap)]
    env = {"PYTHONPATH": str(REPO), "SAFESOCIAL_FAKE_NOW": FAKE_NOW}

    def rps(with_helper: bool, ttl: int) -> float:
        squid = start_squid(
            hosts=hosts,
            helper_args=helper if with_helper else None,
            env=env,
            concurrency=200,
            children=1,
            ttl=ttl,
        )
        try:
            url = f"http://127.0.0.1:{squid.port}"
            subprocess.run(
                [wrk, "-t1", "-c8", "-d2s", "-s", str(script), url], capture_output=True, check=True
            )  # warm-up
            out = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rate = float(
                next(ln for ln in out.splitlines() if ln.startswith("Requests/sec")).split()[1]
            )
            non2xx = [ln for ln in out.splitlines() if "Non-2xx" in ln]
            print(
                f"  {f'with helper (ttl={ttl})' if with_helper else 'without helper':>22}: "
                f"{rate:,.0f} req/s {non2xx[0].strip() if non2xx else ''}"
            )
            return rate
        finally:
            squid.stop()

    try:
        results: dict[str, list[float]] = {"none": [], "ttl0": [], "ttl60": []}
        for _ in range(runs):  # interleaved so drift on a noisy machine hits all three alike
            results["none"].append(rps(False, 0))
            results["ttl0"].append(rps(True, 0))
            results["ttl60"].append(rps(True, 60))
        base = statistics.median(results["none"])
        for key, label in (("ttl0", "ttl=0 (every request asks)"), ("ttl60", "ttl=60 (cached)")):
            value = statistics.median(results[key])
            print(
                f"Squid + helper {label}: median {value:,.0f} req/s = "
                f"{value / base:.0%} of Squid alone ({base:,.0f} req/s); target >= 90%"
            )
    finally:
        stop_process(origin)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", choices=("throughput", "latency", "memory", "squid", "all"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {sys.version.split()[0]}, runs={args.runs}")
    if args.which in ("throughput", "all"):
        cmd_throughput(args.runs, args.requests)
    if args.which in ("latency", "all"):
        cmd_latency(args.runs)
    if args.which in ("memory", "all"):
        cmd_memory(args.runs)
    if args.which in ("squid", "all"):
        cmd_squid(args.runs)


if __name__ == "__main__":
    main()
