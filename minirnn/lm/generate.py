"""Let a trained language model write: prime it with a prompt, then sample token by token.

    state <- run the whole prompt through the model         (priming, one forward call)
    repeat: pick the next token from the last logits         (greedy, temperature, top-k)
            feed that token and the state back in

Picking the next token from logits z (V,):

    greedy        temperature 0: the likeliest token, argmax z. Deterministic, and it
                  tends to loop ("the second the company and a second the company ...").
    temperature   sample from softmax(z / temperature). Below 1 sharpens the
                  distribution (safer, duller), above 1 flattens it (bolder, more typos).
    top-k         before sampling, keep only the k likeliest tokens.
    forbidden     ids that must never come out (<pad>, <unk>) get probability exactly 0.

The model is any object with ``logits, state = model.forward(ids, state)``:
ids (T, B) int64, logits (T, B, V) float, state None at the start.
"""
import numpy as np

from minirnn.toolkit.validate import positive_int
from minirnn.vocab import EOS, PAD, UNK


def generate(model, vocab, prompt, length, temperature=1.0, top_k=None, seed=None,
             stop_at_eos=True, strict=True):
    """Write up to ``length`` tokens after ``prompt``; returns the new text (not the prompt).

    The prompt is read as the start of a document: the model is primed with <eos>
    followed by the prompt's tokens, as every document begins in training
    (``Vocabulary.encode_documents``); an empty prompt therefore starts from <eos> alone.
    <pad> and <unk> are never produced. With ``stop_at_eos`` the text ends, without the
    <eos>, when the model chooses <eos>; otherwise <eos> is written as a line break and
    writing goes on. ``seed`` (an int) makes sampling repeatable; temperature 0 is greedy.
    With ``strict`` a prompt with characters (or, at word level, words) outside the
    vocabulary raises a ValueError listing them; otherwise they are read as <unk>
    (``prompt_policy`` says when that is right).
    Raises ValueError for a negative length.
    """
    prompt_ids = _check_generate(vocab, prompt, length, strict)
    rng = np.random.default_rng(seed)
    ids = np.concatenate([[EOS], prompt_ids]).astype(np.int64)[:, None]   # (T, 1)
    logits, state = model.forward(ids, None)                  # prime: (T, 1, V), the state after the prompt
    written = []
    while len(written) < length:
        _check_model_logits(logits, len(vocab))
        token = next_token(logits[-1, 0], temperature=temperature, top_k=top_k, rng=rng,
                           forbidden_ids=(PAD, UNK))
        if token == EOS and stop_at_eos:
            break
        written.append(token)
        if len(written) < length:                             # no need to run the last token
            logits, state = model.forward(np.array([[token]], dtype=np.int64), state)   # feed it back: (1, 1)
    return vocab.decode(np.array(written, dtype=np.int64))


def next_token(logits, *, temperature=1.0, top_k=None, rng=None, forbidden_ids=()):
    """Choose the next token from logits (V,) -> an int, or from logits (B, V) -> ids (B,) int64.

    temperature   0 for greedy (argmax), > 0 to sample from softmax(logits / temperature)
    top_k         None for all tokens, or an int >= 1: only the k likeliest can be drawn
                  (k larger than V means all; among equal logits the lower id wins)
    rng           a numpy Generator, needed when sampling; None means a fresh, unseeded one
    forbidden_ids ids never returned, whatever their logits
    Raises ValueError or TypeError naming the argument that is out of range.
    """
    z, forbidden = _check_next_token(logits, temperature, top_k, rng, forbidden_ids)   # z (B, V), a copy
    B, V = z.shape
    z[:, forbidden] = -np.inf                                 # probability exactly 0
    if not np.isfinite(z.max(axis=1)).all():
        raise ValueError("next_token: in some row every allowed id has logit -inf, "
                         "nothing can be chosen")
    if top_k is not None and top_k < V:
        ranked = np.argsort(-z, axis=1, kind="stable")        # (B, V) likeliest first, ties by id
        np.put_along_axis(z, ranked[:, top_k:], -np.inf, axis=1)   # all but the k likeliest: probability 0

    if temperature == 0:
        chosen = z.argmax(axis=1)                             # (B,) greedy
    else:
        # For each row this is rng.choice(V, p=softmax(z / temperature)), written out so that a
        # whole batch is drawn at once and a forbidden id, whose weight is exactly 0, can never
        # come out: draw u * total in [0, total) and take the first id whose cumulative weight
        # exceeds it (an id of weight 0 has the same cumulative weight as the one before it).
        rng = np.random.default_rng() if rng is None else rng
        with np.errstate(over="ignore"):
            # subtract the max first: the exponents are <= 0, so exp cannot overflow even for
            # a tiny temperature; divide in float64, where a temperature of 1e-300 is not 0
            scaled = (z - z.max(axis=1, keepdims=True)).astype(np.float64) / temperature   # (B, V) <= 0
        weights = np.exp(scaled)                              # (B, V) unnormalised softmax
        cumulative = np.cumsum(weights, axis=1)               # (B, V)
        thresholds = rng.random(B) * cumulative[:, -1]        # (B,)
        chosen = (cumulative <= thresholds[:, None]).sum(axis=1)
    chosen = chosen.astype(np.int64)
    return int(chosen[0]) if np.ndim(logits) == 1 else chosen


