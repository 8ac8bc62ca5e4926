"""Look inside a trained language model (`minirnn inspect`), one file per stage, in the order
the data moves:

    text.py         which text: the checkpoint's validation text, a file or a prompt -> ids
    trace.py        run the model over the ids, keep every step's h, c, gates and next-token
                    probabilities (from the recurrent layer's own record, Recurrent.trace)
    features.py     per-character features of the text (quotes, brackets, line position, ...)
                    and the units whose activations correlate most with each
    saturation.py   how often each gate is shut (< 0.1) or open (> 0.9)
    connectivity.py how much each prediction depends on the input k steps back: the
                    gradient norm, by the layers' own backpropagation through time, and
                    the model's reach
    page.py         the self-contained HTML page that colours the text by any unit, or by
                    what a prediction depends on
    plots.py        the gate-saturation scatter plot, a heatmap of the ranked units and
                    the connectivity curve
    cli.py          the command's options, and the command running the stages in order

What other code uses from here:
"""
from minirnn.inspect.connectivity import connectivity, input_gradients, reach, summarise
from minirnn.inspect.features import character_features, search_units, unit_correlations
from minirnn.inspect.saturation import gate_saturation
from minirnn.inspect.trace import Trace, trace_model

__all__ = ["Trace", "character_features", "connectivity", "gate_saturation", "input_gradients", "reach",
           "search_units", "summarise", "trace_model", "unit_correlations"]
