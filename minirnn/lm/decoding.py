"""Let a trained language model write: prime it with a prompt, then choose token by token.

    state <- run <eos> + the prompt through the model         (priming, one forward call)
    repeat: choose the next token from the last logits       (sampling, or beam search)
            feed that token and the state back in

Sampling (``sample``) draws one token at a time from the last logits z (V,):

    greedy        temperature 0: the likeliest token, argmax z. Deterministic, and it
                  tends to loop ("the second the company and a second the company ...").
    temperature   sample from softmax(z / temperature). Below 1 sharpens the
                  distribution (safer, duller), above 1 flattens it (bolder, more typos).
    top-k         keep only the k likeliest tokens.
    top-p         nucleus sampling (Holtzman et al. 2020, "The Curious Case of Neural Text
                  Degeneration"): keep the smallest set of likeliest tokens whose
                  probabilities add up to p. Few tokens where the model is sure, many
                  where it is not; top-k keeps k either way.
    forbidden     ids that must never come out (<pad>, <unk>) get probability exactly 0.

    They act in the order temperature, then top-k, then top-p (Hugging Face transformers'
    order: the nucleus is taken from the tempered distribution); the kept tokens'
    probabilities are renormalised and one token is drawn.

Beam search (``beam_search``) looks for the likeliest whole text instead of the likeliest
next token: it keeps the ``beam_size`` likeliest partial texts (the beams), extends each by
every token, and keeps the ``beam_size`` best extensions. Beam size 1 is greedy. It helps
where one answer is right (translation: examples/05_seq2seq.py); on open-ended text the
likeliest text is dull and repetitive (docs/decoding.md measures both).

The model is any object with ``logits, state = model.forward(ids, state)``: ids (T, B)
int64, logits (T, B, V) float, state None at the start, else an array with the batch on
axis 1, (layers, B, N), or a tuple of such arrays (the LSTM's (h, c)), as minirnn's
recurrent layers (and PyTorch's) give it. Beam search runs its beams as that batch.
"""
import numpy as np

from minirnn.losses import log_softmax
from minirnn.toolkit.validate import positive_int
from minirnn.vocab import EOS, PAD, UNK

FORBIDDEN = (PAD, UNK)          # never written: padding, and the token for "some unknown token"


def generate(model, vocab, prompt, length, temperature=1.0, top_k=None, top_p=None, seed=None,
             beam_size=None, length_penalty=0.0, stop_at_eos=True, strict=True):
    """Write up to ``length`` tokens after ``prompt``; returns the new text (not the prompt).

    The prompt is read as the start of a document: the model is primed with <eos>
    followed by the prompt's tokens, as every document begins in training
    (``Vocabulary.encode_documents``); an empty prompt therefore starts from <eos> alone.
    <pad> and <unk> are never produced. With ``stop_at_eos`` the text ends, without the
    <eos>, when the model chooses <eos>; otherwise <eos> is written as a line break and
    writing goes on.

    Without ``beam_size`` the tokens are sampled (``sample``, ``next_token``): temperature 0
    is greedy, ``top_k`` and ``top_p`` narrow the choice, ``seed`` (an int) makes it
    repeatable. With ``beam_size`` (an int >= 1) the text is found by ``beam_search``,
    with its ``length_penalty``; beam search is deterministic, so it takes no temperature,
    top_k, top_p or seed.

    With ``strict`` a prompt with characters (or, at word level, words) outside the
    vocabulary raises a ValueError listing them; otherwise they are read as <unk>
    (``prompt_policy`` says when that is right).
    Raises ValueError for a negative length, or for options of the other decoder.
    """
    prompt_ids = _check_generate(vocab, prompt, length, strict, temperature, top_k, top_p, seed,
                                 beam_size, length_penalty)
    logits, state = prime(model, prompt_ids)
    _check_model_logits(logits, len(vocab))
    if beam_size is None:
        ids = sample(model, logits, state, length, temperature=temperature, top_k=top_k,
                     top_p=top_p, rng=np.random.default_rng(seed), stop_at_eos=stop_at_eos)
    else:
        ids = beam_search(model, logits, state, length, beam_size,
                          length_penalty=length_penalty, stop_at_eos=stop_at_eos)
    return vocab.decode(ids)


