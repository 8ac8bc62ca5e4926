"""The toolkit: what makes the lesson robust and usable, and what a learner may skip.

Nothing here is new recurrent-network math; every file serves the lesson files and the
jobs (``lm``, ``classify``, ``inspect``), which call on it:

Argument checks, made once where users call in, so that the lesson's math holds none:
    validate.py       shared checks (arrays, dtypes, numbers), messages naming the argument
    layer_checks.py   the recurrent layers' x, state, lengths, dy (minirnn/recurrent.py)
    cell_protocol.py  a cell of your own, checked against the protocol (minirnn/cells/sequence.py)
    vocab_checks.py   vocabularies and their checkpoint arrays (minirnn/vocab.py)
    model_checks.py   the layers' arguments (minirnn/layers.py); Sequential's modules, and NaN/inf
                      inside the model (minirnn/sequential.py)
    optim_checks.py   the optimizers' params, hyperparameters and gradients (minirnn/optim.py)
    gradients.py      checks and diagnoses of gradient dicts (minirnn/clip.py, minirnn/optim.py)

Robust numerics around the lesson's formulas:
    optimizer.py      the Optimizer base of optim.py's rules: the checked step, its undo on overflow
    optim_state.py    an optimizer's state_dict and load_state_dict, checked key by key
    norms.py          the overflow-safe norm that clip.total_norm falls back to
    gradcheck/        the gradient checker made robust (minirnn/gradcheck.py holds the idea):
                      check_gradients, argument checks, kinks, the report, check_layer,
                      the eps sweep

Running jobs:
    training.py       the training loop every job shares: budget, Ctrl-C, validation, divergence
    checkpoint.py     saving a model, its optimizer and vocabulary, and resuming from them
    progress.py       the progress bar (tqdm) or plain progress lines
    threads.py        how many BLAS threads a command uses
    argtypes.py       argparse types for the command line (a bad value is refused by argparse)

Files:
    textfile.py       reading a user's text file (UTF-8, UTF-16), with a clear error naming the
                      file and line; file names and text that any terminal, plot or page takes
    atomic.py         writing files so that none is ever left half-written
    docstrings.py     the built-in text: the docstrings of Python's standard library

Notebooks (examples/notebooks/):
    exercises.py      the exercises' one-line checks: what is wrong and where, with a hint
    notebooks.py      show() for the notebooks, and the command that runs them and stores their outputs
"""
