"""Exercises that check themselves: the one-line checks of the notebooks (examples/notebooks/).

    from minirnn.toolkit import exercises as check
    check.rnn_step_backward(my_rnn_step_backward)     # PASS, or what is wrong, where, and a hint

Each check runs the learner's function on small random problems in float64 and compares
every output with the library's reference (the functions of minirnn/cells/) and with
central finite differences (minirnn.gradcheck.numerical_gradient). When an output is off,
the report names it, the worst entry, the value expected and the value got, and says what
the numbers look like in the lesson's terms: an array that is all zero (a term never
computed), has the opposite sign, is the transpose of the answer, is off by a constant
factor, or, for a gated cell, which gate's block is wrong; then a hint from the equations.

    rnn_step_backward(fn)        the simple cell's step backward             (notebook 01)
    lstm_step_backward(fn)       the LSTM's, through its cell state          (notebook 01)
    windows(fn)                  "HELL" -> "ELLO": time-major training windows  (notebook 02)
    sample_with_temperature(fn)  one token drawn from softmax(logits / T)     (notebook 02)
    numerical_gradient(fn)       the central difference, entry by entry       (notebook 03)
    reset_before_gru(cell)       a cell of your own: the original GRU's step backward (notebook 03)

Every check returns a Result: true when the function passed, shown as its report.
The learner's function gets copies of the arrays, so it may change them freely.
"""
import traceback
import warnings
from typing import NamedTuple

import numpy as np

from minirnn import gradcheck
from minirnn.cells.sequence import CellLayer
from minirnn.toolkit.cell_protocol import check_cell
from minirnn.cells.lstm import lstm_step_backward as _lstm_step_backward
from minirnn.cells.lstm import lstm_step_forward
from minirnn.cells.rnn import rnn_step_backward as _rnn_step_backward
from minirnn.cells.rnn import rnn_step_forward
from minirnn.losses import log_softmax
from minirnn.vocab import Vocabulary

RTOL = 1e-6          # an entry is right within RTOL x the largest |entry| of the answer (round-off
                     # is ~1e-15; a dropped term or a wrong sign is off by 1e-3 to 1)


class Result:
    """What a check found. True when passed; printed (or shown in a notebook) as its report."""

    def __init__(self, exercise, passed, lines):
        self.exercise, self.passed, self.lines = exercise, passed, list(lines)

    def __bool__(self):
        return self.passed

    def __str__(self):
        return "\n".join([f"{self.exercise}: {'PASS' if self.passed else 'FAIL'}"] + self.lines)

    __repr__ = __str__


# ---- calling the learner's function --------------------------------------------------------------

def _call(fn, args, shapes):
    """fn(*args) -> (what it returned, None), or (None, lines saying what it raised and where).

    shapes: name -> shape of the arrays the learner works with, quoted when a product failed.
    NumPy's warnings (an overflow in exp, say) are caught and reported the same way.
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            returned, problem = fn(*args), None
        except Exception as error:                     # anything the learner's code raised
            returned, problem = None, _raised(fn, error, shapes)
    if caught:
        first = caught[0]
        problem = (problem or []) + [
            f"your function made NumPy warn: {first.category.__name__}: {first.message}",
            "  (an overflow or a NaN on the way: what follows from it cannot be trusted)"]
    return (None, problem) if problem else (returned, None)


def _raised(fn, error, shapes):
    """The exception, the learner's line it came from, and a hint for shape errors."""
    code = getattr(fn, "__code__", None)
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    lines = [f"your function raised {type(error).__name__}: {error}"]
    if mine:
        lines.append(f"  at line {mine[-1].lineno - code.co_firstlineno + 1} of your function: "
                     f"{mine[-1].line}")
    text = str(error)
    if any(word in text for word in ("matmul", "shapes", "broadcast", "dimension")):
        lines.append("  the shapes: " + ", ".join(f"{name} {shape}" for name, shape in shapes.items()))
        lines.append("  hint: A @ B needs A's last size to equal B's first: is a matrix missing its .T, "
                     "or are the two factors the wrong way round?")
    return lines


def _outputs(returned, names):
    """The learner's return value as a tuple of len(names), or the lines saying why not."""
    if not isinstance(returned, (tuple, list)) or len(returned) != len(names):
        count = f"{len(returned)} values" if isinstance(returned, (tuple, list)) else type(returned).__name__
        return None, [f"your function returned {count}; expected {len(names)} values: "
                      f"({', '.join(names)})"]
    return tuple(returned), None


# ---- judging one array -----------------------------------------------------------------------------

class Verdict(NamedTuple):
    """How one output compares with the answer."""
    name: str
    ok: bool
    kind: str            # ok, missing, shape, transposed, unsummed, nonfinite, zero, sign, factor, values
    wrong_blocks: tuple  # for a gated cell's W, H, b: the gates whose block is wrong
    lines: list


