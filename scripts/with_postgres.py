"""Run a command against a throw-away PostgreSQL server on loopback.

Usage: python scripts/with_postgres.py COMMAND [ARGS...]
Starts a fresh cluster in a temporary directory (as the `postgres` user when run as root, since
PostgreSQL refuses to run as root), sets DATABASE_URL for the command, and removes it all after.
Without PostgreSQL installed the run is skipped with a message, except under CI=true.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            print("PostgreSQL is not installed; CI must run the suite on PostgreSQL too.")
            return 1
        print(
            "SKIPPED the PostgreSQL run: no PostgreSQL server installed "
            "(apt-get install postgresql)."
        )
        return 0
    as_root = os.geteuid() == 0
    runner = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="safesocial-pg-"))
    data = workdir / "data"
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")
    port = free_port()
    log = workdir / "server.log"
    subprocess.run(
        [
            *runner,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *runner,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/safesocial")
        print(f"PostgreSQL {bin_dir.parent.name} on 127.0.0.1:{port}: running {' '.join(argv)}")
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        subprocess.run(
            [*runner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.2)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
