"""minirnn/inspect/connectivity.py: the gradient of one prediction on each earlier input.

- the gradients equal central differences of log p(next token) with respect to the input
  vectors of a forward pass over the whole text from its start (float64; several positions
  and lags; each cell, 2 layers; embedding and one-hot input; a float32 model measured in
  float64 is its float64 twin);
- batches give what one position at a time gives, in any order of the positions;
- a model built so that its prediction depends only on the input k steps back has its
  curve's peak at k, and its reach at k + 1;
- the reach: the first lag after the peak below 1% of it, or None;
- bad max_lag, positions, ids and a bidirectional model: one ValueError naming the argument.
"""
import numpy as np
import pytest

from minirnn.gradcheck import numerical_gradient
from minirnn.inspect.connectivity import (connectivity, decay_per_step, in_dtype, input_gradients, median_curve,
                                          reach, spread_positions, summarise)
from minirnn.layers import Embedding, Linear
from minirnn.lm import build_model, model_config
from minirnn.losses import log_softmax
from minirnn.sequential import Sequential
from minirnn.recurrent import LSTM, RNN

V = 7


def tiny_model(cell, input="embedding", dtype="float64", layers=2):
    model = build_model(model_config(V, input=input, embed_size=3, cell=cell, hidden_size=5, layers=layers,
                                     dtype=dtype), seed=3)
    model.training = False
    for name, p in model.params.items():          # non-zero biases, weights large enough that
        p *= 1.5                                  # gradients at lag 5 are still well above round-off
    return model


def log_p_of_inputs(model, ids, t):
    """log p(ids[t+1] | ids[:t+1]) as a function of the input vectors, for central differences:
    returns (inputs (n, 1, I) float64 array, loss_fn reading it), the whole text from a zero state."""
    inputs = model.modules["embed"].forward(ids[:, None]).astype(np.float64)        # (n, 1, I)

    def loss_fn():
        y, _ = model.modules["rnn"].forward(inputs)                                  # (n, 1, N)
        logits = model.modules["head"].forward(y[t])                                  # (1, V)
        return float(log_softmax(logits)[0, ids[t + 1]])
    return inputs, loss_fn


@pytest.mark.parametrize("cell, input", [("rnn", "embedding"), ("lstm", "embedding"), ("gru", "embedding"),
                                         ("gru", "onehot")])
def test_gradients_equal_central_differences(cell, input):
    model = tiny_model(cell, input)
    ids = np.random.default_rng(1).integers(0, V, 14)
    positions, K = np.array([2, 7, 12]), 5
    grads = input_gradients(model, ids, positions, max_lag=K, batch_size=2)          # (3, K+1, I)
    for p, t in enumerate(positions):
        inputs, loss_fn = log_p_of_inputs(model, ids, t)
        numeric = numerical_gradient(loss_fn, inputs)[:, 0]                            # (n, I)
        for k in range(K + 1):
            if t - k < 0:
                assert np.isnan(grads[p, k]).all()
                continue
            np.testing.assert_allclose(grads[p, k], numeric[t - k], rtol=1e-6, atol=1e-9 * np.abs(numeric).max())
        assert np.abs(grads[p, :min(t, K) + 1]).max() > 1e-4                         # nothing trivially zero
        assert np.abs(numeric[t + 1:]).max() == 0                                     # the future plays no part
    norms = connectivity(model, ids, positions, max_lag=K)
    np.testing.assert_allclose(norms, np.linalg.norm(grads, axis=-1))


def test_a_float32_model_measured_in_float64_is_its_float64_twin():
    model32 = tiny_model("lstm", dtype="float32")
    ids = np.random.default_rng(2).integers(0, V, 12)
    twin = in_dtype(model32, np.float64)
    assert twin.modules["rnn"].dtype == np.float64 and model32.modules["rnn"].dtype == np.float32
    wanted = input_gradients(twin, ids, [5, 10], max_lag=4)
    got = input_gradients(model32, ids, [5, 10], max_lag=4, dtype=np.float64)
    np.testing.assert_array_equal(got, wanted)
    in32 = input_gradients(model32, ids, [5, 10], max_lag=4)
    np.testing.assert_allclose(in32, wanted, rtol=1e-3, atol=1e-5)                 # float32: same to ~1e-6


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_batches_give_what_one_position_at_a_time_gives(cell):
    model = tiny_model(cell)
    ids = np.random.default_rng(4).integers(0, V, 30)
    positions = np.array([28, 0, 3, 9, 17, 4, 22, 11])                                # unordered, near the start too
    K = 8
    together = connectivity(model, ids, positions, max_lag=K, batch_size=3)
    alone = np.concatenate([connectivity(model, ids, [t], max_lag=K) for t in positions])
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-300)
    assert np.isnan(together[1, 1:]).all() and np.isfinite(together[1, 0])           # t = 0: only k = 0
    assert np.isnan(together[2, 4:]).all() and np.isfinite(together[2, :4]).all()    # t = 3: k <= 3


