"""Recurrent layers: RNN, LSTM and GRU, with layers, directions and sequence lengths.

The cell math lives in ``minirnn/cells`` (NumPy, the reference) and
``minirnn/kernels`` (Numba, the same numbers faster). This file only wires cells
together, the way torch.nn.RNN / LSTM / GRU do:

    num_layers      layer k's output sequence is layer k+1's input sequence
    bidirectional   a second cell reads the sequence backwards; the two outputs are
                    concatenated on the last axis: y (T, B, 2N)
    dropout         between layers, while training
    lengths         sequences in a batch may be shorter than T; padding never touches
                    the state, as with torch's packed sequences (SequenceLengths says how)
    batch_first     x given as (B, T, I) instead of the time-major (T, B, I)

States follow PyTorch's layout, one row per (layer, direction): h (L*D, B, N) for L
layers and D directions (1, or 2 when bidirectional), and for the LSTM the pair (h, c).
``forward`` returns the final state, ``backward`` takes a gradient on it and returns
the gradient on the initial state.

Parameters are named in the lesson's notation with PyTorch's suffixes:
``W_l0`` (input-to-state), ``H_l0`` (state-to-state), ``b_l0`` (bias),
``W_l1_reverse`` for the second layer's backward direction, and so on.
``minirnn.interop`` converts them to and from PyTorch's names.

``CellLayer`` (at the end) makes such a layer from a cell of your own, one step forward
and one step backward; minirnn/cells/sequence.py gives the protocol.

Initialisation draws every array exactly as PyTorch does, uniform in
+-1/sqrt(N), including PyTorch's two bias vectors, which are then summed into
minirnn's one (the same mapping as loading a PyTorch state dict).
"""
from typing import NamedTuple

import numpy as np

from minirnn.toolkit import validate


class LayerCache(NamedTuple):
    """What backward needs from the last forward."""
    T: int
    B: int
    seqlen: "SequenceLengths"  # where each sequence ends
    caches: list             # one cell cache per (layer, direction)
    states: list             # per (layer, direction): its state sequences, (h,) or (h, c), each
                             # (T, B, N) in the direction's reading order
    dropout_masks: list      # per layer: the mask applied to its input, or None


