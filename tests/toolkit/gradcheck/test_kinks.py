"""Kinks: where relu, max or clipping switch within +-eps of an entry, the central
difference is wrong however right the gradient is. check_gradients must skip exactly
those entries (counted and reported), and never skip a wrong gradient where the loss
is smooth.

The measuring functions below are the scripts behind the figures quoted in
minirnn.toolkit.gradcheck.kinks.kink_slack's docstring; the tests run them small. For the
full figures: MINIRNN_KINK_TRIALS=5000 python -m pytest tests/toolkit/gradcheck/test_kinks.py -k figures -s
"""
import os

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import minirnn
from minirnn.cli import main
from minirnn.gradcheck import DEFAULT_EPS, relative_error
from minirnn.toolkit.gradcheck.compare import check_gradients
from minirnn.toolkit.gradcheck.differences import central_differences
from minirnn.toolkit.gradcheck.kinks import KINK_FACTOR, kink_slack
from minirnn.toolkit.gradcheck.layer import LayerProblem, check_layer

EPS = DEFAULT_EPS
TRIALS = int(os.environ.get("MINIRNN_KINK_TRIALS", "0"))      # 0: the small runs of the tests
few = settings(max_examples=20, deadline=None)


# ---- the failing case of issue 10, and the command ----

def test_the_relu_case_that_failed_passes_with_its_kink_skipped(capsys):
    """Its gradients match PyTorch's autograd to 4e-15; W_l0[2, 2] sits next to a kink."""
    assert main(["gradcheck", "rnn", "--nonlinearity", "relu", "--steps", "10", "--seed", "290"]) == 0
    out = capsys.readouterr().out
    assert "PASS: all 5 arrays" in out
    assert "skipped 1 entry (W_l0 at (2, 2)): the loss has a kink within +-eps" in out
    assert out.splitlines()[5].split()[3] == "skipped"           # the column appears


def test_without_skipping_the_same_case_fails():
    layer = minirnn.RNN(3, 4, nonlinearity="relu", seed=290)
    rng = np.random.default_rng(290)
    x = rng.standard_normal((10, 3, 3))
    h0 = rng.standard_normal((1, 3, 4))
    assert not check_layer(layer, x, h0, seed=290, skip_kinks=False).passed()
    report = check_layer(layer, x, h0, seed=290)
    assert report.passed() and report.skipped == 1


# ---- one kink: the bound |a - n| <= 2 slack ----

def kinked_function(rng, kinks):
    """L(x) = A sin(w x) + C x^3 + sum_j J_j relu(x - k_j), kinks k_j within +-eps of x.
    Returns (loss, x, the exact derivative at x)."""
    x = np.array([rng.normal()])
    A, w, C = rng.normal() * 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(-1, 1), rng.normal()
    J = rng.choice([-1, 1], kinks) * 10 ** rng.uniform(-4, 1, kinks)
    k = x[0] + rng.uniform(-EPS, EPS, kinks)

    def loss():
        return A * np.sin(w * x[0]) + C * x[0] ** 3 + np.sum(J * np.maximum(x[0] - k, 0))

    return loss, x, A * w * np.cos(w * x[0]) + 3 * C * x[0] ** 2 + np.sum(J * (x[0] > k))


def kink_ratios(trials, kinks, seed=0):
    """|a - n| / slack for correct derivatives at kinks, (trials,)."""
    rng = np.random.default_rng(seed)
    ratios = []
    for _ in range(trials):
        loss, x, exact = kinked_function(rng, kinks)
        n, up, down = central_differences(loss, x, EPS, np.arange(1))
        ratios.append(abs(exact - n[0]) / kink_slack(loss, x, 0, EPS, loss(), up[0], down[0]))
    return np.array(ratios)


def test_one_kink_never_fails_a_correct_derivative():
    ratios = kink_ratios(300, kinks=1)
    assert ratios.max() <= 2 + 1e-6                              # the proof's bound, to round-off
    assert np.median(ratios) > 0.5                               # and the kinks do upset n


