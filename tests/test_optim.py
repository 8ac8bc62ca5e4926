"""Optimizers: step for step against torch.optim (float64), state_dict round trips through
np.savez that resume bit for bit, first steps checked by hand, and clear errors.
The torch comparisons skip without torch."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minirnn import optim

SETTINGS = settings(max_examples=20, deadline=None)

# (optimizer, hyperparameters): every option of every optimizer appears at least once
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.02, momentum=0.5, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3,
                     eps=1e-6)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.95, eps=1e-6, weight_decay=0.1, momentum=0.5,
                     centered=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.0, 0.9), eps=1e-6, weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.02, weight_decay=0.1)),
    ("AdamW", dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.3, amsgrad=True)),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}"
            for name, kwargs in CASES]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


class Problem:
    """A small nonlinear least-squares problem with a matrix, a vector and a 0-d parameter.

        L = 1/2 ||s tanh(X W + b) - Y||^2 + 1/4 sum W^4 + 1/20 ||b||^2
        X (6, 3), Y (6, 4), W (3, 4), b (4,), s ()
    """

    def __init__(self, seed=0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((6, 3)).astype(dtype)
        self.Y = rng.standard_normal((6, 4)).astype(dtype)
        self.start = {"layer.W": rng.standard_normal((3, 4)).astype(dtype),
                      "layer.b": rng.standard_normal(4).astype(dtype),
                      "scale": np.array(rng.standard_normal(), dtype=dtype)}

    def params(self):
        """A fresh copy of the starting point."""
        return {name: p.copy() for name, p in self.start.items()}

    def gradients(self, params):
        """dL/dW, dL/db, dL/ds at params, by hand."""
        W, b, s = params["layer.W"], params["layer.b"], params["scale"]
        A = np.tanh(self.X @ W + b)                # (6, 4)
        R = s * A - self.Y                         # (6, 4) residual
        dZ = R * s * (1 - A * A)                   # backprop through s * tanh
        return {"layer.W": self.X.T @ dZ + W ** 3,
                "layer.b": dZ.sum(axis=0) + 0.1 * b,
                "scale": np.array((R * A).sum(), dtype=s.dtype)}


def relative_difference(a, b):
    """max |a - b| / max |b|, per array."""
    return float(np.abs(a - b).max() / np.abs(b).max())


def torch_trajectory_differences(torch, name, kwargs, steps=25, seed=0):
    """Run minirnn's and torch's optimizer side by side on the same gradients (computed from
    minirnn's parameters); return the largest relative parameter difference after each step."""
    problem = Problem(seed)
    params = problem.params()
    tensors = {key: torch.tensor(p.copy(), requires_grad=True) for key, p in params.items()}
    ours = getattr(optim, name)(params, **kwargs)
    theirs = getattr(torch.optim, name)(list(tensors.values()), foreach=False, **kwargs)
    differences = []
    for _ in range(steps):
        grads = problem.gradients(params)
        for key, t in tensors.items():
            t.grad = torch.tensor(grads[key].copy())
        ours.step(grads)
        theirs.step()
        differences.append(max(relative_difference(params[key], t.detach().numpy())
                                for key, t in tensors.items()))
    return differences, params, problem


# -- against torch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_matches_torch_optim_step_for_step(torch, name, kwargs):
    differences, params, problem = torch_trajectory_differences(torch, name, kwargs, steps=25)
    assert max(differences) <= 1e-12, f"worst relative difference {max(differences):.3g}"
    # the run went somewhere: the parameters moved well away from the start
    moved = max(relative_difference(params[key], problem.start[key]) for key in params)
    assert moved > 1e-2


@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_matches_torch_for_drawn_hyperparameters(torch, data, seed):
    """Hyperparameters drawn at random in the ranges people use (RMSprop's alpha is kept
    >= 0.8: centered, sqrt(v - m^2) cancels when the gradient barely varies between steps,
    which magnifies last-bit rounding differences for both libraries alike)."""
    draw = data.draw
    name = draw(st.sampled_from(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]))
    lr = draw(st.floats(1e-4, 0.05))
    weight_decay = draw(st.sampled_from([0.0, 1e-3, 0.1]))
    if name == "SGD":
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9, 0.99]))
        nesterov = momentum > 0 and draw(st.booleans())
        dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.1]))
        kwargs = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                      weight_decay=weight_decay)
    elif name == "Adagrad":
        kwargs = dict(lr=lr, lr_decay=draw(st.sampled_from([0.0, 0.01])), weight_decay=weight_decay,
                      initial_accumulator_value=draw(st.sampled_from([0.0, 0.1])))
    elif name == "RMSprop":
        kwargs = dict(lr=lr, alpha=draw(st.floats(0.8, 0.999)), weight_decay=weight_decay,
                      momentum=draw(st.sampled_from([0.0, 0.9])), centered=draw(st.booleans()))
    else:
        kwargs = dict(lr=lr, betas=(draw(st.floats(0.0, 0.99)), draw(st.floats(0.9, 0.9999))),
                      weight_decay=weight_decay, amsgrad=draw(st.booleans()))
    differences, _, _ = torch_trajectory_differences(torch, name, kwargs, steps=20,
                                                      seed=seed)
    assert max(differences) <= 1e-12, f"{name}{kwargs}: worst {max(differences):.3g}"


