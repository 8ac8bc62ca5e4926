"""minirnn/inspect/features.py and saturation.py: the text's features, the unit search, the gates.

- each feature on a hand-made text, character by character (apostrophes, stray brackets,
  blank lines and document starts closing what is open);
- word-level features are the value at each token's last character;
- Pearson correlation equals NumPy's corrcoef, and a constant column gives 0, not NaN;
- the search ranks first a unit planted in a synthetic activation matrix, and a unit of a
  real LSTM whose weights are set so that its cell state follows the quotation state;
- gate saturation counts the steps below 0.1 and above 0.9.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.inspect.features import (FEATURES, Finding, character_features, correlations, flags,
                                      search_units, token_features, unit_correlations, unit_scores)
from minirnn.inspect.saturation import gate_saturation
from minirnn.inspect.trace import trace_model
from minirnn.lm import build_model, model_config


def values(text, name, starts=()):
    return character_features(text, starts)[name].astype(int).tolist()


def test_quotation_includes_the_opening_mark_and_not_the_closing_one():
    text = 'a "bc" d \'e\' don\'t'
    #       a ␣ " b c " ␣ d ␣ ' e ' ␣ d o n ' t
    assert values(text, "quotation") == [0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]


def test_a_quote_of_the_other_kind_inside_does_not_close_it():
    assert values('"it\'s \'x\' y"z', "quotation") == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]


def test_brackets_nest_and_a_stray_closing_bracket_closes_nothing():
    text = "1) a(b[c]d)e"
    assert values(text, "bracket depth") == [0, 0, 0, 0, 1, 1, 2, 2, 1, 1, 0, 0]
    assert values(text, "brackets") == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]


def test_blank_lines_and_document_starts_close_quotes_and_brackets():
    assert values('("a\n\nb', "brackets") == [1, 1, 1, 1, 0, 0]
    assert values('("a\n\nb', "quotation") == [0, 1, 1, 1, 0, 0]
    assert values('("a\nb', "quotation") == [0, 1, 1, 1, 1]        # one line break: still open
    assert values('("a\nb', "brackets", starts=[4]) == [1, 1, 1, 1, 0]


def test_line_position_indentation_word_and_case():
    text = "ab\n  Cd e\nF"
    assert values(text, "line position") == [1, 2, 0, 1, 2, 3, 4, 5, 6, 0, 1]
    assert values(text, "indentation") == [0, 0, 0, 1, 2, 2, 2, 2, 2, 0, 0]
    assert values(text, "in word") == [1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1]
    assert values(text, "upper case") == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]


def test_every_feature_is_described_and_computed():
    assert set(character_features("x")) == set(FEATURES)


def test_a_token_takes_the_state_at_its_last_character_and_any_of_its_characters_classes():
    features = character_features('Say "hi there" now')
    tokens = ["Say", ' "', "hi", " there", '"', " now"]
    by_token = token_features(features, tokens)
    assert by_token["quotation"].tolist() == [0, 1, 1, 1, 0, 0]
    assert by_token["line position"].tolist() == [3, 5, 7, 13, 14, 18]
    assert by_token["upper case"].tolist() == [1, 0, 0, 0, 0, 0]
    assert by_token["in word"].tolist() == [1, 0, 1, 1, 0, 1]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_correlations_match_numpy(seed):
    rng = np.random.default_rng(seed)
    a, f = rng.standard_normal((40, 5)), rng.standard_normal((40, 3))
    a[:, 1] += 3 * f[:, 0]
    expected = np.corrcoef(np.concatenate([a, f], axis=1).T)[:5, 5:]
    np.testing.assert_allclose(correlations(a, f), expected, rtol=1e-10, atol=1e-12)


def test_a_constant_column_has_no_correlation_and_no_warning():
    a = np.stack([np.full(10, 0.3), np.arange(10.0)], axis=1)       # unit 0 never moves
    f = np.stack([np.arange(10.0), np.ones(10)], axis=1)            # feature 1 is absent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = correlations(a, f)
    np.testing.assert_allclose(r, [[0, 0], [1, 0]], atol=1e-12)


def test_the_search_ranks_first_a_planted_unit_and_skips_constant_features():
    rng = np.random.default_rng(0)
    features = {"quotation": (rng.random(500) < 0.3).astype(float), "upper case": np.zeros(500)}
    cells = [{q: rng.standard_normal((500, 8)) for q in ("h", "c")} for _ in range(2)]
    cells[1]["c"][:, 5] = 2 * features["quotation"] - 1 + 0.3 * rng.standard_normal(500)
    unit_r = unit_correlations(cells, features)
    findings, constant = search_units(unit_r, features)
    assert constant == ["upper case"] and list(findings) == ["quotation"]
    best = findings["quotation"][0]
    assert (best.cell, best.quantity, best.unit) == (1, "c", 5) and best.r > 0.9
    assert all(abs(f.r) < 0.3 for f in findings["quotation"][1:])
    assert unit_scores(unit_r)[1][5] == pytest.approx(best.r)
    assert flags(findings) == [best]


def quote_tracking_lstm(vocab_size, quote_id, K=50.0):
    """A 1-layer LSTM language model whose unit 0 keeps c = 1 inside "..." and 0 outside.

    On a quote mark the forget gate shuts (f = 0) and the input gate opens only when h_0
    = tanh(c_0) is low: outside, i = 1 and c becomes g = 1; inside, i = 0 and c becomes 0.
    On any other character f = 1 and i = 0, so c_0 keeps its value. Units 1.. are random.
    """
    N, D = 5, 3
    config = model_config(vocab_size, embed_size=D, cell="lstm", hidden_size=N, dtype="float64")
    model = build_model(config, seed=1)
    E, W, H, b = (model.params[k] for k in ("embed.E", "rnn.W_l0", "rnn.H_l0", "rnn.b_l0"))
    E[:, 0] = 0
    E[quote_id, 0] = 1                                   # embedding dimension 0: "is a quote mark"
    i, f, g, o = 0, N, 2 * N, 3 * N                      # unit 0's column in each gate block
    for gate in (i, f, g, o):
        W[:, gate] = 0
        H[:, gate] = 0
    b[i], W[0, i], H[0, i] = -K, 1.38 * K, -K            # quote: i = sigmoid(K (0.38 - h_0))
    b[f], W[0, f] = K, -2 * K                            # quote: f = sigmoid(-K) = 0, else 1
    b[g] = b[o] = K                                      # g = o = 1
    model.training = False
    return model


def test_the_search_ranks_first_an_lstm_unit_built_to_follow_quotes():
    text = ('Say "hi" to me. Then "a long quote, with words in it" and more. '
            'Now "x" then plain text for a while "and another one" end.') * 3
    chars = sorted(set(text))
    model = quote_tracking_lstm(len(chars) + 3, quote_id=3 + chars.index('"'))
    ids = np.array([3 + chars.index(ch) for ch in text])
    traced = trace_model(model, ids)
    features = character_features(text)
    np.testing.assert_allclose(traced.cells[0]["c"][:, 0], features["quotation"], atol=1e-6)
    findings, _ = search_units(unit_correlations(traced.cells, features), features)
    best = findings["quotation"][0]
    assert best.unit == 0 and best.r > 0.999
    assert all(f.unit == 0 or abs(f.r) < 0.9 for f in findings["quotation"])
    assert isinstance(best, Finding) and best.quantity in ("h", "c")


def test_gate_saturation_counts_the_steps_at_each_end():
    gate = np.array([[0.05, 0.5], [0.95, 0.5], [0.05, 0.91], [0.5, 0.09]])   # (T=4, N=2)
    cells = [{"h": np.zeros((4, 2)), "f": gate, "g": gate}]            # g is a tanh candidate: left out
    (s,) = gate_saturation(cells)
    assert (s.cell, s.gate) == (0, "f")
    np.testing.assert_allclose(s.left, [0.5, 0.25])
    np.testing.assert_allclose(s.right, [0.25, 0.25])
    assert s.mostly_left() == 0 and s.mostly_right() == 0
    assert gate_saturation([{"h": np.zeros((4, 2))}]) == []            # the simple RNN: no gates