def prime(model, prompt_ids):
    """Read <eos> + the prompt's ids (n,) in one forward call, as a document starts in training.

    Returns the logits of the first token to write (1, V) and the state after the prompt.
    """
    ids = np.concatenate([[EOS], prompt_ids]).astype(np.int64)[:, None]   # (n + 1, 1)
    logits, state = model.forward(ids, None)                  # (n + 1, 1, V)
    if np.ndim(logits) != 3 or np.shape(logits)[:2] != ids.shape:
        raise ValueError(f"prime: model.forward returned logits of shape {np.shape(logits)} "
                         f"for ids of shape {ids.shape}, expected {ids.shape + ('V',)}")
    return logits[-1], state                                  # (1, V): what follows the prompt


def sample(model, logits, state, length, temperature=1.0, top_k=None, top_p=None, rng=None,
           stop_at_eos=True):
    """Write up to ``length`` tokens one at a time, each drawn by ``next_token`` and fed back.

    logits (1, V) and state: the model's after the prompt (``prime``). rng: a numpy
    Generator (None: a fresh, unseeded one). Returns the ids written (n,) int64, n <= length;
    with ``stop_at_eos`` writing stops, the <eos> not included, when <eos> is drawn.
    """
    rng = np.random.default_rng() if rng is None else rng
    written = []
    while len(written) < length:
        token = next_token(logits[0], temperature=temperature, top_k=top_k, top_p=top_p, rng=rng,
                           forbidden_ids=FORBIDDEN)
        if token == EOS and stop_at_eos:
            break
        written.append(token)
        if len(written) < length:                             # no need to run the last token
            logits, state = model.forward(np.array([[token]], dtype=np.int64), state)   # feed it back: (1, 1)
            logits = logits[-1]                               # (1, V)
    return np.array(written, dtype=np.int64)


def next_token(logits, *, temperature=1.0, top_k=None, top_p=None, rng=None, forbidden_ids=()):
    """Choose the next token from logits (V,) -> an int, or from logits (B, V) -> ids (B,) int64.

    temperature   0 for greedy (argmax), > 0 to sample from softmax(logits / temperature)
    top_k         None for all tokens, or an int >= 1: only the k likeliest can be drawn
                  (k larger than V means all; among equal logits the lower id wins)
    top_p         None (or 1) for all tokens, or a number in (0, 1]: only the nucleus of
                  the tempered (and top-k) distribution can be drawn (``nucleus``)
    rng           a numpy Generator, needed when sampling; None means a fresh, unseeded one
    forbidden_ids ids never returned, whatever their logits
    Greedy ignores top_k and top_p: the likeliest token is always kept.
    Raises ValueError or TypeError naming the argument that is out of range.
    """
    # The idea, for one row:   greedy: argmax z;   else  probs = softmax(z / T),
    #                          token = rng.choice(V, p=probs),  after top-k / top-p zero some probs.
    # Below, the same for a batch of rows, never drawing an id whose probability is 0.
    z, forbidden = _check_next_token(logits, temperature, top_k, top_p, rng, forbidden_ids)   # z (B, V), a copy
    B, V = z.shape
    z[:, forbidden] = -np.inf                                 # probability exactly 0
    if not np.isfinite(z.max(axis=1)).all():
        raise ValueError("next_token: in some row every allowed id has logit -inf, "
                         "nothing can be chosen")
    if temperature == 0:
        return _one_or_many(z.argmax(axis=1), logits)         # (B,) greedy
    # temperature: z / T. Subtract the max first, so that the exponents are <= 0 and exp
    # cannot overflow even for a tiny T; divide in float64, where T = 1e-300 is not 0.
    with np.errstate(over="ignore"):
        scaled = (z - z.max(axis=1, keepdims=True)).astype(np.float64) / temperature   # (B, V) <= 0
    if top_k is not None and top_k < V:                       # top-k: the k likeliest stay
        ranked = np.argsort(-z, axis=1, kind="stable")        # (B, V) likeliest first, ties by id;
        np.put_along_axis(scaled, ranked[:, top_k:], -np.inf, axis=1)   # z ranks as z / T does
    if top_p is not None and top_p < 1:                       # top-p: the nucleus stays
        scaled[~nucleus(scaled, top_p)] = -np.inf

    # The draw, for one row:  probs = softmax(scaled); token = rng.choice(V, p=probs).
    # Written out below so that a whole batch is drawn at once and an id of weight exactly 0
    # can never come out: draw u * total in [0, total) and take the first id whose
    # cumulative weight exceeds it (an id of weight 0 adds nothing to the running sum).
    rng = np.random.default_rng() if rng is None else rng
    weights = np.exp(scaled)                                  # (B, V) unnormalised softmax
    cumulative = np.cumsum(weights, axis=1)                   # (B, V)
    thresholds = rng.random(B) * cumulative[:, -1]            # (B,)
    chosen = (cumulative <= thresholds[:, None]).sum(axis=1)  # (B,) ids
    return _one_or_many(chosen, logits)


