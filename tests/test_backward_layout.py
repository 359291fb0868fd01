"""The backward pass's layout on slides (issue 12), as tables: how tall a line is set (in
rows of the text), where a line of tall matrices breaks, and how a product's matrix and
vector are elided alike to the room of their row."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_tex.document.backward_lines import (
    LINE_GAP,
    SYMBOLIC_ROW,
    fit_line,
    note_rows,
    slide_rows,
    tall,
)
from lstm_tex.document.backward_show import Piece, Show
from lstm_tex.document.medium import SLIDES, Medium

#: (rows of each row of matrices, symbolic row of its own; height in rows of the text)
TALL = [
    ([2], False, 2.0),
    ([8], False, 8.0),
    ([8], True, 8.0 + SYMBOLIC_ROW),
    ([8, 8], False, 16.34),
    ([6, 6], True, 12.34 + SYMBOLIC_ROW),
    ([0], False, 1.0),  # a row of symbols is a row of text
]


@pytest.mark.parametrize(("rows", "symbolic", "height"), TALL)
def test_tall(rows: list[int], symbolic: bool, height: float) -> None:
    assert tall(rows, symbolic) == pytest.approx(height)


def test_a_frame_holds_two_lines_of_8_rows_without_a_note_but_not_with_one() -> None:
    """What made hidden-8 frames shrink: two 8-row lines and a note are taller than the
    212 pt below a 16:9 frame's title (at 10 pt: 17.7 rows of text)."""
    frame = slide_rows(10) + LINE_GAP  # the last line of a frame has no gap after it
    two = 2 * (tall([8], False) + LINE_GAP)
    assert slide_rows(10) == pytest.approx(212 / 12)
    assert two <= frame
    assert two + note_rows("x" * 100) > frame
    assert note_rows("") == 0.0 and note_rows("x" * 80) == pytest.approx(0.95 + 0.35)


#: (matrix rows, break before the numbers, before the result): on 20 em, ``a = b = <10 em of
#: numbers> = <8 em result>`` fits without the symbols; with tall matrices the symbols go
#: above and numbers and result stay on one row (two rows of 8 do not fit a frame).
BROKEN = [(2, (False, True)), (8, (True, False))]


@pytest.mark.parametrize(("rows", "breaks"), BROKEN)
def test_tall_lines_keep_numbers_and_result_on_one_row(
    rows: int, breaks: tuple[bool, bool]
) -> None:
    fit = fit_line(20.0, "a", "a = bbbbbbb", 10.0, Piece("r", 6.0, rows), rows)
    assert (fit["break_numbers"], fit["break_result"]) == breaks


def test_a_product_elides_its_matrix_columns_and_vector_rows_alike() -> None:
    """W^T (8 x 32) times delta (32): W^T's columns elided to the room, delta's rows with
    them, the same entries (head, \\vdots or \\cdots, tail)."""
    show = Show(Medium(4, SLIDES))
    w = np.round(np.linspace(-0.35, 0.35, 8 * 32).reshape(8, 32), 2)
    delta = np.linspace(-0.01, 0.01, 32)[None, :]
    wide, vector = show.product(w, delta, 40.0)
    narrow, short = show.product(w, delta, 20.0)
    assert narrow.em <= 20.0 - short.em < wide.em
    for matrix, v in ((wide, vector), (narrow, short)):
        first_row = matrix.tex.split("\\\\")[0]
        assert first_row.count("&") + 1 == v.tex.count("\\\\") + 1  # columns == rows
        assert "\\cdots" in matrix.tex and "\\vdots" in v.tex
    assert show.product(w[:, :4], delta[:, :4], None)[1].tex.count("\\\\") == 3  # article
