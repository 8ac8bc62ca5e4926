"""The V: the central difference's error against eps, measured in float64 and float32
(sweep_eps), printed as a table (EpsSweep) and drawn on log-log axes (plot_sweep).
Truncation (~eps^2) makes the right arm, round-off (~u/eps) the left."""
import textwrap
from dataclasses import dataclass

import numpy as np

from minirnn.gradcheck import DEFAULT_FLOOR, relative_error
from minirnn.toolkit.gradcheck.arguments import check_eps, checked_loss
from minirnn.toolkit.gradcheck.differences import central_differences, sample_entries
from minirnn.toolkit.gradcheck.layer import LayerProblem, in_dtype

SWEEP_EPS = tuple(10.0 ** -k for k in range(1, 11))           # 1e-1 .. 1e-10
UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}


@dataclass
class EpsSweep:
    """The max relative error of the central difference per array, against eps.

    eps      the steps, largest first
    errors   dtype name ("float64", "float32") -> array name -> (len(eps),) max rel error
    lost     dtype name -> (len(eps),) bool: some entry's step rounded away (x + eps == x
             - eps in that dtype), so no estimate exists there; its error counts as 1
    """
    eps: tuple
    errors: dict
    lost: dict
    floor: float = DEFAULT_FLOOR

    def worst(self, dtype):
        """(len(eps),) the max over arrays, per eps."""
        return np.max(np.stack(list(self.errors[dtype].values())), axis=0)

    def minimum(self, dtype):
        """(eps, error) where the worst array's error is smallest."""
        worst = self.worst(dtype)
        k = int(np.argmin(worst))
        return self.eps[k], float(worst[k])

    def arms(self, dtype):
        """The slopes of log10(error) against log10(eps) on each side of the minimum, by
        least squares from the minimum out, leaving out errors of 0.5 and more (there the
        estimate says nothing): (right arm, about +2 where truncation rules; left arm,
        about -1 where round-off rules). NaN for an arm with fewer than two such points."""
        worst, logs = self.worst(dtype), np.log10(self.eps)
        k = int(np.argmin(worst))
        usable = (worst < 0.5) & ~self.lost[dtype]

        def slope(side):
            points = [j for j in side if usable[j]]
            if len(points) < 2:
                return float("nan")
            return float(np.polyfit(logs[points], np.log10(worst[points]), 1)[0])

        return slope(range(0, k + 1)), slope(range(k, len(self.eps)))

    def __str__(self):
        out = [textwrap.fill("eps sweep: the largest relative error of the central difference in each "
                             f"array, rel err = |a - n| / max(|a|, |n|, {self.floor:g}), n computed in "
                             "the dtype shown, a the float64 analytic gradient at the same point", 92)]
        for dtype, errors in self.errors.items():
            names = list(errors) + ["max"]
            width = max(8, *(len(n) + 1 for n in names))
            out.append(f"\n{dtype} (unit round-off u = {UNIT_ROUNDOFF[dtype]:.1e})")
            out.append(f"{'eps':>6}" + "".join(f"{n:>{width}}" for n in names))
            worst = self.worst(dtype)
            for k, eps in enumerate(self.eps):
                values = [errors[n][k] for n in errors] + [worst[k]]
                mark = "  *" if self.lost[dtype][k] else ""
                out.append(f"{eps:>6.0e}" + "".join(f"{v:>{width}.1e}" for v in values) + mark)
            eps_min, err_min = self.minimum(dtype)
            right, left = self.arms(dtype)
            out.append(f"minimum {err_min:.1e} at eps = {eps_min:.0e}; the arms' slopes "
                       f"(log error per log eps): {right:+.1f} to the right, {left:+.1f} to the left")
            if self.lost[dtype].any():
                out.append("* x + eps rounds to x - eps for some entries: no estimate there (counted as error 1)")
        u64, u32 = UNIT_ROUNDOFF["float64"], UNIT_ROUNDOFF["float32"]
        out.append(
            "\nWhy a V: the central difference is off by truncation, about eps^2 L'''/6 (slope +2 "
            "on this log-log scale: ten times smaller eps, a hundred times smaller error), and by "
            "round-off (slope -1: L is computed with a rounding error of a few u |L| or more, and "
            "the difference of two such values is divided by 2 eps). For a loss whose size and "
            "derivatives are about 1 the two are equal near eps ~ u^(1/3), "
            f"{u64 ** (1 / 3):.0e} in float64 and {u32 ** (1 / 3):.0e} in float32, where the error "
            f"is about u^(2/3), {u64 ** (2 / 3):.0e} and {u32 ** (2 / 3):.0e}; a loss summed from "
            "many rounded terms, and gradient entries near zero (judged against the floor), lift "
            "the bottom, as measured above. A right arm flatter than +2 means kinks (relu) inside "
            "the step; a V whose bottom stays above the tolerance at every eps means a wrong gradient.")
        out[-1] = "\n" + textwrap.fill(out[-1].lstrip("\n"), 92)
        return "\n".join(out)