class Recurrent:
    """Shared machinery of RNN, LSTM and GRU; a subclass supplies the cell."""

    cell = None          # "rnn", "lstm" or "gru": which module in cells/ and kernels/
    gates = 1            # how many N-wide blocks W, H and b stack on their last axis
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
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.rng = np.random.default_rng(seed)           # weights first, then dropout masks (save its
                                                         # .bit_generator.state to resume bit for bit)
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
        N, G = self.hidden_size, self.gates
        bound = 1 / np.sqrt(N)
        draw = lambda *shape: self.rng.uniform(-bound, bound, shape)
        weight_ih, weight_hh, bias_ih, bias_hh = draw(G * N, in_size), draw(G * N, N), draw(G * N), draw(G * N)
        return self._from_torch(weight_ih, weight_hh, bias_ih, bias_hh)

    def _from_torch(self, weight_ih, weight_hh, bias_ih, bias_hh):
        """PyTorch's four arrays -> this cell's parameters (W, H, b, ...)."""
        return {"W": weight_ih.T, "H": weight_hh.T, "b": bias_ih + bias_hh}

    def _cell_forward(self, kernels, x, states0, p):
        """x (T, B, I), states0 tuple of (B, N) -> (tuple of (T, B, N) state sequences, cache)"""
        raise NotImplementedError

    def _cell_backward(self, kernels, dstates, cache):
        """dstates: tuple of (T, B, N) gradients on each state sequence, None for none beyond h's
        -> (dx, tuple of (B, N) initial-state grads, dict of param grads)"""
        raise NotImplementedError

    # ---- forward -----------------------------------------------------------------------

    def forward(self, x, state=None, lengths=None):
        """Run every layer and direction over the sequence.

        x (T, B, I) (or (B, T, I) with batch_first), state None (zeros) or the
        initial state, lengths None (all T) or (B,) ints in [1, T].
        Returns y (T, B, D*N) the last layer's outputs (zero at padded steps) and the
        final state, each sequence's state after its own last step.

        A state has one row per (layer, direction), in PyTorch's order and layout: an
        array h (L*D, B, N) for RNN and GRU, a pair (h, c) of such arrays for the LSTM.
        For a 2-layer bidirectional LSTM, h[0] is layer 0 forward, h[1] layer 0 backward,
        h[2] layer 1 forward, h[3] layer 1 backward, and c the same for the cell states.
        Inside, every layer works on the tuple of its states, (h,) or (h, c)
        (``state_parts``), so one code path serves all three cells.
        """
        x = self._check_input(x)
        if self.batch_first:
            x = x.transpose(1, 0, 2)                     # (B, T, I) -> (T, B, I)
        T, B = x.shape[:2]
        lengths = self._check_lengths(lengths, T, B)
        states0 = self._check_state("state", state, B)   # tuple of (L*D, B, N)
        kernels = self._kernels()
        seqlen = SequenceLengths(T, B, lengths)

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
                seqs, cache = self._cell_forward(kernels, xin, tuple(s0[k] for s0 in states0),
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
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        T, B, seqlen, caches, _, dropout_masks = self._cache
        N, D = self.hidden_size, self.num_directions
        dy_shape = (B, T, D * N) if self.batch_first else (T, B, D * N)
        validate.float_array("dy", dy, self.dtype, dy_shape)
        if self.batch_first:
            dy = dy.transpose(1, 0, 2)
        # None: no gradient on the final state (a training loss on the outputs only)
        dfinals = None if dstate is None else self._check_state("dstate", dstate, B)   # tuple of (L*D, B, N)
        dstates0 = [np.empty((self.num_layers * D, B, N), self.dtype) for _ in self.state_names]
        kernels = self._kernels()

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
                dx_dir, d0, dparams = self._cell_backward(kernels, dseqs, caches[k])
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

        Returns a list with one dict per (layer, direction), in the order of the state's
        first axis (layer 0 forward, layer 0 backward, layer 1 forward, ...). Each maps a
        name to a (T, B, N) array, time-major and in the input's time order (also for the
        backward direction), zero at padded steps:

            "h"                  every step's hidden state (the layer's output)
            "c"                  LSTM: every step's cell state
            "i", "f", "g", "o"   LSTM: the gates after their nonlinearity
            "r", "z", "n"        GRU: the gates after their nonlinearity
        (g and n are tanh candidates rather than sigmoid masks; PyTorch's layout stacks them
        with the gates, and so does this list)

        The arrays are the ones the forward pass computed and keeps for backward (no
        second copy of the cell math). Raises RuntimeError before any forward call.
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.trace called before forward")
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

    def _kernels(self):
        """The module holding this cell's sequence forward/backward for the chosen backend."""
        if self.backend == "numpy":
            from .cells import gru, lstm, rnn
        else:
            from .kernels import gru, lstm, rnn
        return {"rnn": rnn, "lstm": lstm, "gru": gru}[self.cell]

    def _pack_state(self, states):
        return states[0] if len(states) == 1 else states

    def _check_input(self, x):
        shape = ("B", "T", self.input_size) if self.batch_first else ("T", "B", self.input_size)
        if isinstance(x, np.ndarray) and x.dtype.kind in "iub":
            raise TypeError(f"x must be floating point, got dtype {x.dtype}: token ids go through "
                            f"minirnn.Embedding first (or one-hot encode them)")
        validate.float_array("x", x, self.dtype, shape)
        if 0 in x.shape[:2]:
            raise ValueError(f"x must hold at least one step and one sequence, got shape {x.shape}")
        return x

    def _check_lengths(self, lengths, T, B):
        if lengths is None:
            return None
        lengths = np.asarray(lengths)
        if lengths.dtype.kind not in "iu":
            raise TypeError(f"lengths must be integers, got dtype {lengths.dtype}")
        if lengths.shape != (B,):
            raise ValueError(f"lengths must have shape ({B},), one length per sequence in the batch, "
                             f"got {lengths.shape}")
        if lengths.min() < 1 or lengths.max() > T:
            bad = lengths.min() if lengths.min() < 1 else lengths.max()
            raise ValueError(f"lengths must lie in [1, {T}] (T, the number of steps in x), got {bad}")
        return lengths.astype(np.intp)

    def _check_state(self, name, state, B):
        """None -> zeros; otherwise check the structure, shapes and dtype."""
        LD, N = self.num_layers * self.num_directions, self.hidden_size
        if state is None:
            return tuple(np.zeros((LD, B, N), self.dtype) for _ in self.state_names)
        if len(self.state_names) > 1:
            if not isinstance(state, (tuple, list)) or len(state) != len(self.state_names):
                raise TypeError(f"{name} must be a tuple ({', '.join(self.state_names)}) for "
                                f"{type(self).__name__}, got {type(state).__name__}")
            parts = tuple(state)
        else:
            parts = (state,)
        for i, part in enumerate(parts):
            label = name if len(parts) == 1 else f"{name}[{i}] ({self.state_names[i]})"
            if isinstance(part, np.ndarray) and part.ndim == 3 and part.shape[0] != LD:
                raise ValueError(
                    f"{label} must have shape ({LD}, {B}, {N}): its first axis is num_layers * "
                    f"num_directions = {self.num_layers} * {self.num_directions}; got {part.shape}")
            validate.float_array(label, part, self.dtype, (LD, B, N))
        return parts

    def __repr__(self):
        extra = f", nonlinearity={self.nonlinearity!r}" if hasattr(self, "nonlinearity") else ""
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
                f", bidirectional={self.bidirectional}{extra}, dtype={self.dtype}, backend={self.backend!r})")


