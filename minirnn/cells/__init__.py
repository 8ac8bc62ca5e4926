"""The NumPy reference: the lesson's math, one file per cell.

Each file pairs every forward function with the backward function that undoes it:
``*_step_forward`` / ``*_step_backward`` for one time step and ``*_forward`` /
``*_backward`` for a whole sequence (backpropagation through time).
"""
