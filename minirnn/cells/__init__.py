"""The NumPy reference: the lesson's math, one file per cell.

Each file pairs every forward function with its backward function, which takes the
gradient on the forward's outputs and returns the gradients on its inputs and parameters:
``*_step_forward`` / ``*_step_backward`` for one time step and ``*_forward`` /
``*_backward`` for a whole sequence (backpropagation through time).
"""
