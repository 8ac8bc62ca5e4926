"""Tests of minirnn/lm/decoding.py: choosing the next token, and writing text with a model.

- next_token: a temperature near 0 and top_k=1 both equal greedy; a seed reproduces;
  forbidden ids are never chosen; sampled frequencies follow softmax(logits / T), also
  after top-k (chi-square test on many draws); no overflow at tiny temperatures;
  bad arguments get clear errors;
- top-p: ``nucleus`` keeps exactly the smallest set of likeliest tokens reaching p (against
  a direct computation, over random distributions); next_token never draws outside it,
  applies temperature, then top-k, then top-p (chi-square test on many draws); top-p 1
  equals plain sampling draw for draw; a seed reproduces;
- beam search: beam size 1 is greedy; on a model with designed probabilities it finds the
  likeliest text where greedy does not (exhaustive search over every text); as wide as
  every prefix, on small GRUs and LSTMs with random weights and any length penalty, it is
  exhaustive search, which also checks that each beam keeps its own state; one forward
  call per step with the beams as the batch; deterministic; bad arguments refused;
- generate, with a fake model that reads a fixed transition table: primes with <eos> +
  the prompt in one call, then feeds back one token and the state at a time; respects
  the length and <eos>; reproduces with a seed; never writes <pad> or <unk>; its
  sampled text follows the model's distribution; a prompt with unknown characters
  is refused with their list.
"""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import chisquare

import minirnn
from minirnn.lm.decoding import beam_search, generate, next_token, nucleus, prime
from minirnn.lm.model import build_model, model_config
from minirnn.losses import log_softmax
from minirnn.vocab import EOS, PAD, UNK, Vocabulary

FORBIDDEN_IDS = [PAD, UNK]

few = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)
P_VALUE = 1e-6        # chi-square tests fail by chance once in a million runs


