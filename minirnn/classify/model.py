"""The many-to-one model: a document's token ids -> one score per class.

    ids (T, B) --embed--> x (T, B, I) --rnn(lengths)--> y (T, B, D*N), final state h (L*D, B, N)
        --pool--> features (B, D*N) --dropout--> --head--> logits (B, C) --softmax CE--> loss

    T steps (the batch's longest document), B documents, I embedding size (the recurrent
    layer's input size), N hidden units, L layers, D directions (2 when bidirectional), C classes.

Two ways to turn a sequence of states into one vector (``pool``):

    last   the final hidden state of the last layer, taken at each document's own last
           token (the layer gets ``lengths``, so the padding after it changes nothing); when
           bidirectional, the backward direction's final state (it ends on the first
           token) beside the forward one. PyTorch's h_n[-D:] with packed sequences.
    mean   the last layer's outputs averaged over each document's real steps.

While training, ``dropout`` P zeroes each feature with probability P and scales the rest
by 1/(1-P) (inverted dropout, as torch.nn.Dropout), and acts between stacked layers
(the recurrent layer's own dropout, as torch.nn.GRU's): a few thousand documents are
learned by heart within a few epochs, and dropout delays that.

Each pooling, and the dropout, is a forward/backward pair as the cells are:
``*_forward(x) -> (out, cache)`` beside ``*_backward(dout, cache) -> dx``; the layers
themselves are minirnn's Embedding, RNN/LSTM/GRU and Linear, and the loss is
minirnn.softmax_cross_entropy.

The network is described by a small dict, stored in every checkpoint:

    {"vocab_size": 4557, "num_classes": 4, "embed_size": 128, "cell": "gru", "hidden_size": 128,
     "layers": 1, "bidirectional": true, "dropout": 0.5, "pool": "mean", "dtype": "float32"}
"""
import numpy as np

from minirnn.toolkit.checkpoint import Checkpoint
from minirnn.classify.batches import pad_batch, sorted_batches
from minirnn.layers import Embedding, Linear, dropout_backward, dropout_forward
from minirnn.losses import log_softmax
from minirnn.sequential import Sequential
from minirnn.recurrent import GRU, LSTM, RNN, Recurrent
from minirnn.toolkit.validate import counted, float_dtype, one_of, positive_int, probability
from minirnn.vocab import PAD, Vocabulary

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
POOLS = ("last", "mean")
CHECKPOINT_KIND = "minirnn classifier"       # config["kind"] of every checkpoint `classify train` writes
MODEL_KEYS = ("vocab_size", "num_classes", "embed_size", "cell", "hidden_size", "layers",
              "bidirectional", "dropout", "pool", "dtype")


# ---- pooling: the sequence of states -> one vector per document ----

def last_state_forward(h, num_directions):
    """h (L*D, B, N), every (layer, direction)'s final hidden state -> features (B, D*N):
    the last layer's D rows side by side, forward direction first. Returns (features, cache)."""
    last = h[-num_directions:]                            # (D, B, N) the last layer's directions
    features = np.concatenate(list(last), axis=1)         # (B, D*N)
    return features, (h.shape, num_directions)


def last_state_backward(dfeatures, cache):
    """dfeatures (B, D*N) -> dh (L*D, B, N): the gradient on the final state, zero for the
    layers below the last (they reach the loss only through the last layer's inputs)."""
    shape, D = cache
    LD, B, N = shape
    dh = np.zeros(shape, dfeatures.dtype)                 # (L*D, B, N)
    dh[LD - D:] = dfeatures.reshape(B, D, N).transpose(1, 0, 2)   # (D, B, N) undo the concatenation
    return dh


def mean_pool_forward(y, lengths):
    """y (T, B, F), zero at padded steps -> features (B, F), the mean over each document's
    lengths[b] real steps. Returns (features, cache)."""
    counts = lengths.astype(y.dtype)[:, None]             # (B, 1)
    features = y.sum(axis=0) / counts                     # (B, F) padding adds zeros
    return features, (y.shape, counts)


