"""The language model: its data, its network, its validation loss, and loading it back.

    text -> Vocabulary -> ids (n,) -> windows x, y (T, B)
    ids (T, B) -> embed -> (T, B, I) -> rnn -> (T, B, N) -> head -> logits (T, B, V)

``minirnn train``, ``minirnn sample`` and ``benchmarks/torch_lm_same_time.py`` all go
through this file, so they read the same text, number it the same way and measure the
validation loss the same way.

The network is described by a small dict, stored as JSON in every checkpoint, so that a
checkpoint can rebuild the exact network it was trained as:

    {"vocab_size": 99, "input": "embedding", "embed_size": 64, "cell": "gru",
     "hidden_size": 384, "layers": 1, "dropout": 0.0, "dtype": "float32"}
"""
import math
import zlib

import numpy as np

from minirnn.toolkit.checkpoint import Checkpoint
from minirnn.toolkit.memory import check_training_fits
from minirnn.layers import Embedding, Linear, OneHot
from minirnn.lm.corpus import builtin_corpus, file_corpus
from minirnn.lm.windows import sequential_windows
from minirnn.losses import log_softmax
from minirnn.sequential import Sequential
from minirnn.recurrent import GRU, LSTM, RNN
from minirnn.toolkit.validate import float_dtype, one_of, positive_int, probability
from minirnn.vocab import PAD, Vocabulary

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
INPUTS = ("embedding", "onehot")
CHECKPOINT_KIND = "minirnn language model"       # config["kind"] of every checkpoint train writes
MODEL_KEYS = ("vocab_size", "input", "embed_size", "cell", "hidden_size", "layers", "dropout", "dtype")


class LanguageData:
    """The corpus as ids: what training and validation read.

    vocab   the Vocabulary (built from the training text only)
    train   (n,) int64 ids of the training documents, <eos> before each
    valid   (m,) int64 ids of the validation documents
    source  where the text came from, for the log
    """

    def __init__(self, vocab, train, valid, source):
        self.vocab, self.train, self.valid, self.source = vocab, train, valid, source

    def checksum(self):
        """A fingerprint of the ids, stored in checkpoints: a resumed run must read the same data."""
        return {"train_tokens": int(self.train.size), "valid_tokens": int(self.valid.size),
                "crc32": zlib.crc32(self.valid.tobytes(), zlib.crc32(self.train.tobytes()))}


def load_data(text=None, level="char", max_vocab=None, vocab=None):
    """Read the corpus (``text``: None for the built-in one, or a path) and number it.

    The vocabulary is built from the training part, keeping at most ``max_vocab`` ids
    (reserved ids included; rarer tokens become <unk>), unless ``vocab`` is given
    (a resumed run reuses its checkpoint's).
    """
    corpus = builtin_corpus() if text is None else file_corpus(text)
    if vocab is None:
        vocab = Vocabulary.build(corpus.train, level=level, max_size=max_vocab)
    train, valid = vocab.encode_documents(corpus.train), vocab.encode_documents(corpus.valid)
    return LanguageData(vocab, train, valid, corpus.source)


def model_config(vocab_size, input="embedding", embed_size=64, cell="gru", hidden_size=384,
                 layers=1, dropout=0.0, dtype="float32"):
    """The dict that describes a network (checked), e.g. for build_model or a checkpoint."""
    config = {"vocab_size": positive_int("vocab_size", vocab_size),
              "input": one_of("input", input, INPUTS),
              "embed_size": positive_int("embed_size", embed_size) if input == "embedding" else None,
              "cell": one_of("cell", cell, tuple(CELLS)),
              "hidden_size": positive_int("hidden_size", hidden_size),
              "layers": positive_int("layers", layers),
              "dropout": probability("dropout", dropout),
              "dtype": str(float_dtype(dtype))}
    if config["dropout"] > 0 and config["layers"] == 1:
        raise ValueError(f"dropout acts between stacked layers; with layers=1 it would do nothing "
                         f"(got dropout={dropout}): use layers >= 2 or dropout 0")
    return config


def build_model(config, seed=0, backend="numba"):
    """A Sequential(embed, rnn, head) as ``config`` describes, weights drawn from ``seed``."""
    if not isinstance(config, dict) or set(config) != set(MODEL_KEYS):
        got = sorted(config) if isinstance(config, dict) else type(config).__name__
        raise ValueError(f"build_model: config must be a dict with keys {list(MODEL_KEYS)}, got {got}")
    config = model_config(**config)                  # checks every value
    check_training_fits(config, outputs=config["vocab_size"])   # refuse, before allocating, what cannot fit
    V, N, dtype = config["vocab_size"], config["hidden_size"], np.dtype(config["dtype"])
    if config["input"] == "embedding":
        embed = Embedding(V, config["embed_size"], padding_idx=PAD, dtype=dtype, seed=seed)
        features = config["embed_size"]              # I, the embedding size
    else:
        embed = OneHot(V, dtype=dtype)
        features = V                                 # one-hot: the input is V wide
    rnn = CELLS[config["cell"]](features, N, num_layers=config["layers"], dropout=config["dropout"],
                                dtype=dtype, seed=seed + 1, backend=backend)
    head = Linear(N, V, dtype=dtype, seed=seed + 2)
    return Sequential(embed=embed, rnn=rnn, head=head)


def dropout_rng(model):
    """The Generator the recurrent layer draws dropout masks from (saved to resume exactly)."""
    return model.modules["rnn"].rng


def evaluate(model, ids, nchars, batch_size):
    """Mean loss in nats per token over every target in ``ids``, the model not learning.

    The ids are read in ``batch_size`` lanes (``sequential_windows``), each lane's state
    carried from one window to the next, so most predictions see a long context.
    Dropout is off while evaluating; ``model.training`` is restored afterwards.
    """
    was_training = model.training
    model.training = False
    total, count = 0.0, 0
    state = None
    try:
        for x, y in sequential_windows(ids, nchars, batch_size):
            logits, state = model.forward(x, state)                    # (T, B, V)
            logp = log_softmax(logits.astype(np.float64))              # (T, B, V)
            total -= np.take_along_axis(logp, y[..., None], axis=-1).sum()
            count += y.size
    finally:
        model.training = was_training
    return total / count


def bits(nats):
    """A loss in nats per token as bits per token."""
    return nats / math.log(2)


def load_model(path, backend="numba"):
    """Rebuild a trained language model from a checkpoint ``minirnn train`` wrote.

    Returns (model, vocab, checkpoint), the model in evaluation mode. A file that is not
    such a checkpoint, or whose arrays do not fit the network its config describes,
    raises a ValueError that says so.
    """
    checkpoint = Checkpoint(path, kind=CHECKPOINT_KIND)
    config = checkpoint.config
    vocab = Vocabulary.from_arrays(checkpoint.vocab_arrays)
    model_cfg = config.get("model")
    if not isinstance(model_cfg, dict) or model_cfg.get("vocab_size") != len(vocab):
        size = model_cfg.get("vocab_size") if isinstance(model_cfg, dict) else None
        raise ValueError(f"checkpoint {checkpoint.path!r}: its model is for a vocabulary of {size} "
                         f"tokens but it holds a vocabulary of {len(vocab)}")
    model = build_model(model_cfg, backend=backend)
    checkpoint.load_params_into(model.params)
    model.training = False
    return model, vocab, checkpoint
