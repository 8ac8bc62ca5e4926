"""PyTorch names and layouts without torch: names, round trips, bias mapping, bad state dicts."""
import numpy as np
import pytest

import minirnn
from minirnn import interop


def test_names_follow_pytorch_for_layers_and_directions():
    layer = minirnn.GRU(3, 4, num_layers=2, bidirectional=True)
    sd = interop.to_torch_state_dict(layer)
    expected = {f"{kind}_{part}_l{k}{sfx}" for kind in ("weight", "bias") for part in ("ih", "hh")
                for k in (0, 1) for sfx in ("", "_reverse")}
    assert set(sd) == expected
    assert sd["weight_ih_l0"].shape == (12, 3) and sd["weight_ih_l1_reverse"].shape == (12, 8)
    assert sd["weight_hh_l1"].shape == (12, 4) and sd["bias_hh_l0"].shape == (12,)


@pytest.mark.parametrize("cls", [minirnn.RNN, minirnn.LSTM, minirnn.GRU])
def test_export_then_load_is_the_identity(cls):
    layer = cls(3, 4, num_layers=2, bidirectional=True, seed=0)
    copy = cls(3, 4, num_layers=2, bidirectional=True, seed=1)
    interop.load_torch_state_dict(copy, interop.to_torch_state_dict(layer))
    for name, p in layer.params.items():
        np.testing.assert_array_equal(copy.params[name], p)


def test_loading_sums_the_two_biases_and_keeps_the_gru_candidate_bias_apart():
    N = 2
    gru = minirnn.GRU(1, N)
    sd = interop.to_torch_state_dict(gru)
    sd["bias_ih_l0"] = np.arange(6.0)                   # r r z z n n
    sd["bias_hh_l0"] = np.arange(6.0) * 10
    interop.load_torch_state_dict(gru, sd)
    np.testing.assert_array_equal(gru.params["b_l0"], [0, 11, 22, 33, 4, 5])
    np.testing.assert_array_equal(gru.params["b_hn_l0"], [40, 50])
    lstm = minirnn.LSTM(1, 1)
    sd = interop.to_torch_state_dict(lstm)
    sd["bias_ih_l0"], sd["bias_hh_l0"] = np.ones(4), np.full(4, 2.0)
    interop.load_torch_state_dict(lstm, sd)
    np.testing.assert_array_equal(lstm.params["b_l0"], np.full(4, 3.0))


def test_torch_grads_repeat_db_for_both_biases():
    layer = minirnn.LSTM(2, 3)
    y, _ = layer.forward(np.ones((4, 2, 2)))
    layer.backward(np.ones_like(y))
    g = interop.torch_grads(layer)
    np.testing.assert_array_equal(g["bias_ih_l0"], layer.grads["b_l0"])
    np.testing.assert_array_equal(g["bias_hh_l0"], layer.grads["b_l0"])
    np.testing.assert_array_equal(g["weight_hh_l0"], layer.grads["H_l0"].T)


def test_loading_keeps_the_arrays_an_optimizer_holds():
    layer = minirnn.RNN(2, 3)
    held = layer.params["W_l0"]
    interop.load_torch_state_dict(layer, interop.to_torch_state_dict(minirnn.RNN(2, 3, seed=9)))
    assert layer.params["W_l0"] is held


def test_state_dict_of_another_architecture_is_refused():
    two_layers = interop.to_torch_state_dict(minirnn.LSTM(3, 4, num_layers=2))
    with pytest.raises(ValueError, match=r"missing nothing, unexpected \['bias_hh_l1', 'bias_ih_l1', "):
        interop.load_torch_state_dict(minirnn.LSTM(3, 4), two_layers)
    with pytest.raises(ValueError, match=r"state_dict\['weight_ih_l0'\] must have shape \(16, 3\), got \(16, 5\)"):
        interop.load_torch_state_dict(minirnn.LSTM(3, 4), interop.to_torch_state_dict(minirnn.LSTM(5, 4)))
    with pytest.raises(TypeError, match="layer must be a minirnn RNN, LSTM or GRU, got Linear"):
        interop.to_torch_state_dict(minirnn.Linear(2, 2))
