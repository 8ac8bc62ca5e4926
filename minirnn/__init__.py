"""minirnn: recurrent networks from scratch in NumPy, every gradient written by hand."""
