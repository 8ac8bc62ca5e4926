"""minirnn/inspect/page.py: one self-contained HTML file, under its size limit.

- the page parses (html.parser), holds one inline style and two inline scripts, and
  nothing that could load from elsewhere: no src or href attribute, no http(s) URL, even
  when the text itself holds URLs, "</script>" and HTML;
- its JSON gives back the tokens, and every stored unit decodes, as the page's
  JavaScript does (inflate, unpack, undo the context order, add the LSTM's predictions
  of c and h), to the codes of the trace's values, each within half a colour level;
- a size limit keeps fewer units, the ranked ones first; one that holds none is refused;
- quantisation: sigmoid gates on [0, 1], h on [-1, 1], c scaled by its largest |c|;
  the context order sorts steps by the text before them, read backwards; two codes a byte;
- connectivity: the page holds each measured prediction's codes (log scale, relative to its
  largest), its largest norm and lag, and the median curve; they decode to reach_codes.
"""
import base64
import json
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest

from minirnn.inspect.connectivity import connectivity, spread_positions, summarise
from minirnn.inspect.features import character_features, search_units, unit_correlations, unit_scores
from minirnn.inspect.page import (DIVERGING_LEVELS, MIDDLE, REACH_LEVELS, SEQUENTIAL_LEVELS, context_order, dequantise,
                                  levels, pack, quantise, reach_codes, scales, write_page)
from minirnn.inspect.saturation import gate_saturation
from minirnn.inspect.text import given_text
from minirnn.inspect.trace import trace_model
from minirnn.lm import build_model, model_config
from minirnn.vocab import Vocabulary

TEXT = ('Read "the manual" at https://example.com/doc (chapter 2).\n'
        '  </script><b>bold</b> & <!-- not a comment --> it\'s fine\n') * 4


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def make_page(tmp_path, cell="lstm", max_bytes=2_000_000, title="runs/<i>x</i>/checkpoint.npz", reach=False):
    vocab = Vocabulary.build(TEXT.replace("é", ""), "char")
    model = build_model(model_config(len(vocab), embed_size=4, cell=cell, hidden_size=7, layers=2,
                                     dtype="float64"), seed=0)
    text = given_text(TEXT + "é", vocab, "a test text")
    trace = trace_model(model, text.ids, top_k=5).from_step(1)
    features = character_features("".join(text.tokens))
    unit_r = unit_correlations(trace.cells, features)
    findings, _ = search_units(unit_r, features)
    path = tmp_path / "index.html"
    about = {"title": title, "model": "a tiny model", "source": text.source}
    measured = None
    if reach:                                 # 40 predictions after tokens j, read at step j + 1 of the ids
        positions = spread_positions(len(text.tokens) - 1, 40)
        norms = connectivity(model, text.ids, positions + 1, max_lag=30)
        measured = (positions, norms, summarise(norms), "characters")
    result = write_page(path, text, trace, vocab.tokens, findings, unit_r, unit_scores(unit_r),
                        gate_saturation(trace.cells), about, max_bytes=max_bytes, connectivity=measured)
    return (path, result, text, trace, findings) + ((measured,) if reach else ())


def page_data(path):
    parser = Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    (data_script,) = [s for (tag, attrs), s in zip([t for t in parser.tags if t[0] == "script"], parser.scripts)
                      if attrs.get("type") == "application/json"]
    return json.loads(data_script), parser


def test_the_page_is_self_contained_html(tmp_path):
    path, (size, stored, total), text, _, _ = make_page(tmp_path)
    page = path.read_text(encoding="utf-8")
    assert size == len(page.encode("utf-8"))
    data, parser = page_data(path)
    tags = [tag for tag, _ in parser.tags]
    assert tags.count("script") == 2 and tags.count("style") == 1
    assert tags[:1] == ["html"] and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not [attrs for _, attrs in parser.tags if "src" in attrs or "href" in attrs]
    assert "http://" not in page and "https://" not in page and "//example.com" not in page
    assert page.count("</script>") == 2 and "<b>bold" not in page
    assert "runs/&lt;i&gt;x&lt;/i&gt;/checkpoint.npz" in page                 # the title, escaped
    assert "".join(data["tokens"]) == TEXT + "é"                             # the text comes back whole
    assert data["unknown"] == [len(TEXT)]                                    # é is <unk>
    assert stored == total == 14


