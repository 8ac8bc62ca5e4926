"""Tests of minirnn/vocab.py: tokenizers and the vocabulary.

- both tokenizers give back the exact text, for any text;
- a vocabulary round-trips text, keeps its reserved ids apart from every real token
  (even the literal strings "<pad>", "<unk>", "<eos>"), maps unknown tokens to <unk>
  or, strictly, names them, and survives np.savez / np.load(allow_pickle=False);
- min_count and max_size keep exactly the frequent tokens;
- the basic_english level (for classifying) lowercases, splits punctuation off words,
  drops whitespace, and its vocabulary survives a checkpoint like the others.
"""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.vocab import EOS, PAD, RESERVED, UNK, Vocabulary, tokenize

few = settings(max_examples=25, deadline=None)
LEVELS = ["char", "word"]                    # the levels whose tokens join to the text
texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                max_size=200)
tricky = ["<pad>", "<unk>", "<eos>", " <pad>", "\n\n    ", "  ", "\t", "é", "日本", "x\u0301"]
texts_with_tricky_bits = st.lists(st.one_of(texts, st.sampled_from(tricky)),
                                  max_size=8).map("".join)


# ---- tokenizers ----

@few
@given(texts_with_tricky_bits)
@pytest.mark.parametrize("level", LEVELS)
def test_tokens_join_to_the_text(level, text):
    tokens = tokenize(text, level)
    assert "".join(tokens) == text
    assert all(tokens)


def test_word_tokens_carry_their_leading_space():
    assert tokenize("Hi there, you.\n\n  Next", "word") == \
        ["Hi", " there", ",", " you", ".", "\n\n  ", "Next"]


def test_tokenize_rejects_bad_input():
    with pytest.raises(ValueError, match="level must be one of 'char', 'word', 'basic_english', got 'byte'"):
        tokenize("abc", "byte")
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(b"abc", "char")


def test_basic_english_lowercases_and_splits_punctuation():
    assert tokenize("Hi there, you!\n\tThe END: (don't)", "basic_english") == \
        ["hi", "there", ",", "you", "!", "the", "end", ":", "(", "don", "'", "t", ")"]
    assert tokenize("  \n ", "basic_english") == []
    assert tokenize("x...y", "basic_english") == ["x", ".", ".", ".", "y"]   # one mark, one token


@few
@given(texts_with_tricky_bits)
def test_basic_english_tokens_are_lowercase_words_or_single_marks(text):
    tokens = tokenize(text, "basic_english")
    assert all(re.fullmatch(r"\w+|[^\w\s]", token) for token in tokens)    # a word or one mark
    assert tokenize(" ".join(tokens), "basic_english") == tokens              # already normal
    assert "".join(tokens) == "".join(text.lower().split())                   # only whitespace is lost


@few
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200))
def test_basic_english_ignores_case(text):
    assert tokenize(text.upper(), "basic_english") == tokenize(text.lower(), "basic_english")


# ---- the vocabulary ----

@few
@given(texts_with_tricky_bits)
@pytest.mark.parametrize("level", LEVELS)
def test_vocabulary_round_trip(level, text):
    vocab = Vocabulary.build(text, level)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.ndim == 1
    assert vocab.decode(ids) == text
    assert (ids >= len(RESERVED)).all()                  # no real token gets a reserved id
    assert len(vocab) == len(RESERVED) + len(set(tokenize(text, level)))


@pytest.mark.parametrize("level", LEVELS)
def test_reserved_names_in_the_text_are_ordinary_tokens(level):
    text = "<pad> <unk> <eos> and <pad>"
    vocab = Vocabulary.build(text, level)
    ids = vocab.encode(text, strict=True)
    assert not np.isin(ids, [PAD, UNK, EOS]).any()
    assert vocab.decode(ids) == text
    literal = Vocabulary(["<pad>", "<eos>"], level)      # even as whole tokens
    assert literal.encode(["<pad>", "<eos>"]).tolist() == [3, 4]
    assert literal.tokens == RESERVED + ("<pad>", "<eos>")


def test_reserved_ids_decode_to_documented_text():
    vocab = Vocabulary.build("ab", "char")
    a, b = vocab.encode("ab")
    assert vocab.decode([a, PAD, b, UNK, EOS, a]) == "ab\N{REPLACEMENT CHARACTER}\na"


@pytest.mark.parametrize("level, known, unseen, listed", [
    ("char", "hello world", "hello, w\u00f6rld!", ["','", "'!'", "'\u00f6'"]),
    ("word", "the cat sat", "the dog sat on", ["'dog'", "'on'"]),        # shown without their space
])
def test_unknown_tokens(level, known, unseen, listed):
    vocab = Vocabulary.build(known, level)
    ids = vocab.encode(unseen)
    tokens = tokenize(unseen, level)
    assert [i == UNK for i in ids] == [t not in tokenize(known, level) for t in tokens]
    with pytest.raises(ValueError, match=f"{len(listed)} .* not in the vocabulary") as error:
        vocab.encode(unseen, strict=True)
    for token in listed:
        assert token in str(error.value)


@few
@given(st.lists(st.sampled_from("aaaaabbbbccdeé \n"), max_size=300).map("".join),
       st.integers(1, 4), st.one_of(st.none(), st.integers(4, 10)))
