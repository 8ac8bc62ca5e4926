"""Tests of minirnn/classify/model.py: the many-to-one classifier.

- every gradient (embedding, recurrent layers, head) matches central finite differences
  in float64, for each cell, each pooling, one and two directions, two layers, ragged
  lengths, and with dropout;
- padding never changes the model's output for a sequence: a document alone, or padded
  in a batch with longer ones, gets the same logits (hypothesis);
- the same model in PyTorch with packed sequences gives the same logits and gradients;
- diverged weights raise FloatingPointError naming the layer (as minirnn.Sequential does),
  never a layer's message about an internal array, and no RuntimeWarning escapes;
- the Classifier's params are the layers' own arrays, under the names checkpoints use.
"""
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.classify.batches import pad_batch
from minirnn.classify.model import Classifier, model_config
from minirnn.gradcheck import check_gradients
from minirnn.interop import to_torch_state_dict
from minirnn.losses import softmax_cross_entropy

few = settings(max_examples=20, deadline=None)


def config(**changes):
    return {**model_config(vocab_size=12, num_classes=3, embed_size=4, hidden_size=5, dropout=0.0), **changes}


def ragged_batch(rng, lengths, V=12):
    return pad_batch([rng.integers(3, V, n) for n in lengths])


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pool", ["last", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_match_finite_differences(cell, pool, bidirectional):
    model = Classifier(config(cell=cell, pool=pool, bidirectional=bidirectional, layers=2, dtype="float64"))
    rng = np.random.default_rng(1)
    ids, lengths = ragged_batch(rng, [6, 3, 1, 4])
    labels = rng.integers(0, 3, 4)
    loss = lambda: softmax_cross_entropy(model.forward(ids, lengths), labels)[0]
    _, dlogits = softmax_cross_entropy(model.forward(ids, lengths), labels)
    model.backward(dlogits)
    report = check_gradients(loss, model.params, model.grads, max_entries=40)
    assert report.passed(), report


def test_gradients_with_dropout_match_finite_differences():
    """Dropout's mask comes from the layer's generator: reset it before every forward, so
    that each evaluation of the loss drops the same features."""
    model = Classifier(config(cell="gru", layers=2, dropout=0.4, dtype="float64"))
    rng = np.random.default_rng(4)
    ids, lengths = ragged_batch(rng, [5, 2, 4])
    labels = rng.integers(0, 3, 3)
    state = model.dropout_rng.bit_generator.state

    def forward():
        model.dropout_rng.bit_generator.state = state
        return model.forward(ids, lengths)

    loss = lambda: softmax_cross_entropy(forward(), labels)[0]
    _, dlogits = softmax_cross_entropy(forward(), labels)
    model.backward(dlogits)
    assert (model._cache[2] == 0).any()                                # some features were dropped
    report = check_gradients(loss, model.params, model.grads, max_entries=40)
    assert report.passed(), report
    model.training = False                                             # evaluation: no dropout
    np.testing.assert_array_equal(model.forward(ids, lengths), model.forward(ids, lengths))


@few
@given(st.lists(st.integers(1, 9), min_size=2, max_size=6), st.sampled_from(["lstm", "gru", "rnn"]),
       st.sampled_from(["last", "mean"]), st.booleans())
def test_padding_never_changes_a_documents_output(lengths, cell, pool, bidirectional):
    model = Classifier(config(cell=cell, pool=pool, bidirectional=bidirectional, dtype="float64"))
    rng = np.random.default_rng(sum(lengths))
    sequences = [rng.integers(3, 12, n) for n in lengths]
    batched = model.forward(*pad_batch(sequences))                      # (B, C), padded to the longest
    for b, sequence in enumerate(sequences):
        alone = model.forward(*pad_batch([sequence]))                   # (1, C), no padding at all
        np.testing.assert_allclose(batched[b], alone[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pool", ["last", "mean"])
def test_same_as_pytorch_with_packed_sequences(cell, pool):
    torch = pytest.importorskip("torch")
    model = Classifier(config(cell=cell, pool=pool, bidirectional=True, layers=2, dtype="float64"), seed=3)
    rng = np.random.default_rng(2)
    ids, lengths = ragged_batch(rng, [7, 2, 5, 1])
    labels = rng.integers(0, 3, 4)
    loss, dlogits = softmax_cross_entropy(logits := model.forward(ids, lengths), labels)
    model.backward(dlogits)

    torch.set_default_dtype(torch.float64)
    embed = torch.nn.Embedding(12, 4, padding_idx=0)
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](4, 5, num_layers=2, bidirectional=True)
    head = torch.nn.Linear(10, 3)
    with torch.no_grad():
        embed.weight.copy_(torch.from_numpy(model.embed.params["E"]))
        for name, value in to_torch_state_dict(model.rnn).items():
            getattr(rnn, name).copy_(torch.from_numpy(np.asarray(value)))
        head.weight.copy_(torch.from_numpy(model.head.params["W"].T))
        head.bias.copy_(torch.from_numpy(model.head.params["b"]))
    x = embed(torch.from_numpy(ids))
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.from_numpy(lengths), enforce_sorted=False)
    out, state = rnn(packed)
    if pool == "last":
        h = state[0] if cell == "lstm" else state
        features = torch.cat([h[-2], h[-1]], dim=1)                  # h_n of the last layer, both directions
    else:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
        features = y.sum(0) / torch.from_numpy(lengths)[:, None]
    torch_logits = head(features)
    torch_loss = torch.nn.functional.cross_entropy(torch_logits, torch.from_numpy(labels))
    torch_loss.backward()
    torch.set_default_dtype(torch.float32)
    np.testing.assert_allclose(logits, torch_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.grads["embed.E"], embed.weight.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(model.grads["head.W"], head.weight.grad.numpy().T, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(model.grads["rnn.H_l0_reverse"], rnn.weight_hh_l0_reverse.grad.numpy().T,
                               rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("where, layer", [("embed.E", "'embed' (Embedding)"), ("rnn.W_l0", "'rnn' (GRU)"),
                                          ("head.W", "'head' (Linear)")])
def test_diverged_weights_raise_floating_point_error_without_warnings(where, layer):
    model = Classifier(config())
    ids, lengths = ragged_batch(np.random.default_rng(0), [4, 2])
    model.params[where][...] = np.inf if where == "head.W" else np.nan    # what a diverged update leaves
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                 # a RuntimeWarning would fail here
        with pytest.raises(FloatingPointError, match=re.escape(f"NaN or inf in the output of {layer}")):
            model.forward(ids, lengths)


def test_params_are_the_layers_own_arrays_under_checkpoint_names():
    model = Classifier(config(bidirectional=True))
    assert model.params["embed.E"] is model.embed.params["E"]
    assert model.params["rnn.H_l0_reverse"] is model.rnn.params["H_l0_reverse"]
    assert model.params["head.b"] is model.head.params["b"]
    assert model.grads.keys() == model.params.keys()
    model.training = False                                             # reaches every layer
    assert not model.training and not model.rnn.training and not model.head.training


def test_config_is_checked():
    with pytest.raises(ValueError, match="num_classes must be at least 2"):
        model_config(vocab_size=10, num_classes=1)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        model_config(vocab_size=10, num_classes=2, dropout=1.0)
    with pytest.raises(ValueError, match="pool must be one of 'last', 'mean'"):
        model_config(vocab_size=10, num_classes=2, pool="max")
