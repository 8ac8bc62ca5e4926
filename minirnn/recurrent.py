"""Recurrent layers: the cells of minirnn/cells wired together into RNN, LSTM and GRU.

A cell carries a state along one sequence. A layer wires cells together in the two ways
the lesson shows, and ``forward`` is these two loops (``backward`` the same in reverse):

    stacking     num_layers = L: layer k's output sequence is layer k+1's input sequence
    directions   bidirectional: a second cell, with weights of its own, reads the sequence
                 from its end to its start; the two outputs are concatenated, y (T, B, 2N)

Around them, the options of torch.nn.RNN:

    lengths      sequences in a batch may be shorter than T: the cells compute the padded
                 steps too, and the layer throws away what they give (minirnn/lengths.py)
    dropout      on each layer's input after the first, while training
    batch_first  x given as (B, T, I) instead of the time-major (T, B, I)
    backend      "numpy" runs the cells/ functions you just read; "numba" (the default)
                 runs their twins in minirnn/kernels/, the same numbers faster

The state has one row per (layer, direction), in PyTorch's order: h (L*D, B, N), D = 2
when bidirectional, else 1 (the LSTM's state is the pair (h, c)); h[0] is layer 0 forward,
h[1] layer 0 backward (if any), then layer 1. The parameters are named alike: W_l0, H_l0,
b_l0, ..., W_l1_reverse (minirnn.interop converts them to and from PyTorch's names).
Arguments are checked at the door (minirnn/toolkit/layer_checks.py).
"""
from typing import NamedTuple

import numpy as np

from minirnn.layers import dropout_backward, dropout_forward
from minirnn.lengths import SequenceLengths
from minirnn.toolkit import layer_checks, validate


class LayerCache(NamedTuple):
    """What backward needs from the last forward."""
    T: int
    B: int
    seqlen: SequenceLengths  # where each sequence ends (minirnn/lengths.py)
    caches: list             # one cell cache per (layer, direction)
    states: list             # per (layer, direction): (h,) or (h, c), each (T, B, N), in reading order
    dropout_masks: list      # per layer: the mask applied to its input, or None


