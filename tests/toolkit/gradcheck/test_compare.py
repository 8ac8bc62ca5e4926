"""minirnn.toolkit.gradcheck.compare: check_gradients, analytic against numerical array by
array: a right gradient passes, a wrong one fails, the floor, sampled entries; and both
import orders of the lesson and its toolkit."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minirnn.toolkit.gradcheck.compare import check_gradients
from tests.test_gradcheck import cubic_problem


def test_check_passes_a_right_gradient_and_fails_a_wrong_one():
    loss, arrays, exact = cubic_problem(1)
    report = check_gradients(loss, arrays, exact)
    assert report.passed() and report.max_rel_error < 1e-8
    assert [row.name for row in report.rows] == ["x", "y"]
    assert report.rows[0].shape == (3, 4) and report.rows[0].checked == 12

    wrong = {"x": exact["x"] * 2 / 3, "y": exact["y"]}   # d(x^3) taken as 2 x^2
    report = check_gradients(loss, arrays, wrong)
    assert not report.passed()
    bad, good = report.rows
    assert bad.max_rel_error > 0.3 and good.max_rel_error < 1e-8
    # the worst entry is reported with both values, at its index
    np.testing.assert_allclose(bad.numerical, exact["x"][bad.worst_index], rtol=1e-7)
    assert bad.analytic == wrong["x"][bad.worst_index]


def test_a_tiny_error_fails_too():
    loss, arrays, exact = cubic_problem(2)
    nudged = {"x": exact["x"] * (1 + 1e-5), "y": exact["y"]}
    assert not check_gradients(loss, arrays, nudged).passed()
    assert check_gradients(loss, arrays, nudged).passed(rel_tol=1e-4)


def test_the_floor_absorbs_noise_where_the_gradient_is_zero():
    """At x = 0, d(x^3)/dx = 0 but the central difference gives eps^2 (truncation):
    relative to 0 that is a 100% error; relative to the floor it is negligible."""
    x = np.array([0.0, 1.0])

    def loss():
        return np.sum(x ** 3)

    exact = {"x": 3 * x ** 2}
    assert check_gradients(loss, {"x": x}, exact).passed()
    assert not check_gradients(loss, {"x": x}, exact, floor=1e-30, skip_kinks=False).passed()
    # eps^2 is also what the five-point kink test measures there (the third difference
    # of x^3): the failure lies within the estimate's own uncertainty, so it is skipped
    assert check_gradients(loss, {"x": x}, exact, floor=1e-30).rows[0].skipped == ((0,),)


def test_max_entries_samples_distinct_entries_reproducibly():
    calls = []
    x = np.random.default_rng(0).normal(size=(10, 10))
    y = np.ones(3)

    def loss():
        calls.append(1)
        return np.sum(x ** 2) + np.sum(y)

    report = check_gradients(loss, {"x": x, "y": y}, {"x": 2 * x, "y": np.ones(3)},
                             max_entries=7, seed=3)
    assert [row.checked for row in report.rows] == [7, 3]
    assert [row.size for row in report.rows] == [100, 3]
    assert len(calls) == 2 * (7 + 3)           # two evaluations per checked entry
    again = check_gradients(loss, {"x": x, "y": y}, {"x": 2 * x, "y": np.ones(3)},
                            max_entries=7, seed=3)
    assert again.rows == report.rows

    # the sample is what is checked: a wrong gradient at one entry is caught iff sampled
    wrong = 2 * x
    wrong[4, 4] += 1
    seen = [check_gradients(loss, {"x": x}, {"x": wrong}, max_entries=20, seed=s).passed()
            for s in range(20)]
    assert not all(seen) and any(seen)


def test_the_lesson_and_the_toolkit_import_in_either_order():
    """The toolkit imports the lesson's constants and relative_error; the lesson re-exports
    the toolkit's checker at its end. Each order, in a fresh interpreter, gives the same
    objects under both names."""
    names = ("check_gradients", "check_layer", "sweep_eps", "plot_sweep", "GradcheckReport",
             "kink_slack", "FLOAT32_REL_TOL")
    for first in ("minirnn.gradcheck", "minirnn.toolkit.gradcheck.layer",
                  "minirnn.toolkit.gradcheck.compare", "minirnn.toolkit.gradcheck.sweep"):
        script = (f"import {first}\n"
                  "import minirnn.gradcheck as lesson\n"
                  "from minirnn.toolkit.gradcheck import compare, kinks, layer, report, sweep\n"
                  "where = dict(check_gradients=compare, check_layer=layer, sweep_eps=sweep, "
                  "plot_sweep=sweep, GradcheckReport=report, kink_slack=kinks, FLOAT32_REL_TOL=layer)\n"
                  f"assert all(getattr(lesson, n) is getattr(where[n], n) for n in {names!r})\n")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[3])   # -c imports this checkout
        assert done.returncode == 0, f"import {first} first:\n{done.stderr}"


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e6])
def test_a_large_loss_raises_the_floor_to_the_estimate_s_round_off(scale):
    """L = scale * (sum(sin(x)) + 5): the central difference resolves dL/dx only to about
    u |L| / eps, so a correct gradient must pass however large |L| is (the floor rises, and
    the report prints it), while a gradient off by 1e-4 still fails."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (2, 2))
    loss = lambda: scale * (np.sum(np.sin(x)) + 5.0)                  # |L| <= 9 scale
    right = scale * np.cos(x)
    report = check_gradients(loss, {"x": x}, {"x": right})
    assert report.passed(), report
    assert (report.floor > 0.01) == (scale > 1)                         # the default floor, unless |L| is large
    assert f"max(|a|, |n|, {report.floor:g})" in str(report)
    wrong = check_gradients(loss, {"x": x}, {"x": right * (1 + 1e-4)})
    assert not wrong.passed(), wrong
