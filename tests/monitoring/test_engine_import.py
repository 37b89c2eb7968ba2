"""Importing the monitoring engine: what it does to the process (once, not per parser)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_the_engine_starts_no_openblas_threads() -> None:
    # NumPy's OpenBLAS would start a spinning thread per core; the engine asks for one.
    code = (
        "import os, sys; import safesocial.monitoring.engine, numpy;"
        " print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert out == ["1", "1"]
