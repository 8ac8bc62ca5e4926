"""minirnn/toolkit/exercises.py: every check passes its solution and fails plausible wrong answers
(a dropped term, a transposed matrix, a sign, and others), each with a report that names the output,
the entry, the expected and the got values, and a hint at the mistake.

The solutions are the notebooks' own, examples/notebooks/solutions.py. Each wrong answer below is
the solution with one mistake a learner makes.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from minirnn.toolkit import exercises as check

SOLUTIONS = Path(__file__).resolve().parents[2] / "examples" / "notebooks" / "solutions.py"
spec = importlib.util.spec_from_file_location("notebook_solutions", SOLUTIONS)
solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(solutions)


def failed(result, *needles):
    """The result failed and its report holds every needle; returns the report."""
    text = str(result)
    assert not result and text.startswith(f"{result.exercise}: FAIL"), text
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"
    return text


@pytest.mark.parametrize("exercise, solution", [
    ("rnn_step_backward", solutions.rnn_step_backward),
    ("lstm_step_backward", solutions.lstm_step_backward),
    ("windows", solutions.windows),
    ("sample_with_temperature", solutions.sample_with_temperature),
    ("numerical_gradient", solutions.numerical_gradient),
    ("reset_before_gru", solutions.ResetBeforeGRU),
])
def test_every_check_passes_its_solution(exercise, solution):
    result = getattr(check, exercise)(solution)
    assert result and str(result).startswith(f"{exercise}: PASS"), str(result)


# ---- the simple cell's step backward ----

def rnn_backward_with(mistake):
    def backward(ds, cache):
        x, s_prev, s, W, H, nonlinearity = cache
        da = ds * (1 - s * s) if nonlinearity == "tanh" else ds * (s > 0)
        if mistake == "dropped tanh'":
            da = ds
        if mistake == "tanh only":
            da = ds * (1 - s * s)
        dx = da @ W if mistake == "W not transposed" else da @ W.T
        ds_prev = da @ H if mistake == "H not transposed" else da @ H.T
        dW = da.T @ x if mistake == "dW transposed" else x.T @ da
        dH = da.T @ s_prev if mistake == "dH transposed" else s_prev.T @ da
        db = -da.sum(axis=0) if mistake == "db sign" else da.sum(axis=0)
        if mistake == "db not summed":
            db = da
        return dx, ds_prev, dW, dH, db
    return backward


@pytest.mark.parametrize("mistake, needles", [
    ("dropped tanh'", ["5 of 5 outputs wrong", "dx (B, I) = (2, 3): wrong", "worst entry [",
                       "expected -1.80835 (finite differences: -1.80835), got", "check dA = dS * sigma'(A)"]),
    ("db sign", ["1 of 5 outputs wrong", "db (N,) = (4,): wrong", "worst entry [3]: expected 1.43517",
                 "got -1.43517", "opposite sign", "db = dA summed over the rows"]),
    ("dW transposed", ["dW: shape (4, 3), expected (I, N) = (3, 4): transposed", "hint: dW: dW = X_t^T dA"]),
    ("dH transposed", ["dH (N, N) = (4, 4): wrong", "worst entry [0, 2]: expected 0.769443", "got -0.862464",
                       "the transpose of the answer", "dH = S_(t-1)^T dA"]),
    ("H not transposed", ["ds_prev (B, N) = (2, 4): wrong", "worst entry [", "expected", "got",
                          "dS_(t-1) = dA H^T"]),
    ("W not transposed", ["raised ValueError: matmul", "at line 8 of your function: dx = da @ W if",
                          "W (3, 4)", "is a matrix missing its .T"]),
    ("db not summed", ["db: shape (2, 4), expected (N,) = (4,)", "sum over the rows"]),
    ("tanh only", ["nonlinearity='relu'", "worst entry [", "right for tanh, wrong for relu"]),
])
def test_rnn_step_backward_points_at_the_mistake(mistake, needles):
    failed(check.rnn_step_backward(rnn_backward_with(mistake)), *needles)


def test_the_starting_code_is_told_apart():
    def starting_code(ds, cache):
        x, s_prev, s, W, H, _ = cache
        return (np.zeros_like(x), np.zeros_like(s_prev), np.zeros_like(W), np.zeros_like(H),
                np.zeros_like(W[0]))
    text = failed(check.rnn_step_backward(starting_code), "every output is zero: that is the starting code")
    assert len(text.splitlines()) == 2


def test_a_wrong_number_of_outputs_is_named():
    failed(check.rnn_step_backward(lambda ds, cache: (ds, ds)),
           "your function returned 2 values; expected 5 values: (dx, ds_prev, dW, dH, db)")


# ---- the LSTM's step backward ----

def lstm_backward_with(mistake):
    def backward(dh, dc, cache):
        x, h_prev, c_prev, i, f, g, o, tanh_c, W, H = cache
        do = -dh * tanh_c if mistake == "output gate sign" else dh * tanh_c
        dc_total = dc if mistake == "dropped the path through h" else dc + dh * o * (1 - tanh_c * tanh_c)
        dc_prev = dc_total if mistake == "dc_prev without f" else dc_total * f
        blocks = [dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f), dc_total * i * (1 - g * g),
                  do * o * (1 - o)]
        if mistake == "gates out of order":
            blocks = [blocks[0], blocks[1], blocks[3], blocks[2]]
        da = np.concatenate(blocks, axis=1)
        dH = da.T @ h_prev if mistake == "dH transposed" else h_prev.T @ da
        return da @ W.T, da @ H.T, dc_prev, x.T @ da, dH, da.sum(axis=0)
    return backward


@pytest.mark.parametrize("mistake, needles", [
    ("dropped the path through h", ["6 of 6 outputs wrong", "dc_prev (B, N) = (2, 4): wrong",
                                    "db (4N,) = (16,): wrong in blocks i, f, g (right in o)",
                                    "worst entry [8] (block g): expected 0.0681808", "got 0.293276",
                                    "check dc_total", "dc_total = dc + dh * o * (1 - tanh(C_t)^2)"]),
    ("output gate sign", ["dW (I, 4N) = (3, 16): wrong in block o (right in i, f, g)",
                          "worst entry [0, 15] (block o): expected -0.0665939", "got 0.0665939",
                          "block o: every entry has the opposite sign", "hint: block o: h_t = o * tanh(C_t)"]),
    ("dH transposed", ["dH: shape (16, 4), expected (N, 4N) = (4, 16): transposed",
                       "db is right, so dA is: look at the products"]),
    ("dc_prev without f", ["1 of 6 outputs wrong", "dc_prev (B, N) = (2, 4): wrong", "worst entry [1, 1]",
                           "expected -0.747626", "got -2.19087", "dc_prev = dc_total * f"]),
    ("gates out of order", ["wrong in blocks g, o (right in i, f)", "worst entry [10] (block g)",
                            "your block g holds what belongs in block o", "i, f, g, o (PyTorch's order)"]),
])
def test_lstm_step_backward_points_at_the_mistake(mistake, needles):
    failed(check.lstm_step_backward(lstm_backward_with(mistake)), *needles)


# ---- windows ----

def windows_with(mistake):
    def windows(ids, starts, nchars):
        shift = {"target is the input": 0, "target one step early": -1}.get(mistake, 1)
        x = np.stack([ids[s:s + nchars] for s in starts], axis=1)
        y = np.stack([ids[s + shift:s + shift + nchars] for s in starts], axis=1)
        return (x.T, y.T) if mistake == "batch-major" else (x, y)
    return windows


@pytest.mark.parametrize("mistake, needles", [
    ("target is the input", ["y: column 0 (start 13): expected 'ELLO', got 'HELL'",
                             "hint: your y is ids[s : s + T]; y is x itself", "y = ids[s + 1 : s + 1 + T]"]),
    ("target one step early", ["y: column 0 (start 13): expected 'ELLO', got ' HEL'",
                               "y is one step EARLIER than x: a sign"]),
    ("batch-major", ["x: shape (3, 4), expected (T, B) = (4, 3): batch-major", "time-major"]),
])
def test_windows_points_at_the_mistake(mistake, needles):
    failed(check.windows(windows_with(mistake)), *needles)


def test_windows_checks_the_last_start_that_fits():
    def stops_short(ids, starts, nchars):              # the last window's target cut off at the end
        x = np.stack([ids[s:s + nchars] for s in starts], axis=1)
        y = np.stack([np.resize(ids[s + 1:min(s + 1 + nchars, len(ids) - 1)], nchars) for s in starts], axis=1)
        return x, y
    failed(check.windows(stops_short), "start 52", "expected", "got")


# ---- sampling with a temperature ----

def sampler_with(mistake):
    def sample(logits, temperature, rng):
        z = {"temperature ignored": logits, "temperature multiplied": logits * temperature,
             "sign": -logits / temperature}.get(mistake, logits / temperature)
        p = np.exp(z) if mistake == "no max subtracted" else np.exp(z - z.max())
        if mistake == "greedy":
            return int(np.argmax(p))
        return int(rng.choice(len(p), p=p / p.sum()))
    return sample


@pytest.mark.parametrize("mistake, needles", [
    ("temperature ignored", ["at temperature 0.5, over 3,000 draws", "token 0 came out", "expected 82.9%",
                             "the temperature changes nothing: divide the logits by it"]),
    ("temperature multiplied", ["at temperature 0.5", "expected", "this is softmax(logits * T): divide"]),
    ("sign", ["at temperature 1.0", "token 4 came out", "expected 2.8%", "softmax(-logits / T), a sign"]),
    ("no max subtracted", ["logits near 800", "overflow encountered in exp", "subtract the largest logit"]),
    ("greedy", ["token 0 came out 100.0% of the time", "greedy decoding"]),
])
def test_sample_with_temperature_points_at_the_mistake(mistake, needles):
    failed(check.sample_with_temperature(sampler_with(mistake)), *needles)


def test_a_sampler_returning_probabilities_is_told_what_to_return():
    failed(check.sample_with_temperature(lambda logits, temperature, rng: np.exp(logits) / np.exp(logits).sum()),
           "returned ndarray of shape (5,)", "one token id, an int in [0, 5)")


# ---- the central difference ----

def difference_with(mistake):
    def numerical_gradient(f, x, eps=1e-5):
        grad = np.zeros(x.shape[::-1]) if mistake == "transposed" else np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            f_plus = f()
            x[i] = old if mistake == "one-sided" else old - eps
            f_minus = f()
            if mistake != "not restored":
                x[i] = old
            step = eps if mistake in ("one-sided", "divided by eps") else 2 * eps
            value = (f_minus - f_plus) / step if mistake == "sign" else (f_plus - f_minus) / step
            grad[i[::-1] if mistake == "transposed" else i] = value
        return grad
    return numerical_gradient


def rows_at_once(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for i in range(len(x)):                            # x[i] of a 2-D array is a whole row
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def nudges_a_copy(f, x, eps=1e-5):
    return solutions.numerical_gradient(f, x.copy(), eps)


@pytest.mark.parametrize("wrong, needles", [
    (difference_with("one-sided"), ["your estimate (3, 4): wrong", "worst entry [1, 0]: expected -1.3010057",
                                    "got -1.3010164", "this is the one-sided difference"]),
    (difference_with("sign"), ["worst entry [0, 1]: expected 1.84583", "got -1.84583", "opposite sign",
                               "the later point first"]),
    (difference_with("transposed"), ["your estimate: shape (4, 3), expected (3, 4): transposed"]),
    (difference_with("divided by eps"), ["every entry is 2 times the right one", "divide their difference by 2 eps"]),
    (difference_with("not restored"), ["x is not what it was after your function ran: entry [0, 1] was",
                                       "restore each entry after nudging it"]),
    (rows_at_once, ["worst entry [", "every entry of a row is the same: a whole row was nudged at once"]),
    (nudges_a_copy, ["all zero", "f never moved: nudge the very array f reads"]),
])
def test_numerical_gradient_points_at_the_mistake(wrong, needles):
    failed(check.numerical_gradient(wrong), *needles)


# ---- a cell of your own: the original GRU ----

class GRUWith(solutions.ResetBeforeGRU):
    """The solution's step_backward with one mistake."""
    mistake = None

    def step_backward(self, dstates, cache):
        (dh,) = dstates
        x, h_prev, r, z, n, W, H = cache
        N = h_prev.shape[1]
        dz = dh * (n - h_prev) if self.mistake == "update gate sign" else dh * (h_prev - n)
        da_n = dh * (1 - z) * (1 - n * n)
        drh = da_n @ H[:, 2 * N:].T
        da_r, da_z = drh * h_prev * r * (1 - r), dz * z * (1 - z)
        da = np.concatenate([da_r, da_z, da_n], axis=1)
        dh_prev = drh * r + da_r @ H[:, :N].T + da_z @ H[:, N:2 * N].T
        if self.mistake != "dropped the direct path":
            dh_prev = dh_prev + dh * z
        dH_n = {"H_n transposed": da_n.T @ (r * h_prev),
                "H_n without the reset": h_prev.T @ da_n}.get(self.mistake, (r * h_prev).T @ da_n)
        dH = np.concatenate([h_prev.T @ da_r, h_prev.T @ da_z, dH_n], axis=1)
        return da @ W.T, (dh_prev,), {"W": x.T @ da, "H": dH, "b": da.sum(axis=0)}


