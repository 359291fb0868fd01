r"""Tiny gradients under a shared power of ten (issue 12): a vector of gradients mixing
0.00003 with ``-2 \times 10^{-7}`` read badly, and in the article of a 2-layer hidden-8
LSTM (the sweep's lstm-L2-bw-h8-i5-10pt) its column ran ``W_hh^T delta``'s row of the sum
23.7 pt past the margin. That article is compiled here, and a network whose targets are
its outputs to 5 decimals (every gradient below 10^-5) rendered, its article and deck
compiled with no Overfull box, and its gradients read back from the TeX as ``10^{p}``
times mantissas between 0.1 and 1 that give the values of values.json."""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import numpy as np
import pytest

from lstm_tex import api
from tests.conftest import compile_tex, init_example, run_cli
from tests.test_readable import backward_section

#: A matrix written with a power of ten, as matrices.bmatrix writes one: the power, then a
#: bmatrix or a ruled array.
SCALED = re.compile(
    r"10\^\{(-\d+)\}(?:\\begin\{bmatrix\}|\\left\[\\begin\{array\}\{[^}]*\})(.*?)"
    r"\\end\{(?:bmatrix|array)\}"
)


def entries(body: str) -> list[str]:
    r"""The numbers of a matrix's body as printed: phantoms dropped, ``{-}`` a minus, the
    ellipses left out."""
    text = re.sub(r"\\phantom\{(?:[^{}]|\{[^{}]*\})*\}", "", body).replace("{-}", "-")
    cells = (c.strip() for row in text.split("\\\\") for c in row.split("&"))
    return [c for c in (c.replace("\\hline", "").strip() for c in cells) if c and "dots" not in c]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A hidden-8 LSTM (one step) whose target is its output rounded to 5 decimals,
    rendered at 10 pt (article, deck, web page and Markdown) and compiled once."""
    folder = tmp_path_factory.mktemp("tiny")
    path = init_example(folder / "tiny.yaml", "--hidden-size", "8", "--input-size", "5")
    output = np.asarray(api.load(path).compute().output).reshape(1, -1)
    target = ", ".join(f"{v:.5f}" for v in output[0])
    path.write_text(path.read_text() + f"backward:\n  target: [[{target}]]\n  lr: 0.1\n")
    out = folder / "out"
    args = ("render", path, "--out", out, "--no-check", "--text-size", "10")
    result = run_cli(*args, "--html", "--markdown")
    assert result.exit_code == 0, result.output
    made = out / "tiny"
    return {
        "folder": made,
        "article": compile_tex(made / "tiny.tex", draft=True),
        "deck": compile_tex(made / "tiny-slides.tex", draft=True),
        "values": json.loads((made / "values.json").read_text()),
    }


@pytest.fixture(scope="session")
def layers2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sweep's lstm-L2-bw-h8-i5-10pt: its article (the deck is tests/test_readable's
    kind), compiled once."""
    folder = tmp_path_factory.mktemp("layers2")
    flags = ("--input-size", "5", "--hidden-size", "8", "--layers", "2", "--steps", "2")
    path = init_example(folder / "l2.yaml", *flags, extra=backward_section(8, 2))
    result = run_cli("render", path, "--out", folder, "--no-check", "--text-size", "10")
    assert result.exit_code == 0, result.output
    tex = folder / "l2" / "l2.tex"
    return {"tex": tex, "article": compile_tex(tex, draft=True)}


@pytest.mark.latex
@pytest.mark.parametrize("doc", ["article", "deck", "layers2"])
def test_tiny_gradients_compile_without_overfull(
    tiny: dict[str, Any], layers2: dict[str, Any], doc: str
) -> None:
    compiled = layers2["article"] if doc == "layers2" else tiny[doc]
    assert compiled.ok, compiled.errors
    assert compiled.overfull == 0, re.findall(r"^Overfull.*$", compiled.log, flags=re.M)