def mean_pool_backward(dfeatures, cache):
    """dfeatures (B, F) -> dy (T, B, F): each real step gets 1/length of its document's
    gradient (the layer's backward ignores what lands on padded steps)."""
    shape, counts = cache
    return np.broadcast_to(dfeatures / counts, shape)     # (T, B, F), the same for every step


# ---- the model ----

class Classifier:
    """Embedding -> recurrent layers -> pool -> dropout -> Linear: see the module docstring.

    forward(ids, lengths) -> logits (B, C); backward(dlogits) fills grads.

    Not a Sequential, but two of them with the pooling between: a Sequential hands each
    module's output to the next, and pooling needs what the recurrent layer returns beside
    its outputs (the final state) and the documents' lengths. From the two Sequentials come
    ``params`` and ``grads``, dicts with dotted names ("embed.E", "rnn.W_l0", "head.b") of
    the layers' own arrays, so an optimizer updates the model in place; and their check of
    every layer's output: a NaN or an inf (diverged weights) raises FloatingPointError
    naming the layer, not a complaint about an array the caller never passed.
    ``training = False`` turns dropout off.
    """

    def __init__(self, config, seed=0, backend="numba"):
        self.config = config = model_config(**config)
        dtype = np.dtype(config["dtype"])
        I, N = config["embed_size"], config["hidden_size"]
        self.embed = Embedding(config["vocab_size"], I, padding_idx=PAD, dtype=dtype, seed=seed)
        self.rnn = CELLS[config["cell"]](I, N, num_layers=config["layers"], bidirectional=config["bidirectional"],
                                         dropout=config["dropout"], dtype=dtype, seed=seed + 1, backend=backend)
        self.head = Linear(self.rnn.num_directions * N, config["num_classes"], dtype=dtype, seed=seed + 2)
        self.encoder = Sequential(embed=self.embed, rnn=self.rnn)   # ids (T, B) -> y (T, B, D*N), final state
        self.scorer = Sequential(head=self.head)                     # features (B, D*N) -> logits (B, C)
        self._cache = None

    @property
    def params(self):
        return {**self.encoder.params, **self.scorer.params}

    @property
    def grads(self):
        return {**self.encoder.grads, **self.scorer.grads}

    @property
    def training(self):
        return self.encoder.training

    @training.setter
    def training(self, mode):
        self.encoder.training = self.scorer.training = mode

    def forward(self, ids, lengths):
        """ids (T, B) token ids, padded with <pad>; lengths (B,) in [1, T] -> logits (B, C).

        Raises FloatingPointError if a layer computes NaN or inf (diverged weights).
        """
        y, state = self.encoder.forward(ids, lengths=lengths)    # (T, B, D*N), h (L*D, B, N) (LSTM: (h, c))
        if self.config["pool"] == "last":
            h = Recurrent.state_parts(state)[0]
            features, pool_cache = last_state_forward(h, self.rnn.num_directions)   # (B, D*N)
        else:
            features, pool_cache = mean_pool_forward(y, lengths)                   # (B, D*N)
        mask = None
        if self.training and self.config["dropout"] > 0:       # the same generator as the layer's dropout
            features, mask = dropout_forward(features, self.config["dropout"], self.rnn.rng)
        logits, _ = self.scorer.forward(features)              # (B, C)
        self._cache = (y.shape, pool_cache, mask)
        return logits

    def backward(self, dlogits):
        """dlogits (B, C) -> None; fills self.grads (the ids are not differentiable)."""
        if self._cache is None:
            raise RuntimeError("Classifier.backward called before forward")
        y_shape, pool_cache, mask = self._cache
        dfeatures, _ = self.scorer.backward(dlogits)           # (B, D*N)
        if mask is not None:
            dfeatures = dropout_backward(dfeatures, mask)
        if self.config["pool"] == "last":
            dh = last_state_backward(dfeatures, pool_cache)    # (L*D, B, N)
            # nothing reaches the LSTM's final cell state c, and the outputs y get no gradient
            dstate = (dh, np.zeros_like(dh)) if len(self.rnn.state_names) == 2 else dh
            dy = np.zeros(y_shape, dfeatures.dtype)            # (T, B, D*N)
        else:
            dstate, dy = None, mean_pool_backward(dfeatures, pool_cache)
        self.encoder.backward(dy, dstate)

    @property
    def dropout_rng(self):
        """The Generator the recurrent layer draws dropout masks from (saved to resume exactly)."""
        return self.rnn.rng

    def __repr__(self):
        c = self.config
        return (f"Classifier(embed {c['vocab_size']} x {c['embed_size']} -> {c['layers']} x "
                f"{'bidirectional ' if c['bidirectional'] else ''}{c['cell'].upper()}({c['hidden_size']}) "
                f"-> {c['pool']} -> Linear({c['num_classes']}), {c['dtype']})")