@pytest.mark.parametrize("mistake, needles", [
    ("dropped the direct path", ["1 of 5 outputs wrong", "dh_prev (B, N) = (2, 4): wrong",
                                 "worst entry [0, 1]: expected -1.84446, got 0.452276",
                                 "h_prev reaches h three ways", "directly (dh * z)"]),
    ("H_n transposed", ["dH (N, 3N) = (4, 12): wrong in block n (right in r, z)", "worst entry [3, 9] (block n)",
                        "block n: it is the transpose of the answer", "dH_n = (r * h_prev)^T da_n"]),
    ("update gate sign", ["dW (I, 3N) = (3, 12): wrong in block z (right in r, n)",
                          "worst entry [2, 5] (block z): expected 1.00481, got -1.00481",
                          "block z: every entry has the opposite sign", "dz = dh * (h_prev - n)"]),
    ("H_n without the reset", ["wrong in block n (right in r, z)", "worst entry [0, 11] (block n): expected",
                               "the candidate reads the reset state"]),
])
def test_reset_before_gru_points_at_the_mistake(mistake, needles):
    failed(check.reset_before_gru(type("Wrong", (GRUWith,), {"mistake": mistake})), *needles)


def test_a_cell_that_breaks_the_protocol_is_told_what_is_missing():
    class NoBackward:
        state_names, blocks = ("h",), 3

        def step_forward(self, x, states_prev, params):
            return states_prev, None
    failed(check.reset_before_gru(NoBackward), "does not follow the cell protocol", "no method step_backward")


def test_a_cell_written_before_the_rename_is_told_that_gates_is_now_blocks():
    class OldNames:                                   # the solution's methods, the attribute's old name
        state_names, gates = ("h",), 3
        step_forward = solutions.ResetBeforeGRU.step_forward
        step_backward = solutions.ResetBeforeGRU.step_backward
    failed(check.reset_before_gru(OldNames), "does not follow the cell protocol",
           "the attribute once named gates is now blocks")