# -- state_dict / load_state_dict ------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_through_npz_resumes_bit_for_bit(tmp_path, name, kwargs):
    problem = Problem(seed=1)
    uninterrupted = problem.params()
    optimizer = getattr(optim, name)(uninterrupted, **kwargs)
    for _ in range(20):
        optimizer.step(problem.gradients(uninterrupted))

    params = problem.params()
    first = getattr(optim, name)(params, **kwargs)
    for _ in range(8):
        first.step(problem.gradients(params))
    np.savez(tmp_path / "optimizer.npz", **first.state_dict())
    np.savez(tmp_path / "params.npz", **params)

    # a new process: other hyperparameters at construction; load_state_dict restores them
    with np.load(tmp_path / "params.npz", allow_pickle=False) as saved:
        resumed_params = {key: saved[key] for key in saved}
    resumed = getattr(optim, name)(resumed_params, lr=0.5)
    with np.load(tmp_path / "optimizer.npz", allow_pickle=False) as saved:
        resumed.load_state_dict(saved)
    assert resumed.hyperparameters() == first.hyperparameters()
    for _ in range(12):
        resumed.step(problem.gradients(resumed_params))

    for key in uninterrupted:
        np.testing.assert_array_equal(resumed_params[key], uninterrupted[key])
    final, expected = resumed.state_dict(), optimizer.state_dict()
    assert final.keys() == expected.keys()
    for key in expected:
        assert final[key].dtype == expected[key].dtype
        np.testing.assert_array_equal(final[key], expected[key])


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_is_flat_arrays_of_copies(name, kwargs):
    problem = Problem()
    params = problem.params()
    optimizer = getattr(optim, name)(params, **kwargs)
    optimizer.step(problem.gradients(params))
    d = optimizer.state_dict()
    assert d["optimizer"].shape == () and str(d["optimizer"]) == name
    assert d["step"].shape == () and d["step"].dtype == np.int64 and int(d["step"]) == 1
    for key, value in d.items():
        assert isinstance(key, str) and isinstance(value, np.ndarray)
        assert value.dtype != object
    for key, value in optimizer.hyperparameters().items():
        assert d[key].shape == () and d[key].item() == value
    for key in set(d) - {"optimizer", "step"} - set(optimizer.hyperparameters()):
        state, parameter = key.split("/", 1)
        assert d[key].shape == params[parameter].shape
        assert d[key] is not getattr(optimizer, state)[parameter]   # a copy