class Recurrent:
    """What RNN, LSTM and GRU share. Each subclass (below) supplies its cell: _cell_forward
    (module, x, states0, params) -> (state sequences, cache), and _cell_backward; for a
    cell of your own, CellLayer (minirnn/cells/sequence.py)."""

    cell_name = None         # "rnn", "lstm" or "gru": its file in cells/ and in kernels/
    blocks = 1               # N-wide blocks stacked in W, H and b: the RNN 1, the LSTM 4, the GRU 3
    state_names = ("h",)     # the parts of the state: h, or the LSTM's h and c

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, dropout=0.0,
                 batch_first=False, dtype=np.float64, seed=0, backend="numba"):
        self.input_size = validate.positive_int("input_size", input_size)
        self.hidden_size = validate.positive_int("hidden_size", hidden_size)
        self.num_layers = validate.positive_int("num_layers", num_layers)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.dropout = validate.probability("dropout", dropout)
        self.batch_first = bool(batch_first)
        self.dtype = validate.float_dtype(dtype)
        self.backend = validate.one_of("backend", backend, ("numba", "numpy"))
        self.training = True
        self.rng = np.random.default_rng(layer_checks.seed(seed))   # draws the weights, then dropout masks
        self.params = {}                                         # "W_l0", "H_l0", ..., "b_l1_reverse"
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else self.hidden_size * self.num_directions  # stacking
            for direction in range(self.num_directions):
                cell_params = self._init_params(in_size)
                for name, value in cell_params.items():
                    # C order: the kernels would copy a transposed view on every call
                    self.params[name + self._suffix(layer, direction)] = np.ascontiguousarray(value, self.dtype)
        self._cell_param_names = tuple(cell_params)             # W, H, b (and b_hn for the GRU)
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._cache = None

    def _init_params(self, in_size):
        """W (in, G*N), H (N, G*N), b (G*N,) for G blocks: uniform in +-1/sqrt(N), as PyTorch.

        b is the sum of PyTorch's two biases, bias_ih + bias_hh (the cell only ever adds them).
        Drawn in PyTorch's layout (G*N, in) and then transposed: that order of draws is what
        every minirnn version has used, so a given seed gives the same weights as ever (they
        are NumPy's random numbers, not torch's)."""
        N, G = self.hidden_size, self.blocks
        bound = 1 / np.sqrt(N)
        uniform = lambda *shape: self.rng.uniform(-bound, bound, shape)
        W = uniform(G * N, in_size).T            # (in, G*N)
        H = uniform(G * N, N).T                  # (N, G*N)
        return {"W": W, "H": H, **self._biases(uniform(G * N), uniform(G * N))}

    def _biases(self, bias_ih, bias_hh):
        """PyTorch's two biases (G*N,) each -> this cell's bias parameters: their sum b."""
        return {"b": bias_ih + bias_hh}

    def forward(self, x, state=None, lengths=None):
        """Run the layers, each in its directions, over x (T, B, I) ((B, T, I) with batch_first).

        state None (zeros) or the initial state; lengths None (all T) or (B,) ints in [1, T].
        Returns y (T, B, D*N), the last layer's outputs (zero at padded steps), and the final
        state: each sequence's state after its own last step."""
        layer_checks.forward_arguments(self, x, state, lengths)
        if self.batch_first:
            x = x.transpose(1, 0, 2)                     # (B, T, I) -> (T, B, I)
        T, B = x.shape[:2]
        if state is None:                                # zeros, (h,) or (h, c), each (L*D, B, N)
            state = tuple(np.zeros((self.num_layers * self.num_directions, B, self.hidden_size), self.dtype)
                          for _ in self.state_names)
        states0 = self.state_parts(state)                # a tuple, whatever the cell: one code path for all
        seqlen = SequenceLengths(T, B, lengths)
        module = self._backend_module()

        caches, states, dropout_masks = [], [], []
        finals = [[] for _ in self.state_names]          # per part of the state: one (B, N) per (layer, direction)
        layer_input = x                                  # (T, B, I)
        for layer in range(self.num_layers):             # stacking
            layer_input, mask = self._dropout(layer, layer_input)
            dropout_masks.append(mask)
            outputs = []
            for direction in range(self.num_directions):     # 0 reads forwards, 1 backwards
                k = layer * self.num_directions + direction  # its row in the state
                reverse = direction == 1
                xin = seqlen.reverse(layer_input) if reverse else layer_input
                seqs, cache = self._cell_forward(module, xin, tuple(s0[k] for s0 in states0),
                                                 self._params_of(layer, direction))
                caches.append(cache)
                states.append(seqs)                      # (h,) or (h, c), each (T, B, N)
                # the final state, at each sequence's own last step: for the reverse direction,
                # the state after reading token 0 (PyTorch's h_n; classify reads both)
                for final, seq in zip(finals, seqs):
                    final.append(seqlen.last(seq))
                y = seqlen.reverse(seqs[0]) if reverse else seqs[0]   # back in the input's time order
                outputs.append(seqlen.zero_padding(y))   # (T, B, N)
            layer_input = np.concatenate(outputs, axis=-1)   # (T, B, D*N): the next layer's input

        self._cache = LayerCache(T, B, seqlen, caches, states, dropout_masks)
        y = layer_input.transpose(1, 0, 2) if self.batch_first else layer_input
        return y, self._pack_state(tuple(np.stack(f) for f in finals))

    def _dropout(self, layer, layer_input):
        """Inverted dropout on the input of each layer but the first, while training: (input, mask or None)."""
        if layer == 0 or not self.training or self.dropout == 0:
            return layer_input, None
        return dropout_forward(layer_input, self.dropout, self.rng)   # (T, B, I) and its mask

    def backward(self, dy, dstate=None):
        """Backpropagation through time, through every layer and direction.

        dy: the gradient on y; dstate: None or a gradient on the final state. Returns
        (dx, dstate0), the gradients on x and on the initial state. Fills self.grads."""
        layer_checks.backward_arguments(self, dy, dstate)
        T, B, seqlen, caches, _, dropout_masks = self._cache
        N, D = self.hidden_size, self.num_directions
        if self.batch_first:
            dy = dy.transpose(1, 0, 2)
        # None: no gradient on the final state (a training loss on the outputs only)
        dfinals = None if dstate is None else self.state_parts(dstate)   # each (L*D, B, N)
        dstates0 = [np.empty((self.num_layers * D, B, N), self.dtype) for _ in self.state_names]
        module = self._backend_module()

        d_output = seqlen.zero_padding(dy)               # padded outputs were zeroed: no gradient
        for layer in reversed(range(self.num_layers)):
            d_inputs = []
            for direction in range(D):
                k = layer * D + direction
                reverse = direction == 1
                dh = d_output[..., direction * N:(direction + 1) * N]    # (T, B, N) this direction's part of y
                dh = seqlen.reverse(dh) if reverse else dh               # in its reading order
                # the outputs are h; the LSTM's c gets a gradient only as a final state
                dseqs = (dh,) + (None,) * (len(self.state_names) - 1)
                if dfinals is not None:
                    # each state sequence gets the final-state gradient at its own last step
                    dseqs = tuple(seqlen.add_at_last(dseq, dfinal[k]) for dseq, dfinal in zip(dseqs, dfinals))
                dx_dir, d0, dparams = self._cell_backward(module, dseqs, caches[k])
                d_inputs.append(seqlen.reverse(dx_dir) if reverse else dx_dir)
                for dstate0, d in zip(dstates0, d0):
                    dstate0[k] = d
                for name, grad in dparams.items():
                    self.grads[name + self._suffix(layer, direction)] = grad
            d_input = d_inputs[0] if D == 1 else d_inputs[0] + d_inputs[1]   # both directions read this input
            if dropout_masks[layer] is not None:
                d_input = dropout_backward(d_input, dropout_masks[layer])   # back through the mask
            d_output = d_input                               # the layer below produced this input
        dx = d_output.transpose(1, 0, 2) if self.batch_first else d_output
        return dx, self._pack_state(tuple(dstates0))

    # ---- bookkeeping ----------------------------------------------------------------------

    def _backend_module(self):
        """Where <cell>_forward / _backward live: cells/<cell_name>.py or kernels/<cell_name>.py."""
        if self.backend == "numpy":
            from minirnn.cells import gru, lstm, rnn
        else:
            from minirnn.kernels import gru, lstm, rnn      # imports Numba only when asked for
        return {"rnn": rnn, "lstm": lstm, "gru": gru}[self.cell_name]

    @staticmethod
    def state_parts(state):
        """A state (h, or the LSTM's (h, c)) as a tuple of arrays, always: (h,) or (h, c)."""
        return tuple(state) if isinstance(state, (tuple, list)) else (state,)

    def _pack_state(self, parts):
        """The inverse of state_parts: (h,) -> h, (h, c) -> (h, c)."""
        return parts[0] if len(parts) == 1 else parts

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def _params_of(self, layer, direction):
        """This (layer, direction)'s parameters under their plain names: W, H, b, ..."""
        suffix = self._suffix(layer, direction)
        return {name: self.params[name + suffix] for name in self._cell_param_names}

    def __repr__(self):
        extra = f", nonlinearity={self.nonlinearity!r}" if hasattr(self, "nonlinearity") else ""
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
                f", bidirectional={self.bidirectional}{extra}, dtype={self.dtype}, backend={self.backend!r})")

    # ---- looking inside (minirnn/inspect reads this) ----------------------------------------

    def trace(self):
        """What every cell computed in the last forward call (the arrays kept for backward).

        One dict per (layer, direction), in the order of the state's first axis, mapping a
        name to a (T, B, N) array in the input's time order, zero at padded steps: "h" (and
        the LSTM's "c"), every step's states; the LSTM's "i", "f", "g", "o" and the GRU's
        "r", "z", "n", the blocks after their nonlinearity (g and n are candidates, not
        gates). RuntimeError before any forward."""
        layer_checks.called_after_forward(self, "trace")
        seqlen, traced = self._cache.seqlen, []
        for k, (cache, seqs) in enumerate(zip(self._cache.caches, self._cache.states)):
            reverse = k % self.num_directions == 1
            values = {**dict(zip(self.state_names, seqs)), **cache.gate_values()}
            traced.append({name: seqlen.zero_padding(seqlen.reverse(v) if reverse else v)
                           for name, v in values.items()})
        return traced