def nucleus(logits, p):
    """Which tokens top-p sampling keeps: a bool mask (B, V) of logits (B, V), for p in (0, 1].

    The nucleus of a row is the smallest set of its likeliest tokens whose probabilities,
    softmax(logits), add up to at least p: rank the tokens by probability, equal
    probabilities lower id first (a stable sort, so the cut is deterministic), and keep
    every token until the running sum reaches p. The likeliest token is always kept.
    """
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)                 # (B, V) softmax
    ranked = np.argsort(-probs, axis=1, kind="stable")        # (B, V) likeliest first, ties by id
    cumulative = np.cumsum(np.take_along_axis(probs, ranked, axis=1), axis=1)   # (B, V) running sums
    kept = np.ones_like(cumulative, dtype=bool)
    kept[:, 1:] = cumulative[:, :-1] < p                      # kept while the sum before it is below p
    mask = np.empty_like(kept)
    np.put_along_axis(mask, ranked, kept, axis=1)             # back from rank order to id order
    return mask


def beam_search(model, logits, state, length, beam_size, length_penalty=0.0, stop_at_eos=True):
    """Find a likely text of up to ``length`` tokens, keeping the ``beam_size`` likeliest beams.

    logits (1, V) and state: the model's after the prompt (``prime``). Each step runs every
    live beam's last token through the model in one forward call, the beams as the batch:
    ids (1, b) with b <= beam_size, the state's rows reordered to follow each beam's parent.

    A text y of n tokens scores its log-probability, in nats, divided by the length penalty
    of GNMT (Wu et al. 2016, "Google's Neural Machine Translation System", eq. 14):

        score(y) = log P(y | prompt) / lp(n),   lp(n) = ((5 + n) / 6) ** length_penalty

    where n counts the <eos> that ends the text, if any. length_penalty 0 (lp = 1) compares
    plain log-probabilities, which favour short texts: every token multiplies in a
    probability below 1. Larger values favour longer texts; at 1 the score is close to
    the mean log-probability per token.

    With ``stop_at_eos`` an extension by <eos> that ranks among the ``beam_size`` best ends a
    text (without the <eos>): it leaves the beam, which refills from the next best
    extensions. The search stops at ``length`` tokens, or as soon as no live beam can beat
    the best ended text: a beam's log-probability only falls as it grows and its penalty
    grows at most to lp(length), so its score can never rise above
    log P / lp(length). Without ``stop_at_eos``, <eos> is a token like any other (decoded
    as a line break) and every beam runs to ``length`` tokens. <pad> and <unk> never come out.

    Ties are cut deterministically by a stable sort: among equal scores the earlier beam,
    then the lower token id, ranks first, as greedy's argmax takes the lower id; so beam size
    1 with length_penalty 0 is exactly greedy (``sample`` at temperature 0).
    Returns the best text's ids (n,) int64, n <= length, without its <eos>.
    Raises ValueError for a beam_size that is not an int >= 1, a length_penalty that is not
    a finite number >= 0, or NaN logits.
    """
    _check_beam(beam_size, length_penalty)
    V = logits.shape[-1]
    lp = lambda n: ((5 + n) / 6) ** length_penalty            # GNMT's length penalty
    beams = np.zeros((1, 0), dtype=np.int64)                  # (b, t) live beams' tokens: one, empty
    scores = np.zeros(1)                                      # (b,) their log-probabilities, nats
    best, best_score = beams[0], -np.inf                      # the best ended text, and its score
    for t in range(1, length + 1):                            # t: tokens in each extension
        if np.isnan(logits).any():
            raise ValueError("beam_search: the model returned NaN logits")
        logp = log_softmax(np.asarray(logits, dtype=np.float64))    # (b, V) next-token log-probs
        logp[:, FORBIDDEN] = -np.inf                          # never <pad> or <unk>
        candidates = (scores[:, None] + logp).ravel()         # (b * V,) every beam + every token
        order = np.argsort(-candidates, kind="stable")        # best first; ties: earlier beam, lower id
        order = order[np.isfinite(candidates[order])]         # drop the impossible extensions
        parents, tokens = np.divmod(order, V)                 # the beam each extends, by which token
        if stop_at_eos:
            for k in np.flatnonzero(tokens[:beam_size] == EOS):   # <eos> among the best: a text ends
                if candidates[order[k]] / lp(t) > best_score:
                    best, best_score = beams[parents[k]], candidates[order[k]] / lp(t)
            live = np.flatnonzero(tokens != EOS)[:beam_size]      # the best that go on
        else:
            live = np.arange(min(beam_size, order.size))
        parents, tokens, scores = parents[live], tokens[live], candidates[order[live]]
        beams = np.concatenate([beams[parents], tokens[:, None]], axis=1)   # (b, t)
        if t == length or not live.size or best_score >= scores.max() / lp(length):
            break                                             # no live beam can still win
        state = _rows(state, parents)                         # each beam goes on from its parent's state
        logits, state = model.forward(tokens[None, :], state)   # all beams at once: (1, b, V)
        logits = logits[-1]                                   # (b, V)
    if scores.size and scores.max() / lp(beams.shape[1]) > best_score:
        best = beams[scores.argmax()]                         # a beam that ran to the length wins
    return best


