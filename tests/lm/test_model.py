"""Tests of minirnn/lm/model.py: the language model's config, network, validation loss, loading.

- model_config / build_model: the network the config describes (shapes, input kind,
  cell), bad values refused by name;
- evaluate: equals the loss computed by hand; with one lane the window length does not
  matter (the state is carried), for any window length; dropout is off and the
  training flag is restored;
- load_model: refuses files that are not language-model checkpoints, and checkpoints
  whose arrays do not fit the network their config describes.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.toolkit.checkpoint import save_checkpoint
from minirnn.lm.model import CHECKPOINT_KIND, bits, build_model, evaluate, load_model, model_config
from minirnn.losses import softmax_cross_entropy
from minirnn.vocab import Vocabulary

few = settings(max_examples=15, deadline=None)


def small_model(cell="lstm", input="embedding", layers=1, dropout=0.0, V=11, seed=0):
    config = model_config(V, input=input, embed_size=5, cell=cell, hidden_size=7, layers=layers,
                          dropout=dropout, dtype="float64")
    return build_model(config, seed=seed, backend="numpy"), config


@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3), ("rnn", 1)])
@pytest.mark.parametrize("input", ["embedding", "onehot"])
def test_build_model_makes_the_described_network(cell, gates, input):
    model, config = small_model(cell, input, layers=2)
    params = model.params
    features = 5 if input == "embedding" else 11
    assert params["rnn.W_l0"].shape == (features, gates * 7)
    assert params["rnn.H_l1"].shape == (7, gates * 7)
    assert params["head.W"].shape == (7, 11)
    assert ("embed.E" in params) == (input == "embedding")
    assert all(p.dtype == np.float64 for p in params.values())
    logits, _ = model.forward(np.zeros((3, 2), dtype=np.int64))
    assert logits.shape == (3, 2, 11)


def test_the_same_seed_builds_the_same_weights():
    a, _ = small_model(seed=3)
    b, _ = small_model(seed=3)
    c, _ = small_model(seed=4)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["head.W"], c.params["head.W"])


@pytest.mark.parametrize("kwargs, message", [
    (dict(cell="lstm2"), "cell must be one of"),
    (dict(input="bytes"), "input must be one of"),
    (dict(hidden_size=0), "hidden_size must be a positive integer"),
    (dict(dropout=1.5, layers=2), r"dropout must be a number in \[0, 1\)"),
    (dict(dropout=0.3), "with layers=1 it would do nothing"),
    (dict(dtype="float16"), "dtype must be"),
])
def test_model_config_refuses_bad_values(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        model_config(11, **kwargs)


def test_build_model_refuses_a_config_with_missing_keys():
    config = model_config(11)
    del config["cell"]
    with pytest.raises(ValueError, match="config must be a dict with keys"):
        build_model(config)


def test_evaluate_equals_the_loss_by_hand():
    model, _ = small_model()
    ids = np.random.default_rng(0).integers(0, 11, 41)
    # 4 lanes of 10 targets, windows of 10: exactly one forward from a zero state
    x = ids[:40].reshape(4, 10).T                            # (T, B) lane b = ids[10b : 10b + 10]
    y = ids[1:41].reshape(4, 10).T
    logits, _ = model.forward(x)
    expected, _ = softmax_cross_entropy(logits, y)
    assert evaluate(model, ids, nchars=10, batch_size=4) == pytest.approx(expected, rel=1e-12)
    assert bits(expected) == pytest.approx(expected / np.log(2))


@few
@given(st.integers(1, 30), st.sampled_from(["lstm", "gru", "rnn"]), st.integers(0, 2**16))
def test_one_lane_carries_the_state_whatever_the_window(nchars, cell, seed):
    model, _ = small_model(cell)
    ids = np.random.default_rng(seed).integers(0, 11, 31)
    whole = evaluate(model, ids, nchars=30, batch_size=1)   # one window holds everything
    assert evaluate(model, ids, nchars=nchars, batch_size=1) == pytest.approx(whole, rel=1e-10)


def test_evaluate_turns_dropout_off_and_restores_the_mode():
    model, _ = small_model(layers=2, dropout=0.5)
    ids = np.random.default_rng(1).integers(0, 11, 50)
    model.training = True
    first = evaluate(model, ids, 7, 3)
    assert model.training
    assert evaluate(model, ids, 7, 3) == first               # no random masks
    model.training = False
    assert evaluate(model, ids, 7, 3) == first
    assert not model.training


def lm_checkpoint(path, config, params, vocab, kind=CHECKPOINT_KIND):
    save_checkpoint(path, params, {}, vocab.to_arrays(), {"kind": kind, "model": config})


def test_load_model_rebuilds_the_saved_network(tmp_path):
    vocab = Vocabulary(list("abcdefgh"), "char")               # V = 11
    model, config = small_model(seed=5)
    lm_checkpoint(tmp_path / "lm.npz", config, model.params, vocab)
    loaded, loaded_vocab, checkpoint = load_model(tmp_path / "lm.npz", backend="numpy")
    assert loaded_vocab == vocab and not loaded.training
    assert all(np.array_equal(loaded.params[k], model.params[k]) for k in model.params)


def test_load_model_refuses_other_checkpoints(tmp_path):
    vocab = Vocabulary(list("abcdefgh"), "char")
    model, config = small_model()
    save_checkpoint(tmp_path / "plain.npz", model.params, config={"note": "not a language model"})
    with pytest.raises(ValueError, match=r"this needs a minirnn language model \(written by `minirnn train`\)"):
        load_model(tmp_path / "plain.npz")
    lm_checkpoint(tmp_path / "v.npz", model_config(12, embed_size=5, hidden_size=7, dtype="float64"),
                  model.params, vocab)
    with pytest.raises(ValueError, match="vocabulary of 12 tokens but it holds a vocabulary of 11"):
        load_model(tmp_path / "v.npz")


@pytest.mark.parametrize("change", [dict(cell="gru"), dict(hidden_size=8), dict(layers=2),
                                   dict(input="onehot"), dict(dtype="float32")])
def test_load_model_refuses_arrays_of_another_architecture(tmp_path, change):
    vocab = Vocabulary(list("abcdefgh"), "char")
    model, config = small_model()
    lm_checkpoint(tmp_path / "lm.npz", {**config, **change}, model.params, vocab)
    with pytest.raises(ValueError, match="does not fit this model"):
        load_model(tmp_path / "lm.npz", backend="numpy")