def test_state_dict_keys_follow_the_options():
    params = Problem().params()
    def state_keys(optimizer):
        return {key.split("/")[0] for key in optimizer.state_dict() if "/" in key}
    assert state_keys(optim.SGD(params, lr=0.1)) == set()
    assert state_keys(optim.SGD(params, lr=0.1, momentum=0.9)) == {"momentum_buffer"}
    assert state_keys(optim.Adagrad(params)) == {"sum"}
    assert state_keys(optim.RMSprop(params)) == {"square_avg"}
    assert state_keys(optim.RMSprop(params, momentum=0.9, centered=True)) == {
        "square_avg", "momentum_buffer", "grad_avg"}
    assert state_keys(optim.Adam(params)) == {"exp_avg", "exp_avg_sq"}
    assert state_keys(optim.AdamW(params, amsgrad=True)) == {
        "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def saved_adam(amsgrad=False):
    params = Problem().params()
    optimizer = optim.Adam(params, amsgrad=amsgrad)
    optimizer.step(Problem().gradients(params))
    return optimizer.state_dict()


def corrupt(change):
    d = saved_adam()
    change(d)
    return d


@pytest.mark.parametrize("d, match", [
    (corrupt(lambda d: d.pop("exp_avg/layer.b")), r"missing key 'exp_avg/layer.b'"),
    (corrupt(lambda d: d.update({"exp_avg/other": np.zeros(3)})), r"unexpected key 'exp_avg/other'"),
    (corrupt(lambda d: d.update({"exp_avg_sq/layer.W": np.zeros((4, 3))})),
     r"'exp_avg_sq/layer.W' has shape \(4, 3\), expected \(3, 4\)"),
    (corrupt(lambda d: d.update({"exp_avg/scale": np.zeros((), np.float32)})),
     r"'exp_avg/scale' has dtype float32, expected float64"),
    (corrupt(lambda d: d.update({"lr": np.array([1e-3])})), r"'lr' has shape \(1,\), expected \(\)"),
    (corrupt(lambda d: d.update({"amsgrad": np.array(0.0)})), r"'amsgrad' has dtype float64"),
    (corrupt(lambda d: d.update({"step": np.array(1.0)})), r"'step' has dtype float64"),
    (corrupt(lambda d: d.pop("beta2")), r"missing key 'beta2'"),
    (corrupt(lambda d: d.update({"exp_avg/layer.b": [0.0] * 4})), r"is a list, not a np.ndarray"),
    (corrupt(lambda d: d.update({"lr": np.array(-1.0)})), r"lr must be > 0, got -1.0"),
    (corrupt(lambda d: d.update({"eps": np.array(np.inf)})), r"eps must be finite"),
    (corrupt(lambda d: d.update({"step": np.array(-2)})), r"step must be >= 0"),
    (corrupt(lambda d: d.update({"optimizer": np.array("SGD")})), r"for SGD, not Adam"),
    (corrupt(lambda d: d.pop("optimizer")), r"not an optimizer state dict"),
    # amsgrad saved as True: its running maximum is then expected too
    (corrupt(lambda d: d.update({"amsgrad": np.array(True)})), r"missing key 'max_exp_avg_sq/scale'"),
], ids=["missing", "unexpected", "shape", "dtype", "hyper-shape", "flag-dtype", "step-dtype",
        "missing-hyper", "not-array", "bad-lr", "infinite-eps", "negative-step",
        "other-optimizer", "no-optimizer",
        "flag-needs-state"])
def test_load_state_dict_says_what_differs_and_changes_nothing(d, match):
    params = Problem().params()
    optimizer = optim.Adam(params, lr=0.01)
    optimizer.step(Problem().gradients(params))
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=match):
        optimizer.load_state_dict(d)
    after = optimizer.state_dict()
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_load_state_dict_lists_every_difference():
    d = saved_adam()
    d.pop("exp_avg/layer.b")
    d["exp_avg_sq/scale"] = np.zeros(2)
    with pytest.raises(ValueError) as error:
        optim.Adam(Problem().params()).load_state_dict(d)
    assert "missing key 'exp_avg/layer.b'" in str(error.value)
    assert "'exp_avg_sq/scale' has shape (2,), expected ()" in str(error.value)