def _rows(state, rows):
    """The state of the sequences ``rows`` (b,): the batch is axis 1 of each state array."""
    return tuple(part[:, rows] for part in state) if isinstance(state, tuple) else state[:, rows]


def _one_or_many(chosen, logits):
    """An int for logits (V,), ids (B,) int64 for logits (B, V)."""
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

def _check_generate(vocab, prompt, length, strict, temperature, top_k, top_p, seed, beam_size,
                    length_penalty):
    """Check generate's prompt, length and choice of decoder; return the prompt's ids.
    (The decoders' own values are checked where they are used: next_token, beam_search.)"""
    if not isinstance(prompt, str):
        raise TypeError(f"generate: prompt must be a str, got {type(prompt).__name__}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"generate: length must be an int >= 0, got {length!r}")
    if beam_size is not None:
        sampling = {"temperature": temperature != 1.0, "top_k": top_k is not None,
                    "top_p": top_p is not None, "seed": seed is not None}
        given = [name for name, is_given in sampling.items() if is_given]
        if given:
            raise ValueError(f"generate: beam search (beam_size={beam_size!r}) does not sample: "
                             f"leave out {', '.join(given)}")
    elif length_penalty != 0.0:
        raise ValueError(f"generate: length_penalty={length_penalty!r} is for beam search: "
                         "give a beam_size too")
    try:
        return vocab.encode(prompt, strict=strict)
    except ValueError as error:
        raise ValueError(f"generate: the prompt has {error}") from None


def _check_model_logits(logits, V):
    """The model's logits (1, V') after the prompt must be for this vocabulary: V' = V."""
    if logits.shape[-1] != V:
        raise ValueError(f"generate: model.forward returned logits for {logits.shape[-1]} tokens, "
                         f"expected {V} for this vocabulary")


def _check_beam(beam_size, length_penalty):
    """beam_size an int >= 1, length_penalty a finite number >= 0."""
    positive_int("beam_size", beam_size)
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float, np.floating)) \
            or not np.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"beam_search: length_penalty must be a finite number >= 0, "
                         f"got {length_penalty!r}")


def _check_next_token(logits, temperature, top_k, top_p, rng, forbidden_ids):
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
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, (int, float, np.floating))
                              or not 0 < top_p <= 1):
        raise ValueError(f"next_token: top_p must be a number in (0, 1], got {top_p!r}")
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
