"""minirnn/toolkit/optim_checks.py: the optimizers refuse bad params, hyperparameters and
gradients with an error naming the argument, and change nothing."""
import math

import numpy as np
import pytest

from minirnn import optim
from tests.test_optim import Problem


@pytest.mark.parametrize("grads, error, match", [
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.zeros(4)}, ValueError, r"missing \['scale'\]"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.zeros(4), "scale": np.zeros(()),
      "extra": np.zeros(2)}, ValueError, r"unexpected \['extra'\]"),
    ({"layer.W": np.zeros((4, 3)), "layer.b": np.zeros(4), "scale": np.zeros(())}, ValueError,
     r"grads\['layer.W'\] has shape \(4, 3\), the parameter has shape \(3, 4\)"),
    ({"layer.W": np.zeros((3, 4), np.float32), "layer.b": np.zeros(4), "scale": np.zeros(())},
     TypeError, r"grads\['layer.W'\] has dtype float32, the parameter has dtype float64"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": [0.0] * 4, "scale": np.zeros(())}, TypeError,
     r"grads\['layer.b'\] must be a np.ndarray, got list"),
    ({"layer.W": np.zeros((3, 4)), "layer.b": np.array([0, np.nan, 0, 0]), "scale": np.zeros(())},
     FloatingPointError, r"\['layer.b'\] hold NaN or inf"),
    ([np.zeros((3, 4))], TypeError, "grads must be a dict"),
], ids=["missing", "extra", "shape", "dtype", "not-array", "nan", "not-dict"])
def test_step_refuses_bad_grads_and_changes_nothing(grads, error, match):
    problem = Problem()
    params = problem.params()
    optimizer = optim.Adam(params)
    with pytest.raises(error, match=match):
        optimizer.step(grads)
    assert optimizer.t == 0
    for key in params:
        np.testing.assert_array_equal(params[key], problem.start[key])


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD(p, lr=0), ValueError, "SGD: lr must be > 0, got 0.0"),
    (lambda p: optim.Adam(p, lr=-1e-3), ValueError, "lr must be > 0"),
    (lambda p: optim.Adam(p, lr=math.nan), ValueError, "lr must be finite"),
    (lambda p: optim.Adam(p, lr="0.1"), TypeError, "lr must be a real number"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
    (lambda p: optim.Adam(p, betas=(0.9,)), TypeError, "betas must be a pair"),
    (lambda p: optim.Adam(p, eps=0), ValueError, "eps must be > 0"),
    (lambda p: optim.Adam(p, amsgrad=1), TypeError, "amsgrad must be True or False"),
    (lambda p: optim.Adam(p, weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "dampening = 0"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), ValueError, "lr_decay must be >= 0"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value must be >= 0"),
    (lambda p: optim.RMSprop(p, alpha=1.5), ValueError, r"alpha must be in \[0, 1\)"),
    (lambda p: optim.RMSprop(p, centered="yes"), TypeError, "centered must be True or False"),
])
def test_constructor_refuses_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make(Problem().params())


@pytest.mark.parametrize("params, error, match", [
    ([np.zeros(3)], TypeError, "params must be a dict"),
    ({}, ValueError, "params is empty"),
    ({"W": np.zeros(3, dtype=np.int64)}, TypeError, r"params\['W'\] must hold floats, got dtype int64"),
    ({"W": [0.0, 1.0]}, TypeError, r"params\['W'\] must be a np.ndarray, got list"),
    ({1: np.zeros(3)}, TypeError, "parameter names must be str"),
], ids=["not-dict", "empty", "int", "list", "name"])
def test_constructor_refuses_bad_params(params, error, match):
    with pytest.raises(error, match=match):
        optim.Adam(params)


def test_the_same_array_twice_is_refused():
    shared = np.zeros(3)
    with pytest.raises(ValueError, match="the same array"):
        optim.SGD({"embedding.W": shared, "head.W": shared}, lr=0.1)


def test_read_only_params_are_refused():
    p = np.zeros(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        optim.SGD({"W": p}, lr=0.1)


def test_lr_set_to_nan_after_construction_is_refused():
    params = {"w": np.ones(3)}
    opt = optim.Adam(params, lr=0.1)
    opt.lr = float("nan")
    with pytest.raises(ValueError, match="Adam.lr must be a positive finite number, got nan"):
        opt.step({"w": np.ones(3)})
    assert np.all(params["w"] == 1)
