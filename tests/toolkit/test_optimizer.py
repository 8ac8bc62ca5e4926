"""minirnn/toolkit/optimizer.py: the step every optimizer shares. A step that would overflow
is undone; update on chunks of a large parameter gives what it gives on the whole array."""
import numpy as np
import pytest

from minirnn import optim
from minirnn.toolkit import optimizer as base
from tests.test_optim import CASE_IDS, CASES


# -- adversarial but finite gradients: never a NaN or an inf written silently ----------------------

def adversarial_gradients(kind, dtype, step):
    """The gradient at a step: constant, tiny, huge, alternating in sign, or wildly varying."""
    big = float(np.finfo(dtype).max) ** 0.5 * 4           # its square overflows the dtype
    tiny = float(np.finfo(dtype).smallest_subnormal) * 3
    value = {"constant": 0.3, "tiny": tiny, "huge": big, "alternating": (-1.0) ** step * 0.7,
             "alternating-huge": (-1.0) ** step * big, "wild": 10.0 ** (step % 9 - 4)}[kind]
    return np.array([value, -value, 0.0], dtype=dtype)


@pytest.mark.filterwarnings("error")                       # a RuntimeWarning from inside fails the test
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["constant", "tiny", "huge", "alternating", "alternating-huge", "wild"])
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_finite_gradients_never_leave_nan_or_inf_behind(name, kwargs, kind, dtype):
    """40 steps: every step either writes finite parameters and state, or raises
    FloatingPointError and changes nothing (only where the true value overflows the dtype)."""
    params = {"w": np.array([0.5, -0.5, 0.0], dtype)}
    optimizer = getattr(optim, name)(params, **kwargs)
    for step in range(40):
        before = optimizer.state_dict()
        try:
            optimizer.step({"w": adversarial_gradients(kind, dtype, step)})
        except FloatingPointError as error:
            assert "would overflow" in str(error) and "nothing was changed" in str(error)
            after = optimizer.state_dict()
            assert all(np.array_equal(after[key], before[key]) for key in before)
            assert kind in ("huge", "alternating-huge")     # only an unrepresentable result is refused
            return
        for key, value in optimizer.state_dict().items():
            if value.dtype.kind == "f":
                assert np.isfinite(value).all(), f"step {step}: {key} = {value}"


def test_centered_rmsprop_keeps_its_variance_non_negative():
    """The issue's input: torch writes NaN at step 24 (E[g^2] - E[g]^2 < 0 by rounding)."""
    params = {"w": np.zeros(1, np.float32)}
    optimizer = optim.RMSprop(params, lr=0.01, alpha=0.5, centered=True)
    for step in range(100):
        optimizer.step({"w": np.array([0.3], np.float32)})
        assert np.isfinite(params["w"]).all(), f"NaN at step {step + 1}"
    # a constant gradient has standard deviation 0: each step divides by about eps, as the rule says
    assert params["w"][0] < -1e4


def test_an_overflowing_step_names_the_array_and_changes_nothing():
    params = {"w": np.ones(2, np.float32), "b": np.ones(1, np.float32)}
    optimizer = optim.Adagrad(params)
    grads = {"w": np.array([3e19, 0.0], np.float32), "b": np.zeros(1, np.float32)}   # (3e19)^2 > 3.4e38
    with pytest.raises(FloatingPointError, match=r"Adagrad.step: the update would overflow float32 .* "
                                                 r"its state 'sum' of 'w'.*nothing was changed"):
        optimizer.step(grads)
    assert optimizer.t == 0 and np.array_equal(params["w"], np.ones(2)) and np.all(optimizer.G["w"] == 0)


# -- update on chunks of a large parameter ---------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_chunks_of_a_large_parameter_give_what_the_whole_array_gives(name, kwargs):
    """A C-ordered parameter of 1.5 chunks is updated chunk by chunk; the same parameter in
    Fortran order (not C-contiguous) is updated whole. The rules are element-wise: the same
    numbers, to the last bit, in the parameter and in every running array."""
    start = np.random.default_rng(0).standard_normal((3, base.CHUNK // 2 + 7))
    runs = {}
    for order in "CF":
        params = {"w": np.array(start, order=order)}
        opt = getattr(optim, name)(params, **kwargs)
        calls = []
        update = opt.update
        opt.update = lambda p, g, **running: calls.append(p.size) or update(p, g, **running)
        for step in range(5):
            opt.step({"w": np.sin(params["w"] * (step + 1)) + 0.1 * params["w"] ** 3})
        assert calls == ([base.CHUNK, start.size - base.CHUNK] if order == "C" else [start.size]) * 5
        runs[order] = opt.state_dict() | {"params/w": params["w"]}
    for key, value in runs["C"].items():
        np.testing.assert_array_equal(value, runs["F"][key], err_msg=key)
