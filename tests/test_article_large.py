"""The article of a large network's backward pass (hidden 16, 32) on the page (sweep #8): the
"back to step" sum of four 16-row products goes on over the next page between its terms
(it ran 418 pt off the page bottom as one unbreakable equation), and the weight gradients
and SGD steps show as many columns as fit the article's line (12 columns ran 134-145 pt
past the right edge). One render and one compile per network, shared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Compiled, compile_tex, init_example, run_cli
from tests.test_readable import backward_section

#: The articles: ``lstm-tex init`` flags (with a backward pass added) by name. Hidden 32:
#: the SGD step's three 16-row matrices (with a row of dots) ran 12.9 pt off the page.
ARTICLES = {
    "lstm16": ("--cell", "lstm", "--input-size", "4", "--hidden-size", "16"),
    "gru16": ("--cell", "gru", "--input-size", "4", "--hidden-size", "16"),
    "lstm32": ("--cell", "lstm", "--input-size", "8", "--hidden-size", "32"),
}
CELLS = list(ARTICLES)
#: The article's most columns of a matrix (document/medium.py ARTICLE.max_cols).
ARTICLE_COLS = 12


@pytest.fixture(scope="session")
def articles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each backward article, rendered (``--no-check``)."""
    folder = tmp_path_factory.mktemp("article-large")
    out = {}
    for cell, flags in ARTICLES.items():
        extra = backward_section(int(flags[-1]), steps=2)
        path = init_example(folder / f"{cell}.yaml", *flags, "--steps", "2", extra=extra)
        result = run_cli("render", path, "--out", folder / "out", "--no-check")
        assert result.exit_code == 0, result.output
        out[cell] = folder / "out" / path.stem / f"{path.stem}.tex"
    return out


_compiled: dict[str, Compiled] = {}


def compiled(articles: dict[str, Path], cell: str) -> Compiled:
    if cell not in _compiled:
        _compiled[cell] = compile_tex(articles[cell], draft=True)
    return _compiled[cell]


@pytest.mark.latex
@pytest.mark.parametrize("cell", CELLS)
def test_large_backward_article_fits_the_page(articles: dict[str, Path], cell: str) -> None:
    result = compiled(articles, cell)
    assert result.ok, result.errors[:5]
    assert (result.overfull_hbox, result.overfull_vbox) == (0, 0), re.findall(
        r"^Overfull .*$", result.log, flags=re.M
    )[:5]


def _blocks(tex: str, lhs: str) -> str:
    """The ``align*`` block whose first line's left-hand side is ``lhs``."""
    found = re.search(
        r"\\begin\{align\*\}\n" + re.escape(lhs) + r" &.*?\\end\{align\*\}", tex, flags=re.S
    )
    assert found, lhs
    return found.group(0)


def _columns(block: str) -> list[int]:
    """The entries of the first row of each matrix of more than one column in ``block``."""
    rows = re.findall(r"\\begin\{bmatrix\}(.*?)(?:\\\\|\\end\{bmatrix\})", block)
    return [row.count("&") + 1 for row in rows if "&" in row]


@pytest.mark.parametrize("cell", CELLS)
def test_weight_gradients_show_the_columns_that_fit_the_article(
    articles: dict[str, Path], cell: str
) -> None:
    """dW_hk (16 x 16, 32 x 32) and its SGD step: the row vectors h_t^T, the gradient and the
    weights show the same columns, elided with \\cdots to the article's width: more than
    a slide's few, fewer than the 12 that ran off the page."""
    tex = articles[cell].read_text()
    k = "r" if cell.startswith("gru") else "i"
    for lhs in (f"\\mathrm{{d}}W_{{h{k}}}", f"W_{{h{k}}}"):
        block = _blocks(tex, lhs)
        cols = _columns(block)
        assert len(cols) == 3, (lhs, cols)  # h_0^T, h_1^T and dW; or W, dW and W'
        assert len(set(cols)) == 1, (lhs, cols)
        assert 6 <= cols[0] < ARTICLE_COLS, (lhs, cols)
        assert "\\cdots" in block
