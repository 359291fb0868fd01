r"""How many columns of a row vector fit a line (the row-vector notation): the widths of
its columns as a ``bmatrix`` sets them and the slots (:func:`matrices.keep`) that fit,
for :class:`~lstm_tex.document.medium.Medium`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstm_tex.document import matrices, measure, numbers
from lstm_tex.validate.model import ELISION_MIN

#: Width of what a row vector shares its line with at the least, in the row-vector notation:
#: a left-hand side (``h^{(1)\leftarrow}_{1}``), ``\odot \tanh\left(``, ``\right)`` and
#: the brackets (measured with pdflatex: 2.45 and 3.7 em).
ROW_LINE_EM = 6.5


def column_widths(
    arrays: Sequence[tuple[np.ndarray, numbers.Style]], decimals: int, max_rows: int
) -> list[float]:
    """The ems of each column of ``arrays`` (row vectors with their styles, as many
    columns each) as a ``bmatrix`` aligns it: sign, digits and point as set; a vector of
    tiny computed values as its mantissas, its power of ten (``10^{-4}``) counted with its
    first column, which every elision shows (:func:`numbers.shared_exponent`)."""
    power = 0.0
    scaled = []
    for a, style in arrays:
        exponent = None if style != "fixed" else numbers.shared_exponent(a[:max_rows], decimals)
        power = max(power, measure.DIGIT_EM * numbers.power_width(exponent))
        scaled.append((a if exponent is None else numbers.mantissas(a, exponent), style))
    arrays = scaled
    widths = []
    for k in range(arrays[0][0].shape[-1]):
        parts = [
            numbers.split(numbers.format_number(float(v), style, decimals))
            for a, style in arrays
            for v in a[:max_rows, k]
        ]
        if any(exponent is not None for *_, exponent in parts):  # as measure counts it
            texts = [(a[:max_rows, k], style) for a, style in arrays]
            widest = max(numbers.widest(v, style, decimals) for v, style in texts)
            widths.append(measure.DIGIT_EM * widest + measure.MINUS_EM)
            continue
        negative = any(n for n, *_ in parts)
        whole = max(w for _, w, _, _ in parts)
        frac = max(f for _, _, f, _ in parts)
        widths.append(
            measure.MINUS_WIDTH_EM * negative
            + measure.DIGIT_EM * (whole + frac)
            + measure.POINT_WIDTH_EM * bool(frac)
        )
    widths[0] += power
    return widths


def row_slots(
    columns: Sequence[float], room: float, most: int, size: float, extra: float = 0.0
) -> int:
    """On slides, the most column slots (up to ``most``) of row vectors whose columns are
    ``columns`` ems wide (:func:`column_widths`; ``extra`` ems more each: an exercise's
    box) that fit ``room`` ems of ``size`` pt: column by column, as TeX sets them (each
    counted as wide as the widest of all, the results' rows of 8 columns that fit a frame
    were elided to 6; issue 12)."""
    gap = measure.COLUMN_GAP_EM * measure.fixed_em(size)
    n = len(columns)
    for slots in range(min(n, most), ELISION_MIN, -1):
        shown = matrices.shown(n, slots)
        em = sum(columns[k] + gap + extra for k in shown)
        em += measure.BRACKETS_EM * measure.fixed_em(size)
        if len(shown) < n:  # the column of \cdots (as measure.elided_matrix_em)
            em += measure.DOTS_COLUMN_EM + gap - measure.COLUMN_GAP_EM
        if em <= room:
            return slots
    return ELISION_MIN


def paired_slots(entries: int, rows: int) -> int:
    r"""The slots of an axis that two factors of a product share (a row vector's entries
    and its matrix's rows, or a matrix's columns and its column vector's rows):
    ``entries`` as one of them elides it, and no more than the other's ``rows`` limit
    (``render.max_rows``/``max_cols``), so that each entry shown pairs with one column (or
    row) shown and ``\vdots`` stands opposite ``\cdots`` (issue 12)."""
    return min(entries, rows)