def sweep_eps(layer, x, state=None, lengths=None, seed=0, eps_values=SWEEP_EPS, max_entries=None,
              floor=DEFAULT_FLOOR):
    """Measure the central difference's error against eps, in float64 and in float32.

    The layer's loss is check_layer's. Its parameters are rounded to float32 values, so
    that a float64 copy and a float32 copy compute the same function at the same point;
    the reference is the float64 copy's analytic gradient (exact to ~1e-15). For each
    dtype and each eps the central differences are taken in that dtype (the layer
    computes in it; the loss is summed in float64), with no kink skipping: this
    measures the estimate itself. The layer itself is not changed.
    max_entries samples entries as in check_gradients. Returns an EpsSweep.
    """
    eps_values = tuple(check_eps(e) for e in eps_values)
    layer64 = in_dtype(in_dtype(layer, np.float32), np.float64)   # float32 values, float64 layer
    reference = LayerProblem(layer64, x, state, lengths, seed, values_dtype=np.float32)
    analytic = reference.gradients(layer64)
    errors, lost = {}, {}
    for dtype in (np.float64, np.float32):
        twin = in_dtype(layer64, dtype)
        problem = LayerProblem(twin, x, state, lengths, seed, values_dtype=np.float32)
        rng = np.random.default_rng(seed)
        name = np.dtype(dtype).name
        errors[name], lost[name] = {}, np.zeros(len(eps_values), dtype=bool)
        loss = checked_loss(problem.loss)
        for array_name, array in problem.arrays.items():
            flat = sample_entries(array.size, max_entries, rng)        # (K,)
            a = analytic[array_name].ravel()[flat]
            row = np.empty(len(eps_values))
            for k, eps in enumerate(eps_values):
                n, _, _ = central_differences(loss, array, eps, flat, step_lost="nan")
                lost[name][k] |= bool(np.isnan(n).any())
                rel_error = relative_error(a, np.where(np.isnan(n), 0.0, n), floor)
                rel_error[np.isnan(n)] = 1.0
                row[k] = rel_error.max()
            errors[name][array_name] = row
    return EpsSweep(eps_values, errors, lost, floor)


def plot_sweep(sweep, path, title=""):
    """Draw an EpsSweep on log-log axes to a PNG at path, written atomically."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minirnn.toolkit.atomic import atomic_write

    fig, ax = plt.subplots(figsize=(7.5, 5))
    eps = np.array(sweep.eps)
    for (dtype, errors), color in zip(sweep.errors.items(), ("tab:blue", "tab:orange")):
        for row in errors.values():
            ax.loglog(eps, row, color=color, alpha=0.3, linewidth=1)
        worst = sweep.worst(dtype)
        ax.loglog(eps, worst, color=color, linewidth=2.5, marker="o",
                  label=f"{dtype}: the worst array (thin lines: each array)")
        eps_min, err_min = sweep.minimum(dtype)
        right_side = eps_min < eps.max() / 100      # the label goes where the V leaves room
        ax.annotate(f"minimum {err_min:.0e}\nat eps = {eps_min:.0e}", (eps_min, err_min), color=color,
                    textcoords="offset points", xytext=(12 if right_side else -10, -30),
                    ha="left" if right_side else "right", fontsize=8)
        # slope -1, through the smallest eps that still has an estimate: the round-off arm
        j = np.flatnonzero((worst < 0.5) & ~sweep.lost[dtype])[-1]
        guide = eps[list(sweep.eps).index(eps_min):j + 1]
        ax.loglog(guide, worst[j] * eps[j] / guide, color=color, linestyle=":", linewidth=1.5,
                  label=f"{dtype} round-off ~ u/eps (slope -1)")
    guide = eps[:5]                            # slope +2, through the largest eps: truncation
    ax.loglog(guide, sweep.worst("float64")[0] * (guide / eps[0]) ** 2, color="gray", linestyle="--",
              linewidth=1.5, label="truncation ~ eps^2 (slope +2)")
    ax.set_xlabel("eps (the finite-difference step)")
    ax.set_ylabel("max relative error of the central difference")
    ax.set_title(title or "Central differences: truncation ~ eps^2 against round-off ~ u/eps")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_ylim(bottom=min(ax.get_ylim()[0], 1e-4 * min(sweep.minimum(d)[1] for d in sweep.errors)))
    ax.legend(fontsize=8, loc="lower left")                  # under the round-off arms: room made above
    fig.tight_layout()
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    finally:
        plt.close(fig)
