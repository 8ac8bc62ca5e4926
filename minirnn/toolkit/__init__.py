"""The toolkit: what makes the lesson robust and usable, and what a learner may skip.

Nothing here is recurrent-network math; every file is plumbing that the lesson files and
the jobs (``lm``, ``classify``, ``inspect``) call on:

    validate.py     argument checks at the public entry points, with messages naming the argument
    argtypes.py     argparse types for the command line (a bad value is refused by argparse)
    textfile.py     reading a user's text file: UTF-8, with a clear error naming the file and line
    atomic.py       writing files so that none is ever left half-written
    checkpoint.py   saving a model, its optimizer and vocabulary, and resuming from them
    progress.py     the progress bar (tqdm) or plain progress lines
    threads.py      how many BLAS threads a command uses
    docstrings.py   the built-in text: the docstrings of Python's standard library
    exercises.py    the notebooks' exercises: one-line checks that say what is wrong and where
    notebooks.py    show() for the notebooks, and the command that runs them and stores their outputs
"""