def model_config(vocab_size, num_classes, embed_size=128, cell="gru", hidden_size=128, layers=1,
                 bidirectional=True, dropout=0.5, pool="mean", dtype="float32"):
    """The dict that describes a network (every value checked). The defaults are those of
    `minirnn classify train` (settings.py says how they were chosen)."""
    config = {"vocab_size": positive_int("vocab_size", vocab_size),
              "num_classes": positive_int("num_classes", num_classes),
              "embed_size": positive_int("embed_size", embed_size),
              "cell": one_of("cell", cell, tuple(CELLS)),
              "hidden_size": positive_int("hidden_size", hidden_size),
              "layers": positive_int("layers", layers),
              "bidirectional": bool(bidirectional),
              "dropout": probability("dropout", dropout),
              "pool": one_of("pool", pool, POOLS),
              "dtype": str(float_dtype(dtype))}
    if config["num_classes"] < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    return config


def predict_log_proba(model, sequences, batch_size=256):
    """Class log-probabilities for many documents, the model not learning: log-softmax of
    the logits, finite where a probability would round to 0 (a confident miss's loss is
    its true 1,063 nats, not inf). Losses are read from these, never from log(p).

    sequences: a list of n id arrays. Returns log p (n, C) float64, in the order given.
    Documents are batched by length, so little time goes to padding. Dropout is off
    while predicting; ``model.training`` is restored afterwards. Raises
    FloatingPointError if the model computes NaN or inf (diverged weights).
    """
    was_training = model.training
    model.training = False
    log_p = np.empty((len(sequences), model.config["num_classes"]))            # (n, C)
    try:
        for index in sorted_batches([len(s) for s in sequences], batch_size):
            ids, lengths = pad_batch([sequences[i] for i in index])            # (T, B), (B,)
            logits = model.forward(ids, lengths).astype(np.float64)            # (B, C)
            log_p[index] = log_softmax(logits)
    finally:
        model.training = was_training
    return log_p


def predict_proba(model, sequences, batch_size=256):
    """Class probabilities for many documents: p (n, C) float64, each row summing to 1;
    exp of ``predict_log_proba``, whose arguments it takes."""
    return np.exp(predict_log_proba(model, sequences, batch_size))


def load_classifier(path, backend="numba"):
    """Rebuild a trained classifier from a checkpoint ``minirnn classify train`` wrote.

    Returns (model, vocab, checkpoint), the model in evaluation mode; the class names
    are checkpoint.config["classes"]. A checkpoint of another kind (``minirnn train``'s)
    is refused naming the command that wrote it; one whose arrays do not fit the network
    its config describes raises a ValueError that says so.
    """
    checkpoint = Checkpoint(path, kind=CHECKPOINT_KIND)
    config = checkpoint.config
    vocab = Vocabulary.from_arrays(checkpoint.vocab_arrays)
    model_cfg, classes = config.get("model"), config.get("classes")
    if not isinstance(model_cfg, dict) or set(model_cfg) != set(MODEL_KEYS) \
            or model_cfg["vocab_size"] != len(vocab) or not isinstance(classes, list) \
            or model_cfg["num_classes"] != len(classes):
        raise ValueError(f"checkpoint {checkpoint.path!r}: its model description does not match "
                         f"its vocabulary ({counted(len(vocab), 'token')}) and classes")
    model = Classifier(model_cfg, backend=backend)
    checkpoint.load_params_into(model.params)
    model.training = False
    return model, vocab, checkpoint