def integer_logits(max_rows=6, max_vocab=12):
    """(B, V) logits with integer values, so ties occur and gaps are at least 1."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(2, max_vocab))
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=st.integers(-20, 20)))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# ---- next_token ----

@few
@given(integer_logits(), st.floats(1e-300, 1e-3), seeds)
def test_tiny_temperature_is_greedy(logits, temperature, seed):
    ranked = np.sort(logits, axis=1)
    assume((ranked[:, -1] > ranked[:, -2]).all())         # one likeliest token per row
    sampled = next_token(logits, temperature=temperature, rng=np.random.default_rng(seed))
    assert (sampled == logits.argmax(axis=1)).all()
    assert (next_token(logits, temperature=0) == logits.argmax(axis=1)).all()


@few
@given(integer_logits(), st.floats(0.05, 20), seeds)
def test_top_k_one_is_greedy(logits, temperature, seed):
    sampled = next_token(logits, temperature=temperature, top_k=1, rng=np.random.default_rng(seed))
    assert (sampled == next_token(logits, temperature=0)).all()   # ties: the lower id, both ways


@few
@given(integer_logits(), st.floats(0.1, 10), st.one_of(st.none(), st.integers(1, 12)),
       st.one_of(st.none(), st.floats(0.01, 1)), seeds)
def test_a_seed_reproduces(logits, temperature, top_k, top_p, seed):
    draw = lambda: next_token(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                              rng=np.random.default_rng(seed))
    assert (draw() == draw()).all()


def test_different_seeds_differ():
    logits = np.zeros((200, 10))
    first = next_token(logits, rng=np.random.default_rng(1))
    assert (first != next_token(logits, rng=np.random.default_rng(2))).any()


@few
@given(st.integers(3, 10), st.floats(0.05, 20), st.one_of(st.none(), st.integers(1, 10)),
       st.integers(0, 2**32 - 1), st.data())
def test_forbidden_ids_are_never_chosen(V, temperature, top_k, seed, data):
    forbidden = data.draw(st.lists(st.integers(0, V - 1), min_size=1, max_size=V - 1, unique=True))
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(2000, V))                   # (B, V)
    logits[:, forbidden] += 50                            # the forbidden ids look likeliest
    for t in (0, temperature):
        chosen = next_token(logits, temperature=t, top_k=top_k, rng=rng, forbidden_ids=forbidden)
        assert not np.isin(chosen, forbidden).any()


def direct_nucleus(probs, p):
    """The ids of the nucleus of probs (V,), by hand: likeliest first (ties: lower id), until
    the running sum reaches p."""
    kept, total = [], 0.0
    for i in sorted(range(len(probs)), key=lambda i: (-probs[i], i)):
        kept.append(i)
        total += probs[i]
        if total >= p:
            break
    return sorted(kept)


@pytest.mark.parametrize("temperature, top_k, top_p, forbidden", [
    (1.0, None, None, ()), (0.5, None, None, ()), (2.5, None, None, ()), (0.7, 3, None, ()),
    (1.3, None, None, (1, 4)),
    (1.0, None, 0.8, ()),        # the nucleus: ids 1, 4, 0
    (3.0, None, 0.8, ()),        # tempered first: a flatter distribution, a wider nucleus
    (1.0, 4, 0.9, ()),           # top-k first, then the nucleus of the 4 left
    (0.8, None, 0.7, (1,)),
])
def test_frequencies_follow_the_softmax(temperature, top_k, top_p, forbidden):
    logits = np.array([1.0, 2.0, 0.5, -1.0, 1.5, 0.0])
    draws = 200_000
    rng = np.random.default_rng(12345)
    chosen = next_token(np.tile(logits, (draws, 1)), temperature=temperature, top_k=top_k,
                        top_p=top_p, rng=rng, forbidden_ids=forbidden)
    allowed = np.setdiff1d(np.arange(len(logits)), forbidden)            # temperature, top-k,
    if top_k is not None:                                                # top-p, in this order
        allowed = np.argsort(-logits)[:top_k]
    if top_p is not None:
        allowed = allowed[direct_nucleus(softmax(logits[allowed] / temperature), top_p)]
    expected = softmax(logits[allowed] / temperature) * draws
    counts = np.bincount(chosen, minlength=len(logits))
    assert counts.sum() == counts[allowed].sum()          # nothing outside the allowed ids
    assert chisquare(counts[allowed], expected).pvalue > P_VALUE


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 12)),
              elements=st.floats(-30, 30)),
       st.floats(0.01, 1.0), st.booleans())
def test_nucleus_keeps_the_smallest_set_reaching_p(logits, p, coarse):
    if coarse:
        logits = np.round(logits / 5)                       # many ties
    mask = nucleus(logits, p)
    for row, kept in zip(logits, mask):
        probs = softmax(row)
        # a p within rounding of a running sum could go either way: not this test's business
        running = np.cumsum(np.sort(probs)[::-1])
        assume(np.abs(running - p).min() > 1e-9)
        assert np.flatnonzero(kept).tolist() == direct_nucleus(probs, p)
        assert probs[kept].sum() >= p                       # it reaches p
        assert probs[kept].sum() - probs[kept].min() < p    # and without its least token it does not


def test_nucleus_ties_keep_the_lower_id():
    assert nucleus(np.zeros((1, 4)), 0.5).tolist() == [[True, True, False, False]]
    assert nucleus(np.log([[0.2, 0.4, 0.4]]), 0.3).tolist() == [[False, True, False]]
    assert nucleus(np.log([[0.2, 0.4, 0.4]]), 1.0).all()


@few
@given(integer_logits(max_rows=300), st.floats(0.05, 5), st.one_of(st.none(), st.integers(1, 12)),
       st.floats(0.01, 0.99), seeds)
def test_top_p_never_draws_outside_the_nucleus(logits, temperature, top_k, p, seed):
    chosen = next_token(logits, temperature=temperature, top_k=top_k, top_p=p,
                        rng=np.random.default_rng(seed))
    z = logits.copy()
    if top_k is not None and top_k < z.shape[1]:
        ranked = np.argsort(-z, axis=1, kind="stable")
        np.put_along_axis(z, ranked[:, top_k:], -np.inf, axis=1)
    inside = nucleus(z / temperature, p)
    assert inside[np.arange(len(chosen)), chosen].all()


@few
@given(integer_logits(max_rows=50), st.floats(0.1, 5), st.one_of(st.none(), st.integers(1, 12)), seeds)
def test_top_p_one_is_plain_sampling(logits, temperature, top_k, seed):
    draw = lambda **p: next_token(logits, temperature=temperature, top_k=top_k,
                                  rng=np.random.default_rng(seed), **p)
    assert (draw(top_p=1.0) == draw()).all()
    assert (draw(top_p=0.5) == draw(top_p=0.5)).all()     # a seed reproduces


def test_one_row_gives_an_int_and_rows_give_an_array():
    assert isinstance(next_token(np.array([0.0, 3.0, 1.0]), temperature=0), int)
    chosen = next_token(np.zeros((4, 3)), rng=np.random.default_rng(0))
    assert chosen.shape == (4,) and chosen.dtype == np.int64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_and_temperatures_do_not_overflow(dtype):
    big = np.finfo(dtype).max
    logits = np.array([[big, -big, 0.0], [1.0, 2.0, 3.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # an overflow warning fails the test
        for temperature in (1e-300, 1e-30, 1.0, 1e30):
            chosen = next_token(logits, temperature=temperature, rng=np.random.default_rng(0))
            assert chosen.shape == (2,) and ((chosen >= 0) & (chosen < 3)).all()
        greedy = next_token(logits, temperature=1e-300, rng=np.random.default_rng(0))
        assert greedy.tolist() == [0, 2]
        logits = np.array([[0.0, -np.inf, 1.0]], dtype=dtype)   # -inf is allowed: probability 0
        assert (next_token(np.tile(logits, (500, 1)), rng=np.random.default_rng(0)) != 1).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -0.1}, "temperature must be a finite number >= 0"),
    ({"temperature": float("nan")}, "temperature must be a finite number >= 0"),
    ({"temperature": float("inf")}, "temperature must be a finite number >= 0"),
    ({"temperature": "hot"}, "temperature must be a finite number >= 0"),
    ({"top_k": 0}, "top_k must be a positive integer"),
    ({"top_k": 2.5}, "top_k must be a positive integer"),
    ({"top_p": 0}, r"top_p must be a number in \(0, 1\]"),
    ({"top_p": 1.5}, r"top_p must be a number in \(0, 1\]"),
    ({"top_p": float("nan")}, r"top_p must be a number in \(0, 1\]"),
    ({"top_p": "0.9"}, r"top_p must be a number in \(0, 1\]"),
    ({"forbidden_ids": [3]}, r"forbidden_ids must lie in \[0, 3\)"),
    ({"forbidden_ids": [0, 1, 2]}, "every one of the 3 ids is forbidden"),
    ({"logits": np.array([[np.nan, 0, 0]])}, "NaN or \\+inf"),
    ({"logits": np.array([np.inf, 0, 0])}, "NaN or \\+inf"),
    ({"logits": np.array([-np.inf, -np.inf, 0]), "forbidden_ids": [2]},
     "every allowed id has logit -inf"),
    ({"logits": np.array([1, 2, 3])}, "float array"),
    ({"logits": np.zeros((2, 2, 3))}, "float array"),
])
def test_next_token_rejects_bad_arguments(kwargs, message):
    kwargs = {"logits": np.array([0.0, 1.0, 2.0]), **kwargs}
    with pytest.raises(ValueError, match=message):
        next_token(kwargs.pop("logits"), **kwargs)


def test_next_token_needs_a_generator():
    with pytest.raises(TypeError, match="numpy Generator"):
        next_token(np.zeros(3), rng=42)


# ---- generate, with a fake model ----

class TableModel:
    """A fake language model: the logits after token i are row i of a (V, V) table.

    The state is the last token of each sequence (1, B), the batch on axis 1 as in minirnn's
    layers, so a wrong state being fed back shows up in the assert. Every call is recorded.
    """

    def __init__(self, table):
        self.table = np.asarray(table, dtype=np.float64)  # (V, V)
        self.calls = []

    def forward(self, ids, state):
        assert ids.dtype == np.int64 and ids.ndim == 2
        if self.calls:
            # rows of the last state (beam search reorders them; for B = 1, the last state)
            assert state is not None and np.isin(state, self.last_state).all()
        else:
            assert state is None
        self.calls.append(ids.copy())
        self.last_state = ids[-1][None].copy()            # (1, B)
        return self.table[ids], self.last_state           # (T, B, V)


CHARS = "hi ."


def char_vocab():
    vocab = Vocabulary(list(CHARS), "char")               # ids: h 3, i 4, ' ' 5, . 6
    assert vocab.encode(CHARS).tolist() == [3, 4, 5, 6]
    return vocab


def greedy_table(next_of, V=7):
    """A table whose greedy path follows next_of: id -> id (every other logit 0)."""
    table = np.zeros((V, V))
    for i, j in next_of.items():
        table[i, j] = 10.0
    return table


def test_greedy_writes_the_table_path_and_stops_at_eos():
    vocab = char_vocab()
    h, i, space, dot = vocab.encode(CHARS)
    model = TableModel(greedy_table({EOS: h, h: i, i: dot, dot: EOS}))
    assert generate(model, vocab, "", 100, temperature=0) == "hi."
    assert model.calls[0].tolist() == [[EOS]]             # an empty prompt starts from <eos>
    assert generate(TableModel(model.table), vocab, "", 8, temperature=0, stop_at_eos=False) \
        == "hi.\nhi.\n"


def test_prompt_primes_in_one_call_then_one_token_at_a_time():
    vocab = char_vocab()
    h, i, space, dot = vocab.encode(CHARS)
    model = TableModel(greedy_table({EOS: h, h: i, i: space, space: h}))
    assert generate(model, vocab, "hi h", 5, temperature=0) == "i hi "
    assert model.calls[0].tolist() == [[EOS], [h], [i], [space], [h]]   # (T, 1), <eos> first
    assert [call.shape for call in model.calls[1:]] == [(1, 1)] * 4     # none after the last
    assert [int(call[0, 0]) for call in model.calls[1:]] == [i, space, h, i]


def test_pad_and_unk_are_never_written():
    vocab = char_vocab()
    table = np.zeros((7, 7))
    table[:, [PAD, UNK]] = 100.0                          # the model loves <pad> and <unk>
    table[:, EOS] = -100.0
    for temperature in (0, 0.5, 5.0):
        text = generate(TableModel(table), vocab, "h", 300, temperature=temperature, seed=0)
        assert len(text) == 300 and set(text) <= set(CHARS)


@few
@given(seeds, st.floats(0.1, 3), st.one_of(st.none(), st.integers(1, 7)), st.integers(0, 60))
def test_generate_reproduces_with_a_seed_and_respects_the_length(seed, temperature, top_k, length):
    vocab = char_vocab()
    table = np.random.default_rng(seed).normal(size=(7, 7))
    write = lambda stop: generate(TableModel(table), vocab, "hi", length, temperature=temperature,
                                  top_k=top_k, seed=seed, stop_at_eos=stop)
    text = write(stop=False)
    assert text == write(stop=False)
    assert len(text) == length                            # each token is one character
    stopped = write(stop=True)
    assert stopped == write(stop=True)
    assert stopped == text.split("\n")[0]                 # the same draws, cut at the first <eos>


def test_generated_text_follows_the_model_distribution():
    vocab = char_vocab()
    row = np.array([5.0, 5.0, 0.3, 1.0, 0.0, -0.5, 0.7])  # the same logits after every token
    table = np.tile(row, (7, 1))
    temperature, length = 0.8, 20_000
    text = generate(TableModel(table), vocab, "", length, temperature=temperature, seed=7,
                    stop_at_eos=False)
    ids = vocab.encode(text.replace("\n", "")).tolist()
    counts = np.array([text.count("\n")] + [ids.count(i) for i in range(3, 7)])
    expected = softmax(row[2:] / temperature) * length    # <pad>, <unk> forbidden
    assert chisquare(counts, expected).pvalue > P_VALUE


def test_word_level_generation():
    vocab = Vocabulary.build("The cat sat. The cat ran.", "word")
    the, cat, sat = vocab.encode("The cat sat")
    model = TableModel(greedy_table({EOS: cat, the: cat, cat: sat, sat: EOS}, V=len(vocab)))
    assert generate(model, vocab, "The", 10, temperature=0) == " cat sat"


def test_prompt_with_unknown_characters_is_refused():
    vocab = char_vocab()
    model = TableModel(np.zeros((7, 7)))
    message = "prompt has 2 characters not in the vocabulary: 'é', '!'"
    with pytest.raises(ValueError, match=message):
        generate(model, vocab, "hé hi!", 10)
    assert model.calls == []                              # refused before running the model


@pytest.mark.parametrize("kwargs, error, message", [
    ({"prompt": None}, TypeError, "prompt must be a str"),
    ({"length": -1}, ValueError, "length must be an int >= 0"),
    ({"length": 2.0}, ValueError, "length must be an int >= 0"),
    ({"temperature": -1.0}, ValueError, "temperature must be a finite number >= 0"),
    ({"top_k": 0}, ValueError, "top_k must be a positive integer"),
])
def test_generate_rejects_bad_arguments(kwargs, error, message):
    kwargs = {"prompt": "hi", "length": 5, **kwargs}
    with pytest.raises(error, match=message):
        generate(TableModel(np.zeros((7, 7))), char_vocab(), **kwargs)


def test_generate_checks_the_model_matches_the_vocabulary():
    with pytest.raises(ValueError, match="logits for 9 tokens, expected 7 for this vocabulary"):
        generate(TableModel(np.zeros((9, 9))), char_vocab(), "hi", 5)

    class Flat(TableModel):
        def forward(self, ids, state):
            return super().forward(ids, state)[0][:, 0], None   # (T, V): no batch axis
    with pytest.raises(ValueError, match=r"logits of shape \(3, 7\) for ids of shape \(3, 1\)"):
        generate(Flat(np.zeros((7, 7))), char_vocab(), "hi", 5)


def test_zero_length_writes_nothing():
    assert generate(TableModel(np.zeros((7, 7))), char_vocab(), "hi", 0) == ""


def test_float_forbidden_ids_are_refused():
    with pytest.raises(TypeError, match="forbidden_ids must be integer ids"):
        next_token(np.zeros(4), temperature=0, forbidden_ids=[0.5])


# ---- beam search ----

@few
@given(seeds, st.integers(0, 30), st.booleans(), st.booleans())
def test_beam_one_is_greedy(seed, length, integer, stop):
    vocab = char_vocab()
    rng = np.random.default_rng(seed)
    table = rng.integers(-3, 4, (7, 7)).astype(float) if integer else rng.normal(size=(7, 7)) * 3
    greedy = generate(TableModel(table), vocab, "h", length, temperature=0, stop_at_eos=stop)
    assert generate(TableModel(table), vocab, "h", length, beam_size=1, stop_at_eos=stop) == greedy


def designed_model():
    """A real Embedding-free LM, OneHot -> RNN -> Linear, whose next-token probabilities are
    a table of our choosing, given the previous token: the RNN copies the one-hot input into
    its state (W = 20 I, tanh(20) rounds to 1.0; H = 0, so no memory beyond one token) and
    the head's rows are the table's log-probabilities. Vocabulary: a (id 3), b (id 4)."""
    vocab = Vocabulary(["a", "b"], "char")
    a, b = 3, 4
    probs = np.full((5, 5), 0.2)                         # rows <pad>, <unk>: never read
    #                  <pad>  <unk>  <eos>  a     b
    probs[EOS] =     [0.005, 0.005, 0.01, 0.60, 0.38]   # greedy starts with a ...
    probs[a] =       [0.005, 0.005, 0.01, 0.50, 0.48]   # ... and goes on a, a: 0.6 * 0.5 * 0.5 = 0.15,
    probs[b] =       [0.005, 0.005, 0.01, 0.03, 0.95]   # where b b b has 0.38 * 0.95 * 0.95 = 0.343
    model = minirnn.Sequential(embed=minirnn.OneHot(5), rnn=minirnn.RNN(5, 5, backend="numpy"),
                               head=minirnn.Linear(5, 5))
    model.params["rnn.W_l0"][...] = 20 * np.eye(5)
    model.params["rnn.H_l0"][...] = 0
    model.params["rnn.b_l0"][...] = 0
    model.params["head.W"][...] = np.log(probs)
    model.params["head.b"][...] = 0
    return model, vocab, probs


def exhaustive(log_p, tokens, length, stop_at_eos, length_penalty=0.0):
    """The best text of up to ``length`` tokens by trying every one: log_p(sequence) -> the
    log-probabilities of each of its tokens. Returns {text ids (tuple): score} for every
    text, scored as beam_search scores them (GNMT's length penalty)."""
    lp = lambda n: ((5 + n) / 6) ** length_penalty
    scores = {}
    for sequence in itertools.product(tokens, repeat=length):
        steps = log_p(sequence)
        end = sequence.index(EOS) if stop_at_eos and EOS in sequence else None
        if end is None:
            scores[sequence] = steps.sum() / lp(length)
        else:                                            # the text ends at its first <eos>
            scores[sequence[:end]] = steps[:end + 1].sum() / lp(end + 1)
    return scores


@pytest.mark.parametrize("stop", [True, False])
def test_beam_search_finds_the_likeliest_text_where_greedy_does_not(stop):
    model, vocab, probs = designed_model()
    logits, state = prime(model, np.zeros(0, dtype=np.int64))
    assert np.allclose(log_softmax(logits[0]), np.log(probs[EOS]), atol=1e-12)   # the design holds

    def log_p(sequence):                                  # straight from the table
        previous = (EOS,) + sequence[:-1]
        return np.log([probs[i, j] for i, j in zip(previous, sequence)])
    scores = exhaustive(log_p, (EOS, 3, 4), 3, stop)
    likeliest = vocab.decode(np.array(max(scores, key=scores.get), dtype=np.int64))
    assert likeliest == "bbb"
    assert generate(model, vocab, "", 3, temperature=0, stop_at_eos=stop) == "aaa"
    assert generate(model, vocab, "", 3, beam_size=2, stop_at_eos=stop) == "bbb"


def small_model(cell, seed, V):
    """A tiny float64 LM with random weights, its head scaled up so that the next-token
    distributions are far from uniform (greedy and beam search then disagree)."""
    config = model_config(V, embed_size=3, cell=cell, hidden_size=4, dtype="float64")
    model = build_model(config, seed=seed, backend="numpy")
    model.params["head.W"] *= 8
    return model


class HistoryModel:
    """A fake LM whose next-token logits are drawn afresh for every history: its state (1, B)
    numbers the whole sequence read so far, so a beam that goes on from another beam's
    state gets other logits."""

    def __init__(self, V, seed):
        self.V, self.seed = V, seed

    def forward(self, ids, state):
        history = np.zeros((1, ids.shape[1])) if state is None else state   # (1, B)
        logits = []
        for step in ids:                                  # (B,)
            history = history * self.V + step             # exact integers: V ** T < 2 ** 53
            logits.append([np.random.default_rng([self.seed, int(h)]).normal(size=self.V) * 3
                           for h in history[0]])
        return np.array(logits), history                  # (T, B, V), (1, B)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["history", "gru", "lstm"]), seeds, st.integers(1, 4), st.booleans(),
       st.sampled_from([0.0, 0.6, 2.0]))