def _tolerance(expected):
    return RTOL * max(float(np.abs(expected).max(initial=0.0)), 1e-3)


def _close(got, expected):
    return bool(np.all(np.abs(got - expected) <= _tolerance(expected)))


def _pattern(got, expected):
    """What a wrong array (or block) looks like: (kind, words). Same shapes."""
    tol = _tolerance(expected)
    if np.all(np.abs(got) <= tol):
        return "zero", "all zero: nothing reaches it (a term never computed?)"
    if _close(got, -expected):
        return "sign", "every entry has the opposite sign: a minus where a plus belongs (or the other way round)"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, expected.T):
        return "transposed", "it is the transpose of the answer: a product with its factors the wrong way round"
    scale = float(np.vdot(got, expected) / max(np.vdot(expected, expected), 1e-300))
    if np.isfinite(scale) and _close(got, scale * expected):
        return "factor", f"every entry is {scale:.4g} times the right one: a constant factor too many or too few"
    return "values", ""


def judge(name, got, expected, numerical=None, letters="", blocks=None):
    """Compare one output of the learner's with the answer; return a Verdict.

    expected   the reference's value; numerical, if given, the finite differences' (quoted too)
    letters    the shape in the lesson's letters, e.g. "(I, 4N)"
    blocks     the names of the N-wide blocks stacked on the last axis ("i", "f", "g", "o"), or None
    """
    shape = f"{letters} = {expected.shape}" if letters else f"{expected.shape}"
    if got is None:
        return Verdict(name, False, "missing", (), [f"{name}: your function returned None for it"])
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict(name, False, "missing", (), [f"{name}: not an array of numbers ({type(got).__name__})"])
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            return Verdict(name, False, "transposed", (), [
                f"{name}: shape {got.shape}, expected {shape}: transposed (a product with its factors "
                f"the wrong way round, or a missing .T)"])
        if got.ndim == expected.ndim + 1 and got.shape[1:] == expected.shape:
            return Verdict(name, False, "unsummed", (), [
                f"{name}: shape {got.shape}, expected {shape}: one row per sequence in the batch; "
                f"the parameter is shared by every row, so its gradient is the sum over the rows (axis 0)"])
        return Verdict(name, False, "shape", (), [f"{name}: shape {got.shape}, expected {shape}"])
    if not np.all(np.isfinite(got)):
        return Verdict(name, False, "nonfinite", (), [f"{name}: holds NaN or inf"])
    if _close(got, expected):
        return Verdict(name, True, "ok", (), [])
    worst = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
    where = _index(worst)
    lines = [f"{name} {shape}: wrong"]
    wrong_blocks = ()
    if blocks:
        N = expected.shape[-1] // len(blocks)
        part = lambda a, k: a[..., k * N:(k + 1) * N]
        wrong_blocks = tuple(g for k, g in enumerate(blocks) if not _close(part(got, k), part(expected, k)))
        right = [g for g in blocks if g not in wrong_blocks]
        lines[0] = (f"{name} {shape}: wrong in block{'s' if len(wrong_blocks) > 1 else ''} "
                    f"{', '.join(wrong_blocks)}" + (f" (right in {', '.join(right)})" if right else ""))
        where += f" (block {blocks[worst[-1] // N]})"
    digits = _digits(expected[worst], got[worst])
    fd = "" if numerical is None else f" (finite differences: {numerical[worst]:.{digits}g})"
    lines.append(f"    worst entry {where}: expected {expected[worst]:.{digits}g}{fd}, got {got[worst]:.{digits}g}")
    kind, words = _pattern(got, expected)
    if blocks and kind == "values":                # the whole array has no pattern; a block may
        for k, g in enumerate(blocks):
            if g in wrong_blocks:
                swapped = [h for j, h in enumerate(blocks) if j != k and _close(part(got, k), part(expected, j))]
                if swapped:
                    lines.append(f"    your block {g} holds what belongs in block {swapped[0]}: "
                                 f"the blocks are stacked {', '.join(blocks)}")
                    continue
                block_kind, block_words = _pattern(part(got, k), part(expected, k))
                if block_kind != "values":
                    lines.append(f"    block {g}: {block_words}")
    elif words:
        lines.append(f"    {words}")
    return Verdict(name, False, kind, wrong_blocks, lines)


def _digits(a, b):
    """Significant digits enough to tell a from b (6 to 12)."""
    gap = abs(a - b) / max(abs(a), abs(b), 1e-300)
    return int(min(12, max(6, 2 - np.floor(np.log10(gap))))) if gap > 0 else 6


