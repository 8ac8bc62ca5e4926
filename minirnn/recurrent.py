"""Recurrent layers: cells wired together into RNN, LSTM and GRU, as torch.nn does.

A cell carries a state along one sequence (minirnn/cells, the NumPy reference, or
minirnn/kernels, the same numbers faster with Numba). A layer wires cells together:

    num_layers      layer k's output sequence is layer k+1's input sequence (stacking)
    bidirectional   a second cell reads the sequence backwards; the two outputs are
                    concatenated on the last axis: y (T, B, 2N)
    dropout         on each layer's input after the first, while training
    lengths         sequences in a batch may be shorter than T; padding never touches
                    the state, as with torch's packed sequences (SequenceLengths, in
                    minirnn/lengths.py, says how)
    batch_first     x given as (B, T, I) instead of the time-major (T, B, I)

The state has one row per (layer, direction), in PyTorch's order and layout: h (L*D, B, N)
for L layers and D directions (1, or 2 when bidirectional); for the LSTM the pair (h, c).
For a 2-layer bidirectional LSTM, h[0] is layer 0 forward, h[1] layer 0 backward, h[2]
layer 1 forward, h[3] layer 1 backward, and c the same. ``forward`` returns the final
state, ``backward`` takes a gradient on it and returns the gradient on the initial state.

Parameters: ``W_l0`` (input-to-state), ``H_l0`` (state-to-state), ``b_l0`` (bias),
``W_l1_reverse`` for layer 1's backward direction; drawn as PyTorch draws them (uniform
in +-1/sqrt(N)), its two biases summed into one (``minirnn.interop`` converts to and from PyTorch's names).
``CellLayer`` (at the end) makes such a layer from a cell of your own. Arguments are
checked once, at the door (minirnn/toolkit/layer_checks.py).
"""
from typing import NamedTuple

import numpy as np

from minirnn.cells import sequence
from minirnn.lengths import SequenceLengths
from minirnn.toolkit import cell_protocol, layer_checks, validate


class LayerCache(NamedTuple):
    """What backward needs from the last forward."""
    T: int
    B: int
    seqlen: SequenceLengths  # where each sequence ends (minirnn/lengths.py)
    caches: list             # one cell cache per (layer, direction)
    states: list             # per (layer, direction): its state sequences, (h,) or (h, c), each
                             # (T, B, N) in the direction's reading order
    dropout_masks: list      # per layer: the mask applied to its input, or None