class RNN(Recurrent):
    """The simple recurrent network: S_t = sigma(X_t W + S_(t-1) H + b), its state S named h.

    nonlinearity: "tanh" (the default) or "relu". Parameters per layer: W (I, N),
    H (N, N), b (N,). See minirnn/cells/rnn.py for the math.
    """

    cell_name = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", **kwargs):
        self.nonlinearity = validate.one_of("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, num_layers, **kwargs)

    def _cell_forward(self, module, x, states0, p):
        h, cache = module.rnn_forward(x, states0[0], p["W"], p["H"], p["b"], self.nonlinearity)
        return (h,), cache

    def _cell_backward(self, module, dstates, cache):
        dx, dh0, dW, dH, db = module.rnn_backward(dstates[0], cache)
        return dx, (dh0,), {"W": dW, "H": dH, "b": db}


class LSTM(Recurrent):
    """Long short-term memory: a cell state c beside the hidden state h, guarded by gates.

    Blocks stacked i, f, g, o (PyTorch's order): W (I, 4N), H (N, 4N), b (4N,).
    The state is the pair (h, c). See minirnn/cells/lstm.py for the math.
    """

    cell_name = "lstm"
    blocks = 4
    state_names = ("h", "c")

    def _cell_forward(self, module, x, states0, p):
        h, c, cache = module.lstm_forward(x, states0[0], states0[1], p["W"], p["H"], p["b"])
        return (h, c), cache

    def _cell_backward(self, module, dstates, cache):
        dx, dh0, dc0, dW, dH, db = module.lstm_backward(dstates[0], dstates[1], cache)
        return dx, (dh0, dc0), {"W": dW, "H": dH, "b": db}


class GRU(Recurrent):
    """Gated recurrent unit, PyTorch's variant (see minirnn/cells/gru.py).

    Blocks stacked r, z, n: W (I, 3N), H (N, 3N), b (3N,), plus b_hn (N,), the bias inside
    the reset gate's product, which cannot be merged into b.
    """

    cell_name = "gru"
    blocks = 3

    def _biases(self, bias_ih, bias_hh):
        """r and z: the two biases add up, as in every cell; n: bias_hh's part is b_hn."""
        N = self.hidden_size
        b = bias_ih.copy()
        b[:2 * N] += bias_hh[:2 * N]
        return {"b": b, "b_hn": bias_hh[2 * N:].copy()}

    def _cell_forward(self, module, x, states0, p):
        h, cache = module.gru_forward(x, states0[0], p["W"], p["H"], p["b"], p["b_hn"])
        return (h,), cache

    def _cell_backward(self, module, dstates, cache):
        dx, dh0, dW, dH, db, db_hn = module.gru_backward(dstates[0], cache)
        return dx, (dh0,), {"W": dW, "H": dH, "b": db, "b_hn": db_hn}