@few
@given(seed=st.integers(0, 2**32 - 1))
def test_a_kinked_scalar_function_is_skipped_not_failed(seed):
    loss, x, exact = kinked_function(np.random.default_rng(seed), kinks=1)
    strict = check_gradients(loss, {"x": x}, {"x": np.array([exact])}, skip_kinks=False)
    report = check_gradients(loss, {"x": x}, {"x": np.array([exact])})
    assert report.rows[0].passed(1e-7)                          # a skipped entry is not judged
    assert report.skipped == (0 if strict.passed() else 1)
    if report.skipped:                                           # 1 of 1 skipped: nothing verified
        assert not report.passed() and "over half" in str(report)


# ---- relu layers: a pre-activation placed next to its kink ----

def relu_layer_at_a_kink(seed, backend="numba"):
    """A random relu RNN whose layer-0 pre-activation (step 0, sequence b, unit n) lies
    within eps of zero, reached through x[0, b, i] or the bias b_l0[n].
    Returns (layer, x, h0, the array name and index that were placed)."""
    rng = np.random.default_rng(seed)
    T, B, I, N = (int(v) for v in rng.integers([2, 1, 1, 1], [6, 4, 4, 5]))
    layers, bidirectional = int(rng.integers(1, 3)), bool(rng.integers(2))
    layer = minirnn.RNN(I, N, nonlinearity="relu", num_layers=layers, bidirectional=bidirectional,
                        seed=seed, backend=backend)
    for p in layer.params.values():
        p[...] = rng.uniform(-0.8, 0.8, p.shape)
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((layers * layer.num_directions, B, N))
    b, n = int(rng.integers(B)), int(rng.integers(N))
    W, H, bias = layer.params["W_l0"], layer.params["H_l0"], layer.params["b_l0"]
    a = x[0, b] @ W[:, n] + h0[0, b] @ H[:, n] + bias[n]          # the pre-activation
    if seed % 2:
        i = int(rng.integers(I))
        x[0, b, i] -= (a - rng.uniform(-EPS, EPS) * abs(W[i, n])) / W[i, n]
        return layer, x, h0, ("x", (0, b, i))
    bias[n] -= a - rng.uniform(-EPS, EPS)
    return layer, x, h0, ("b_l0", (n,))


def relu_figures(trials):
    """The relu-layer figures: failing without skipping, rows still failing, skipped share."""
    counts = dict(layers=0, failed_without_skipping=0, rows_failing=0, placed_entry_skipped=0,
                  skipped=0, checked=0)
    for seed in range(trials):
        layer, x, h0, (name, index) = relu_layer_at_a_kink(seed)
        strict = check_layer(layer, x, h0, seed=seed, skip_kinks=False)
        report = check_layer(layer, x, h0, seed=seed)
        counts["layers"] += 1
        counts["failed_without_skipping"] += not strict.passed()
        counts["rows_failing"] += sum(not row.passed(report.rel_tol) for row in report.rows)
        counts["placed_entry_skipped"] += index in next(r for r in report.rows if r.name == name).skipped
        counts["skipped"] += report.skipped
        counts["checked"] += report.checked
    return counts


def test_relu_layers_at_kinks_pass_with_the_kinks_skipped():
    counts = relu_figures(12)
    assert counts["failed_without_skipping"] >= 8                # the placed kink does upset n
    assert counts["rows_failing"] == 0
    assert counts["placed_entry_skipped"] >= counts["failed_without_skipping"] - 1
    assert counts["skipped"] < 0.25 * counts["checked"]


@few
@given(seed=st.integers(0, 10_000), backend=st.sampled_from(["numpy", "numba"]))
@example(seed=30, backend="numpy")                 # 11 of its 20 entries feed the kinked unit
def test_relu_layers_pass_on_both_backends(seed, backend):
    layer, x, h0, _ = relu_layer_at_a_kink(seed, backend)
    report = check_layer(layer, x, h0, seed=seed)
    assert all(row.passed(report.rel_tol) for row in report.rows), report     # no entry compared fails
    # the kinked unit's pre-activation is read through x[0, b, :], h0[0, b, :], W[:, n], H[:, n] and
    # b[n]: in a layer so small that these are over half its entries (seed 30: 11 of 20), they are
    # all skipped and the verdict is "too little verified"; otherwise it passes
    I, N = x.shape[2], h0.shape[2]
    feeding = 2 * I + 2 * N + 1
    assert report.passed() or 2 * feeding > report.checked, report


