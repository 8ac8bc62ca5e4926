"""The gradient checker's toolkit: what makes minirnn/gradcheck.py's idea robust.

Read minirnn/gradcheck.py first: it holds the idea (numerical_gradient, relative_error)
and re-exports what is public here at its end. Each file, one idea:

    arguments.py     the checks at the public entry points, with messages naming the argument
    differences.py   the central difference made robust: the step actually taken, no overflow
    compare.py       check_gradients: analytic against numerical, array by array
    kinks.py         where relu, max or clip switch within +-eps: detected, skipped, counted
    report.py        the per-array results, and the table they print as
    layer.py         check_layer: a whole recurrent layer (dropout masks replayed; float32
                     checked against its float64 twin)
    sweep.py         the error against eps (the V of truncation and round-off), and its plot
"""
# The lesson first, whichever module of this folder is imported: compare, report, layer and
# sweep import its constants and relative_error, and its last lines import them back (the
# re-export); loaded the other way round, that re-export would find compare.py half-loaded.
import minirnn.gradcheck  # noqa: F401
