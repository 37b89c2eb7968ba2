"""Start real Squid and Unbound on loopback for the integration tests and benchmarks.

Both run in the foreground (-N / -d) from a temporary directory that the unprivileged user
Squid switches to (proxy) can read; callers must call `stop()` (fixtures do it in finalizers).
"""

from __future__ import annotations

import base64
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BLOCK_PAGE = REPO / "safesocial" / "enforce" / "data" / "ERR_SAFESOCIAL_BLOCKED"
SQUID_ERRORS = Path("/usr/share/squid/errors/templates")


def find_binary(name: str, package: str) -> str:
    """The path of a server binary; skips the test, or fails it when CI=true, if missing."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path:
        return path
    reason = f"{name} is not installed (apt-get install -y {package})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the integration tests to run")
    pytest.skip(reason)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def shared_tempdir(prefix: str) -> Path:
    """A temporary directory that Squid's or Unbound's unprivileged user can use."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def helper_python() -> str:
    """A Python the proxy user can execute: a root-owned venv under /root is not reachable."""
    if os.geteuid() == 0 and Path("/usr/bin/python3").exists():
        return "/usr/bin/python3"
    return os.environ.get("SAFESOCIAL_HELPER_PYTHON", "python3")


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            raise RuntimeError(f"server exited with {proc.returncode}; log:\n{text[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} within {timeout} s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- origin HTTP server -----------------------------------------------------------------


class _OriginHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"origin page for {self.headers.get('Host', '?')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def origin_server() -> Iterator[int]:
    """A local HTTP origin in a thread; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OriginHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


# --- Squid ------------------------------------------------------------------------------

AUTH_HELPER = """\
import sys
from urllib.parse import unquote
# Test-only basic auth: the password is "pw-" followed by the user name.
for line in sys.stdin:
    user, _, password = line.strip().partition(" ")
    ok = unquote(password) == "pw-" + unquote(user)
    sys.stdout.write("OK\\n" if ok else "ERR\\n")
    sys.stdout.flush()
"""


@dataclass
class SquidServer:
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    @property
    def cache_log(self) -> Path:
        return self.workdir / "cache.log"

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def get(
        self,
        url: str,
        *,
        user: str | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, str]:
        """GET `url` through the proxy as `user` (basic auth) or from address `source`."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=15, source_address=(source, 0)
        )
        headers = {}
        if user is not None:
            token = base64.b64encode(f"{user}:pw-{user}".encode()).decode()
            headers["Proxy-Authorization"] = f"Basic {token}"
        try:
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.access_log.exists():
                content = self.access_log.read_text(errors="replace")
                if text in content:
                    return content
            time.sleep(0.05)
        content = self.access_log.read_text(errors="replace") if self.access_log.exists() else ""
        raise AssertionError(f"{text!r} not in access.log:\n{content}")


def start_squid(
    *,
    hosts: Mapping[str, str],
    helper_args: list[str] | None,
    env: Mapping[str, str],
    concurrency: int = 20,
    children: int = 1,
    login_exempt: tuple[str, ...] = (),
    ttl: int = 0,
) -> SquidServer:
    """Squid on a free loopback port; `helper_args` None runs it without the policy helper."""
    squid = find_binary("squid", "squid")
    workdir = shared_tempdir("safesocial-squid-")
    port = free_port()
    errors = workdir / "errors"
    shutil.copytree(SQUID_ERRORS, errors)
    shutil.copy(BLOCK_PAGE, errors / "ERR_SAFESOCIAL_BLOCKED")
    (workdir / "hosts").write_text("".join(f"{ip} {name}\n" for name, ip in hosts.items()))
    (workdir / "auth.py").write_text(AUTH_HELPER)
    lines = [
        f"http_port 127.0.0.1:{port}",
        f"pid_filename {workdir}/squid.pid",
        f"cache_log {workdir}/cache.log",
        "logformat safesocial %ts.%03tu %>a %un %Ss/%03>Hs %rm %ru rule=%ea",
        f"access_log stdio:{workdir}/access.log safesocial",
        "buffered_logs off",
        "cache_store_log none",
        "cache deny all",
        f"coredump_dir {workdir}",
        f"hosts_file {workdir}/hosts",
        f"error_directory {errors}",
        "shutdown_lifetime 0 seconds",
        "dns_nameservers 127.0.0.1",
        "netdb_filename none",
        "via off",
        "forwarded_for delete",
        "acl all_sources src all",
    ]
    if login_exempt:
        lines += [
            f"auth_param basic program {helper_python()} {workdir}/auth.py",
            "auth_param basic children 2",
            "auth_param basic realm safesocial-test",
            "acl login proxy_auth REQUIRED",
            f"acl by_address src {' '.join(login_exempt)}",
            "http_access deny !by_address !login",
        ]
    if helper_args is not None:
        lines += [
            f"external_acl_type safesocial ttl={ttl} negative_ttl={ttl} children-max={children} "
            f"children-startup={children} concurrency={concurrency} "
            f"%un %>a %>rd {' '.join(helper_args)}",
            "acl safesocial_allows external safesocial",
            "deny_info ERR_SAFESOCIAL_BLOCKED safesocial_allows",
            "http_access deny !safesocial_allows",
        ]
    lines.append("http_access allow all_sources")
    if os.geteuid() == 0:
        lines.append("cache_effective_user proxy")
        proxy = pwd.getpwnam("proxy")
        os.chown(workdir, proxy.pw_uid, proxy.pw_gid)
    conf = workdir / "squid.conf"
    conf.write_text("\n".join(lines) + "\n")
    proc_env = {"PATH": "/usr/sbin:/usr/bin:/bin", **env}
    proc = subprocess.Popen(
        [squid, "-N", "-n", f"ss{port}", "-f", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "squid.stderr", "wb"),  # noqa: SIM115 (owned by the process)
        env=proc_env,
    )
    server = SquidServer(port=port, workdir=workdir, proc=proc)
    try:
        wait_for_port(port, proc, workdir / "cache.log", timeout=30)
    except BaseException:
        server.stop()
        raise
    return server