def test_load_state_dict_can_switch_a_flag_and_its_state():
    params = Problem().params()
    optimizer = optim.Adam(params)
    optimizer.load_state_dict(saved_adam(amsgrad=True))
    assert optimizer.amsgrad and "max_exp_avg_sq/scale" in optimizer.state_dict()
    optimizer.load_state_dict(saved_adam(amsgrad=False))
    assert not optimizer.amsgrad and not hasattr(optimizer, "max_exp_avg_sq")


def test_load_state_dict_wants_a_mapping():
    with pytest.raises(TypeError, match="expected a dict"):
        optim.Adam(Problem().params()).load_state_dict([1, 2])


# -- first steps by hand (no torch needed) ---------------------------------------------------------

def one_array_problem(values):
    return {"p": np.zeros_like(values)}, {"p": values.copy()}


nonzero = st.floats(1e-3, 1e3).flatmap(lambda x: st.sampled_from([x, -x]))
gradient_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                             elements=nonzero)


@SETTINGS
@given(g=gradient_arrays, lr=st.floats(1e-4, 1.0))
def test_sgd_first_step_is_minus_lr_times_g(g, lr):
    params, grads = one_array_problem(g)
    optim.SGD(params, lr=lr, momentum=0.9).step(grads)   # b_1 = g: momentum does not show yet
    np.testing.assert_array_equal(params["p"], -lr * g)


@SETTINGS
@given(g=gradient_arrays, lr=st.floats(1e-4, 1.0), name=st.sampled_from(["Adam", "AdamW", "Adagrad"]))
def test_adaptive_first_step_moves_every_entry_by_lr(g, lr, name):
    # Adam: m_hat = g, v_hat = g^2 after one step; Adagrad: G = g^2; so p = -lr g / (|g| + eps),
    # a step of lr (less a hair for eps) for every entry whatever its gradient's size
    params, grads = one_array_problem(g)
    optimizer = getattr(optim, name)(params, lr=lr, weight_decay=0.0)
    optimizer.step(grads)
    np.testing.assert_allclose(params["p"], -lr * g / (np.abs(g) + optimizer.eps), rtol=1e-12)


@SETTINGS
@given(g=gradient_arrays, alpha=st.floats(0.0, 0.999))
def test_rmsprop_first_step_divides_by_the_first_average(g, alpha):
    params, grads = one_array_problem(g)
    optim.RMSprop(params, lr=0.1, alpha=alpha, eps=1e-8).step(grads)
    # v_1 = (1 - alpha) g^2, so p = -lr g / (sqrt(1 - alpha) |g| + eps)
    expected = -0.1 * g / (np.sqrt(1 - alpha) * np.abs(g) + 1e-8)
    np.testing.assert_allclose(params["p"], expected, rtol=1e-12)


def test_updates_in_place_and_leaves_grads_alone():
    problem = Problem()
    params = problem.params()
    arrays = dict(params)
    grads = problem.gradients(params)
    grads_before = {key: g.copy() for key, g in grads.items()}
    optimizer = optim.AdamW(params, lr=0.1, weight_decay=0.1)
    optimizer.step(grads)
    for key in params:
        assert params[key] is arrays[key] and optimizer.params[key] is arrays[key]
        assert not np.array_equal(params[key], problem.start[key])
        np.testing.assert_array_equal(grads[key], grads_before[key])


@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_float32_stays_float32_and_follows_float64(name, kwargs):
    runs = {}
    for dtype in (np.float32, np.float64):
        problem = Problem(dtype=dtype)
        params = problem.params()
        optimizer = getattr(optim, name)(params, **kwargs)
        for _ in range(10):
            optimizer.step(problem.gradients(params))
        assert all(p.dtype == dtype for p in params.values())
        assert all(a.dtype == dtype for key, a in optimizer.state_dict().items() if "/" in key)
        runs[dtype] = params
    for key in runs[np.float64]:
        assert relative_difference(runs[np.float32][key], runs[np.float64][key]) < 1e-3