@pytest.mark.latex
@pytest.mark.parametrize("name", ["tiny.tex", "tiny-slides.tex", "tiny.html", "tiny.md"])
def test_tiny_gradients_share_a_power_of_ten(tiny: dict[str, Any], name: str) -> None:
    """Every matrix with a power shows mantissas below 1, the largest from 0.1 (4
    decimals), none with an exponent of its own; the article's, deck's, web page's and
    Markdown's the same way (KaTeX reads ``10^{-6}\\begin{bmatrix}``)."""
    text = (tiny["folder"] / name).read_text()
    found = SCALED.findall(html.unescape(text) if name.endswith(".html") else text)
    assert len(found) >= 20, len(found)
    for _, body in found:
        numbers = entries(body)
        assert numbers and not any("times" in n for n in numbers), body
        sizes = [abs(float(n)) for n in numbers]
        assert 0.1 <= max(sizes) < 1.0, numbers
        assert all(re.fullmatch(r"-?0\.\d{4,}", n) for n in numbers), numbers


@pytest.mark.latex
def test_tiny_gradients_read_back_as_values_json(tiny: dict[str, Any]) -> None:
    r"""dh_0 and dc_0 (the gradients of the initial state) as the article prints them:
    ``10^{p}`` with ``p`` that puts the largest between 0.1 and 1, 4 decimals each, within
    half a unit of the last of the full-precision values in values.json; and values.json
    keeps them unrounded."""
    article = (tiny["folder"] / "tiny.tex").read_text()
    assert "shared power of ten, which multiplies every entry" in article  # explained once
    printed = {(int(p), tuple(entries(body))) for p, body in SCALED.findall(article)}
    for name in ("h0", "c0"):
        values = np.asarray(tiny["values"]["backward"]["grads"][name], dtype=np.float64).ravel()
        top = float(np.abs(values).max())
        assert 1e-9 < top < 1e-3  # tiny, and kept to full precision
        assert any(abs(v) > 0 and f"{v:.4e}" != f"{v:.3e}" for v in values)
        p = math.floor(math.log10(top)) + 1
        expected = tuple(f"{v / 10.0**p:.4f}".replace("-0.0000", "0.0000") for v in values)
        assert (p, expected) in printed, (name, p, expected)
        pairs = zip(expected, values, strict=True)
        assert all(abs(float(m) * 10.0**p - v) <= 0.5e-4 * 10.0**p for m, v in pairs)


@pytest.mark.latex
def test_tiny_gradients_sum_rows_start_after_the_gradient(tiny: dict[str, Any]) -> None:
    r"""``dh_0 = W_hh^T delta_1``'s terms (W 8 columns wide and a delta under its power)
    did not fit after that whole left-hand side: its rows start after ``dh_0``, the
    symbolic row reads ``dh_0 = W_hh^T delta_1 = ...`` (no matrix elided)."""
    article = (tiny["folder"] / "tiny.tex").read_text()
    assert re.search(r"\\mathrm\{d\}h_\{?0\}? &= W_\{hh\}\^\{\\top\}", article)
    assert not re.search(r"\\mathrm\{d\}h_\{?0\}? = W_\{hh\}\^\{\\top\}\S* &=", article)


@pytest.mark.latex
def test_the_hidden_8_articles_delta_shares_a_power(layers2: dict[str, Any]) -> None:
    r"""Layer 0's ``W_hh^T delta_1`` sum (what overflowed): its deltas of 0.0004 down to
    2 x 10^-7 read as ``10^{-3}`` times 0.xxxx, with no exponent of their own."""
    text = layers2["tex"].read_text()
    back = text.split("\\paragraph{Back to the initial state.}")[-1].split("\\end{align*}")[0]
    assert "\\mathrm{d}h^{(0)}_{0} &= W_{hh}^{(0)\\top}" in back
    assert "\\times" not in back
    powers = [int(p) for p, _ in SCALED.findall(back)]
    assert -3 in powers and len(powers) >= 2, powers


@pytest.mark.latex
def test_no_entry_takes_its_own_exponent_beside_small_ones(layers2: dict[str, Any]) -> None:
    r"""A matrix whose entries are all below 0.1 never pads its column to an entry's own
    ``\times 10^{-7}``: it takes a power (``[0.0058; -2 x 10^-7]`` is ``10^{-2}[0.5800;
    -0.00002]``); 10 such matrices in this article before."""
    text = layers2["tex"].read_text()
    mixed = []
    for power, body in re.findall(r"(10\^\{-\d+\})?\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", text):
        shown = entries(body)
        own = [n for n in shown if "times" in n]
        plain = [abs(float(n)) for n in shown if "times" not in n]
        if own and (power or max(plain, default=0.0) < 0.1):
            mixed.append(shown)
    assert not mixed, mixed[:3]
