"""How many threads the BLAS may use while `minirnn train` or `minirnn sample` runs."""
import contextlib


@contextlib.contextmanager
def blas_threads(n):
    """Limit BLAS (NumPy's, and SciPy's that Numba's np.dot calls) to n threads inside.

    Needs threadpoolctl; without it the BLAS keeps its own default.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    import scipy.linalg.cython_blas  # noqa: F401  load Numba's BLAS now, so that it is limited too
    with threadpool_limits(n, user_api="blas"):
        yield