def _index(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _report(exercise, verdicts, problem, hints):
    """The Result of a gradient exercise from its verdicts: the wrong outputs, then the hints."""
    wrong = [v for v in verdicts if not v.ok]
    if not wrong:
        return None
    lines = [f"on {problem}: {len(wrong)} of {len(verdicts)} outputs wrong"
             + (f"; right: {', '.join(v.name for v in verdicts if v.ok)}" if len(wrong) < len(verdicts) else "")]
    for v in wrong:
        lines += ["  " + line for line in v.lines]
    lines += [f"hint: {hint}" for hint in hints]
    return Result(exercise, False, lines)


def _copies(values):
    """A NamedTuple (a cache) or tuple with every array in it copied."""
    copied = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    return type(values)(*copied) if hasattr(values, "_fields") else type(values)(copied)


def _all_zero(outputs):
    return all(isinstance(o, np.ndarray) and o.size and not np.any(o) for o in outputs)


NOT_STARTED = "that is the starting code: fill in the lines marked TODO"


# ---- notebook 01: the simple cell's step backward ------------------------------------------------

RNN_OUTPUTS = ("dx", "ds_prev", "dW", "dH", "db")
RNN_LETTERS = ("(B, I)", "(B, N)", "(I, N)", "(N, N)", "(N,)")
RNN_HINTS = {
    "dx": "dx: A = X_t W + S_(t-1) H + b, so dX_t = dA W^T, (B, N) @ (N, I)",
    "ds_prev": "ds_prev: dS_(t-1) = dA H^T, (B, N) @ (N, N)",
    "dW": "dW: dW = X_t^T dA, (I, B) @ (B, N)",
    "dH": "dH: dH = S_(t-1)^T dA, (N, B) @ (B, N)",
    "db": "db: b is added to every row of the batch, so db = dA summed over the rows",
}


def _rnn_problem(nonlinearity, seed, B=2, I=3, N=4):
    """Random x, s_prev, W, H, b, ds (float64), with no pre-activation near relu's kink."""
    rng = np.random.default_rng(seed)
    while True:
        arrays = [rng.standard_normal(shape) * 0.6 for shape in ((B, I), (B, N), (I, N), (N, N), (N,))]
        x, s_prev, W, H, b = arrays
        if np.abs(x @ W + s_prev @ H + b).min() > 1e-2:      # finite differences are exact here
            return arrays, rng.standard_normal((B, N))


def rnn_step_backward(fn):
    """Check fn(ds, cache) -> (dx, ds_prev, dW, dH, db), the simple cell's step backward.

    cache is what minirnn.cells.rnn.rnn_step_forward returns (x, s_prev, s, W, H,
    nonlinearity); tried with tanh, then relu, B=2, I=3, N=4.
    """
    name = "rnn_step_backward"
    for nonlinearity, seed in (("tanh", 0), ("relu", 1)):
        arrays, ds = _rnn_problem(nonlinearity, seed)
        _, cache = rnn_step_forward(*arrays, nonlinearity)
        expected = _rnn_step_backward(ds, cache)
        loss = lambda: np.sum(ds * rnn_step_forward(*arrays, nonlinearity)[0])   # L = sum(ds * s)
        numerical = [gradcheck.numerical_gradient(loss, a) for a in arrays]
        shapes = {"ds": ds.shape, "x": cache.x.shape, "s_prev": cache.s_prev.shape, "s": cache.s.shape,
                  "W": cache.W.shape, "H": cache.H.shape}
        returned, problem = _call(fn, (ds.copy(), _copies(cache)), shapes)
        outputs, problem = (None, problem) if problem else _outputs(returned, RNN_OUTPUTS)
        if problem:
            return Result(name, False, [f"with nonlinearity={nonlinearity!r}:"] + problem)
        if _all_zero(outputs):
            return Result(name, False, [f"every output is zero: {NOT_STARTED}"])
        verdicts = [judge(*args) for args in zip(RNN_OUTPUTS, outputs, expected, numerical, RNN_LETTERS)]
        result = _report(name, verdicts, f"one step, nonlinearity={nonlinearity!r}, B=2, I=3, N=4",
                         _rnn_hints(verdicts, nonlinearity))
        if result is not None:
            return result
    return Result(name, True, ["all 5 outputs match minirnn's rnn_step_backward and the finite "
                               "differences, for tanh and for relu"])


def _rnn_hints(verdicts, nonlinearity):
    wrong = [v.name for v in verdicts if not v.ok]
    if nonlinearity == "relu":
        return ["right for tanh, wrong for relu: the derivative depends on the cache's nonlinearity; "
                "relu'(A) is 1 where S_t > 0 and 0 elsewhere, so dA = dS * (S_t > 0)"]
    if len(wrong) == len(verdicts):
        return ["all five outputs are wrong, and every one of them is computed from dA: check "
                "dA = dS * sigma'(A) first (tanh: sigma'(A) = 1 - S_t^2, with S_t = tanh(A) in the cache as s)"]
    return [RNN_HINTS[w] for w in wrong]


# ---- notebook 01: the LSTM's step backward, through its cell state -----------------------------

LSTM_OUTPUTS = ("dx", "dh_prev", "dc_prev", "dW", "dH", "db")
LSTM_LETTERS = ("(B, I)", "(B, N)", "(B, N)", "(I, 4N)", "(N, 4N)", "(4N,)")
LSTM_GATES = ("i", "f", "g", "o")
LSTM_GATE_HINTS = {
    "i": "block i: di = dc_total * g, then through the sigmoid: da_i = di * i * (1 - i)",
    "f": "block f: df = dc_total * C_(t-1), then through the sigmoid: da_f = df * f * (1 - f)",
    "g": "block g: dg = dc_total * i, then through the tanh: da_g = dg * (1 - g^2)",
    "o": "block o: h_t = o * tanh(C_t), so do = dh * tanh(C_t), then da_o = do * o * (1 - o)",
}


def lstm_step_backward(fn):
    """Check fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, dW, dH, db), the LSTM's step backward.

    cache is what minirnn.cells.lstm.lstm_step_forward returns; B=2, I=3, N=4, and both
    dh and dc non-zero (the cell state gets a gradient from the next step too).
    """
    name = "lstm_step_backward"
    rng = np.random.default_rng(2)
    B, I, N = 2, 3, 4
    arrays = [rng.standard_normal(s) * 0.6 for s in ((B, I), (B, N), (B, N), (I, 4 * N), (N, 4 * N), (4 * N,))]
    dh, dc = rng.standard_normal((B, N)), rng.standard_normal((B, N))
    _, _, cache = lstm_step_forward(*arrays)
    expected = _lstm_step_backward(dh, dc, cache)

    def loss():                                   # L = sum(dh * h) + sum(dc * c)
        h, c, _ = lstm_step_forward(*arrays)
        return np.sum(dh * h) + np.sum(dc * c)

    numerical = [gradcheck.numerical_gradient(loss, a) for a in arrays]
    shapes = {"dh": dh.shape, "dc": dc.shape, "x": (B, I), "h_prev": (B, N), "c_prev": (B, N),
              "i, f, g, o, tanh_c": (B, N), "W": (I, 4 * N), "H": (N, 4 * N)}
    returned, problem = _call(fn, (dh.copy(), dc.copy(), _copies(cache)), shapes)
    outputs, problem = (None, problem) if problem else _outputs(returned, LSTM_OUTPUTS)
    if problem:
        return Result(name, False, problem)
    if _all_zero(outputs):
        return Result(name, False, [f"every output is zero: {NOT_STARTED}"])
    blocks = (None, None, None, LSTM_GATES, LSTM_GATES, LSTM_GATES)
    verdicts = [judge(*args) for args in zip(LSTM_OUTPUTS, outputs, expected, numerical, LSTM_LETTERS, blocks)]
    result = _report(name, verdicts, "one step, B=2, I=3, N=4", _lstm_hints(verdicts))
    if result is not None:
        return result
    return Result(name, True, ["all 6 outputs match minirnn's lstm_step_backward and the finite "
                               "differences, every gate's block included"])


def _lstm_hints(verdicts):
    v = {verdict.name: verdict for verdict in verdicts}
    blocks = {g for name in ("dW", "dH", "db") for g in v[name].wrong_blocks}
    if v["db"].ok and v["dW"].ok and v["dH"].ok:         # dA is right: the products are not
        return [{"dx": "dx = dA W^T, (B, 4N) @ (4N, I)", "dh_prev": "dh_prev = dA H^T, (B, 4N) @ (4N, N)",
                 "dc_prev": "dc_prev = dc_total * f: the gentle path, one product with the forget gate"}[w.name]
                for w in verdicts if not w.ok]
    hints = []
    if any("holds what belongs" in line for line in v["db"].lines):
        return ["the four blocks of dA go side by side in the order of W's columns: i, f, g, o "
                "(PyTorch's order), np.concatenate([da_i, da_f, da_g, da_o], axis=1)"]
    if not v["dc_prev"].ok and {"i", "f", "g"} <= blocks and "o" not in blocks:
        hints.append("everything that passes through the cell state is wrong (dc_prev and blocks i, f, g), "
                     "block o is right: check dc_total. C_t reaches the loss two ways, directly (dc) and "
                     "through h_t = o * tanh(C_t): dc_total = dc + dh * o * (1 - tanh(C_t)^2)")
        blocks = set()
    hints += [LSTM_GATE_HINTS[g] for g in LSTM_GATES if g in blocks]
    if v["db"].ok and not (v["dW"].ok and v["dH"].ok):
        hints.append("db is right, so dA is: look at the products dW = X_t^T dA and dH = h_(t-1)^T dA")
    if not hints:
        hints.append("dc_prev = dc_total * f, dx = dA W^T, dh_prev = dA H^T, with dA the four blocks "
                     "[da_i | da_f | da_g | da_o] side by side")
    return hints


# ---- notebook 02: training windows, "HELL" -> "ELLO" ---------------------------------------------

def windows(fn):
    """Check fn(ids, starts, nchars) -> (x, y), the training windows of a language model.

    ids (n,) int, starts (B,) the window starts, nchars T  ->  x, y (T, B) int, time-major:
    column b of x is ids[s_b : s_b + T], and y is x one step later (the next token).
    """
    name = "windows"
    text = "HELLO WORLD. HELLO RNN."
    vocab = Vocabulary.build([text], level="char")
    rng = np.random.default_rng(3)
    many = rng.integers(3, 40, size=60)
    problems = [(vocab.encode(text), np.array([13, 6, 2]), 4, vocab),     # 13: "HELL" -> "ELLO"
                (many, np.array([0, 17, 5, 52, 31]), 7, None)]   # the first start and the last (52 + 7 < 60)
    for ids, starts, T, vocab in problems:
        x_expected = np.stack([ids[s:s + T] for s in starts], axis=1)          # (T, B)
        y_expected = np.stack([ids[s + 1:s + 1 + T] for s in starts], axis=1)
        returned, problem = _call(fn, (ids.copy(), starts.copy(), T),
                                  {"ids": ids.shape, "starts": starts.shape})
        outputs, problem = (None, problem) if problem else _outputs(returned, ("x", "y"))
        if problem:
            return Result(name, False, problem)
        if _all_zero([np.asarray(o) for o in outputs]):
            return Result(name, False, [f"x and y are all zero: {NOT_STARTED}"])
        lines = []
        for label, got, expected in zip("xy", outputs, (x_expected, y_expected)):
            lines += _window_lines(label, np.asarray(got), expected, ids, starts, T, vocab)
        if lines:
            head = f"on ids of length {len(ids)}, starts {starts.tolist()}, nchars {T}" + (
                f" (the text {text!r})" if vocab else "")
            return Result(name, False, [head] + lines)
    return Result(name, True, ["x and y match for every window: x[:, b] = ids[s_b : s_b + T] and y one step "
                               "later, time-major (T, B), up to the last start that fits"])


def _window_lines(label, got, expected, ids, starts, T, vocab):
    """What is wrong with x or y, column by column; [] when it is right."""
    B = len(starts)
    if got.shape != expected.shape:
        if got.shape == expected.shape[::-1]:
            return [f"{label}: shape {got.shape}, expected (T, B) = {expected.shape}: batch-major; minirnn is "
                    f"time-major, one row per step and one column per window (np.stack(..., axis=1))"]
        return [f"{label}: shape {got.shape}, expected (T, B) = {expected.shape}"]
    if np.array_equal(got, expected):
        return []
    show = (lambda a: repr(vocab.decode(a))) if vocab else (lambda a: str(a.tolist()))
    b = next(b for b in range(B) if not np.array_equal(got[:, b], expected[:, b]))
    s = starts[b]
    lines = [f"{label}: column {b} (start {s}): expected {show(expected[:, b])}, got {show(got[:, b])}"]
    right = 1 if label == "y" else 0                 # y is x one step later
    mistakes = {("y", 0): "y is x itself: the target at each step is the NEXT token",
                ("y", -1): "y is one step EARLIER than x: a sign; the target is one step later",
                ("y", 2): "y is two steps after x; the target is the very next token",
                ("x", 1): "x starts one token late: it is the target, not the input",
                ("x", -1): "x starts one token early"}
    for (which, shift), words in mistakes.items():
        if which == label and 0 <= s + shift and s + shift + T <= len(ids) \
                and np.array_equal(got[:, b], ids[s + shift:s + shift + T]):
            lines.append(f"hint: your {label} is {_slice(shift)}; {words}: {label} = {_slice(right)}")
    return lines


def _slice(shift):
    return "ids[s : s + T]" if shift == 0 else f"ids[s {'+-'[shift < 0]} {abs(shift)} : s {'+-'[shift < 0]} {abs(shift)} + T]"


# ---- notebook 02: sampling with a temperature ---------------------------------------------------

SAMPLE_LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
DRAWS = 3000


def sample_with_temperature(fn):
    """Check fn(logits, temperature, rng) -> one token id drawn from softmax(logits / temperature).

    logits (V,) float, temperature > 0, rng a numpy Generator. Each temperature is drawn
    3,000 times; the frequencies must match the distribution within 4.5 standard errors.
    Then logits near 800 at temperature 1, where exp(logits) overflows unless the largest
    logit is subtracted first.
    """
    name = "sample_with_temperature"
    rng = np.random.default_rng(4)
    z, V = SAMPLE_LOGITS, len(SAMPLE_LOGITS)
    for temperature, shift in ((1.0, 0.0), (0.5, 0.0), (2.0, 0.0), (1.0, 800.0)):
        logits = z + shift
        expected = np.exp(log_softmax(logits / temperature))                 # (V,)
        counts = np.zeros(V)
        for _ in range(DRAWS):
            token, problem = _call(fn, (logits.copy(), temperature, rng), {"logits": logits.shape})
            if problem is None:
                token, problem = _token(token, V)
            if problem:
                near = f" (logits near {shift:.0f})" if shift else ""
                lines = [f"at temperature {temperature}{near}:"] + problem
                if shift:
                    lines.append(f"hint: exp({shift:.0f}) overflows float64 (its largest is about exp(709)); "
                                 f"softmax(z) = softmax(z - max(z)): subtract the largest logit before exp")
                return Result(name, False, lines)
            counts[token] += 1
        freq = counts / DRAWS
        spread = 4.5 * np.sqrt(expected * (1 - expected) / DRAWS) + 2e-3         # (V,)
        if np.all(np.abs(freq - expected) <= spread):
            continue
        k = int(np.argmax(np.abs(freq - expected) / spread))
        near = f" with logits near {shift:.0f}" if shift else ""
        lines = [f"at temperature {temperature}{near}, over {DRAWS:,} draws:",
                 f"  token {k} came out {freq[k]:.1%} of the time; expected {expected[k]:.1%} +- {spread[k]:.1%} "
                 f"(softmax(logits / {temperature}))",
                 f"  every token: got {_percent(freq)}, expected {_percent(expected)}"]
        return Result(name, False, lines + _sample_hints(freq, logits, temperature, spread))
    return Result(name, True, [f"the frequencies match softmax(logits / T) at T = 1, 0.5 and 2 ({DRAWS:,} draws "
                               "each), and logits near 800 do not overflow"])


def _token(token, V):
    """The learner's token as an int in [0, V), or the lines saying why it is not one."""
    value = np.asarray(token)
    if value.ndim != 0 or value.dtype.kind not in "iu":
        return None, [f"your function returned {type(token).__name__} of shape {value.shape} and dtype "
                      f"{value.dtype}; expected one token id, an int in [0, {V}) "
                      f"(draw it with rng.choice(V, p=probabilities))"]
    if not 0 <= int(value) < V:
        return None, [f"your function returned {int(value)}; a token id lies in [0, {V})"]
    return int(value), None


def _percent(p):
    return "[" + ", ".join(f"{q:.1%}" for q in p) + "]"


def _sample_hints(freq, logits, temperature, spread):
    """The classic mistakes whose distribution the frequencies fit."""
    V = len(logits)
    softmax = lambda a: np.exp(log_softmax(a))
    candidates = [
        (softmax(logits), "the temperature changes nothing: divide the logits by it, softmax(logits / T)"),
        (softmax(logits * temperature), "this is softmax(logits * T): divide by the temperature instead of "
                                        "multiplying (T below 1 must sharpen the distribution)"),
        (softmax(-logits / temperature), "the least likely tokens come out most often: softmax(-logits / T), "
                                         "a sign"),
        (np.eye(V)[np.argmax(logits)], "always the likeliest token: that is greedy decoding (temperature 0); "
                                       "draw from the distribution, rng.choice(V, p=p)"),
        (np.full(V, 1 / V), "every token equally often: the probabilities are not used in the draw"),
    ]
    fits = [words for p, words in candidates if np.all(np.abs(freq - p) <= spread)]
    return [f"hint: {fits[0]}"] if fits else [
        "hint: p = softmax(logits / T) = exp(z - max z) / sum(exp(z - max z)) with z = logits / T, "
        "then rng.choice(V, p=p)"]


# ---- notebook 03: the central difference --------------------------------------------------------

def numerical_gradient(fn):
    """Check fn(f, x, eps) -> the central-difference estimate of df/dx, shape of x.

    f takes no argument and reads x, a 2-D float64 array, which fn nudges in place one
    entry at a time and must leave as it found it. Compared with the exact gradient and
    with minirnn.gradcheck.numerical_gradient.
    """
    name = "numerical_gradient"
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    c, d = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    calls = []                                                # f counts its calls: was it ever run?
    f = lambda: calls.append(1) or float(np.sum(c * np.sin(x)) + np.sum(d * x ** 3) / 3)
    exact = c * np.cos(x) + d * x ** 2                        # df/dx, by hand
    reference = gradcheck.numerical_gradient(f, x)
    before, eps = x.copy(), 1e-5
    calls.clear()
    returned, problem = _call(fn, (f, x, eps), {"x": x.shape})
    if problem:
        return Result(name, False, problem)
    if not calls:
        return Result(name, False, [f"your function never called f: {NOT_STARTED}"])
    if not np.array_equal(x, before):
        k = np.unravel_index(int(np.argmax(np.abs(x - before))), x.shape)
        return Result(name, False, [
            f"x is not what it was after your function ran: entry {_index(k)} was {float(before[k])!r}, "
            f"is now {float(x[k])!r}", "hint: restore each entry after nudging it (keep old = x[i], then x[i] = old): "
            "f reads x, so every later estimate was taken at the wrong point"])
    verdict = judge("your estimate", returned, exact, reference)
    if verdict.ok:
        return Result(name, True, ["every entry matches the exact gradient and minirnn.gradcheck.numerical_gradient "
                                   f"(largest error {np.abs(np.asarray(returned) - exact).max():.1e}), and x is "
                                   "left as it was"])
    got = np.asarray(returned, dtype=np.float64) if verdict.kind not in ("missing", "shape", "transposed") else None
    one_sided = np.empty_like(x)
    for k in np.ndindex(x.shape):                             # (f(x + eps) - f(x)) / eps, for the diagnosis
        f0, old = f(), x[k]
        x[k] = old + eps
        one_sided[k] = (f() - f0) / eps
        x[k] = old
    hints = []
    if got is not None and np.all(np.abs(got - one_sided) <= 1e-4 * np.abs(one_sided).max()):
        hints.append(f"this is the one-sided difference (f(x + eps) - f(x)) / eps: its error is about eps f''/2 "
                     f"(here up to {np.abs(one_sided - exact).max():.0e}); the central difference "
                     f"(f(x + eps) - f(x - eps)) / (2 eps) cancels that term, leaving ~eps^2")
    elif got is not None and np.all(np.ptp(got, axis=1) <= _tolerance(exact)) and np.ptp(got) > 0:
        hints.append("every entry of a row is the same: a whole row was nudged at once (x[i] on a 2-D array is "
                     "a row); nudge one entry at a time, e.g. for i in np.ndindex(x.shape)")
    elif got is not None and np.ptp(got) <= _tolerance(exact) and np.any(got):
        hints.append("every entry is the same number: all the entries were nudged at once; nudge one at a time")
    elif verdict.kind == "zero":
        hints.append("f never moved: nudge the very array f reads, in place (x[i] += eps), not a copy of it")
    elif verdict.kind == "factor":
        hints.append("the two points x - eps and x + eps are 2 eps apart: divide their difference by 2 eps")
    elif verdict.kind == "sign":
        hints.append("(f(x + eps) - f(x - eps)): the later point first")
    else:
        hints.append("estimate each entry as (f with x[i] + eps  -  f with x[i] - eps) / (2 eps), restoring x[i]")
    return Result(name, False, ["on f(x) = sum(c sin x) + sum(d x^3) / 3, x of shape (3, 4), eps 1e-5 "
                                "(expected: the exact gradient c cos x + d x^2)"]
                  + ["  " + line for line in verdict.lines] + [f"hint: {h}" for h in hints])


# ---- notebook 03: a cell of your own, the original GRU ---------------------------------------

GRU_OUTPUTS = ("dx", "dh_prev", "dW", "dH", "db")
GRU_LETTERS = ("(B, I)", "(B, N)", "(I, 3N)", "(N, 3N)", "(3N,)")
GRU_GATES = ("r", "z", "n")
GRU_BLOCK_HINTS = {
    "r": "block r: r reaches h only through the candidate's reset product: dr = (da_n H_n^T) * h_prev, "
         "then da_r = dr * r * (1 - r)",
    "z": "block z: h = (1 - z) * n + z * h_prev, so dz = dh * (h_prev - n), then da_z = dz * z * (1 - z)",
    "n": "block n: dn = dh * (1 - z), then through the tanh: da_n = dn * (1 - n^2)",
}


def reset_before_gru(cell):
    """Check a cell's step_backward against finite differences of its step_forward: the
    original GRU (Cho et al. 2014), whose reset gate multiplies h_prev BEFORE the product:

        n = tanh(x W_n + (r * h_prev) H_n + b_n)

    cell: a class or object with minirnn's cell protocol (minirnn/cells/sequence.py),
    blocks = 3 stacked r, z, n, parameters W (I, 3N), H (N, 3N), b (3N,). One step with
    B=2, I=3, N=4 is checked output by output and block by block; then the cell is put in
    a 2-layer bidirectional minirnn layer with sequences of different lengths and
    minirnn.gradcheck.check_layer checks every gradient there.
    """
    name = "reset_before_gru"
    try:
        cell = check_cell(cell)
    except TypeError as error:
        return Result(name, False, [str(error)])
    rng = np.random.default_rng(6)
    B, I, N = 2, 3, 4
    x, h_prev = rng.standard_normal((B, I)), rng.standard_normal((B, N))
    params = {"W": rng.standard_normal((I, 3 * N)) * 0.6, "H": rng.standard_normal((N, 3 * N)) * 0.6,
              "b": rng.standard_normal(3 * N) * 0.6}
    dh = rng.standard_normal((B, N))
    shapes = {"x": x.shape, "h_prev": h_prev.shape, "W": (I, 3 * N), "H": (N, 3 * N), "b": (3 * N,)}
    returned, problem = _call(cell.step_forward, (x, (h_prev,), params), shapes)
    if problem:
        return Result(name, False, ["step_forward:"] + problem)
    (_, cache) = returned
    loss = lambda: np.sum(dh * cell.step_forward(x, (h_prev,), params)[0][0])   # L = sum(dh * h)
    numerical = [gradcheck.numerical_gradient(loss, a) for a in (x, h_prev, params["W"], params["H"], params["b"])]
    returned, problem = _call(cell.step_backward, ((dh.copy(),), _copies(cache)), {"dh": dh.shape, **shapes})
    if problem is None:
        if not (isinstance(returned, (tuple, list)) and len(returned) == 3 and isinstance(returned[1], (tuple, list))
                and len(returned[1]) == 1 and isinstance(returned[2], dict)):
            problem = ["step_backward must return (dx, (dh_prev,), {\"W\": dW, \"H\": dH, \"b\": db}), "
                       f"got {type(returned).__name__}"]
    if problem:
        return Result(name, False, ["step_backward:"] + problem)
    dx, (dh_prev,), dparams = returned
    outputs = (dx, dh_prev, dparams.get("W"), dparams.get("H"), dparams.get("b"))
    if _all_zero(outputs):
        return Result(name, False, [f"every output is zero: {NOT_STARTED}"])
    blocks = (None, None, GRU_GATES, GRU_GATES, GRU_GATES)
    verdicts = [judge(name, got, expected, None, letters, gates)     # finite differences are the answer
                for name, got, expected, letters, gates in zip(GRU_OUTPUTS, outputs, numerical, GRU_LETTERS, blocks)]
    result = _report(name, verdicts, "one step, B=2, I=3, N=4, against finite differences",
                     _gru_hints(verdicts))
    if result is not None:
        return result
    layer = CellLayer(cell, 3, 4, num_layers=2, bidirectional=True, seed=7)
    x_seq = rng.standard_normal((5, 3, 3))                     # (T, B, I)
    report = gradcheck.check_layer(layer, x_seq, rng.standard_normal((4, 3, 4)), lengths=np.array([5, 2, 4]))
    if not report.passed():
        return Result(name, False, ["one step is right, but in a 2-layer bidirectional layer:", str(report)])
    return Result(name, True, ["one step: all 5 outputs match the finite differences, every gate's block included",
                               f"in minirnn's layers (2 layers, both directions, lengths 5, 2, 4): check_layer "
                               f"passes on all {len(report.rows)} arrays, max rel err {report.max_rel_error:.1e}"])


def _gru_hints(verdicts):
    v = {verdict.name: verdict for verdict in verdicts}
    blocks = [g for g in GRU_GATES if any(g in v[name].wrong_blocks for name in ("dW", "dH", "db"))]
    hints = [GRU_BLOCK_HINTS[g] for g in blocks]
    if "n" in v["dH"].wrong_blocks and "n" not in v["db"].wrong_blocks:
        hints = [h for h in hints if not h.startswith("block n")]
        hints.append("H's block n: the candidate reads the reset state, (r * h_prev) H_n, so "
                     "dH_n = (r * h_prev)^T da_n")
    if not v["dh_prev"].ok:
        hints.append("dh_prev: h_prev reaches h three ways, and each adds its share: directly (dh * z), through "
                     "the gates r and z (da_r H_r^T + da_z H_z^T), and through the reset product ((da_n H_n^T) * r)")
    if not v["dx"].ok and v["db"].ok:
        hints.append("dx = da W^T, with da = [da_r | da_z | da_n] side by side")
    return hints
