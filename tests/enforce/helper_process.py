"""Run the Squid helper as a real child process and talk to it like Squid does."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[2]


def helper_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFESOCIAL_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def helper_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "safesocial.enforce.squid_helper", *args]


def native_for(python: str) -> bool:
    """Whether the helper run by `python` would answer with its compiled fast path."""
    probe = (
        "from safesocial.enforce.squid_helper import native_module; print(bool(native_module()))"
    )
    result = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, env=helper_env(), check=True
    )
    return result.stdout.strip() == "True"


def parse_reply(line: str) -> tuple[str, dict[str, str]]:
    """('OK'|'ERR'|'BH' possibly after a channel id, {key: decoded value})."""
    words = line.split()
    head: list[str] = []
    values: dict[str, str] = {}
    for word in words:
        if "=" in word:
            key, value = word.split("=", 1)
            values[key] = unquote(value)
        else:
            head.append(word)
    return " ".join(head), values


class HelperProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            helper_command(*args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env or helper_env(),
        )
        self._buffer = b""

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_lines(self, count: int, timeout: float = 10.0) -> list[str]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while self._buffer.count(b"\n") < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"helper answered {self._buffer!r}, expected {count} lines")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise EOFError(f"helper exited; stderr: {self.stderr_text()}")
                self._buffer += chunk
        lines = self._buffer.split(b"\n")
        self._buffer = b"\n".join(lines[count:])
        return [line.decode() for line in lines[:count]]

    def ask(self, *lines: str) -> list[str]:
        self.send("".join(line + "\n" for line in lines).encode())
        return self.read_lines(len(lines))

    def close(self) -> tuple[int, str]:
        """Close stdin like Squid does on shutdown; returns (exit status, stderr)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        return status, self.stderr_text()

    def stderr_text(self) -> str:
        assert self.proc.stderr is not None
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read().decode()

    def __enter__(self) -> HelperProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()
