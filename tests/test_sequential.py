"""minirnn/sequential.py, Sequential: one forward, one backward, dotted names, the same arrays as the modules."""
import numpy as np
import pytest

import minirnn
from minirnn.gradcheck import check_gradients
from minirnn.sequential import Sequential


def make(backend="numpy", cell=minirnn.GRU):
    return Sequential(embed=minirnn.Embedding(7, 3, seed=0),
                      rnn=cell(3, 4, num_layers=2, bidirectional=True, seed=1, backend=backend),
                      head=minirnn.Linear(8, 7, seed=2))


def test_dotted_names_are_the_modules_own_arrays():
    model = make()
    assert "rnn.W_l1_reverse" in model.params and "embed.E" in model.params and "head.b" in model.params
    assert model.params["rnn.H_l0"] is model.modules["rnn"].params["H_l0"]
    assert set(model.params) == set(model.grads)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("cell", [minirnn.RNN, minirnn.LSTM, minirnn.GRU])
def test_whole_model_gradients_with_lengths_and_state(cell, backend):
    """A loss on the outputs only (no dstate): the path every training step takes."""
    model = make(backend, cell)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, (5, 3))
    targets = rng.integers(0, 7, (5, 3))
    lengths = np.array([5, 2, 4])
    mask = np.arange(5)[:, None] < lengths
    states = {name: rng.standard_normal((4, 3, 4)) for name in model.modules["rnn"].state_names}
    state = tuple(states.values()) if len(states) > 1 else states["h"]

    def loss():
        logits, _ = model.forward(ids, state, lengths=lengths)
        return minirnn.softmax_cross_entropy(logits, targets, mask)[0]
    logits, _ = model.forward(ids, state, lengths=lengths)
    _, dlogits = minirnn.softmax_cross_entropy(logits, targets, mask)
    dids, dstate0 = model.backward(dlogits)
    assert dids is None
    dstates0 = dict(zip(states, dstate0 if isinstance(dstate0, tuple) else (dstate0,)))
    report = check_gradients(loss, {**states, **model.params}, {**dstates0, **model.grads})
    assert report.passed(), report


def test_training_flag_reaches_every_module():
    model = make()
    model.training = False
    assert not model.modules["rnn"].training and not model.training


def test_bad_containers():
    with pytest.raises(ValueError, match="Sequential needs at least one module"):
        Sequential()
    with pytest.raises(TypeError, match="module 'f' must have forward, backward, params and grads, got function"):
        Sequential(f=lambda x: x)
    with pytest.raises(ValueError, match=r"at most one recurrent module, got \['a', 'b'\]"):
        Sequential(a=minirnn.RNN(2, 2), b=minirnn.RNN(2, 2))


def test_state_without_a_recurrent_module_is_refused():
    model = Sequential(head=minirnn.Linear(3, 2))
    with pytest.raises(ValueError, match="state and lengths go to a recurrent module, and this Sequential has none"):
        model.forward(np.zeros((2, 1, 3)), lengths=np.array([2]))
    model.forward(np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match="dstate goes to a recurrent module"):
        model.backward(np.zeros((2, 1, 2)), dstate=np.zeros((1, 1, 2)))


@pytest.mark.filterwarnings("error")                       # an overflow warning from inside fails the test
def test_nan_or_inf_inside_the_model_names_the_module():
    """Weights grown too large: the first module whose result is not finite is named (the
    next module's own input check never sees it), with no NumPy warning on the way."""
    model = Sequential(embed=minirnn.Embedding(5, 3, seed=0), rnn=minirnn.RNN(3, 4, seed=1),
                       head=minirnn.Linear(4, 5, seed=2))
    ids = np.array([[1, 2], [3, 4]])
    model.params["embed.E"][3] = np.inf
    with pytest.raises(FloatingPointError, match=r"forward pass produced NaN or inf in the output of 'embed' \(Embedding\)"):
        model.forward(ids)
    model.params["embed.E"][3] = 0.0
    model.params["head.W"][...] = 1e308                     # sum over 4 hidden units of h * 1e308 overflows
    model.params["rnn.b_l0"][...] = 10.0                     # h near 1: the sum is near 4e308
    with pytest.raises(FloatingPointError, match=r"output of 'head' \(Linear\)"):
        model.forward(ids)
    model.params["head.W"][...] = 1e300
    model.forward(ids)
    with pytest.raises(FloatingPointError, match=r"backward pass produced NaN or inf in the input gradient of 'head'"):
        model.backward(np.full((2, 2, 5), 1e300))