# -- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("grads, error, match", [
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.zeros(4)}, ValueError, r"missing \['scale'\]"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.zeros(4), "scale": np.zeros(()),
      "extra": np.zeros(2)}, ValueError, r"unexpected \['extra'\]"),
    ({"layer.W": np.zeros((4, 3)), "layer.b": np.zeros(4), "scale": np.zeros(())}, ValueError,
     r"grads\['layer.W'\] has shape \(4, 3\), the parameter has shape \(3, 4\)"),
    ({"layer.W": np.zeros((3, 4), np.float32), "layer.b": np.zeros(4), "scale": np.zeros(())},
     TypeError, r"grads\['layer.W'\] has dtype float32, the parameter has dtype float64"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": [0.0] * 4, "scale": np.zeros(())}, TypeError,
     r"grads\['layer.b'\] must be a np.ndarray, got list"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.array([0, np.nan, 0, 0]), "scale": np.zeros(())},
     FloatingPointError, r"\['layer.b'\] hold NaN or inf"),
    ([np.zeros((3, 4))], TypeError, "grads must be a dict"),
], ids=["missing", "extra", "shape", "dtype", "not-array", "nan", "not-dict"])
def test_step_refuses_bad_grads_and_changes_nothing(grads, error, match):
    problem = Problem()
    params = problem.params()
    optimizer = optim.Adam(params)
    with pytest.raises(error, match=match):
        optimizer.step(grads)
    assert optimizer.step_count == 0
    for key in params:
        np.testing.assert_array_equal(params[key], problem.start[key])


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD(p, lr=0), ValueError, "SGD: lr must be > 0, got 0.0"),
    (lambda p: optim.Adam(p, lr=-1e-3), ValueError, "lr must be > 0"),
    (lambda p: optim.Adam(p, lr=math.nan), ValueError, "lr must be finite"),
    (lambda p: optim.Adam(p, lr="0.1"), TypeError, "lr must be a real number"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=(0.9,)), TypeError, "betas must be a pair"),
    (lambda p: optim.Adam(p, eps=0), ValueError, "eps must be > 0"),
    (lambda p: optim.Adam(p, amsgrad=1), TypeError, "amsgrad must be True or False"),
    (lambda p: optim.Adam(p, weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "dampening = 0"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), ValueError, "lr_decay must be >= 0"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value must be >= 0"),
    (lambda p: optim.RMSprop(p, alpha=1.5), ValueError, r"alpha must be in \[0, 1\)"),
    (lambda p: optim.RMSprop(p, centered="yes"), TypeError, "centered must be True or False"),
])
def test_constructor_refuses_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make(Problem().params())


@pytest.mark.parametrize("params, error, match", [
    ([np.zeros(3)], TypeError, "params must be a dict"),
    ({}, ValueError, "params is empty"),
    ({"W": np.zeros(3, dtype=np.int64)}, TypeError, r"params\['W'\] must hold floats, got dtype int64"),
    ({"W": [0.0, 1.0]}, TypeError, r"params\['W'\] must be a np.ndarray, got list"),
    ({1: np.zeros(3)}, TypeError, "parameter names must be str"),
], ids=["not-dict", "empty", "int", "list", "name"])
def test_constructor_refuses_bad_params(params, error, match):
    with pytest.raises(error, match=match):
        optim.Adam(params)


def test_the_same_array_twice_is_refused():
    shared = np.zeros(3)
    with pytest.raises(ValueError, match="the same array"):
        optim.SGD({"embedding.W": shared, "head.W": shared}, lr=0.1)


def test_read_only_params_are_refused():
    p = np.zeros(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        optim.SGD({"W": p}, lr=0.1)


def test_repr_shows_the_hyperparameters():
    text = repr(optim.Adam(Problem().params(), lr=0.01))
    assert text.startswith("Adam(3 arrays, lr=0.01, beta1=0.9, beta2=0.999")


def test_lr_set_to_nan_after_construction_is_refused():
    params = {"w": np.ones(3)}
    opt = optim.Adam(params, lr=0.1)
    opt.lr = float("nan")
    with pytest.raises(ValueError, match="Adam.lr must be a positive finite number, got nan"):
        opt.step({"w": np.ones(3)})
    assert np.all(params["w"] == 1)


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
    assert optimizer.step_count == 0 and np.array_equal(params["w"], np.ones(2)) and np.all(optimizer.sum["w"] == 0)
