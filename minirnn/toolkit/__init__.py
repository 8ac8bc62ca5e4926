"""The toolkit: what makes the lesson robust and usable, and what a learner may skip.

Nothing here is recurrent-network math; every file is plumbing that the lesson files and
the jobs (``lm``, ``classify``, ``inspect``) call on:

    validate.py     argument checks at the public entry points, with messages naming the argument
    layer_checks.py the recurrent layers' checks of x, state, lengths, dy (minirnn/recurrent.py)
    cell_protocol.py a cell of your own checked against the protocol (minirnn/cells/sequence.py)
    argtypes.py     argparse types for the command line (a bad value is refused by argparse)
    textfile.py     reading a user's text file (UTF-8, UTF-16), with a clear error naming the file and
                    line; file names and text that any terminal, plot or page takes
    atomic.py       writing files so that none is ever left half-written
    checkpoint.py   saving a model, its optimizer and vocabulary, and resuming from them
    progress.py     the progress bar (tqdm) or plain progress lines
    training.py     the training loop every job shares: budget, Ctrl-C, validation, divergence
    threads.py      how many BLAS threads a command uses
    docstrings.py   the built-in text: the docstrings of Python's standard library
    gradcheck/      the gradient checker made robust (minirnn/gradcheck.py holds the idea):
                    argument checks, kinks, the report, check_layer, the eps sweep
"""