def decode(cell, ids):
    """The page's decode() for every stored unit of one cell, in Python, one step after
    another as the page does: quantity -> (T, n) codes in the text's order."""
    T, n = len(ids), len(cell["units"])
    order = context_order(ids)
    codes = {}
    for q, block in cell["codes"].items():
        packed = np.frombuffer(zlib.decompress(base64.urlsafe_b64decode(block)), np.uint8).reshape(n, (T + 1) // 2)
        pairs = np.stack([packed >> 4, packed & 15], axis=2).reshape(n, -1)[:, :T]    # (n, T) in context order
        codes[q] = np.empty((T, n), np.int64)
        codes[q][order] = pairs.T
    if cell["lstm"]:                          # c and h are stored as differences from the cell's equations
        c_scale = np.array(cell["scales"]["c"])[cell["units"]]
        c_before = np.zeros(n)
        for t in range(T):
            i, f, g, o = (dequantise(codes[q][t], q) for q in "ifgo")
            codes["c"][t] = (codes["c"][t] + quantise(f * c_before + i * g, "c", c_scale)) % levels("c")
            c_before = dequantise(codes["c"][t], "c", c_scale)
            codes["h"][t] = (codes["h"][t] + quantise(o * np.tanh(c_before), "h")) % levels("h")
    return codes


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_stored_unit_decodes_to_the_trace(tmp_path, cell):
    path, _, text, trace, _ = make_page(tmp_path, cell=cell)
    data, _ = page_data(path)
    assert data["ids"] == text.ids[1:].tolist()
    for k, stored in enumerate(data["cells"]):
        assert stored["quantities"] == list(trace.cells[k]) and stored["lstm"] == (cell == "lstm")
        units = stored["units"]
        assert units == list(range(7))
        c_scale = scales(trace.cells[k])
        for q, got in decode(stored, data["ids"]).items():
            v = trace.cells[k][q][:, units]                                        # (T, n)
            unit_scale = c_scale[units] if q == "c" else 1.0
            np.testing.assert_array_equal(got, quantise(v, q, unit_scale), err_msg=f"cell {k} {q}")
            step = (1 if q in "ifo" else 2) / (levels(q) - 1) * (np.max(np.abs(v), axis=0) if q == "c" else 1)
            assert np.all(np.abs(dequantise(got, q, unit_scale) - v) <= step / 2 + 1e-3 * unit_scale)


def test_the_next_tokens_are_in_the_page(tmp_path):
    path, _, text, trace, _ = make_page(tmp_path)
    data, _ = page_data(path)
    raw = zlib.decompress(base64.urlsafe_b64decode(data["top"]))
    n = trace.top_ids.size
    np.testing.assert_array_equal(np.frombuffer(raw[:4 * n], "<u4").reshape(trace.top_ids.shape), trace.top_ids)
    probs = np.frombuffer(raw[4 * n:], "<u2").reshape(trace.top_ids.shape) / 1e4
    np.testing.assert_allclose(probs, trace.top_probs, atol=0.5e-4 + 1e-12)
    assert all(str(i) in data["names"] for i in np.unique(trace.top_ids))


def test_a_size_limit_keeps_the_ranked_units_first(tmp_path):
    _, (full, _, _), *_ = make_page(tmp_path)
    path, (size, stored, total), _, _, findings = make_page(tmp_path, max_bytes=full - 2000)
    assert size <= full - 2000 and 0 < stored < total
    data, _ = page_data(path)
    best = max((fs[0] for fs in findings.values()), key=lambda f: abs(f.r))
    assert best.unit in data["cells"][best.cell]["units"]
    assert sum(len(cell["units"]) for cell in data["cells"]) == stored


def test_a_limit_too_small_for_one_unit_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no unit within 0.01 MB; give fewer --chars or a larger --page-mb"):
        make_page(tmp_path, max_bytes=10_000)
    assert not (tmp_path / "index.html").exists()


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_gru_and_rnn_pages(tmp_path, cell):
    path, _, _, _, _ = make_page(tmp_path, cell=cell)
    data, _ = page_data(path)
    assert data["cells"][0]["quantities"] == {"gru": ["h", "r", "z", "n"], "rnn": ["h"]}[cell]
    assert data["cells"][0]["saturation"].keys() == ({"r", "z"} if cell == "gru" else set())


def test_quantise():
    assert (DIVERGING_LEVELS, MIDDLE, SEQUENTIAL_LEVELS) == (15, 7, 9)
    v = np.array([-1.0, -0.6, 0.0, 0.4, 1.0, -1 / 14, 1 / 14])
    assert quantise(v, "h").tolist() == [0, 3, 7, 10, 14, 7, 8]              # 7 is 0; -0.6 * 7 = -4.2; halves up
    assert quantise(np.array([0.0, 0.2, 1.0, 1 / 16]), "f").tolist() == [0, 2, 8, 1]  # 0.2 * 8 = 1.6
    assert quantise(np.array([-4.8, 2.0, 8.0]), "c", 8.0).tolist() == [3, 9, 14]     # scaled by max |c| = 8
    assert dequantise(np.array([0, 7, 14]), "c", 8.0).tolist() == [-8.0, 0.0, 8.0]
    assert dequantise(np.array([0, 4, 8]), "o").tolist() == [0.0, 0.5, 1.0]
    cell = {"c": np.array([[-4.0, 0.0], [2.0, 0.0], [8.12345, 0.0]])}
    assert scales(cell).tolist() == [8.12345, 1.0] and scales({"h": cell["c"]}) is None


@pytest.mark.parametrize("ids", [[3, 1, 3, 1, 2, 3, 1], [5], [0, 0, 0], list(np.random.default_rng(0).integers(0, 4, 300))])
def test_context_order_sorts_by_the_text_read_backwards(ids):
    def backwards(t):                         # ids[t], ids[t - 1], ... 8 deep, -1 before the start, then t
        return tuple(ids[t - j] if t >= j else -1 for j in range(8)) + (t,)
    assert context_order(np.array(ids)).tolist() == sorted(range(len(ids)), key=backwards)


def test_pack():
    codes = np.array([[1, 9], [2, 10], [15, 0]], np.uint8)                  # (T = 3, 2 units)
    assert pack(codes) == bytes([0x12, 0xF0, 0x9A, 0x00])                  # unit after unit, padded to even T


def test_reach_codes():
    norms = np.array([[2.0, 1.0, 2.02e-3, 1.98e-3, 0.0, np.nan],       # relative 1, 0.5, 1.01e-3, 0.99e-3
                      [1e-9, 1e-6, 1e-12, 1e-9, 1e-9, 1e-9]])          # its own largest is 1e-6
    # code 1 + floor((log10(ratio) / 3 + 1) * 15): 0.5 -> 1 + floor(13.49) = 14; 1e-3 -> 1; below -> 0
    assert reach_codes(norms).tolist() == [[15, 14, 1, 0, 0, 0], [1, 15, 0, 1, 1, 1]]
    assert REACH_LEVELS == 16                                             # 4 bits: two codes a byte


def test_the_page_holds_the_connectivity(tmp_path):
    path, (size, _, _), text, _, _, (positions, norms, summary, _) = make_page(tmp_path, reach=True)
    data, parser = page_data(path)
    stored = data["reach"]
    assert stored["positions"] == positions.tolist() and stored["maxLag"] == 30
    K1, P = norms.shape[1], len(positions)
    packed = np.frombuffer(zlib.decompress(base64.urlsafe_b64decode(stored["codes"])), np.uint8).reshape(P, (K1 + 1) // 2)
    codes = np.stack([packed >> 4, packed & 15], axis=2).reshape(P, -1)[:, :K1]     # prediction after prediction
    np.testing.assert_array_equal(codes, reach_codes(norms))
    assert (codes[np.arange(P), stored["peakLag"]] == 15).all()
    assert all((codes[p, j + 2:] == 0).all() for p, j in enumerate(positions))   # lags before the text (<eos> at j + 1)
    np.testing.assert_allclose(stored["peak"], np.nanmax(norms, axis=1), rtol=5e-3)
    median = summary.quartiles[1]
    np.testing.assert_allclose(stored["quartiles"][1], median / median.max(), rtol=5e-3)
    assert stored["reach"] == summary.reach and stored["fraction"] == 0.01
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and page.count("</script>") == 2
    (tmp_path / "without").mkdir()
    _, (size_without, _, _), *_ = make_page(tmp_path / "without")
    assert size_without < size < size_without + 20_000                 # 40 predictions x 31 lags: a few kB
    assert page_data(tmp_path / "without" / "index.html")[0]["reach"] is None
