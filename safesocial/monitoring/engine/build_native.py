"""Build the optional compiled Squid scanner of the monitoring ingest (squidscan.c).

    python -m safesocial.monitoring.engine.build_native [--check] [--verbose]

Compiles `squidscan.c` (CPython C API only) as `safesocial.monitoring.engine._native.squidscan`
for the running Python, in a temporary directory, and moves the extension into
`safesocial/monitoring/engine/_native/`. The SHA-256 of `squidscan.c` is compiled in (the
module's `BUILD`), and `native.load_scanner()` uses the module only when that matches the
source, so an edit without a rebuild, another Python or a missing build just means the SQL
parser. Needs setuptools, a C compiler and the Python headers; on failure nothing in `_native/`
is replaced and the exit status is 1.

`--check` prints whether a usable, current build is present (exit status 0) or not (1).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from safesocial.enforce.build_native import install, run_setup

from .native import C_SOURCE, HERE, MODULE, current_build, source_digest

NATIVE_DIR = HERE / "_native"

# Portable flags only: the build must run on any x86-64 or ARM machine (no -march).
_SETUP = """
from setuptools import Extension, setup
setup(
    name="safesocial-monitoring-native",
    ext_modules=[
        Extension(
            "{module}",
            ["{c_source}"],
            define_macros=[("SAFESOCIAL_BUILD", '"{digest}"'){extra_macros}],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
        )
    ],
    script_args=["build_ext", "--inplace"],
)
"""


def extension_path() -> Path:
    """Where the built extension goes, for the running Python."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return NATIVE_DIR / f"squidscan{suffix}"


def build(verbose: bool = False, portable: bool = False, into: Path | None = None) -> Path:
    """Compile in a temporary directory, then move the extension into `_native/` (or `into`).

    `portable` builds the code path without SIMD (what ARM machines run), for the tests.
    """
    digest = source_digest()
    with tempfile.TemporaryDirectory(prefix="safesocial-monitoring-native-") as tmp:
        root = Path(tmp)
        package = root / "safesocial" / "monitoring" / "engine" / "_native"
        package.mkdir(parents=True)
        shutil.copy2(HERE / C_SOURCE, root / C_SOURCE)
        extra_macros = ', ("SQUIDSCAN_PORTABLE", "1")' if portable else ""
        (root / "setup.py").write_text(
            _SETUP.format(
                module=MODULE, c_source=C_SOURCE, digest=digest, extra_macros=extra_macros
            ),
            "utf-8",
        )
        run_setup(root, verbose)
        target = extension_path() if into is None else into / extension_path().name
        built = package / target.name
        if not built.exists():
            sys.stderr.write(f"the build did not produce {built.relative_to(root)}\n")
            raise SystemExit(1)
        return install(built, target)


def why_not() -> str:
    """Why load_scanner() gives None, in words."""
    if os.environ.get("SAFESOCIAL_PURE_PYTHON") == "1":
        reason = "SAFESOCIAL_PURE_PYTHON=1"
    elif not extension_path().exists():
        reason = "not built for this Python"
    else:
        try:
            module = importlib.import_module(MODULE)
        except ImportError as error:
            reason = f"does not import ({error})"
        else:
            reason = (
                f"built from another {C_SOURCE}" if not current_build(module) else "unknown reason"
            )
    return f"not in use ({reason}; the SQL parser is used)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report; do not build")
    parser.add_argument("--verbose", action="store_true", help="show the compiler's output")
    args = parser.parse_args(argv)
    if args.check:
        from .native import load_scanner

        scanner = load_scanner()
        print("compiled Squid scanner: " + ("in use" if scanner is not None else why_not()))
        return 0 if scanner is not None else 1
    path = build(verbose=args.verbose)
    print(f"built {path.relative_to(HERE.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
