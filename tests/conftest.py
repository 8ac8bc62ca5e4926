"""Test-session settings.

BLAS on one thread: the tests multiply small matrices, where OpenBLAS's thread start-up
and spinning cost more than the product itself (measured: 25x slower on a busy 2-core
machine). minirnn.toolkit.threads.blas_threads limits both NumPy's OpenBLAS and SciPy's (which
the Numba kernels call), the same way `minirnn train` does.
"""
import pytest

from minirnn.toolkit.threads import blas_threads


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    with blas_threads(1):
        yield