# ---- other kinks: max-pooling, clipping, relu inside any function ----

def max_pooling_problem(rng):
    """L = sum(v * max over time of tanh(x W)): a kink wherever the argmax switches.
    Two steps of one unit are placed within eps of a tie."""
    T, I, N = 4, 3, 2
    x, W, v = 0.1 * rng.normal(size=(T, I)), rng.normal(size=(I, N)), rng.normal(size=N)
    x[0] = 2 * W[:, 0] / np.sum(W[:, 0] ** 2)                    # z[0, 0] = 2, the largest of unit 0
    z = x @ W                                                    # (T, N)
    x[1, 0] += (z[0, 0] - z[1, 0] + rng.uniform(-EPS, EPS) * abs(W[0, 0])) / W[0, 0]   # a tie, within eps

    def loss():
        return np.sum(v * np.tanh(x @ W).max(axis=0))

    def gradients():
        y = np.tanh(x @ W)                                       # (T, N)
        winner = y == y.max(axis=0)                              # (T, N) one per column
        dz = winner * v * (1 - y ** 2)
        return {"x": dz @ W.T, "W": x.T @ dz}

    return loss, {"x": x, "W": W}, gradients()


def clipping_problem(rng):
    """L = sum(v * clip(x W, -1, 1)): a kink where x W crosses +-1; one entry placed there."""
    x, W, v = rng.normal(size=(3, 4)), 0.3 * rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    z = x @ W
    x[0, 1] += (1 - z[0, 0] + rng.uniform(-EPS, EPS) * abs(W[1, 0])) / W[1, 0]

    def loss():
        return np.sum(v * np.clip(x @ W, -1, 1))

    inside = np.abs(x @ W) < 1
    dz = v * inside
    return loss, {"x": x, "W": W}, {"x": dz @ W.T, "W": x.T @ dz}


def relu_mlp_problem(rng):
    """L = sum(v * relu(x W1) W2): relu anywhere, one hidden pre-activation placed at zero."""
    x, W1, W2, v = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(5, 2)), rng.normal(size=(3, 2))
    z = x @ W1
    W1[2, 3] -= (z[1, 3] - rng.uniform(-EPS, EPS) * abs(x[1, 2])) / x[1, 2]

    def loss():
        return np.sum(v * (np.maximum(x @ W1, 0) @ W2))

    z = x @ W1
    dz = (v @ W2.T) * (z > 0)
    return loss, {"x": x, "W1": W1, "W2": W2}, {"x": dz @ W1.T, "W1": x.T @ dz, "W2": np.maximum(z, 0).T @ v}


@pytest.mark.parametrize("problem", [max_pooling_problem, clipping_problem, relu_mlp_problem])
def test_other_kinks_are_skipped_and_wrong_gradients_still_fail(problem):
    failed_without_skipping = 0
    for seed in range(8):
        loss, arrays, exact = problem(np.random.default_rng(seed))
        failed_without_skipping += not check_gradients(loss, arrays, exact, skip_kinks=False).passed()
        report = check_gradients(loss, arrays, exact)
        assert report.passed(), report
        assert report.skipped <= 9          # at most the entries that move the placed kink (8 or 9)
        name = list(arrays)[-1]                                  # a wrong gradient, same kinks
        wrong = {**exact, name: exact[name] * 1.001}
        broken = check_gradients(loss, arrays, wrong)
        assert not broken.passed() and not broken.rows[-1].passed(1e-7), broken
    assert failed_without_skipping >= 6                          # the placed kinks matter


# ---- a wrong gradient cannot hide as a kink ----