def test_min_count_and_max_size_keep_the_frequent_tokens(text, min_count, max_size):
    vocab = Vocabulary.build(text, "char", max_size=max_size, min_count=min_count)
    counts = {c: text.count(c) for c in set(text)}
    kept = set(vocab.tokens[len(RESERVED):])
    dropped = set(counts) - kept
    assert all(counts[c] >= min_count for c in kept)
    if max_size is not None:
        assert len(vocab) <= max_size
    if max_size is None or len(vocab) < max_size:
        assert all(counts[c] < min_count for c in dropped)
    if kept and dropped:
        assert min(counts[c] for c in kept) >= max(counts[c] for c in dropped)
    ranks = [counts[c] for c in vocab.tokens[len(RESERVED):]]
    assert ranks == sorted(ranks, reverse=True)          # most frequent first


@pytest.mark.parametrize("kwargs, message", [
    ({"level": "byte"}, "level must be one of"),
    ({"min_count": 0}, "min_count must be a positive integer"),
    ({"max_size": 3}, "max_size must be None or an int > 3"),
])
def test_build_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Vocabulary.build("some text", **kwargs)


def test_vocabulary_rejects_bad_tokens():
    with pytest.raises(ValueError, match="NUL"):
        Vocabulary.build("binary\x00data", "char")
    with pytest.raises(ValueError, match="distinct"):
        Vocabulary(["a", "b", "a"], "char")
    with pytest.raises(ValueError, match="non-empty str"):
        Vocabulary(["a", ""], "char")


def test_decode_rejects_ids_out_of_range():
    vocab = Vocabulary.build("abc", "char")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 6\)"):
        vocab.decode([3, 6])
    with pytest.raises(ValueError, match="1-D integer array"):
        vocab.decode([[3]])


def test_encode_documents_puts_eos_before_each():
    vocab = Vocabulary.build(["ab", "ba"], "char")
    ids = vocab.encode_documents(["ab", "b", "ba"])
    assert ids.dtype == np.int64
    assert ids.tolist() == [EOS, *vocab.encode("ab"), EOS, *vocab.encode("b"),
                            EOS, *vocab.encode("ba")]
    assert vocab.decode(ids) == "\nab\nb\nba"


@few
@given(texts_with_tricky_bits)
@pytest.mark.parametrize("level", LEVELS)
def test_vocabulary_survives_savez_without_pickle(tmp_path_factory, level, text):
    vocab = Vocabulary.build(text, level)
    path = tmp_path_factory.mktemp("vocab") / "vocab.npz"
    np.savez(path, **vocab.to_arrays())
    with np.load(path, allow_pickle=False) as arrays:
        loaded = Vocabulary.from_arrays(arrays)
    assert loaded == vocab
    assert loaded.decode(loaded.encode(text)) == text


@few
@given(texts_with_tricky_bits)
def test_basic_english_vocabulary_round_trip(tmp_path_factory, text):
    vocab = Vocabulary.build(text, "basic_english")
    ids = vocab.encode(text.upper() if text.isascii() else text)
    assert (ids >= len(RESERVED)).all()
    decoded = vocab.decode(ids)
    assert tokenize(decoded, "basic_english") == tokenize(text, "basic_english")
    path = tmp_path_factory.mktemp("vocab") / "vocab.npz"
    np.savez(path, **vocab.to_arrays())
    with np.load(path, allow_pickle=False) as arrays:
        assert Vocabulary.from_arrays(arrays) == vocab


def test_basic_english_decode_joins_with_spaces():
    vocab = Vocabulary.build("Return the value.", "basic_english")
    assert vocab.decode(vocab.encode("RETURN the unseen value .")) == "return the \N{REPLACEMENT CHARACTER} value ."
    assert vocab.decode(np.array([PAD, vocab.ids["the"], PAD])) == "the"     # padding decodes to nothing


def test_from_arrays_rejects_bad_arrays():
    good = Vocabulary.build("abc", "char").to_arrays()
    with pytest.raises(ValueError, match="missing array 'level'"):
        Vocabulary.from_arrays({"tokens": good["tokens"]})
    with pytest.raises(ValueError, match="'tokens' must be a 1-D unicode array"):
        Vocabulary.from_arrays({**good, "tokens": np.arange(5)})
    with pytest.raises(ValueError, match="'level' must be a 0-d unicode array"):
        Vocabulary.from_arrays({**good, "level": np.array(["char"])})
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary.from_arrays({**good, "tokens": good["tokens"][1:]})
    with pytest.raises(ValueError, match="level must be one of"):
        Vocabulary.from_arrays({**good, "level": np.array("byte")})


def test_unknown_tokens_are_named_in_the_prompt_s_order_with_the_spaced_form_hinted():
    """A prompt's first word has no space before it; the text's words mostly do."""
    vocab = Vocabulary.build("The cat saw the dog. The end.", "word")
    assert vocab.describe_unknown("the zebra ate a cat") == (
        "4 words not in the vocabulary: 'the' (known only after a space, as ' the'), 'zebra', 'ate', 'a'")
    assert Vocabulary.build("abc", "char").describe_unknown("zyz") == "2 characters not in the vocabulary: 'z', 'y'"
