"""benchmarks/native_blas.py: a benchmark's timed process runs OpenBLAS's own kernel choice.

Each test runs the file as a benchmark would run (a fresh process, the variables set on
its command line) and reads which kernel threadpoolctl saw NumPy's and SciPy's OpenBLAS
load. No torch needed.
"""
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("threadpoolctl")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCHMARKS / "native_blas.py"
VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="forces an x86-64 OpenBLAS kernel by name")


def run(*args, **variables):
    """native_blas.py's header, run with the two variables removed, then `variables` set."""
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    env.update(variables)
    out = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                         text=True, check=True, timeout=60)
    return out.stdout


def kernels(header):
    """The OpenBLAS kernel names on the header's 'BLAS kernels:' line, one per library."""
    line = next(line for line in header.splitlines() if line.startswith("BLAS kernels:"))
    found = re.findall(r"openblas \S+ (\w+)", line)
    assert len(found) == 2, f"expected NumPy's and SciPy's OpenBLAS in {line!r}"
    return set(found)


@pytest.fixture(scope="module")
def native_header():
    """The header with neither variable set: the kernel OpenBLAS picks by itself."""
    return run()


@pytest.fixture(scope="module")
def forced(native_header):
    """A kernel to force that is not the native one."""
    return "Nehalem" if kernels(native_header) == {"Sandybridge"} else "Sandybridge"


def test_variables_are_removed_before_openblas_loads(native_header, forced):
    native = kernels(native_header)
    header = run(OPENBLAS_CORETYPE=forced, OPENBLAS_L2_SIZE="262144")
    assert kernels(header) == native
    assert f"removed for this run (OPENBLAS_CORETYPE={forced}, OPENBLAS_L2_SIZE=262144)" in header


def test_blas_as_is_keeps_the_environment(forced):
    header = run("--blas-as-is", OPENBLAS_CORETYPE=forced)
    assert kernels(header) == {forced}
    assert f"kept as is (--blas-as-is): OPENBLAS_CORETYPE={forced}" in header


def test_header_names_the_simd_level(native_header):
    assert "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE: not set" in native_header
    assert re.search(r"^CPU SIMD: \S", native_header, re.MULTILINE)


def test_every_benchmark_settles_the_blas_environment_before_numpy():
    """Each timed benchmark calls native_blas.use_native_blas() before it imports NumPy."""
    for path in sorted(BENCHMARKS.glob("*.py")):
        if path.name == "native_blas.py":
            continue
        source = path.read_text()
        assert "native_blas.use_native_blas()" in source, path.name
        assert source.index("native_blas.use_native_blas()") < source.index("import numpy"), path.name
