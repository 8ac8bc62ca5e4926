"""minirnn: recurrent networks from scratch in NumPy, every gradient written by hand.

Follow one batch through the files, in the order the data takes:
cells/ (the math) -> recurrent.py (layers of cells) -> layers.py (Embedding, Linear)
-> losses.py -> gradcheck.py (proof that every backward is right).
"""
from .layers import Embedding, Linear
from .losses import softmax_cross_entropy
from .recurrent import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "Embedding", "Linear", "softmax_cross_entropy"]
