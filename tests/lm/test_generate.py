"""Tests of minirnn/lm/generate.py: choosing the next token, and writing text with a model.

- next_token: a temperature near 0 and top_k=1 both equal greedy; a seed reproduces;
  forbidden ids are never chosen; sampled frequencies follow softmax(logits / T), also
  after top-k (chi-square test on many draws); no overflow at tiny temperatures;
  bad arguments get clear errors;
- generate, with a fake model that reads a fixed transition table: primes with <eos> +
  the prompt in one call, then feeds back one token and the state at a time; respects
  the length and <eos>; reproduces with a seed; never writes <pad> or <unk>; its
  sampled text follows the model's distribution; a prompt with unknown characters
  is refused with their list.
"""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import chisquare

from minirnn.lm.generate import generate, next_token
from minirnn.vocab import EOS, PAD, UNK, Vocabulary

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
@given(integer_logits(), st.floats(0.1, 10), st.one_of(st.none(), st.integers(1, 12)), seeds)
def test_a_seed_reproduces(logits, temperature, top_k, seed):
    draw = lambda: next_token(logits, temperature=temperature, top_k=top_k,
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


@pytest.mark.parametrize("temperature, top_k, forbidden", [
    (1.0, None, ()), (0.5, None, ()), (2.5, None, ()), (0.7, 3, ()), (1.3, None, (1, 4)),
])
def test_frequencies_follow_the_softmax(temperature, top_k, forbidden):
    logits = np.array([1.0, 2.0, 0.5, -1.0, 1.5, 0.0])
    draws = 200_000
    rng = np.random.default_rng(12345)
    chosen = next_token(np.tile(logits, (draws, 1)), temperature=temperature, top_k=top_k,
                        rng=rng, forbidden_ids=forbidden)
    allowed = np.setdiff1d(np.arange(len(logits)), forbidden)
    if top_k is not None:
        allowed = np.argsort(-logits)[:top_k]
    expected = softmax(logits[allowed] / temperature) * draws
    counts = np.bincount(chosen, minlength=len(logits))
    assert counts.sum() == counts[allowed].sum()          # nothing outside the allowed ids
    assert chisquare(counts[allowed], expected).pvalue > P_VALUE


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

    The state is the last token of each sequence (B,), so a wrong state being fed back
    shows up in the logits. Every call is recorded.
    """

    def __init__(self, table):
        self.table = np.asarray(table, dtype=np.float64)  # (V, V)
        self.calls = []

    def forward(self, ids, state):
        assert ids.dtype == np.int64 and ids.ndim == 2
        if self.calls:
            assert state is not None and (state == self.last_state).all()
        else:
            assert state is None
        self.calls.append(ids.copy())
        self.last_state = ids[-1].copy()                  # (B,)
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
    message = "prompt has 2 characters not in the vocabulary: '!', 'é'"
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
    with pytest.raises(ValueError, match=r"logits of shape \(3, 1, 9\), expected \(T, 1, 7\)"):
        generate(TableModel(np.zeros((9, 9))), char_vocab(), "hi", 5)


def test_zero_length_writes_nothing():
    assert generate(TableModel(np.zeros((7, 7))), char_vocab(), "hi", 0) == ""


def test_float_forbidden_ids_are_refused():
    with pytest.raises(TypeError, match="forbidden_ids must be integer ids"):
        next_token(np.zeros(4), temperature=0, forbidden_ids=[0.5])
