"""Test-session settings.

BLAS on one thread: the tests multiply small matrices, where OpenBLAS's thread start-up
and spinning cost more than the product itself (measured: 25x slower on a busy 2-core
machine). threadpoolctl reaches both NumPy's OpenBLAS and SciPy's (which the Numba
kernels call).
"""
import numpy  # noqa: F401  load both BLAS libraries first: threadpoolctl limits the loaded ones
import scipy.linalg.cython_blas  # noqa: F401  (the BLAS that Numba's np.dot calls)
from threadpoolctl import threadpool_limits

threadpool_limits(limits=1)
