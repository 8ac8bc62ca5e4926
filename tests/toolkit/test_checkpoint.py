"""Checkpoints: round trip without pickle, atomic writes, validated loads, bit-for-bit resume."""
import os

import numpy as np
import pytest

import minirnn
from minirnn.toolkit.checkpoint import Checkpoint, save_checkpoint
from minirnn.clip import clip_grad_norm
from minirnn.sequential import Sequential
from minirnn.optim import Adam

V = 11


def make_model(hidden=8, cell=minirnn.LSTM):
    return Sequential(embed=minirnn.Embedding(V, 5, seed=0),
                      rnn=cell(5, hidden, num_layers=2, dropout=0.2, seed=1, backend="numpy"),
                      head=minirnn.Linear(hidden, V, seed=2))


def train(model, opt, rng, steps):
    for _ in range(steps):
        ids = rng.integers(0, V, (9, 3))
        logits, _ = model.forward(ids[:-1])
        _, dlogits = minirnn.softmax_cross_entropy(logits, ids[1:])
        model.backward(dlogits)
        clip_grad_norm(model.grads, 1.0)
        opt.step(model.grads)


def save(path, model, opt, rng):
    config = {"rng": rng.bit_generator.state, "dropout_rng": model.modules["rnn"].rng.bit_generator.state}
    save_checkpoint(path, model.params, opt.state_dict(), {"tokens": np.array(list("abc"))}, config)


def test_resume_continues_bit_for_bit(tmp_path):
    """10 steps, save, load into fresh objects, 10 more == 20 steps straight."""
    straight, straight_opt = make_model(), None
    straight_opt = Adam(straight.params, lr=0.01)
    train(straight, straight_opt, np.random.default_rng(5), 20)

    model = make_model()
    opt = Adam(model.params, lr=0.01)
    rng = np.random.default_rng(5)
    train(model, opt, rng, 10)
    save(tmp_path / "ck.npz", model, opt, rng)

    resumed = make_model()
    resumed_opt = Adam(resumed.params, lr=0.01)
    ck = Checkpoint(tmp_path / "ck.npz")
    ck.load_params_into(resumed.params)
    resumed_opt.load_state_dict(ck.optim_state)
    rng = np.random.default_rng()
    rng.bit_generator.state = ck.config["rng"]
    resumed.modules["rnn"].rng.bit_generator.state = ck.config["dropout_rng"]
    train(resumed, resumed_opt, rng, 10)
    for name, p in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], p, err_msg=name)


def test_file_loads_without_pickle(tmp_path):
    model = make_model()
    save(tmp_path / "ck.npz", model, Adam(model.params), np.random.default_rng(0))
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as data:
        assert "params/rnn.W_l1" in data.files and "optim/step" in data.files and "vocab/tokens" in data.files


def test_crash_while_saving_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    model = make_model()
    save(path, model, Adam(model.params), np.random.default_rng(0))
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(np, "savez", crash)
    model.params["head.b"][...] += 1
    with pytest.raises(KeyboardInterrupt):
        save(path, model, Adam(model.params), np.random.default_rng(0))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.npz"]                # no temporary file left behind


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    model = make_model(hidden=8)
    save(tmp_path / "ck.npz", model, Adam(model.params), np.random.default_rng(0))
    other = make_model(hidden=6)
    with pytest.raises(ValueError, match=r"does not fit this model.*'rnn.H_l0': model has \(6, 24\) float64, "
                                         r"checkpoint has \(8, 32\) float64"):
        Checkpoint(tmp_path / "ck.npz").load_params_into(other.params)
    gru = make_model(cell=minirnn.GRU)
    with pytest.raises(ValueError, match=r"missing 'rnn.b_hn_l0'"):
        Checkpoint(tmp_path / "ck.npz").load_params_into(gru.params)


