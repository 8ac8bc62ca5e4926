"""The NumPy reference: the lesson's math, one file per cell.

Each file pairs every forward function with its backward function, which takes the
gradient on the forward's outputs and returns the gradients on its inputs and parameters:
``*_step_forward`` / ``*_step_backward`` for one time step and ``*_forward`` /
``*_backward`` for a whole sequence (backpropagation through time).

Names: x[t] is step t's input and s[t] (h[t], c[t]) the state after step t; a name
ending in 0 is the initial state, the one step 0 starts from (PyTorch's h_0): s0, h0,
c0, and their gradients ds0, dh0, dc0.
"""