@example("history", 2, 3, False, 0.0)       # beams whose states were mixed up fail these
@example("history", 1, 4, True, 0.6)
@example("lstm", 0, 4, False, 0.0)
def test_a_beam_as_wide_as_every_prefix_is_exhaustive_search(kind, seed, length, stop, alpha):
    """With room for every prefix nothing is pruned, so beam search must find the best text;
    a beam that read another beam's state would score its texts wrongly."""
    vocab = Vocabulary(["a", "b"], "char")
    model = HistoryModel(len(vocab), seed) if kind == "history" else small_model(kind, seed, len(vocab))
    tokens = (EOS, 3, 4)
    prompt = np.array([3], dtype=np.int64)                # "a"

    def log_p(sequence):                                  # one forward call per text
        ids = np.concatenate([[EOS], prompt, sequence[:-1]]).astype(np.int64)[:, None]
        logp = log_softmax(model.forward(ids, None)[0][len(prompt):, 0])   # (length, V)
        return logp[np.arange(length), list(sequence)]
    scores = exhaustive(log_p, tokens, length, stop, alpha)
    logits, state = prime(model, prompt)
    found = beam_search(model, logits, state, length, beam_size=3 ** length, length_penalty=alpha,
                        stop_at_eos=stop)
    assert scores[tuple(found.tolist())] == pytest.approx(max(scores.values()), abs=1e-9)