def wrong_gradient_problem(seed, backend="numba"):
    """A smooth layer (tanh RNN, LSTM or GRU) and its analytic gradients with one array
    broken in one of five ways. Returns (problem, analytic, the broken array's name)."""
    rng = np.random.default_rng(seed)
    cls = (minirnn.RNN, minirnn.LSTM, minirnn.GRU)[seed % 3]
    T, B, I, N = (int(v) for v in rng.integers([3, 2, 1, 1], [6, 4, 5, 5]))
    layer = cls(I, N, num_layers=int(rng.integers(1, 3)), bidirectional=bool(rng.integers(2)),
                seed=seed, backend=backend)
    for p in layer.params.values():
        p[...] = rng.uniform(-0.8, 0.8, p.shape)
    problem = LayerProblem(layer, rng.standard_normal((T, B, I)), None, None, seed)
    analytic = problem.gradients(layer)
    name = list(analytic)[int(rng.integers(len(analytic)))]
    g = analytic[name]
    kind = seed % 5
    if kind == 0:
        g *= 1 + 10 ** rng.uniform(-6, -3)                       # slightly scaled
    elif kind == 1:
        g *= 1 + 10 ** rng.uniform(-3, 0.3)                      # badly scaled
    elif kind == 2:
        g.flat[int(rng.integers(g.size))] *= -1                  # one wrong sign
    elif kind == 3:
        g += rng.normal(size=g.shape) * 10 ** rng.uniform(-8, -4)   # noise
    else:
        g[...] = 0                                               # a missing term
    return problem, analytic, name


def hiding_figures(trials):
    """Entries of wrong gradients that fail, and those of them that would be skipped
    (as (|a - n|, slack) pairs)."""
    failing, skipped = 0, []
    for seed in range(trials):
        problem, analytic, name = wrong_gradient_problem(seed)
        array = problem.arrays[name]
        a = analytic[name].ravel()
        n, up, down = central_differences(problem.loss, array, EPS, np.arange(array.size))
        rel_error, abs_error = relative_error(a, n, 1e-2), np.abs(a - n)
        loss_0 = problem.loss()
        for j in np.flatnonzero(rel_error > 1e-7):
            failing += 1
            slack = kink_slack(problem.loss, array, j, EPS, loss_0, up[j], down[j])
            if abs_error[j] <= KINK_FACTOR * slack:
                skipped.append((float(abs_error[j]), slack))
    return failing, skipped


@few
@given(seed=st.integers(0, 10_000), backend=st.sampled_from(["numpy", "numba"]))
def test_wrong_gradients_of_smooth_layers_still_fail(seed, backend):
    problem, analytic, name = wrong_gradient_problem(seed, backend)
    arrays, wrong = {name: problem.arrays[name]}, {name: analytic[name]}   # the broken array only
    report = check_gradients(problem.loss, arrays, wrong)
    if not check_gradients(problem.loss, arrays, wrong, skip_kinks=False).passed():
        assert not report.passed(), report
    assert report.skipped <= 1                                   # a noise-level entry at most


def test_a_wrong_relu_backward_fails_although_relu_layers_have_kinks(monkeypatch):
    """relu' taken as 1 everywhere (the identity's): every inactive unit leaks gradient."""
    from minirnn.cells import rnn as reference
    real = reference.rnn_step_backward

    def leaky(ds, cache):
        return real(ds, cache._replace(s=np.ones_like(cache.s)))  # s > 0 everywhere
    monkeypatch.setattr(reference, "rnn_step_backward", leaky)
    layer, x, h0, _ = relu_layer_at_a_kink(4, backend="numpy")
    report = check_layer(layer, x, h0)
    assert not report.passed()
    assert report.skipped < 0.25 * report.checked


# ---- the figures of the docstring (small here; MINIRNN_KINK_TRIALS for the full run) ----

def test_figures():
    trials = TRIALS or 40
    one, two = kink_ratios(trials, 1), kink_ratios(trials, 2, seed=1)
    relu = relu_figures(max(trials // 25, 4))
    failing, hidden = hiding_figures(max(trials // 16, 6))
    print(f"\none kink: max |a - n| / slack {one.max():.4f} over {trials}; two kinks: "
          f"{np.mean(two > KINK_FACTOR):.2%} above {KINK_FACTOR}\nrelu layers: {relu}\n"
          f"wrong gradients: {len(hidden)} of {failing} failing entries skipped, (|a - n|, slack): {hidden}")
    assert one.max() <= 2 + 1e-6 and np.mean(two > KINK_FACTOR) < 0.05
    assert relu["rows_failing"] == 0
    assert len(hidden) <= max(1, failing // 1000)
    assert all(error < 1e-8 for error, _ in hidden)              # only at the estimate's noise level