class SequenceLengths:
    """Sequences of different lengths in one padded batch, and the index tricks they need.

    A batch holds B sequences padded to T steps: sequence b's real steps are
    0 .. lengths[b]-1, the rest is padding. The cells compute every one of the T steps,
    padding included (PyTorch's packed sequences skip the padded steps instead; computing
    them costs a little arithmetic and keeps the kernels simple). That is safe because
    padding always comes AFTER a sequence's real steps, in both directions, so it can
    only change states that come later, and those are discarded:

    - forward: the final state is read at each sequence's own last step (``last``), and
      the outputs at padded steps are set to zero (``zero_padding``);
    - backward direction: each sequence's real steps are reversed in place (``reverse``),
      which leaves its padding at the end again;
    - backpropagation: padded outputs get zero gradient, and the final state's gradient
      enters at each sequence's own last step (``add_at_last``), so no gradient ever
      flows from padding into a real step.

    Worked example, T = 4, lengths [4, 2]: sequence 0 is a b c d, sequence 1 is x y
    followed by two padded steps p p.

        t                    0  1  2  3
        seq[:, 0]            a  b  c  d
        seq[:, 1]            x  y  p  p
        reverse(seq)[:, 0]   d  c  b  a
        reverse(seq)[:, 1]   y  x  p  p      padding stays where it was
        last(seq)            d  and  y       (steps lengths - 1 = [3, 1])

    ``reverse`` is one fancy-indexing expression. t (T, 1) broadcast against lengths (B,)
    gives a (T, B) table; where t < lengths the step is real and is read from
    lengths - 1 - t, elsewhere from t itself:

        t < lengths       [[1, 1], [1, 1], [1, 0], [1, 0]]
        reversed_t        [[3, 1], [2, 0], [1, 2], [0, 3]]      (T, B)

    and seq[reversed_t, batch] with batch = [0, 1] (broadcast against (T, B)) is the
    (T, B, F) array whose entry [t, b] is seq[reversed_t[t, b], b].

    Without lengths every sequence has T steps and all of this is plain slicing.
    """

    def __init__(self, T, B, lengths):
        self.T, self.lengths = T, lengths
        if lengths is not None:
            t = np.arange(T)[:, None]                                 # (T, 1)
            self.valid = (t < lengths)[..., None]                     # (T, B, 1) real step?
            self.reversed_t = np.where(t < lengths, lengths - 1 - t, t)   # (T, B)
            self.batch = np.arange(B)                                 # (B,)

    def reverse(self, seq):
        """(T, B, F) -> the same with each sequence's real steps in reverse order."""
        if self.lengths is None:
            return seq[::-1]
        return seq[self.reversed_t, self.batch]

    def last(self, seq):
        """(T, B, N) -> (B, N): each sequence's entry at its own last step."""
        if self.lengths is None:
            return seq[-1]
        return seq[self.lengths - 1, self.batch]

    def add_at_last(self, dseq, dfinal):
        """Add dfinal (B, N) to dseq (T, B, N), or to zeros if dseq is None, at each
        sequence's last step (a new array)."""
        dseq = np.zeros((self.T,) + dfinal.shape, dfinal.dtype) if dseq is None else dseq.copy()
        if self.lengths is None:
            dseq[-1] += dfinal
        else:
            dseq[self.lengths - 1, self.batch] += dfinal
        return dseq

    def zero_padding(self, seq):
        """(T, B, F) with the padded steps set to zero."""
        return seq if self.lengths is None else np.where(self.valid, seq, 0)