class Recurrent:
    """Shared machinery of RNN, LSTM and GRU; a subclass supplies the cell."""

    cell_name = None     # "rnn", "lstm" or "gru": its file in cells/ (NumPy) and kernels/ (Numba)
    blocks = 1           # how many N-wide blocks W, H and b stack on their last axis
    state_names = ("h",)

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
        # weights first, then dropout masks (save its .bit_generator.state to resume bit for bit)
        self.rng = np.random.default_rng(layer_checks.seed(seed))
        self.params = {}
        for layer, direction in self._layer_directions():
            in_size = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            cell_params = self._init_params(in_size)
            for name, value in cell_params.items():
                # C order: the kernels would copy a transposed (Fortran-order) view on every call
                self.params[name + self._suffix(layer, direction)] = np.ascontiguousarray(value, self.dtype)
        self._cell_param_names = tuple(cell_params)             # W, H, b (and b_hn for the GRU)
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._cache = None

    # ---- the cell, supplied by each subclass ---------------------------------------------

    def _init_params(self, in_size):
        """PyTorch's draws: weight_ih, weight_hh, bias_ih, bias_hh, all uniform +-1/sqrt(N)."""
        N, G = self.hidden_size, self.blocks
        bound = 1 / np.sqrt(N)
        draw = lambda *shape: self.rng.uniform(-bound, bound, shape)
        weight_ih, weight_hh, bias_ih, bias_hh = draw(G * N, in_size), draw(G * N, N), draw(G * N), draw(G * N)
        return self._from_torch(weight_ih, weight_hh, bias_ih, bias_hh)

    def _from_torch(self, weight_ih, weight_hh, bias_ih, bias_hh):
        """PyTorch's four arrays -> this cell's parameters (W, H, b, ...)."""
        return {"W": weight_ih.T, "H": weight_hh.T, "b": bias_ih + bias_hh}

    def _cell_forward(self, module, x, states0, p):
        """x (T, B, I), states0 tuple of (B, N) -> (tuple of (T, B, N) state sequences, cache)"""
        raise NotImplementedError

    def _cell_backward(self, module, dstates, cache):
        """dstates: tuple of (T, B, N) gradients on each state sequence, None for none beyond h's
        -> (dx, tuple of (B, N) initial-state grads, dict of param grads)"""
        raise NotImplementedError

    # ---- forward -----------------------------------------------------------------------

    def forward(self, x, state=None, lengths=None):
        """Run every layer and direction over the sequence.

        x (T, B, I) (or (B, T, I) with batch_first), state None (zeros) or the
        initial state, lengths None (all T) or (B,) ints in [1, T].
        Returns y (T, B, D*N) the last layer's outputs (zero at padded steps) and the
        final state, each sequence's state after its own last step. Inside, a state is
        the tuple of its parts, (h,) or (h, c), so one code path serves all three cells.
        """
        layer_checks.forward_arguments(self, x, state, lengths)
        if self.batch_first:
            x = x.transpose(1, 0, 2)                     # (B, T, I) -> (T, B, I)
        T, B = x.shape[:2]
        states0 = self._as_parts(state, B)         # tuple of (L*D, B, N)
        seqlen = SequenceLengths(T, B, lengths)
        module = self._backend_module()

        caches, states, dropout_masks = [], [], []
        # finals[s][k]: state s (h, or h then c) of (layer, direction) k after each
        # sequence's last step, (B, N); stacked below into the (L*D, B, N) arrays
        finals = [[] for _ in self.state_names]
        layer_input = x
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                keep = self.rng.random(layer_input.shape) >= self.dropout
                mask = keep.astype(self.dtype) / (1 - self.dropout)      # inverted dropout
                layer_input = layer_input * mask
                dropout_masks.append(mask)
            else:
                dropout_masks.append(None)
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                reverse = direction == 1
                xin = seqlen.reverse(layer_input) if reverse else layer_input
                seqs, cache = self._cell_forward(module, xin, tuple(s0[k] for s0 in states0),
                                                 self._params_of(layer, direction))
                caches.append(cache)
                states.append(seqs)
                for final, seq in zip(finals, seqs):
                    final.append(seqlen.last(seq))        # state after each sequence's own last step
                y = seqlen.reverse(seqs[0]) if reverse else seqs[0]
                outputs.append(seqlen.zero_padding(y))
            layer_input = np.concatenate(outputs, axis=-1) if self.bidirectional else outputs[0]

        self._cache = LayerCache(T, B, seqlen, caches, states, dropout_masks)
        y = layer_input.transpose(1, 0, 2) if self.batch_first else layer_input
        return y, self._pack_state(tuple(np.stack(f) for f in finals))

    # ---- backward ----------------------------------------------------------------------

    def backward(self, dy, dstate=None):
        """Backpropagation through time, through every layer and direction.

        dy: gradient on y, same shape as y; dstate: None or a gradient on the final
        state (same structure as the state). Returns (dx, dstate0): gradients on the
        input and the initial state. Fills self.grads.
        """
        layer_checks.backward_arguments(self, dy, dstate)
        T, B, seqlen, caches, _, dropout_masks = self._cache
        N, D = self.hidden_size, self.num_directions
        if self.batch_first:
            dy = dy.transpose(1, 0, 2)
        # None: no gradient on the final state (a training loss on the outputs only)
        dfinals = None if dstate is None else self._as_parts(dstate, B)   # tuple of (L*D, B, N)
        dstates0 = [np.empty((self.num_layers * D, B, N), self.dtype) for _ in self.state_names]
        module = self._backend_module()

        d_output = seqlen.zero_padding(dy)                    # padded outputs were zeroed: no gradient
        for layer in reversed(range(self.num_layers)):
            d_inputs = []
            for direction in range(D):
                k = layer * D + direction
                reverse = direction == 1
                dy_dir = d_output[..., direction * N:(direction + 1) * N]
                dh = seqlen.reverse(dy_dir) if reverse else dy_dir
                # the outputs are h; the LSTM's c gets a gradient only as a final state
                dseqs = (dh,) + (None,) * (len(self.state_names) - 1)
                if dfinals is not None:
                    # each state sequence gets the final-state gradient at its own last step
                    dseqs = tuple(seqlen.add_at_last(dseq, dfinal[k]) for dseq, dfinal in zip(dseqs, dfinals))
                dx_dir, d0, dparams = self._cell_backward(module, dseqs, caches[k])
                d_inputs.append(seqlen.reverse(dx_dir) if reverse else dx_dir)
                for s, d in zip(dstates0, d0):
                    s[k] = d
                for name, grad in dparams.items():
                    self.grads[name + self._suffix(layer, direction)] = grad
            d_input = d_inputs[0] if D == 1 else d_inputs[0] + d_inputs[1]   # both directions read this input
            if dropout_masks[layer] is not None:
                d_input = d_input * dropout_masks[layer]     # backprop through the dropout mask
            d_output = d_input
        dx = d_output.transpose(1, 0, 2) if self.batch_first else d_output
        return dx, self._pack_state(tuple(dstates0))

    # ---- looking inside ------------------------------------------------------------------

    def trace(self):
        """What every cell computed in the last forward call, for looking inside a network.

        One dict per (layer, direction), in the order of the state's first axis, mapping
        a name to a (T, B, N) array in the input's time order, zero at padded steps:

            "h", and the LSTM's "c"   every step's states
            "i", "f", "g", "o"        LSTM: the blocks after their nonlinearity
            "r", "z", "n"             GRU: the same (g and n are tanh candidates, not gates)

        These are the arrays forward keeps for backward. RuntimeError before any forward.
        """
        layer_checks.called_after_forward(self, "trace")
        seqlen, traced = self._cache.seqlen, []
        for k, (cache, seqs) in enumerate(zip(self._cache.caches, self._cache.states)):
            reverse = k % self.num_directions == 1
            values = {**dict(zip(self.state_names, seqs)), **cache.gate_values()}
            traced.append({name: seqlen.zero_padding(seqlen.reverse(v) if reverse else v)
                           for name, v in values.items()})
        return traced

    @staticmethod
    def state_parts(state):
        """A state (h, or the LSTM's (h, c)) as a tuple of arrays, always: (h,) or (h, c)."""
        return state if isinstance(state, tuple) else (state,)

    # ---- bookkeeping ----------------------------------------------------------------------

    def _layer_directions(self):
        return [(layer, d) for layer in range(self.num_layers) for d in range(self.num_directions)]

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def _params_of(self, layer, direction):
        """This (layer, direction)'s parameters under their plain names: W, H, b, ..."""
        suffix = self._suffix(layer, direction)
        return {name: self.params[name + suffix] for name in self._cell_param_names}

    def _backend_module(self):
        """The module whose <cell>_forward / <cell>_backward run this cell over a sequence:
        minirnn/cells/<cell_name>.py (backend "numpy") or minirnn/kernels/<cell_name>.py ("numba")."""
        if self.backend == "numpy":
            from minirnn.cells import gru, lstm, rnn
        else:
            from minirnn.kernels import gru, lstm, rnn      # imports Numba only when asked for
        return {"rnn": rnn, "lstm": lstm, "gru": gru}[self.cell_name]

    def _as_parts(self, state, B):
        """A state (or its gradient) as the tuple of its parts, each (L*D, B, N); None -> zeros."""
        if state is None:
            LD = self.num_layers * self.num_directions
            return tuple(np.zeros((LD, B, self.hidden_size), self.dtype) for _ in self.state_names)
        return tuple(state) if len(self.state_names) > 1 else (state,)

    def _pack_state(self, states):
        return states[0] if len(states) == 1 else states

    def __repr__(self):
        extra = f", nonlinearity={self.nonlinearity!r}" if hasattr(self, "nonlinearity") else ""
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
                f", bidirectional={self.bidirectional}{extra}, dtype={self.dtype}, backend={self.backend!r})")


