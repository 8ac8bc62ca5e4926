"""The toolkit: what makes the lesson robust and usable, and what a learner may skip.

Nothing here is recurrent-network math; every file is plumbing that the lesson files and
the jobs (``lm``, ``classify``, ``inspect``) call on:

    validate.py     argument checks at the public entry points, with messages naming the argument
    optimizer.py    the Optimizer base of optim.py's rules: the checked step, its undo on overflow
    optim_checks.py the optimizers' argument checks (params, hyperparameters, gradients)
    optim_state.py  an optimizer's state_dict and load_state_dict, checked key by key
    gradients.py    checks and diagnoses of gradient dicts (clip.py, optim.py)
    norms.py        the overflow-safe norm clip.total_norm falls back to
    model_checks.py Sequential's checks: its modules, and NaN/inf inside the model
    argtypes.py     argparse types for the command line (a bad value is refused by argparse)
    textfile.py     reading a user's text file: UTF-8, with a clear error naming the file and line
    atomic.py       writing files so that none is ever left half-written
    checkpoint.py   saving a model, its optimizer and vocabulary, and resuming from them
    progress.py     the progress bar (tqdm) or plain progress lines
    threads.py      how many BLAS threads a command uses
    docstrings.py   the built-in text: the docstrings of Python's standard library
"""
