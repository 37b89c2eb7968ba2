"""Build the optional compiled fast path of the Squid helper: mypyc and a small C loop.

    python -m safesocial.enforce.build_native [--check]

Compiles copies of `engine.py` and `squid_helper.py` with mypyc as
`safesocial.enforce._native.engine` and `safesocial.enforce._native.squid_helper`, and
`hotpath.c` (the per-line loop, CPython C API) as `safesocial.enforce._native.hotpath`, all
built for the running Python, and puts them in `safesocial/enforce/_native/`. The pure-Python
modules stay the source of truth: `squid_helper.main()` uses the compiled copy only when it
and the C loop import on the Python in use and were built from the current sources (SHA-256
of the sources, compared at start-up), so an edit without a rebuild, another Python minor
version or a missing build just means the pure Python path. Needs mypy (with mypyc),
setuptools, a C compiler and the Python headers; on failure nothing in `_native/` is replaced
and the exit status is 1.

`--check` prints whether a usable compiled copy is present (exit status 0) or not (1).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIVE_DIR = HERE / "_native"
COMPILED = ("engine.py", "squid_helper.py")
C_SOURCE = "hotpath.c"
# snapshot.py is type-checked against; hotpath.c carries the digest (BUILD) it was built with
DIGESTED = ("engine.py", "squid_helper.py", "snapshot.py", C_SOURCE)
PACKAGE = "safesocial.enforce._native"
GROUP = PACKAGE + ".runtime"  # mypyc's shared runtime: safesocial.enforce._native.runtime__mypyc

_SETUP = """
from setuptools import Extension, setup
from mypyc.build import mypycify
hotpath = Extension(
    "safesocial.enforce._native.hotpath",
    ["safesocial/enforce/{c_source}"],
    define_macros=[("SAFESOCIAL_BUILD", '"{digest}"')],
    extra_compile_args=["-O2", "-Wall", "-Wextra"],
)
setup(
    name="safesocial-native",
    ext_modules=mypycify(
        ["safesocial/enforce/_native/engine.py", "safesocial/enforce/_native/squid_helper.py"],
        group_name="{group}",
        opt_level="3",
    ) + [hotpath],
    script_args=["build_ext", "--inplace"],
)
"""


def source_digest(directory: Path = HERE) -> str:
    """SHA-256 over the sources a compiled copy is built from (in a fixed order)."""
    digest = hashlib.sha256()
    for name in DIGESTED:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _native_source(name: str, digest: str) -> str:
    text = (HERE / name).read_text(encoding="utf-8")
    text = text.replace("from safesocial.enforce.engine import", f"from {PACKAGE}.engine import")
    if name == "squid_helper.py":
        marker = "NATIVE_BUILD: str | None = None"
        if marker not in text:
            raise SystemExit(f"{name} lacks the line {marker!r}; cannot mark the compiled copy")
        text = text.replace(marker, f"NATIVE_BUILD: str | None = {digest!r}")
    return text


def build(verbose: bool = False) -> list[Path]:
    """Compile into a temporary tree, then copy the extension modules into `_native/`."""
    digest = source_digest()
    with tempfile.TemporaryDirectory(prefix="safesocial-native-") as tmp:
        root = Path(tmp)
        package = root / "safesocial" / "enforce"
        (package / "_native").mkdir(parents=True)
        for init in ("safesocial", "safesocial/enforce", "safesocial/enforce/_native"):
            (root / init / "__init__.py").write_text("")
        for name in ("snapshot.py", "build_native.py", C_SOURCE, *COMPILED):
            shutil.copy2(HERE / name, package / name)
        for name in COMPILED:
            (package / "_native" / name).write_text(_native_source(name, digest), "utf-8")
        (root / "setup.py").write_text(_SETUP.format(group=GROUP, c_source=C_SOURCE, digest=digest))
        run_setup(root, verbose)
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        targets = {
            package / "_native" / name: NATIVE_DIR / name
            for name in (
                f"engine{suffix}",
                f"squid_helper{suffix}",
                f"runtime__mypyc{suffix}",
                f"hotpath{suffix}",
            )
        }
        missing = [str(path.relative_to(root)) for path in targets if not path.exists()]
        if missing:
            sys.stderr.write(f"the build did not produce {missing}\n")
            raise SystemExit(1)
        return [install(path, target) for path, target in targets.items()]


def run_setup(root: Path, verbose: bool = False) -> None:
    """Run `root/setup.py` with this Python; on failure, show the compiler's end and exit 1."""
    result = subprocess.run(
        [sys.executable, "setup.py"],
        cwd=root,
        capture_output=not verbose,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        if not verbose:
            sys.stderr.write((result.stdout or "")[-4000:] + (result.stderr or "")[-4000:])
        raise SystemExit(1)


def install(built: Path, target: Path) -> Path:
    """Put a built module in place atomically: a running process keeps its mapped copy."""
    staging = target.with_name(target.name + ".new")
    shutil.copy2(built, staging)
    staging.chmod(0o644)
    staging.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report; do not build")
    parser.add_argument("--verbose", action="store_true", help="show the compiler's output")
    args = parser.parse_args(argv)
    if args.check:
        from safesocial.enforce.squid_helper import native_module

        native = native_module(log=lambda message: print(message, file=sys.stderr))
        print("compiled fast path: " + ("in use" if native else "not in use (pure Python)"))
        return 0 if native else 1
    for path in build(verbose=args.verbose):
        print(f"built {path.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