class RNN(Recurrent):
    """The simple recurrent network: S_t = sigma(X_t W + S_(t-1) H + b).

    nonlinearity: "tanh" (the default) or "relu". Parameters per layer: W (I, N),
    H (N, N), b (N,). See minirnn/cells/rnn.py for the math.
    """

    cell_name = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", **kwargs):
        self.nonlinearity = validate.one_of("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, num_layers, **kwargs)

    def _cell_forward(self, module, x, states0, p):
        s, cache = module.rnn_forward(x, states0[0], p["W"], p["H"], p["b"], self.nonlinearity)
        return (s,), cache

    def _cell_backward(self, module, dstates, cache):
        dx, ds0, dW, dH, db = module.rnn_backward(dstates[0], cache)
        return dx, (ds0,), {"W": dW, "H": dH, "b": db}


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

    Blocks stacked r, z, n: W (I, 3N), H (N, 3N), b (3N,), plus b_hn (N,), the bias
    of the recurrent term inside the reset gate's product, which cannot be merged
    into b.
    """

    cell_name = "gru"
    blocks = 3

    def _from_torch(self, weight_ih, weight_hh, bias_ih, bias_hh):
        N = self.hidden_size
        b = bias_ih.copy()
        b[:2 * N] += bias_hh[:2 * N]             # r and z: the two biases simply add
        return {"W": weight_ih.T, "H": weight_hh.T, "b": b, "b_hn": bias_hh[2 * N:].copy()}

    def _cell_forward(self, module, x, states0, p):
        h, cache = module.gru_forward(x, states0[0], p["W"], p["H"], p["b"], p["b_hn"])
        return (h,), cache

    def _cell_backward(self, module, dstates, cache):
        dx, dh0, dW, dH, db, db_hn = module.gru_backward(dstates[0], cache)
        return dx, (dh0,), {"W": dW, "H": dH, "b": db, "b_hn": db_hn}


class CellLayer(Recurrent):
    """A layer from a cell of your own: write one step, minirnn does the rest.

    cell: an object (or a class, made with no arguments) with ``state_names``,
    ``blocks``, ``step_forward(x, states_prev, params)`` and ``step_backward(dstates,
    cache)``, as described in minirnn/cells/sequence.py, whose ``sequence_forward`` /
    ``sequence_backward`` run it over the sequence. Everything else is Recurrent's, as
    for LSTM: num_layers, bidirectional, dropout, lengths, batch_first, dtype, seed,
    ``trace()``. NumPy only (there is no Numba kernel for a cell minirnn has not seen).

        layer = CellLayer(MyCell(), input_size=2, hidden_size=16)
        y, h = layer.forward(x)                # x (T, B, 2) -> y (T, B, 16)

    Raises TypeError naming what is missing when the cell does not follow the protocol,
    and names the method when a step returns the wrong shape or dtype.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, backend="numpy", **kwargs):
        self.cell = cell_protocol.cell_layer_arguments(cell, backend)    # the object, made if a class
        self.blocks = int(self.cell.blocks)
        self.state_names = tuple(self.cell.state_names)
        super().__init__(input_size, hidden_size, num_layers, backend=backend, **kwargs)

    def _init_params(self, in_size):
        """The cell's own init_params if it has one; otherwise W, H, b drawn like PyTorch's."""
        if hasattr(self.cell, "init_params"):
            return self.cell.init_params(in_size, self.hidden_size, self.rng)
        return super()._init_params(in_size)

    def _backend_module(self):
        return sequence                        # minirnn/cells/sequence.py: the loops for any cell

    def _cell_forward(self, module, x, states0, p):
        checked = cell_protocol.CheckedSteps(self.cell, x[0], states0, p)   # names a step that returns a wrong shape
        return module.sequence_forward(checked, x, states0, p)

    def _cell_backward(self, module, dstates, cache):
        return module.sequence_backward(dstates, cache)

    def __repr__(self):
        return (f"CellLayer({type(self.cell).__name__}, {self.input_size}, {self.hidden_size}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, dtype={self.dtype})")