def test_float32_model_refuses_float64_checkpoint(tmp_path):
    model = make_model()
    save(tmp_path / "ck.npz", model, Adam(model.params), np.random.default_rng(0))
    small = Sequential(embed=minirnn.Embedding(V, 5, dtype=np.float32),
                       rnn=minirnn.LSTM(5, 8, num_layers=2, dtype=np.float32),
                       head=minirnn.Linear(8, V, dtype=np.float32))
    with pytest.raises(ValueError, match=r"'embed.E': model has \(11, 5\) float32, checkpoint has \(11, 5\) float64"):
        Checkpoint(tmp_path / "ck.npz").load_params_into(small.params)


@pytest.mark.parametrize("damage, message", [
    ("truncate", "is truncated or corrupted"),
    ("flipped", "is truncated or corrupted"),
    ("empty", "is truncated or corrupted"),
    ("garbage", r"is not an .npz checkpoint \(not a zip archive\)"),
])
def test_damaged_file_gives_a_clear_error(tmp_path, damage, message):
    path = tmp_path / "ck.npz"
    model = make_model()
    save(path, model, Adam(model.params), np.random.default_rng(0))
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = bytes(64)             # zeros in the middle of an array
    damaged = {"truncate": bytes(data[: len(data) // 2]), "flipped": bytes(data),
               "garbage": b"not a checkpoint" * 50, "empty": b""}[damage]
    path.write_bytes(damaged)
    with pytest.raises(ValueError, match=message):
        Checkpoint(path)


def test_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="is a directory, not a checkpoint file"):
        Checkpoint(tmp_path)


def test_saved_checkpoint_has_ordinary_permissions(tmp_path):
    model = make_model()
    save(tmp_path / "ck.npz", model, Adam(model.params), np.random.default_rng(0))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "ck.npz").stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Checkpoint(tmp_path / "nope.npz")


def test_npz_that_is_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="is not a minirnn checkpoint"):
        Checkpoint(tmp_path / "other.npz")


# ---- load-time validation: non-finite numbers and the kind of checkpoint -----------------------

@pytest.mark.parametrize("group, bad", [("params", np.nan), ("params", np.inf), ("optim", -np.inf)])
def test_a_non_finite_number_is_refused_on_loading_naming_file_array_and_count(tmp_path, group, bad):
    model = make_model()
    opt = Adam(model.params, lr=0.01)
    params, optim_state = dict(model.params), opt.state_dict()
    target = params if group == "params" else optim_state
    name = "head.W" if group == "params" else "exp_avg/head.W"
    target[name] = target[name].copy()
    target[name].flat[3] = bad
    save_checkpoint(tmp_path / "ck.npz", params, optim_state)
    with pytest.raises(ValueError, match=rf"ck.npz' holds NaN or inf in '{group}/{name}' "
                                         rf"\(1 non-finite value of 88\)"):
        Checkpoint(tmp_path / "ck.npz")


def test_counts_agree_in_number(tmp_path):
    save_checkpoint(tmp_path / "ck.npz", {"w": np.array([np.nan, np.inf, 1.0])})
    with pytest.raises(ValueError, match=r"'params/w' \(2 non-finite values of 3\)"):
        Checkpoint(tmp_path / "ck.npz")


def test_another_kind_is_refused_naming_the_command_that_wrote_it(tmp_path):
    save_checkpoint(tmp_path / "ck.npz", {"w": np.ones(2)}, config={"kind": "minirnn classifier"})
    with pytest.raises(ValueError, match=r"is a minirnn classifier, written by `minirnn classify train`; "
                                         r"this needs a minirnn language model \(written by `minirnn train`\)"):
        Checkpoint(tmp_path / "ck.npz", kind="minirnn language model")
    assert Checkpoint(tmp_path / "ck.npz", kind="minirnn classifier").kind == "minirnn classifier"


def test_describe_change_says_what_differs_in_words():
    from minirnn.toolkit.checkpoint import describe_change
    then = {"train_tokens": 9225, "valid_tokens": 487, "crc32": 1}
    assert describe_change(then, {**then, "train_tokens": 9300}) == "train tokens 9,225 then, 9,300 now"
    assert describe_change(then, {**then, "crc32": 2}) == "the same sizes, other contents"