@pytest.mark.parametrize("delay", [0, 3, 6])
def test_a_model_that_reads_only_k_steps_back_peaks_at_k(delay):
    """A tanh RNN wired as a delay line: unit 0 takes the input, unit j the unit j - 1 one
    step earlier, and the head reads only unit ``delay``: the prediction after x_t is a
    function of x_(t - delay) alone."""
    N, I = 8, 2
    rnn = RNN(I, N, dtype=np.float64)
    W, H = np.zeros((I, N)), np.zeros((N, N))
    W[:, 0] = [0.8, -0.5]                                    # unit 0 <- the input
    H[np.arange(N - 1), np.arange(1, N)] = 1.0               # unit j <- unit j - 1, one step later
    rnn.params.update(W_l0=W, H_l0=H, b_l0=np.zeros(N))
    head = Linear(N, V, dtype=np.float64)
    head.params["W"][:] = 0
    head.params["W"][delay] = np.linspace(-2, 2, V)          # only unit `delay` reaches the logits
    model = Sequential(embed=Embedding(V, I, dtype=np.float64, seed=5), rnn=rnn, head=head)
    ids = np.random.default_rng(6).integers(0, V, 60)
    norms = connectivity(model, ids, np.arange(10, 58), max_lag=10)
    others = np.delete(norms, delay, axis=1)
    assert (others == 0).all() and (norms[:, delay] > 0).all()
    median = median_curve(norms)[1]
    assert int(np.argmax(median)) == delay
    assert reach(median) == delay + 1


def test_the_reach_is_the_first_lag_below_one_percent_of_the_peak():
    assert reach([2.0, 1.0, 0.1, 0.019, 0.5]) == 3             # 0.019 < 0.02, though it rises again
    assert reach([2.0, 1.0, 0.1, 0.02]) is None                # never below within K
    assert reach([0.0, 1.0, 0.5, 0.001]) == 3                  # from the peak, not from k = 0
    assert reach([1.0, 0.5, 0.2], fraction=0.3) == 2
    curve = median_curve(np.array([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0], [5.0, 6.0, 7.0]]))
    np.testing.assert_allclose(curve, [[2, 3, 5.5], [3, 4, 6], [4, 5, 6.5]])


def test_the_decay_per_step_is_the_tails_geometric_rate():
    k = np.arange(201)
    assert decay_per_step(0.9 ** k) == pytest.approx(0.9, rel=1e-12)
    assert decay_per_step(np.where(k < 100, 1.0, 1e-3 * 0.5 ** k)) == pytest.approx(0.5, rel=1e-12)  # the tail only
    assert decay_per_step(np.r_[np.ones(150), np.zeros(51)]) == pytest.approx(1.0)  # zeros (underflow) left out
    assert decay_per_step(np.r_[np.ones(100), np.zeros(101)]) is None
    summary = summarise(np.stack([0.8 ** k, 0.7 ** k, 0.9 ** k]))
    assert summary.reach == 21 and summary.decay == pytest.approx(0.8)          # 0.8 ** 21 < 0.01 < 0.8 ** 20
    np.testing.assert_allclose(summary.quartiles[1], 0.8 ** k)


def test_spread_positions():
    np.testing.assert_array_equal(spread_positions(5, 10), np.arange(5))
    p = spread_positions(5000, 500)
    assert len(p) == 500 and p[0] == 0 and p[-1] == 4999 and (np.diff(p) > 0).all()


def test_bad_arguments_are_named():
    model = tiny_model("gru")
    ids = np.arange(12) % V
    for max_lag, message in [(0, "max_lag must be an integer >= 1, got 0"), (-2, "got -2"),
                             (2.5, "got 2.5"), (True, "got True"),
                             (11, "max_lag 11 reaches before the text: its 12 ids give lags up to 10")]:
        with pytest.raises(ValueError, match=message):
            connectivity(model, ids, [5], max_lag=max_lag)
    for positions, message in [([11], r"positions must lie in \[0, 10\] \(each needs the token after it\), got 11"),
                               ([-1, 3], "got -1"), ([], "non-empty 1-D array of integers"),
                               ([1.0], "dtype float64"), ([[1, 2]], r"shape \(1, 2\)")]:
        with pytest.raises(ValueError, match=message):
            connectivity(model, ids, positions, max_lag=3)
    with pytest.raises(ValueError, match="ids must be a 1-D integer array of at least 2 tokens"):
        connectivity(model, ids.astype(float), [1], max_lag=1)
    with pytest.raises(ValueError, match="ids must hold ids in"):
        connectivity(model, ids + V, [1], max_lag=1)
    bi = Sequential(embed=Embedding(V, 3), rnn=LSTM(3, 4, bidirectional=True), head=Linear(8, V))
    with pytest.raises(ValueError, match="the model is bidirectional"):
        connectivity(bi, ids, [5], max_lag=2)
    with pytest.raises(ValueError, match="a Sequential with a recurrent module"):
        connectivity(Sequential(head=Linear(3, V)), ids, [5], max_lag=2)