class CountingModel:
    """Wraps a model; records the shape of every ids it is given."""

    def __init__(self, model):
        self.model, self.shapes = model, []

    def forward(self, ids, state):
        self.shapes.append(ids.shape)
        return self.model.forward(ids, state)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_beam_search_runs_all_beams_in_one_call_per_step(cell):
    vocab = Vocabulary(list("abcde"), "char")
    model = CountingModel(small_model(cell, 0, len(vocab)))
    text = generate(model, vocab, "ab", 12, beam_size=4, stop_at_eos=False)
    assert len(text) == 12
    assert model.shapes[0] == (3, 1)                      # priming: <eos> a b
    assert model.shapes[1] == (1, 4)                      # then every beam at once ...
    assert len(model.shapes) == 12                        # ... once per step, none after the last
    assert all(shape[0] == 1 and shape[1] <= 4 for shape in model.shapes[1:])


def test_beam_search_is_deterministic_and_stops():
    vocab = Vocabulary(list("abcde"), "char")
    model = small_model("gru", 3, len(vocab))
    texts = {generate(model, vocab, "a", 40, beam_size=3, length_penalty=0.6) for _ in range(2)}
    assert len(texts) == 1 and len(texts.pop()) <= 40
    assert generate(model, vocab, "a", 0, beam_size=3) == ""
    table = np.full((7, 7), -5.0)
    table[:, EOS] = 5.0                                   # <eos> is certain at once
    assert generate(TableModel(table), char_vocab(), "h", 10, beam_size=3) == ""
    table[:, FORBIDDEN_IDS] = 50.0                        # the model prefers <pad> and <unk>
    text = generate(TableModel(table), char_vocab(), "h", 10, beam_size=3, stop_at_eos=False)
    assert text == "\n" * 10                              # never written; <eos> as a line break


