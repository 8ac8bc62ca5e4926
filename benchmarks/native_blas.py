"""Run a benchmark on the BLAS kernel its processor would get by default, and say which ran.

OpenBLAS (NumPy's, and SciPy's, which Numba's np.dot calls) picks its kernel for the
processor when it is loaded: "Haswell" (AVX2) on this project's AMD EPYC, "SkylakeX"
(AVX-512) on a processor with AVX-512, and so on. Two environment variables override
that choice: OPENBLAS_CORETYPE names a kernel, OPENBLAS_L2_SIZE the cache size it blocks
for. Some machines set them (our CI machines did: Haswell on an AVX-512 processor, where
matrix products then ran at half speed while PyTorch's oneDNN kept using AVX-512), and a
comparison measured there says nothing about a user's machine, which does not set them.

So every benchmark starts, before it imports NumPy, with

    import native_blas
    native_blas.use_native_blas()   # re-executes the script without the two variables

which does nothing when neither is set or when the command line has --blas-as-is; it
adds --blas-as-is to its parser with ``native_blas.add_argument(parser)`` and prints
``native_blas.describe()`` in its header. Run this file to see what a benchmark would get:

    OPENBLAS_CORETYPE=Sandybridge python benchmarks/native_blas.py                # Haswell here
    OPENBLAS_CORETYPE=Sandybridge python benchmarks/native_blas.py --blas-as-is   # Sandybridge

A re-execution, not an os.environ change: OpenBLAS reads the variables once, when it is
loaded, so they must be gone before the process imports NumPy.
"""
import os
import sys

VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
AS_IS = "--blas-as-is"
REMOVED = "MINIRNN_BENCH_REMOVED"    # tells the re-executed process what was removed, for describe()


def use_native_blas():
    """Re-execute this process without VARIABLES, unless none is set or --blas-as-is was given.

    Must run before NumPy is imported (raises RuntimeError otherwise). Does not return
    when it re-executes: the new process runs the same command line from the start.
    """
    if AS_IS in sys.argv[1:]:
        return
    removed = [f"{name}={os.environ[name]}" for name in VARIABLES if name in os.environ]
    if not removed:
        return
    if "numpy" in sys.modules:
        raise RuntimeError("native_blas.use_native_blas() must run before NumPy is imported: "
                           "OpenBLAS has already read " + ", ".join(removed))
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    env[REMOVED] = ", ".join(removed)
    sys.stdout.flush()
    os.execve(sys.executable, sys.orig_argv, env)   # orig_argv: the interpreter's options too


def add_argument(parser):
    """Add --blas-as-is to an argparse parser (use_native_blas reads sys.argv itself)."""
    parser.add_argument(AS_IS, action="store_true",
                        help=f"keep {' and '.join(VARIABLES)} if the environment sets them "
                             f"(default: the benchmark re-runs itself without them; benchmarks/README.md)")


def describe():
    """Header lines: the environment, which OpenBLAS kernel each library loaded, the CPU's SIMD.

    Loads SciPy's BLAS (Numba's np.dot) so that it is listed too.
    """
    if AS_IS in sys.argv[1:]:
        kept = [f"{name}={os.environ[name]}" for name in VARIABLES if name in os.environ]
        environment = "kept as is (--blas-as-is): " + (", ".join(kept) if kept else "neither set")
    elif REMOVED in os.environ:
        environment = f"removed for this run ({os.environ[REMOVED]})"
    else:
        environment = "not set"
    return "\n".join([f"{' and '.join(VARIABLES)}: {environment}",
                      "BLAS kernels: " + blas_kernels(),
                      "CPU SIMD: " + cpu_simd()])


def blas_kernels():
    """'numpy: OpenBLAS 0.3.31 Haswell; scipy (Numba's np.dot): OpenBLAS 0.3.30 Haswell', from threadpoolctl."""
    import numpy as np  # noqa: F401  loads NumPy's BLAS
    try:
        import scipy.linalg.cython_blas  # noqa: F401  loads SciPy's BLAS, the one Numba calls
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see them)"
    found = []
    for info in threadpool_info():
        if info["user_api"] != "blas":
            continue
        path = info["filepath"].replace(os.sep, "/")
        owner = ("numpy" if "/numpy" in path else "scipy (Numba's np.dot)" if "/scipy" in path
                 else os.path.basename(path))
        found.append(f"{owner}: {info['internal_api']} {info['version']} {info.get('architecture', '?')}")
    return "; ".join(sorted(found, key=lambda text: not text.startswith("numpy"))) or "none found"


def cpu_simd():
    """The widest SIMD the processor offers, from NumPy's CPU feature detection."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        return "unknown"
    names = ["AVX512F", "AVX2", "FMA3", "AVX", "SSE42", "ASIMD", "SVE"]
    present = [name for name in names if features.get(name)]
    missing_avx512 = ", no AVX-512" if "AVX2" in present and "AVX512F" not in present else ""
    return (" ".join(present) or "none of " + " ".join(names)) + missing_avx512


if __name__ == "__main__":
    use_native_blas()
    print(describe())
