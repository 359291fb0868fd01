"""Large matrices: ``render.max_rows``/``max_cols`` on slides, ``render.article_full``, and a
32-input, 64-hidden, 3-step LSTM that never runs off a frame or a page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_tex.document import matrices
from lstm_tex.document import medium as media
from lstm_tex.errors import InputError
from lstm_tex.validate import model, spec
from tests import pairing
from tests.conftest import BUNDLED, EXAMPLES, compile_tex, init_example, run_cli
from tests.layout import assert_compiles_cleanly, assert_on_the_pages, render, with_render

SHORT = EXAMPLES / "short-sequence.yaml"
GRID = np.arange(1, 26, dtype=float).reshape(5, 5)  # entries 1..25, one or two digits


def _body(tex: str) -> list[list[str]]:
    """The entries of a bmatrix, row by row, \\phantom padding removed."""
    inner = tex.split("\\begin{bmatrix} ", 1)[1].rsplit(" \\end{bmatrix}", 1)[0]
    return [
        [e.replace("\\phantom{0}", "").strip() for e in row.split(" & ")]
        for row in inner.split(" \\\\ ")
    ]


@pytest.mark.parametrize(
    "max_rows,max_cols,rows",
    [
        (None, None, [[str(5 * r + c + 1) for c in range(5)] for r in range(5)]),
        (5, 5, [[str(5 * r + c + 1) for c in range(5)] for r in range(5)]),
        (3, 3, [["1", "\\cdots", "5"], ["\\vdots", "\\ddots", "\\vdots"], ["21", "\\cdots", "25"]]),
        (
            4,
            3,
            [
                ["1", "\\cdots", "5"],
                ["6", "\\cdots", "10"],
                ["\\vdots", "\\ddots", "\\vdots"],
                ["21", "\\cdots", "25"],
            ],
        ),
        (3, None, [["1", "2", "3", "4", "5"], ["\\vdots"] * 5, ["21", "22", "23", "24", "25"]]),
    ],
)
def test_bmatrix_elision(max_rows: int | None, max_cols: int | None, rows: list[list[str]]) -> None:
    tex = matrices.bmatrix(GRID, style="written", max_rows=max_rows, max_cols=max_cols)
    assert _body(tex) == rows


def test_bmatrix_elided_column_vector() -> None:
    assert matrices.bmatrix(np.arange(10.0), style="written", max_rows=4) == (
        "\\begin{bmatrix} 0 \\\\ 1 \\\\ \\vdots \\\\ 9 \\end{bmatrix}"
    )


@pytest.mark.parametrize(
    "render,slides,limits",
    [
        ({}, True, (8, 8)),
        ({"max_rows": 12, "max_cols": 3}, True, (12, 3)),
        ({"max_rows": 12}, False, (16, 12)),  # the article keeps its own limits
        ({"article_full": True}, False, (media.NO_ELISION, media.NO_ELISION)),
        ({"article_full": True}, True, (8, 8)),
    ],
)
def test_layout_of_each_medium(
    render: dict[str, object], slides: bool, limits: tuple[int, int]
) -> None:
    layout = media.layout(model.RenderOptions(**render), slides)  # type: ignore[arg-type]
    assert (layout.max_rows, layout.max_cols) == limits


def test_defaults_are_the_slides_layout() -> None:
    options = model.RenderOptions()
    assert (options.max_rows, options.max_cols) == (
        media.SLIDES.max_rows,
        media.SLIDES.max_cols,
    )
    assert media.layout(options, True) == media.SLIDES
    assert media.layout(options, False) == media.ARTICLE


def test_article_weights_show_the_columns_that_fit() -> None:
    weights = np.full((64, 32), -0.25)  # five characters a number
    article = media.Medium(4, media.ARTICLE)
    assert article.weight_cols(weights) == 8
    assert _body(article.weights(weights))[0].count("\\cdots") == 1
    assert len(_body(article.weights(weights))[0]) == 8
    assert media.Medium(4, media.SLIDES).weight_cols(weights) == 8
    assert media.Medium(4, media.ARTICLE).weight_cols(np.full((4, 3), 0.5)) == 12


@pytest.mark.parametrize(
    "render,message",
    [
        ({"max_rows": 2}, "render.max_rows: expected at least 3, found the number 2"),
        ({"max_cols": 17}, "render.max_cols: expected at most 16, found the number 17"),
        ({"max_rows": "many"}, "render.max_rows: expected a whole number"),
        ({"article_full": "yes"}, "render.article_full: expected true or false"),
    ],
)
def test_limits_are_validated(tmp_path: Path, render: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as caught:
        spec.load(with_render(SHORT, tmp_path, **render))
    assert message in caught.value.format()


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--max-rows", "20"], "--max-rows: expected 3 to 16, found 20"),
        (["--max-cols", "1"], "--max-cols: expected 3 to 16, found 1"),
    ],
)
def test_limit_flags_are_validated(out: Path, flags: list[str], message: str) -> None:
    result = run_cli("render", SHORT, "--out", out, "--no-check", *flags)
    assert result.exit_code == 2 and message in result.output


def test_limits_above_the_sizes_change_nothing(out: Path) -> None:
    plain = render(SHORT, out / "plain")
    wide = render(SHORT, out / "wide", "--max-rows", "16", "--max-cols", "16")
    for name in ("frames.tex", f"{SHORT.stem}.tex"):
        assert (plain / name).read_text() == (wide / name).read_text()


@pytest.mark.latex
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_small_limits_and_full_article_compile_for_every_example(
    example: Path, tmp_path: Path
) -> None:
    source = with_render(example, tmp_path / "src", max_rows=3, max_cols=3, article_full=True)
    folder = render(source, tmp_path / "out")
    if example.stem == "notebook-step":  # hidden size 4: the middle of 4 rows elided
        assert "\\vdots" in (folder / "frames.tex").read_text()
    assert "\\lstmfitpage" in (folder / f"{example.stem}.tex").read_text()
    assert_compiles_cleanly(folder)


# ---------------------------------------------------------------- input 32, hidden 64, T 3


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.yaml"
    result = run_cli("init", path, "--input-size", "32", "--hidden-size", "64", "--steps", "3")
    assert result.exit_code == 0, result.output
    return path


def test_big_values_stay_whole(big: Path, out: Path) -> None:
    folder = render(big, out)
    frames = (folder / "frames.tex").read_text()
    for dots in ("\\cdots", "\\vdots", "\\ddots"):
        assert dots in frames
    values = json.loads((folder / "values.json").read_text())
    step = values["steps"][0]
    assert len(step["x"]) == 32 and len(step["h"]) == 64
    assert all(len(g["act"]) == 64 for g in step["gates"].values())


@pytest.mark.latex
def test_big_default_fits_every_frame_and_page(big: Path, out: Path) -> None:
    folder = render(big, out)
    assert_compiles_cleanly(folder, lecturer=("aspectratio=169",))


@pytest.mark.latex
def test_big_largest_limits_and_expansion_fit(big: Path, out: Path) -> None:
    folder = render(big, out, "--max-rows", "16", "--max-cols", "16", "--expand", "f:1")
    frames = (folder / "frames.tex").read_text()
    assert "[shrink]" in frames and "row by row" in frames
    first_row = frames.split("W_{ii} x_{1} + b_{ii} &= ", 1)[1].split(" \\\\ ", 1)[0]
    assert first_row.count(" & ") == 15  # 15 numbers and \cdots
    for tex in (folder / "big-slides.tex",):
        compiled = compile_tex(tex)
        assert compiled.ok and compiled.overfull == 0, compiled.errors
        assert_on_the_pages(tex.with_suffix(".pdf"))


@pytest.mark.latex
def test_big_full_article(big: Path, out: Path) -> None:
    folder = render(big, out, "--article-full")
    article = (folder / "big.tex").read_text()
    assert "\\usepackage{graphicx}" in article
    w_ih = article.split("W_{ii} x_{1} + b_{ii} &= ", 1)[1].split("\\end{bmatrix}", 1)[0]
    first_row = w_ih.split(" \\\\ ", 1)[0]
    assert first_row.count(" & ") == 31 and "\\cdots" not in w_ih and "\\vdots" not in w_ih
    compiled = compile_tex(folder / "big.tex")
    assert compiled.ok and compiled.overfull == 0, compiled.errors
    assert_on_the_pages(folder / "big.pdf")


# ------------------------------------------- W v: the vector elided with W's columns (#12)

PRODUCT = re.compile(
    r"W_\{[hi][a-z]\} (?:h|x)[^&]*?&= (\\begin\{bmatrix\}.*?\\end\{bmatrix\})"
    r"(?: \\\\\*?\s*& \\qquad \\cdot)? (\\begin\{bmatrix\}.*?\\end\{bmatrix\})"
)


def test_gate_products_pair_the_columns_of_w_with_the_rows_of_the_vector(out: Path) -> None:
    """A hidden-8 GRU on slides elides W_hk's columns to fit its line: h_{t-1}'s rows are
    elided to the same entries (\\vdots where W has \\cdots), so that they pair up."""
    path = out / "gru8.yaml"
    made = run_cli("init", path, "--cell", "gru", "--hidden-size", "8", "--input-size", "5")
    assert made.exit_code == 0, made.output
    frames = (render(path, out) / "frames.tex").read_text()
    products = PRODUCT.findall(frames)
    assert len(products) >= 6  # W_ik x_t + b_ik and W_hk h_{t-1} + b_hk of r, z and n
    elided = 0
    for w, v in products:
        w_rows, v_rows = _body(w), _body(v)
        assert len(w_rows[0]) == len(v_rows), (w_rows[0], v_rows)
        gaps = [k for k, e in enumerate(w_rows[0]) if e == "\\cdots"]
        assert gaps == [k for k, row in enumerate(v_rows) if row[0] == "\\vdots"]
        elided += bool(gaps)
    assert elided >= 3  # the hidden-8 products really are elided


# ---------------- every product's factors, sum's terms and result elided alike (#12)

#: Generated examples whose decks are read back: ``lstm-tex init`` flags.
PAIRED = {
    "lstm8": ("--hidden-size", "8", "--input-size", "5"),
    "gru8": ("--cell", "gru", "--hidden-size", "8", "--input-size", "5"),
    "rnn8": ("--cell", "rnn", "--hidden-size", "8", "--input-size", "5"),
    "lstm16": ("--hidden-size", "16", "--input-size", "4"),
    "gru16": ("--cell", "gru", "--hidden-size", "16", "--input-size", "4"),
    "rnn16": ("--cell", "rnn", "--hidden-size", "16", "--input-size", "4"),
}
NOTATIONS = ("pytorch", "textbook", "row-vector")
#: ``render.max_rows``/``max_cols`` combinations (issue 12: with max_cols >= hidden but
#: max_rows < hidden, W was shown whole beside a vector cut, or the other way round).
LIMITS = ((8, 8), (4, 8), (8, 4), (3, 16), (16, 3), (5, 12), (12, 5))
#: The decks read back: (example, notation, max_rows, max_cols, text size).
PAIRED_DECKS = [
    *((name, notation, 8, 8, 10) for name in PAIRED for notation in NOTATIONS),
    *(
        (name, notation, r, c, 10)
        for name in ("lstm8", "gru8")
        for notation in NOTATIONS
        for r, c in LIMITS[1:]
    ),
    *(("lstm8", "row-vector", 8, 8, size) for size in (9, 11)),
]


@pytest.fixture(scope="session")
def paired(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[Any, ...], dict[str, str]]:
    """Each of :data:`PAIRED_DECKS` rendered once (not compiled): the slides' frames, the
    article and the parts, as TeX."""
    folder = tmp_path_factory.mktemp("paired")
    examples = {
        name: init_example(folder / f"{name}.yaml", *flags) for name, flags in PAIRED.items()
    }
    found = {}
    for key in PAIRED_DECKS:
        name, notation, rows, cols, size = key
        out = render(
            examples[name],
            folder / "-".join(map(str, key)),
            "--notation",
            notation,
            "--max-rows",
            str(rows),
            "--max-cols",
            str(cols),
            "--text-size",
            str(size),
        )
        found[key] = {
            "slides": (out / "frames.tex").read_text(),
            "article": (out / f"{name}.tex").read_text(),
            "parts": "\n".join(p.read_text() for p in sorted((out / "parts").glob("*.tex"))),
        }
    return found


@pytest.mark.parametrize("key", PAIRED_DECKS, ids=lambda k: "-".join(map(str, k)))
def test_products_sums_and_results_are_elided_alike(
    paired: dict[tuple[Any, ...], dict[str, str]], key: tuple[Any, ...]
) -> None:
    """Read back from the TeX, in every notation, cell and max_rows/max_cols: each product's
    factors pair (W's columns shown are the vector's entries, ``\\vdots`` opposite
    ``\\cdots``; with row vectors, the vector's entries are W's rows) and each sum's terms,
    its result and each entrywise product show the same rows and columns (d2l's W_hk
    showed its 8 rows beside an h_0 of 6 entries, b_k 8 columns beside a result of 6)."""
    name, notation, *_ = key
    cell = name.rstrip("0123456789")
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    for document, tex in paired[key].items():
        assert not pairing.disagreements(tex), (document, pairing.disagreements(tex)[:3])
        found = pairing.products(tex)
        # each step's gates: d2l's x W and h W, PyTorch's W x and W h, the textbook's one
        # W [h; x] (its GRU candidate as PyTorch's two)
        least = gates * (2 if notation != "textbook" else 1)
        assert len(found) >= least, (document, len(found))


def test_the_hidden_16_products_are_elided(paired: dict[tuple[Any, ...], dict[str, str]]) -> None:
    """The check above is not vacuous: at hidden 16 on slides, every notation's products
    show elided factors (\\cdots beside \\vdots), and so do the limits' decks."""
    for key, documents in paired.items():
        name, _, rows, cols, _ = key
        if name.endswith("16") or min(rows, cols) < 8:
            pairs = pairing.products(documents["slides"])
            assert any(any(a.cols) and any(b.rows) for a, b in pairs), key


def test_the_check_finds_factors_that_disagree() -> None:
    """tests/pairing.py reads a product whose matrix shows its 8 rows beside a row vector of
    6 entries, and a bias of 8 columns beside a result of 6, as disagreements."""
    six = matrices.bmatrix(np.ones((1, 8)), style="written", max_cols=7)
    eight = matrices.bmatrix(np.ones((8, 8)), style="written")
    row = matrices.bmatrix(np.ones((1, 8)), style="written")
    tex = (
        "\\begin{aligned}\nf_{1} &= \\sigma(x W + b) \\\\\n"
        f"&\\quad + {six} \\\\*\n  &\\quad\\qquad \\cdot {eight} \\\\*\n"
        f"&\\quad + {row} \\\\*\n  &\\quad = {six}\n\\end{{aligned}}"
    )
    found = pairing.disagreements(tex)
    assert len(found) == 2 and found[0].startswith("product"), found
    paired_tex = tex.replace(
        eight, matrices.bmatrix(np.ones((8, 8)), style="written", max_rows=7, max_cols=7)
    )
    assert pairing.disagreements(paired_tex.replace(row, six)) == []
