"""minirnn: recurrent networks from scratch in NumPy, every gradient written by hand.

Follow one batch through the files, in the order the data takes:
cells/ (the math) -> recurrent.py (layers of cells) -> layers.py (Embedding, Linear)
-> losses.py -> sequential.py -> clip.py, optim.py -> gradcheck.py (proof that every
backward is right). README.md has the full reading guide.
"""
from .clip import clip_grad_norm, clip_grad_value
from .layers import Embedding, Linear, OneHot
from .losses import softmax_cross_entropy
from .sequential import Sequential
from .optim import SGD, Adagrad, Adam, AdamW, RMSprop
from .recurrent import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "Embedding", "Linear", "OneHot", "Sequential", "softmax_cross_entropy",
           "clip_grad_norm", "clip_grad_value", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
