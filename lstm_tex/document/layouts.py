r"""The limits of each medium (:class:`Layout`: slides, the article, the parts) under the
``render:`` options, which :class:`~lstm_tex.document.medium.Medium` formats numbers to,
and :func:`matrix_em`, how wide a matrix is set under them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lstm_tex.document import matrices, measure, numbers
from lstm_tex.document.line import PAGE_ROWS
from lstm_tex.latex.decks import DEFAULT, Deck
from lstm_tex.validate.model import RenderOptions


@dataclass(frozen=True)
class Layout:
    """Size limits of one medium (slides or article), in ems of the body font."""

    line_em: float
    max_rows: int
    max_cols: int
    frame_rows: float
    shrinks: bool = False  # a line too wide is scaled down (\lstmfit), not broken inside W x
    #: The size (pt) that the ems are of, for what TeX sets in points (measure.fixed_em):
    #: the slides' ``render.text_size``; 10 elsewhere, as the widths were calibrated.
    size: float = measure.SLIDE_TEXT_PT
    deck: Deck = DEFAULT  # the Beamer frame the slides are for (render.deck)
    #: A page that a line taller than it breaks across (matrix rows; the parts': their
    #: host's), ``None`` where none does (slides; the article packs its own blocks).
    page_rows: float | None = None


#: The default deck's text is 140 mm wide: 39.8 em of \small (10 pt) math (issue 12).
SLIDES = Layout(
    line_em=measure.slide_line_em() - 0.3, max_rows=8, max_cols=8, frame_rows=19.5, shrinks=True
)
#: A gate's frames set their lines closer (\jot 1 pt): they hold this many more rows, which
#: is two lines of 8-row matrices under the gate's symbolic line.
GATE_EXTRA_ROWS = 1.0
# The article's text is 17 cm wide: 44 em of 11 pt math (measured against pdflatex); its
# "frames" are the display blocks that results are split into, so that pages can break.
ARTICLE = Layout(line_em=44.0, max_rows=16, max_cols=12, frame_rows=36.0)
#: No elision (``render.article_full``): every row and column; a line too large for the
#: page is scaled down as a whole (``\lstmfitpage``) rather than broken inside ``W x``.
NO_ELISION = 1_000_000
ARTICLE_FULL = Layout(
    line_em=44.0, max_rows=NO_ELISION, max_cols=NO_ELISION, frame_rows=36.0, shrinks=True
)

#: ``parts/*.tex`` and the API's ``Step.latex()``: lines broken to 30 em, which fit the text
#: of a default ``\documentclass{article}`` at 10, 11 and 12 pt (345 pt of 10 pt, 360 pt of
#: 10.95 pt and 390 pt of 12 pt: 34.5, 32.9 and 32.5 em); a part still wider than its host's
#: ``\linewidth`` (a 4:3 frame) is scaled down to it as a whole (part.tex.j2).
PARTS = Layout(line_em=30.0, max_rows=8, max_cols=8, frame_rows=36.0, page_rows=PAGE_ROWS)

#: With ``article_full``, matrices taller than this are not broken onto more lines: two
#: lines of them would not fit a page, so each derivation line is scaled down whole.
FULL_ROWS = 24


def slides_layout(size: int, deck: Deck = DEFAULT) -> Layout:
    """:data:`SLIDES` at text ``size`` (pt) in ``deck``'s frame (``render.deck``): a line holds
    fewer ems of a larger size or a narrower frame, so more is elided or split, not shrunk."""
    return replace(
        SLIDES,
        line_em=measure.slide_line_em(size) * deck.width - 0.3,
        frame_rows=SLIDES.frame_rows * measure.SLIDE_TEXT_PT / size * deck.height,
        size=size,
        deck=deck,
    )


def layout(render: RenderOptions, slides: bool, parts: bool = False) -> Layout:
    """The limits of a medium under the ``render:`` options: ``max_rows``/``max_cols`` on
    slides and in the parts, ``text_size`` on slides, ``article_full`` in the article."""
    if parts:
        return replace(PARTS, max_rows=render.max_rows, max_cols=render.max_cols)
    if slides:
        made = slides_layout(render.text_size, render.deck)
        return replace(made, max_rows=render.max_rows, max_cols=render.max_cols)
    return ARTICLE_FULL if render.article_full else ARTICLE


def matrix_em(
    array: np.ndarray, decimals: int, style: numbers.Style, layout: Layout, scale: bool = True
) -> float:
    """Estimated width of a bmatrix in ems (digits are half an em wide), with the power of
    ten of tiny computed values (``scale``: unless an exercise boxes them)."""
    a = array.reshape(array.shape[0], -1)
    cols = min(a.shape[1], layout.max_cols)
    shown = shown_entries(a, layout.max_rows, layout.max_cols)
    widest, power = numbers.matrix_widths(shown, style, decimals, scale)
    return measure.matrix_em(widest, cols, layout.size) + measure.DIGIT_EM * power


def shown_entries(a: np.ndarray, max_rows: int, max_cols: int) -> np.ndarray:
    """The entries of matrix ``a`` that an elided bmatrix can show (all when it fits):
    widths are measured on them, not on the thousands of numbers elided away."""
    if a.ndim < 2 or (a.shape[0] <= max_rows and a.shape[1] <= max_cols):
        return a
    rows = [r for r in matrices.keep(a.shape[0], max_rows) if r is not None]
    cols = [c for c in matrices.keep(a.shape[1], max_cols) if c is not None]
    return a[np.ix_(rows, cols)]
