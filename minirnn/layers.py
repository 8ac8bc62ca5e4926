"""The layers around the recurrent core: Embedding in front, Linear on top, and dropout.

Every layer in minirnn has the same small protocol:

    y = layer.forward(x)          remembers what backward needs
    dx = layer.backward(dy)       fills layer.grads (overwriting, not accumulating); Embedding's
                                  and OneHot's backward return None: ids have no gradient
    layer.params, layer.grads     dicts name -> ndarray with the same keys and shapes

Shapes, in the README's letters: T steps, B batch, V vocabulary, I features in (a Linear's
in_features; after an Embedding, its embedding_dim); and one letter of this file's own:
O features out (a Linear's out_features).

Each constructor, forward and backward first checks its arguments, in one line that calls
the toolkit (minirnn/toolkit/model_checks.py): a bad one raises an error naming it.
"""
import numpy as np

from minirnn.toolkit import model_checks as check


class Embedding:
    """Token ids -> vectors: row `i` of the table E is the vector of token `i`.

    Equivalent to one-hot(ids) @ E, without building the one-hot matrix.
    Initialised like torch.nn.Embedding: E ~ N(0, 1). The row `padding_idx`, if
    given, starts at zero and gets no gradient, so padding never learns a meaning.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=np.float64, seed=0):
        check.embedding_arguments(num_embeddings, embedding_dim, padding_idx, dtype)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)   # V, I
        self.padding_idx, self.dtype = padding_idx, np.dtype(dtype)
        rng = np.random.default_rng(seed)
        E = rng.standard_normal((num_embeddings, embedding_dim)).astype(self.dtype)   # (V, I)
        if padding_idx is not None:
            E[padding_idx] = 0
        self.params = {"E": E}
        self.grads = {"E": np.zeros_like(E)}
        self._ids = None

    def forward(self, ids):
        """ids (T, B) integers in [0, V)  ->  (T, B, I)"""
        check.ids(ids, self.num_embeddings)
        self._ids = ids
        return self.params["E"][ids]                        # look up one row per id

    def backward(self, dy):
        """dy (T, B, I) -> None; the ids are not differentiable, only E is."""
        check.embedding_gradient(self, dy)
        dE = np.zeros_like(self.params["E"])                # (V, I)
        np.add.at(dE, self._ids, dy)                        # dE[ids[t, b]] += dy[t, b]: a repeated id adds up
        if self.padding_idx is not None:
            dE[self.padding_idx] = 0                        # padding learns nothing
        self.grads["E"] = dE

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}, dtype={self.dtype})"


class Linear:
    """y = x W + b over the last axis, applied at every time step (shared weights).

    W (I, O), b (O,). Initialised like torch.nn.Linear: uniform in +-1/sqrt(I).
    """

    def __init__(self, in_features, out_features, dtype=np.float64, seed=0):
        check.linear_arguments(in_features, out_features, dtype)
        self.in_features, self.out_features = int(in_features), int(out_features)    # I, O
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        bound = 1 / np.sqrt(in_features)
        self.params = {
            "W": rng.uniform(-bound, bound, (in_features, out_features)).astype(self.dtype),
            "b": rng.uniform(-bound, bound, out_features).astype(self.dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._x = None

    def forward(self, x):
        """x (..., I) -> (..., O)"""
        check.linear_input(self, x)
        self._x = x
        # every step is a row: one (T*B, I) @ (I, O) product, not T small ones (faster)
        y = x.reshape(-1, self.in_features) @ self.params["W"] + self.params["b"]   # (T*B, O)
        return y.reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, dy):
        """dy (..., O) -> dx (..., I)"""
        check.linear_gradient(self, dy)
        x = self._x
        x2 = x.reshape(-1, self.in_features)                # (T*B, I): every step is a row
        dy2 = dy.reshape(-1, self.out_features)             # (T*B, O)
        self.grads["W"] = x2.T @ dy2                        # (I, O) summed over all rows
        self.grads["b"] = dy2.sum(axis=0)                   # (O,)
        return (dy2 @ self.params["W"].T).reshape(x.shape)  # (..., I)

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.dtype})"


class OneHot:
    """Token ids -> one-hot vectors (T, B) -> (T, B, V): min-char-rnn's input, no parameters.

    The alternative to Embedding: x @ W with a one-hot x just picks a row of W,
    so an RNN on one-hot input is an RNN with an embedding of size V folded into W.
    """

    def __init__(self, num_classes, dtype=np.float64):
        check.one_hot_arguments(num_classes, dtype)
        self.num_classes, self.dtype = int(num_classes), np.dtype(dtype)      # V
        self.params, self.grads = {}, {}

    def forward(self, ids):
        """ids (T, B) integers in [0, V) -> (T, B, V)"""
        check.ids(ids, self.num_classes)
        return np.eye(self.num_classes, dtype=self.dtype)[ids]

    def backward(self, dy):
        return None                                         # ids are not differentiable

    def __repr__(self):
        return f"OneHot({self.num_classes}, dtype={self.dtype})"


def dropout_forward(x, p, rng):
    """Inverted dropout while training (as torch.nn.Dropout): x (...) -> (out, mask).

    Each entry is zeroed with probability p and the rest scaled by 1 / (1 - p), so that
    the expected output is x and nothing changes at prediction time. mask (...) holds 0
    and 1 / (1 - p); rng is the numpy Generator that draws it.
    """
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)   # (...) 0 or 1/(1-p)
    return x * mask, mask


def dropout_backward(dout, mask):
    """dout (...) -> dx: only the kept entries pass their gradient, scaled alike."""
    return dout * mask
