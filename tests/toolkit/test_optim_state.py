"""minirnn/toolkit/optim_state.py: load_state_dict says what differs, all of it, and changes nothing.
(The round trip that resumes bit for bit: tests/test_optim.py.)"""
import numpy as np
import pytest

from minirnn import optim
from tests.test_optim import Problem


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
