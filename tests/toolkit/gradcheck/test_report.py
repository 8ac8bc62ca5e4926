"""minirnn.toolkit.gradcheck.report: the table a GradcheckReport prints."""
import numpy as np

from minirnn.toolkit.gradcheck.compare import check_gradients
from minirnn.toolkit.gradcheck.report import GradcheckReport
from tests.test_gradcheck import cubic_problem


def test_report_table_is_readable():
    loss, arrays, exact = cubic_problem(0)
    exact["y"] = -exact["y"]
    report = check_gradients(loss, arrays, exact)
    text = str(report)
    lines = text.splitlines()
    assert len(lines) == 2 + len(report.rows) + 1   # title, header, rows, summary
    assert lines[1].split()[:3] == ["array", "shape", "examined"]
    row_lines = lines[2:2 + len(report.rows)]
    assert row_lines[0].startswith("x ") and row_lines[0].endswith("PASS")
    assert row_lines[1].startswith("y ") and row_lines[1].endswith("FAIL")
    assert len({len(line) for line in row_lines}) == 1   # columns aligned
    assert lines[-1].startswith("FAIL") and "y" in lines[-1]
    assert str(GradcheckReport(report.rows[:1])).splitlines()[-1].startswith("PASS")


def test_report_points_at_a_loss_that_reads_a_copy():
    x = np.ones(4)
    frozen = x.copy()
    report = check_gradients(lambda: np.sum(frozen ** 2), {"x": x}, {"x": 2 * x})
    assert not report.passed()
    assert "copies" in str(report)
