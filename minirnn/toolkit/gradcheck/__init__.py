"""The gradient checker's toolkit: what makes minirnn/gradcheck.py's idea robust.

Read minirnn/gradcheck.py first: it holds the idea (numerical_gradient, relative_error,
check_gradients) and re-exports everything public from here. Each file, one idea:

    arguments.py     the checks at the public entry points, with messages naming the argument
    differences.py   the central difference made robust: the step actually taken, no overflow
    kinks.py         where relu, max or clip switch within +-eps: detected, skipped, counted
    report.py        the per-array results, and the table they print as
    layer.py         check_layer: a whole recurrent layer (dropout masks replayed; float32
                     checked against its float64 twin)
    sweep.py         the error against eps (the V of truncation and round-off), and its plot
"""
# The lesson first, whichever module is imported: report, layer and sweep build on its
# constants, relative_error and check_gradients, and it re-exports them at its end.
import minirnn.gradcheck  # noqa: F401
