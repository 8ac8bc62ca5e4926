"""The gradient check's results: one GradcheckRow per array, gathered in a
GradcheckReport that prints as a table with a PASS/FAIL verdict."""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from minirnn.gradcheck import DEFAULT_EPS, DEFAULT_FLOOR, DEFAULT_REL_TOL
from minirnn.toolkit.validate import counted


class GradcheckRow(NamedTuple):
    """The comparison for one array."""
    name: str
    shape: tuple
    checked: int            # entries examined: compared, or skipped at a kink (sampled ones only,
                            # with max_entries); checked - len(skipped) were verified
    size: int               # entries in the array
    max_rel_error: float    # over the checked entries that were not skipped
    max_abs_error: float
    worst_index: tuple      # index of the entry with the largest relative error
    analytic: float         # the two gradients at that entry
    numerical: float
    skipped: tuple = ()     # indices of the entries skipped at a kink

    def passed(self, rel_tol):
        """Every entry judged is within rel_tol (a NaN fails)."""
        return self.max_rel_error <= rel_tol

    @classmethod
    def compare(cls, name, shape, flat, a, n, rel_error, skipped):
        """The row of one array: the worst entry judged, and the skipped ones.
        flat, a, n, rel_error, skipped: (K,) each, as check_gradients computed them."""
        index = lambda i: tuple(int(j) for j in np.unravel_index(i, shape))
        skipped_at = tuple(index(i) for i in flat[skipped])
        judged = ~skipped
        if not judged.any():                   # nothing (left) to disagree on
            return cls(name, shape, int(flat.size), int(np.prod(shape)), 0.0, 0.0, (), 0.0, 0.0, skipped_at)
        with np.errstate(over="ignore"):       # beyond float64: inf, as it should
            abs_error = np.abs(a - n)
        rel, err = np.where(judged, rel_error, -1.0), np.where(judged, abs_error, 0.0)
        worst = int(np.argmax(np.where(np.isnan(rel), np.inf, rel)))   # a NaN is the worst of all
        return cls(name, shape, int(flat.size), int(np.prod(shape)), float(rel[worst]),
                   float(err.max()), index(flat[worst]), float(a[worst]), float(n[worst]), skipped_at)


@dataclass
class GradcheckReport:
    """The per-array results of check_gradients; print it to read them as a table."""
    rows: list
    eps: float = DEFAULT_EPS
    floor: float = DEFAULT_FLOOR
    rel_tol: float = DEFAULT_REL_TOL

    @property
    def max_rel_error(self):
        """The largest relative error over every array (0.0 when nothing was checked)."""
        return max((row.max_rel_error for row in self.rows), default=0.0)

    @property
    def skipped(self):
        """How many entries were skipped at kinks, over every array."""
        return sum(len(row.skipped) for row in self.rows)

    @property
    def checked(self):
        return sum(row.checked for row in self.rows)

    def passed(self, rel_tol=None):
        """True when every array's max relative error is <= rel_tol (default self.rel_tol)
        and at most half of the entries examined were skipped at kinks."""
        rel_tol = self.rel_tol if rel_tol is None else rel_tol
        return all(row.passed(rel_tol) for row in self.rows) and not self._mostly_skipped()

    def _mostly_skipped(self):
        return 2 * self.skipped > self.checked

    def __str__(self):
        header = ["array", "shape", "examined", "max rel err", "max abs err", "worst at",
                  "analytic", "numerical", "result"]
        lines = [_format_row(row, self.rel_tol) for row in self.rows]
        if self.skipped:                       # the column appears only when it says something
            header.insert(3, "skipped")
            for cells, row in zip(lines, self.rows):
                cells.insert(3, str(len(row.skipped)))
        widths = [max(len(cells[j]) for cells in [header] + lines) for j in range(len(header))]
        left = {header.index(h) for h in ("array", "shape", "worst at", "result")}   # text flush left

        def join(cells):
            return "  ".join(c.ljust(w) if j in left else c.rjust(w)
                             for j, (c, w) in enumerate(zip(cells, widths))).rstrip()

        out = [f"gradient check: central differences with eps={self.eps:g}; "
               f"rel err = |a - n| / max(|a|, |n|, {self.floor:g}), a analytic, n numerical",
               join(header)]
        out += [join(cells) for cells in lines]
        failed = [row.name for row in self.rows if not row.passed(self.rel_tol)]
        if failed:
            out.append(f"FAIL: {len(failed)} of {counted(len(self.rows), 'array')} above "
                       f"rel tol {self.rel_tol:.0e} ({', '.join(failed)}); "
                       f"max rel err {self.max_rel_error:.1e}")
        elif self._mostly_skipped():
            out.append(f"FAIL: {self.skipped} of the {self.checked} entries examined were skipped, over half: "
                       f"too little was verified (is eps far from 1e-5? see --sweep-eps)")
        else:
            out.append(f"PASS: all {counted(len(self.rows), 'array')} within rel tol {self.rel_tol:.0e}; "
                       f"max rel err {self.max_rel_error:.1e}")
        if self.skipped:
            out.append(_describe_skipped(self.rows))
        # the commonest mistake: loss_fn computes from a copy, so nudging changes nothing
        unread = [row.name for row in self.rows
                  if row.numerical == 0 and row.analytic != 0 and row.max_rel_error >= 1]
        if unread:
            out.append(f"note: the loss did not move when {', '.join(unread)} changed; "
                       f"does loss_fn read these very arrays, not copies?")
        return "\n".join(out)


def _format_row(row, rel_tol):
    """The table cells of one row, as strings."""
    verdict = "PASS" if row.passed(rel_tol) else "FAIL"
    return [row.name, str(row.shape), f"{row.checked}/{row.size}",
            f"{row.max_rel_error:.1e}", f"{row.max_abs_error:.1e}", str(row.worst_index),
            f"{row.analytic:.6e}", f"{row.numerical:.6e}", verdict]


def _describe_skipped(rows):
    """The skipped entries, a few per array, and why."""
    count = sum(len(row.skipped) for row in rows)
    where = "; ".join(f"{row.name} at {', '.join(map(str, row.skipped[:3]))}"
                      + (f" and {len(row.skipped) - 3} more" if len(row.skipped) > 3 else "")
                      for row in rows if row.skipped)
    return (f"skipped {counted(count, 'entry', 'entries')} ({where}): the loss has a kink "
            f"within +-eps there (a relu, max or clip switching), so the central difference averages "
            f"two slopes and is no test of the gradient")

