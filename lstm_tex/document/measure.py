r"""How wide and tall TeX sets what lstm-tex writes, estimated without running TeX.

The layout (where a line breaks, how many columns of a matrix a slide shows, what goes on
which frame) is decided from these estimates. Widths are in ems of the math font at the
size the derivation is set in (1 em = 10 pt at Beamer's ``\small``, 11 pt in the 11 pt
article); the constants are named here once and calibrated against pdflatex with Latin
Modern (``tests/test_texmeasure.py`` typesets a table of samples and holds every estimate
to within :data:`MARGIN` of the measured width).
"""

from __future__ import annotations

from lstm_tex.document import matrices

#: A digit, a sign or a decimal point of a number, in ems (``numbers.display_width``
#: counts in these): Latin Modern's digits are half an em; a minus is wider and a point
#: narrower, which about cancels in a number such as -0.2930.
DIGIT_EM = 0.5
#: Between two columns of a matrix: twice amsmath's ``\arraycolsep`` (5 pt at 10 pt).
COLUMN_GAP_EM = 1.0
#: The two brackets of a ``bmatrix`` and the space inside them.
BRACKETS_EM = 0.6
#: The column of ``\cdots`` of an elided matrix, with its gap (measured 2.46 em).
DOTS_COLUMN_EM = 2.5
#: Beamer's 16:9 text is 398.3 pt wide (160 mm less 1 cm margins); 10 pt ``\small``.
BEAMER_169_TEXT_PT = 398.34
SLIDE_TEXT_PT = 10.0
#: The estimates agree with pdflatex to within this share of the measured width; the
#: widest miss is a column without a minus sign (its point, narrower than a digit, is
#: counted as one: 12 % over for a vector of 0.1234), always on the safe side.
MARGIN = 0.125

#: Heights are in matrix rows (a row of numbers with its spacing, about 2.9 ex at the
#: derivation's size): a line without matrices (a symbolic line) is this tall ...
SYMBOLIC = 1.6
#: ... and a line of matrices this much taller than its matrices' rows (the brackets'
#: overhang and the space between lines).
LINE = 1.4


def line_height(rows: int, broken: bool = False) -> float:
    """A derivation line of ``rows``-row matrices (two rows of them if ``broken``)."""
    return (rows + LINE) * (2 if broken else 1)


def fixed_em(size: float) -> float:
    """What one em of 10 pt is in ems of ``size`` pt: amsmath's column gap and a matrix's
    brackets are set in points, not in ems of the text (at 9 pt a column of a matrix is
    wider in ems, at 11 pt narrower; measured: lines of a 9 pt deck scaled to 8.76 pt)."""
    return SLIDE_TEXT_PT / size


def column_em(widest: float, size: float = SLIDE_TEXT_PT) -> float:
    """One column of a matrix whose widest number is ``widest`` digit widths (in ems of
    ``size`` pt)."""
    return DIGIT_EM * widest + COLUMN_GAP_EM * fixed_em(size)


def matrix_em(widest: float, cols: int, size: float = SLIDE_TEXT_PT) -> float:
    """A ``bmatrix`` of ``cols`` columns of numbers at most ``widest`` digit widths (an
    elided column counted as a number: an over-estimate by about an em)."""
    return cols * column_em(widest, size) + BRACKETS_EM * fixed_em(size)


def elided_matrix_em(widest: float, n: int, slots: int, size: float = SLIDE_TEXT_PT) -> float:
    """A ``bmatrix`` of ``n`` columns shown in ``slots`` (one of them ``\\cdots`` when
    ``slots < n``), as :func:`matrices.bmatrix` elides them."""
    shown = len(matrices.shown(n, slots))
    gap = COLUMN_GAP_EM * (fixed_em(size) - 1.0)
    dots = DOTS_COLUMN_EM + gap if shown < n else 0.0
    return shown * column_em(widest, size) + dots + BRACKETS_EM * fixed_em(size)


def fit_columns(
    widest: float, n: int, room: float, least: int, most: int, size: float = SLIDE_TEXT_PT
) -> int:
    """The most column slots (from ``least`` to ``most``) of an ``n``-column matrix that
    fit ``room`` ems (of ``size`` pt); ``least`` if none does."""
    for slots in range(min(n, most), least, -1):
        if elided_matrix_em(widest, n, slots, size) <= room:
            return slots
    return least


#: ``render.text_size`` (pt) -> the Beamer size commands of a slide's body and of its notes
#: and captions, one step smaller but never below 8 pt (Beamer's 11 pt class).
SLIDE_SIZES = {
    9: ("\\footnotesize", "\\footnotesize"),
    10: ("\\small", "\\footnotesize"),
    11: ("\\normalsize", "\\small"),
}


def slide_line_em(size: float = SLIDE_TEXT_PT) -> float:
    """The width of a line of a 16:9 slide in ems of the derivation's size (pt)."""
    return BEAMER_169_TEXT_PT / size