class RNN(Recurrent):
    """The simple recurrent network: S_t = sigma(X_t W + S_(t-1) H + b).

    nonlinearity: "tanh" (the default) or "relu". Parameters per layer: W (I, N),
    H (N, N), b (N,). See minirnn/cells/rnn.py for the math.
    """

    cell = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", **kwargs):
        self.nonlinearity = validate.one_of("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, num_layers, **kwargs)

    def _cell_forward(self, kernels, x, states0, p):
        s, cache = kernels.rnn_forward(x, states0[0], p["W"], p["H"], p["b"], self.nonlinearity)
        return (s,), cache

    def _cell_backward(self, kernels, dstates, cache):
        dx, ds0, dW, dH, db = kernels.rnn_backward(dstates[0], cache)
        return dx, (ds0,), {"W": dW, "H": dH, "b": db}


class LSTM(Recurrent):
    """Long short-term memory: a cell state c beside the hidden state h, guarded by gates.

    Gates stacked i, f, g, o (PyTorch's order): W (I, 4N), H (N, 4N), b (4N,).
    The state is the pair (h, c). See minirnn/cells/lstm.py for the math.
    """

    cell = "lstm"
    gates = 4
    state_names = ("h", "c")

    def _cell_forward(self, kernels, x, states0, p):
        h, c, cache = kernels.lstm_forward(x, states0[0], states0[1], p["W"], p["H"], p["b"])
        return (h, c), cache

    def _cell_backward(self, kernels, dstates, cache):
        dx, dh0, dc0, dW, dH, db = kernels.lstm_backward(dstates[0], dstates[1], cache)
        return dx, (dh0, dc0), {"W": dW, "H": dH, "b": db}


class GRU(Recurrent):
    """Gated recurrent unit, PyTorch's variant (see minirnn/cells/gru.py).

    Gates stacked r, z, n: W (I, 3N), H (N, 3N), b (3N,), plus b_hn (N,), the bias
    of the recurrent term inside the reset gate's product, which cannot be merged
    into b.
    """

    cell = "gru"
    gates = 3

    def _from_torch(self, weight_ih, weight_hh, bias_ih, bias_hh):
        N = self.hidden_size
        b = bias_ih.copy()
        b[:2 * N] += bias_hh[:2 * N]             # r and z: the two biases simply add
        return {"W": weight_ih.T, "H": weight_hh.T, "b": b, "b_hn": bias_hh[2 * N:].copy()}

    def _cell_forward(self, kernels, x, states0, p):
        h, cache = kernels.gru_forward(x, states0[0], p["W"], p["H"], p["b"], p["b_hn"])
        return (h,), cache

    def _cell_backward(self, kernels, dstates, cache):
        dx, dh0, dW, dH, db, db_hn = kernels.gru_backward(dstates[0], cache)
        return dx, (dh0,), {"W": dW, "H": dH, "b": db, "b_hn": db_hn}


class CellLayer(Recurrent):
    """A layer from a cell of your own: write one step, minirnn does the rest.

    cell: an object (or a class, made with no arguments) with ``state_names``,
    ``gates``, ``step_forward(x, states_prev, params)`` and ``step_backward(dstates,
    cache)``, as described in minirnn/cells/sequence.py, whose ``sequence_forward`` /
    ``sequence_backward`` run it over the sequence. Everything else is Recurrent's, as
    for LSTM: num_layers, bidirectional, dropout, lengths, batch_first, dtype, seed,
    ``trace()``. NumPy only (there is no Numba kernel for a cell minirnn has not seen).

        layer = CellLayer(MyCell(), input_size=2, hidden_size=16)
        y, h = layer.forward(x)                # x (T, B, 2) -> y (T, B, 16)

    Raises TypeError naming what is missing when the cell does not follow the protocol.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, backend="numpy", **kwargs):
        from .cells import sequence
        self.cell = sequence.check_cell(cell)
        self.gates = int(self.cell.gates)
        self.state_names = tuple(self.cell.state_names)
        if backend != "numpy":
            raise ValueError(f"backend must be 'numpy' for a CellLayer (a cell of your own runs on the "
                             f"NumPy loop of minirnn/cells/sequence.py), got {backend!r}")
        super().__init__(input_size, hidden_size, num_layers, backend=backend, **kwargs)

    def _init_params(self, in_size):
        """The cell's own init_params if it has one; otherwise W, H, b drawn like PyTorch's."""
        if hasattr(self.cell, "init_params"):
            return self.cell.init_params(in_size, self.hidden_size, self.rng)
        return super()._init_params(in_size)

    def _kernels(self):
        from .cells import sequence
        return sequence

    def _cell_forward(self, kernels, x, states0, p):
        return kernels.sequence_forward(self.cell, x, states0, p)

    def _cell_backward(self, kernels, dstates, cache):
        return kernels.sequence_backward(dstates, cache)

    def __repr__(self):
        return (f"CellLayer({type(self.cell).__name__}, {self.input_size}, {self.hidden_size}, "
                f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, dtype={self.dtype})")