# --- Unbound ----------------------------------------------------------------------------


def dns_query(
    port: int, name: str, *, source: str = "127.0.0.1", qtype: int = 1, timeout: float = 2.0
) -> tuple[int, int]:
    """Send one DNS query over UDP with the stdlib; returns (rcode, number of answers)."""
    query_id = int.from_bytes(os.urandom(2), "big")
    header = query_id.to_bytes(2, "big") + b"\x01\x00" + b"\x00\x01\x00\x00\x00\x00\x00\x00"
    qname = b"".join(len(p).to_bytes(1, "big") + p.encode() for p in name.split(".")) + b"\x00"
    packet = header + qname + qtype.to_bytes(2, "big") + b"\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.sendto(packet, ("127.0.0.1", port))
        while True:
            reply, _ = sock.recvfrom(4096)
            if reply[:2] == packet[:2]:
                break
    rcode = reply[3] & 0x0F
    answers = int.from_bytes(reply[6:8], "big")
    return rcode, answers


@dataclass
class UnboundServer:
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]
    control: list[str]

    @property
    def log(self) -> Path:
        return self.workdir / "unbound.log"

    def query(self, name: str, *, source: str) -> tuple[int, int]:
        return dns_query(self.port, name, source=source)

    def run_control(self, args: list[str]) -> str:
        result = subprocess.run(
            [*self.control, *args], capture_output=True, text=True, timeout=20, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args}: {result.stdout} {result.stderr}")
        return result.stdout

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_unbound(*, include: Path, local_zones: Mapping[str, str]) -> UnboundServer:
    """Unbound on a free loopback port, with the RPZ snippet `include`d and a few auth zones
    (name -> A address) so that nothing is ever asked of the internet."""
    unbound = find_binary("unbound", "unbound")
    control = find_binary("unbound-control", "unbound")
    workdir = shared_tempdir("safesocial-unbound-")
    port = free_port()
    auth_zones = []
    for zone, address in local_zones.items():
        zone_file = workdir / f"{zone}.zone"
        zone_file.write_text(
            f"$ORIGIN {zone}.\n$TTL 60\n"
            "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60\n@ NS localhost.\n"
            f"www A {address}\n"
        )
        auth_zones.append(
            f'auth-zone:\n    name: "{zone}"\n    zonefile: "{zone_file}"\n'
            "    for-downstream: yes\n    for-upstream: yes\n"
        )
    conf = workdir / "unbound.conf"
    conf.write_text(
        "server:\n"
        f"    interface: 127.0.0.1\n    port: {port}\n"
        '    do-daemonize: no\n    username: ""\n    chroot: ""\n'
        f'    directory: "{workdir}"\n    pidfile: "{workdir}/unbound.pid"\n'
        f'    use-syslog: no\n    logfile: "{workdir}/unbound.log"\n    verbosity: 1\n'
        "    do-ip6: no\n"
        f'include: "{include}"\n'
        "remote-control:\n    control-enable: yes\n"
        f'    control-interface: "{workdir}/unbound.ctl"\n    control-use-cert: no\n'
        + "".join(auth_zones)
    )
    proc = subprocess.Popen(
        [unbound, "-d", "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "unbound.stderr", "wb"),  # noqa: SIM115 (owned by the process)
    )
    server = UnboundServer(
        port=port, workdir=workdir, proc=proc, control=[control, "-c", str(conf)]
    )
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            err = (workdir / "unbound.stderr").read_text(errors="replace")
            log = server.log.read_text(errors="replace") if server.log.exists() else ""
            server.stop()
            raise RuntimeError(f"unbound exited with {proc.returncode}: {err}\n{log}")
        try:
            server.query(next(iter(local_zones), "localhost"), source="127.0.0.1")
            break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.1)
    return server