def test_the_length_penalty_lets_a_longer_text_win():
    """<eos> at once has probability 0.4, log 0.4 = -0.92; "hhhhhh", the likeliest of 6 tokens,
    0.3 * 0.9 ** 5 = 0.18, log -1.73: it wins once divided by lp(6) = (11 / 6) ** 2 = 3.4."""
    probs = np.full((7, 7), 1e-9)
    probs[EOS, EOS], probs[EOS, 3], probs[EOS, 4] = 0.4, 0.3, 0.3
    probs[3:, EOS], probs[3:, 3], probs[3:, 4] = 0.01, 0.9, 0.09
    table = np.log(probs)
    vocab = char_vocab()
    assert generate(TableModel(table), vocab, "", 6, beam_size=3) == ""
    assert generate(TableModel(table), vocab, "", 6, beam_size=3, length_penalty=2.0) == "hhhhhh"


@pytest.mark.parametrize("kwargs, message", [
    ({"beam_size": 0}, "beam_size must be a positive integer"),
    ({"beam_size": 2.0}, "beam_size must be a positive integer"),
    ({"beam_size": 2, "length_penalty": -0.5}, "length_penalty must be a finite number >= 0"),
    ({"beam_size": 2, "length_penalty": float("inf")}, "length_penalty must be a finite number >= 0"),
    ({"beam_size": 2, "temperature": 0.5}, "does not sample: leave out temperature"),
    ({"beam_size": 2, "top_k": 3, "top_p": 0.9, "seed": 1}, "leave out top_k, top_p, seed"),
    ({"length_penalty": 1.0}, "length_penalty=1.0 is for beam search: give a beam_size too"),
])
def test_beam_search_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(TableModel(np.zeros((7, 7))), char_vocab(), "hi", 5, **kwargs)


def test_beam_search_refuses_nan_logits():
    table = np.zeros((7, 7))
    table[3, 4] = 5.0                                     # "h" is followed by "i" ...
    table[4] = np.nan                                     # ... and after "i" the model breaks
    with pytest.raises(ValueError, match="NaN logits"):
        generate(TableModel(table), char_vocab(), "h", 5, beam_size=2)
