"""The built package carries what an installed copy needs: templates, static files, data, and the
C sources that `make native` (build_native) compiles from the package's own directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_c_sources_templates_and_data(tmp_path: Path) -> None:
    # Built from a copy, so that the build's own files never land in the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "safesocial",
        source / "safesocial",
        ignore=shutil.ignore_patterns("__pycache__", "*.so"),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "wheels").glob("safesocial-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "safesocial/monitoring/engine/squidscan.c",
        "safesocial/enforce/hotpath.c",
        "safesocial/monitoring/engine/build_native.py",
        "safesocial/enforce/build_native.py",
    ):
        assert needed in names
    assert any(name.startswith("safesocial/") and "/templates/" in name for name in names)
    assert any(name.startswith("safesocial/") and "/static/" in name for name in names)
    assert not any(name.endswith(".so") for name in names)