def prompt_policy(vocab, prompt, where):
    """How the commands read a prompt's tokens outside the vocabulary. At word level they
    are read as <unk>, as the training text's rare words were (--max-vocab), and the note
    returned says so; at char level the vocabulary holds every character of the training
    text, so an unknown one is refused. Returns the note ("" if every token is known);
    raises ValueError naming ``where`` (e.g. "--prompt 'The'") for a char-level prompt.
    """
    unknown = vocab.describe_unknown(prompt)
    if unknown and vocab.level == "char":
        raise ValueError(f"{where} has {unknown}")
    return f"{where}: {unknown}, read as <unk>" if unknown else ""


# ---- argument checks -----------------------------------------------------------------------------

def _check_generate(vocab, prompt, length, strict):
    """Check generate's prompt and length; return the prompt's ids."""
    if not isinstance(prompt, str):
        raise TypeError(f"generate: prompt must be a str, got {type(prompt).__name__}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"generate: length must be an int >= 0, got {length!r}")
    try:
        return vocab.encode(prompt, strict=strict)
    except ValueError as error:
        raise ValueError(f"generate: the prompt has {error}") from None


def _check_model_logits(logits, V):
    """The model must return logits (T, 1, V) for this vocabulary."""
    shape = np.shape(logits)
    if len(shape) != 3 or shape[1:] != (1, V):
        raise ValueError(f"generate: model.forward returned logits of shape {shape}, "
                         f"expected (T, 1, {V}) for this vocabulary of {V} tokens")


def _check_next_token(logits, temperature, top_k, rng, forbidden_ids):
    """Check next_token's arguments; return the logits as a float (B, V) copy and the
    forbidden ids as an int64 array."""
    z = _check_logits(logits)
    V = z.shape[1]
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"next_token: temperature must be a finite number >= 0, "
                         f"got {temperature!r}")
    if top_k is not None:
        positive_int("top_k", top_k)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"next_token: rng must be a numpy Generator or None, "
                        f"got {type(rng).__name__}")
    forbidden = np.asarray(forbidden_ids).reshape(-1)
    if forbidden.size and forbidden.dtype.kind not in "iu":
        raise TypeError(f"next_token: forbidden_ids must be integer ids, got {forbidden.tolist()}")
    forbidden = forbidden.astype(np.int64)
    if forbidden.size and (forbidden.min() < 0 or forbidden.max() >= V):
        raise ValueError(f"next_token: forbidden_ids must lie in [0, {V}), "
                         f"got {forbidden.tolist()}")
    if np.unique(forbidden).size == V:
        raise ValueError(f"next_token: every one of the {V} ids is forbidden, "
                         "nothing can be chosen")
    return z, forbidden


def _check_logits(logits):
    """logits (V,) or (B, V), real and not NaN or +inf -> a float (B, V) copy."""
    z = np.asarray(logits)
    if z.ndim not in (1, 2) or z.shape[-1] < 1 or not np.issubdtype(z.dtype, np.floating):
        raise ValueError(f"next_token: logits must be a float array (V,) or (B, V), "
                         f"got shape {z.shape} dtype {z.dtype}")
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("next_token: logits contain NaN or +inf")
    return np.array(z.reshape(-1, z.shape[-1]), dtype=z.dtype)     # (B, V) copy, same dtype
