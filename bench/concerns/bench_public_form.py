"""Load on the public report form: N concurrent reporters each submitting M concerns through a
real server (gunicorn, 4 processes x 8 threads) on loopback, against an SQLite file in WAL mode.

    .venv/bin/python bench/concerns/bench_public_form.py --reporters 50 --each 20

Passes when every report is stored and no request failed (no "database is locked").
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAFESOCIAL = [sys.executable, "-m", "safesocial.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reporter(base: str, each: int, errors: list[str]) -> None:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for number in range(each):
        try:
            page = opener.open(f"{base}/p/bench/report/", timeout=60).read().decode()
            token = re.search(r'name="token" value="([^"]+)"', page)
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token and csrf
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": csrf.group(1),
                    "token": token.group(1),
                    "category": "bullying",
                    "what": f"Load test report {number}.",
                    "reporter_kind": "anonymous",
                    "about_headteacher": "no",
                }
            ).encode()
            request = urllib.request.Request(
                f"{base}/p/bench/report/", data=body, headers={"Referer": base + "/"}
            )
            response = opener.open(request, timeout=60)
            if response.status != 200 or b"Report sent" not in response.read():
                errors.append(f"status {response.status}")
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")


def run(reporters: int, each: int) -> tuple[int, list[str], float]:
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "SAFESOCIAL_VAR_DIR": var,
            "DJANGO_SETTINGS_MODULE": "bench.concerns.settings_bench",
            "PYTHONPATH": str(REPO),
        }
        env.pop("DATABASE_URL", None)
        subprocess.run([*SAFESOCIAL, "migrate", "-v0"], env=env, check=True, cwd=REPO)
        setup = (
            "from safesocial.people.models import Organisation, School;"
            "o=Organisation.objects.create(name='Bench', slug='bench');"
            "School.objects.create(organisation=o, name='Bench School', slug='bench')"
        )
        subprocess.run([*SAFESOCIAL, "shell", "-c", setup], env=env, check=True, cwd=REPO)
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "safesocial.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--threads",
                "8",
                "--worker-class",
                "gthread",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/p/bench/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.1)
            errors: list[str] = []
            threads = [
                threading.Thread(target=reporter, args=(base, each, errors))
                for _ in range(reporters)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=10)
        if b"database is locked" in stderr:
            errors.append("database is locked")
        count = subprocess.run(
            [
                *SAFESOCIAL,
                "shell",
                "-c",
                "from safesocial.concerns.models import Concern; print(Concern.objects.count())",
            ],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return int(count.split()[-1]), errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--each", type=int, default=20)
    args = parser.parse_args()
    stored, errors, elapsed = run(args.reporters, args.each)
    expected = args.reporters * args.each
    print(f"{stored}/{expected} stored in {elapsed:.1f} s, {len(errors)} errors")
    for error in errors[:10]:
        print("  ", error)
    raise SystemExit(0 if stored == expected and not errors else 1)


if __name__ == "__main__":
    main()
