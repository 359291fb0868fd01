r"""How wide and tall TeX sets what lstm-tex writes, estimated without running TeX.

The layout (where a line breaks, how many columns of a matrix a slide shows, what goes on
which frame) is decided from these estimates. Widths are in ems of the math font at the
size the derivation is set in (1 em = 10 pt at Beamer's ``\small``, 11 pt in the 11 pt
article); the constants are named here once and calibrated against pdflatex with Latin
Modern (``tests/test_texmeasure.py`` typesets a table of samples and holds every estimate
to within :data:`MARGIN` of the measured width).
"""

from __future__ import annotations

import re

from lstm_tex.document import calibrated, matrices

#: A digit, a sign or a decimal point of a number, in ems (``numbers.display_width``
#: counts in these): Latin Modern's digits are half an em; a minus is wider and a point
#: narrower, which about cancels in a number such as -0.2930.
DIGIT_EM = 0.5
#: What a minus sign is wider than a point makes up for (0.78 and 0.28 em against 0.5 each):
#: a column whose widest number is negative, such as -0.27, is this much wider (2.556 em
#: against 2.5), counted for every column (4 columns of -0.09 were 2.2 pt under, and a
#: hidden-8 line at 10 pt was scaled to 9.96 pt; issue 12).
MINUS_EM = 0.06
#: A minus sign and a decimal point as set (Latin Modern): what a column of a row vector on
#: slides is counted with, column by column (``Medium._column_widths``).
MINUS_WIDTH_EM = 0.78
POINT_WIDTH_EM = 0.28
#: Between two columns of a matrix: twice amsmath's ``\arraycolsep`` (5 pt at 10 pt).
COLUMN_GAP_EM = 1.0
#: The two brackets of a ``bmatrix`` (in ems of 10 pt: they are set in points) beyond
#: the column gap :func:`matrix_em` counts after its last column, which a matrix does not
#: have: measured 8.3 pt for a 1-row matrix, 10.6 for 2 rows, 13.33 pt from 3 or 4 rows
#: up at 9, 10 and 11 pt alike (the extensible brackets), so 10 pt + this covers them all.
#: (It was 0.6, 2.7 pt too wide for every matrix of 3 rows or more: at 11 pt an 8 x 4
#: W_if showed 2 of its 4 columns; issue 12.)
BRACKETS_EM = 0.34
#: The column of ``\cdots`` of an elided matrix, with its gap (measured 2.46 em).
DOTS_COLUMN_EM = 2.5
#: Beamer's 16:9 text is 398.3 pt wide (160 mm less 1 cm margins); 10 pt ``\small``.
BEAMER_169_TEXT_PT = 398.34
SLIDE_TEXT_PT = 10.0
#: The estimates agree with pdflatex to within this share of the measured width: the
#: widest misses are a column without a minus sign (its point, narrower than a digit, is
#: counted as one: 7 % over for a vector of 0.1234); with :data:`MINUS_EM`, never under
#: (it was 12.5 %: 12 % over, and 1.5 % under for a matrix of -0.27).
MARGIN = 0.075

#: Heights are in matrix rows (a row of numbers with its spacing, about 2.9 ex at the
#: derivation's size): a line without matrices (a symbolic line) is this tall ...
SYMBOLIC = 1.6
#: ... and a line of matrices this much taller than its matrices' rows (the brackets'
#: overhang and the space between lines).
LINE = 1.4


def line_height(rows: int, broken: bool = False) -> float:
    """A derivation line of ``rows``-row matrices (two rows of them if ``broken``)."""
    return (rows + LINE) * (2 if broken else 1)


#: Between two rows of one line of row vectors on slides (``\\*``: ``\jot`` and the
#: brackets' overhang, no ``1ex``): measured 0.4 on hidden-8 decks, where a cell line's
#: five rows of 1-row vectors under its symbols filled 40 % of a frame, estimated at 70 %
#: with :data:`LINE` a row (issue 12).
ROW_GAP = 0.6


def rows_height(rows: list[int]) -> float:
    """A line broken on rows of row vectors (and matrices: ``rows`` tall each) on slides:
    :data:`ROW_GAP` between them, :data:`LINE` after the last."""
    return sum(rows) + ROW_GAP * (len(rows) - 1) + LINE


def closer_rows(height: float, breaks: int) -> float:
    """A height :func:`~lstm_tex.document.frames.flow` counted with :data:`LINE` after each
    row, as :func:`rows_height` counts it for its ``breaks`` rows after the first."""
    return height - (LINE - ROW_GAP) * breaks


def fixed_em(size: float) -> float:
    """What one em of 10 pt is in ems of ``size`` pt: amsmath's column gap and a matrix's
    brackets are set in points, not in ems of the text (at 9 pt a column of a matrix is
    wider in ems, at 11 pt narrower; measured: lines of a 9 pt deck scaled to 8.76 pt)."""
    return SLIDE_TEXT_PT / size


def column_em(widest: float, size: float = SLIDE_TEXT_PT) -> float:
    """One column of a matrix whose widest number is ``widest`` digit widths (in ems of
    ``size`` pt)."""
    return DIGIT_EM * widest + MINUS_EM + COLUMN_GAP_EM * fixed_em(size)


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


# ---------------------------------------------------------------- the symbols of a line
#
# A line's estimate is its matrices (above) plus what is written between them: its
# left-hand side, its operators and its function names. These allowances are what the
# forward pass's lines add to their matrices. tests/test_texmeasure.py typesets a sample
# of each line (its symbols and its matrices) and holds the estimate, allowances and
# matrices added up as the document layer adds them, to between LINE_UNDER under and
# LINE_OVER over the measured width. The allowances make up for the matrices' estimate
# (when its brackets were counted 2.7 pt too wide), so they are calibrated on whole lines,
# not alone; since the brackets' fix (issue 12) each is also near its own measure.

#: A line's estimate is at most this share under its width (on a slide \lstmfit would
#: scale such a line down). Measured (tests/test_texmeasure.py, 31 lines): ``= [o] \odot
#: \tanh([c]) = ...`` 1.2 % under (its vectors' minus signs); it was 12.5 % before the
#: brackets' fix (PyTorch's left-hand side in one block 11.2 % under) ...
LINE_UNDER = 0.03
#: ... and at most this share over it (the line breaks early): ``x^{(1)}_t = [h^{(0)->}
#: h^{(0)<-}] = x`` 36 % over, an expansion's row 24 %, the inputs' line 22 %.
LINE_OVER = 0.37

#: An operator between two matrices (``+``, ``=``, ``\odot``) with its spacing, on the
#: forward pass's lines: measured 1.22 em for ``+``, ``-`` and ``\odot`` and 1.33 em for
#: ``=`` at 9, 10 and 11 pt (tests/test_texmeasure.py); 1.4 keeps each on the safe side.
#: (It was 2.0, and the backward pass's 1.6: lines broke early; issue 12.)
OPERATOR_EM = 1.4
#: Where a row after a break starts, past the line's indent: an operator, or ``\qquad
#: \cdot`` inside a product (``frames.flow`` breaks by it, ``line.widest`` measures by it;
#: it was :data:`OPERATOR_EM` while that was 2.0).
BREAK_EM = 2.0
#: Between the two factors of a product of matrices (``[x] [W]``), and after ``\qquad
#: \cdot`` where a product breaks.
FACTOR_GAP_EM = 0.5
#: Between a weight matrix and the stacked vector it multiplies (``W_k [h; x]``).
STACKED_GAP_EM = 1.0

#: PyTorch's ``W_ik x_t + b_ik = [W] [x] + [b] = [r]``: everything but the matrices, by
#: the product (measured 8.56-8.95 em for ``x_1`` by the gate's letter, 9.03-9.42 for
#: ``W_hk h_1``: at 9.0 for both, a hidden-8 W_hg h_1 line at 10 pt ran 1.4 pt wide) ...
PRODUCT_LINE_EM = {"ih": 9.0, "hh": 9.5}
#: ... and for each digit of the step after the first (``x_{10}``: 0.37 em).
STEP_DIGIT_EM = 0.4


def product_line_em(kind: str, t: int) -> float:
    """The symbols of PyTorch's product line of ``kind`` (``ih``, ``hh``) at step ``t``."""
    return PRODUCT_LINE_EM[kind] + STEP_DIGIT_EM * (len(str(t)) - 1)


#: ... its first row only, ``W_ik x_t + b_ik = [W] [x]``, without the matrices.
PRODUCT_ROW_EM = 7.0
#: A gate's result line ``f_t = \sigma([ih] + [hh]) = \sigma([pre]) = [act]`` without its
#: matrices, its first row and its last; the GRU candidate's `` + r_t \odot (`` ... ``)``;
#: what \tanh and ReLU add to \sigma (measured: benchmarks/calibrate.py, calibrated.py).
RESULT_LINE_EM = calibrated.RESULT_LINE_EM
RESULT_SUM_EM = calibrated.RESULT_SUM_EM
RESULT_ACT_EM = calibrated.RESULT_ACT_EM
GATED_EM = calibrated.GATED_EM
ACT_FN_EM = calibrated.ACT_FN_EM
symbols_em = calibrated.symbols_em
#: ``f_t = \sigma\left([pre]\right)`` of the textbook's and d2l's result line, without it
#: (measured 4.6 em; it was 9.0, 29 % over the line).
ACTIVATION_LINE_EM = 5.5
#: The textbook's left-hand side ``W_k [h_{t-1}; x_t] + b_k =``.
TEXTBOOK_LHS_EM = 8.0
#: d2l's left-hand side ``x_t W_xk + h_{t-1} W_hk + b_k =``.
ROW_LHS_EM = 12.0
#: Where the rows of a line start when its left-hand side has a row of its own:
#: ``f_t = \quad`` (a gate's symbol, ``=`` and the indent).
OWN_ROW_INDENT_EM = 3.0
#: PyTorch's left-hand side ``W_ii x_t + b_ii`` in one aligned block (``Step.latex()``),
#: which starts every line of the step after it.
BLOCK_LHS_EM = 4.5
#: The GRU's ``W_in x_t + b_in`` in ``Step.latex()``'s one block, likewise.
GRU_BLOCK_LHS_EM = 5.0

#: What shares a row with a GRU's row vector at the most where lines break (the article):
#: the candidate's block is aligned after its widest left-hand side, ``h_{t-1} W_hn +
#: b_hn``, and its pre-activation's row adds ``= \tanh\left(`` ... ``\right)`` (8
#: columns of -0.5194 ran 1.1 pt past the article's text; 6.5 em for any other line).
GRU_ROW_LINE_EM = 9.5
#: A state's left-hand side ``c_t =`` (the row-vector notation's state lines).
STATE_LHS_EM = 2.0
#: ``o_t \odot \tanh(c_t)``: the symbolic part of the hidden state's line.
TANH_SYMBOLIC_EM = 8.0
#: `` \odot \tanh\left(`` ... ``\right)`` around c_t's numbers.
TANH_EM = 6.0
#: ``m_t W_{hr}^\top =``: the projection's left-hand side with row vectors.
PROJECTION_LHS_EM = 6.0
#: Between m_t and W_hr^T on the projection's line.
PROJECTION_GAP_EM = 3.0

#: The column notation's LSTM state lines: the numbers' row of ``c_t = [f] \odot [c] + [i]
#: \odot [g] = [c]`` but its matrices, and its part before ``= [c]`` (calibrated.py),
CELL_LINE_EM = calibrated.CELL_LINE_EM
CELL_SUM_EM = calibrated.CELL_SUM_EM
#: ... ``h_t = o \odot \tanh(c) = ... = [h]`` (measured 18.6 em),
HIDDEN_LINE_EM = 19.0
#: ... its numbers on a row of their own, ``= [o] \odot \tanh([c]) = [o] \odot [tanh c]
#: = [h]`` with its indent (measured 11.4 em),
HIDDEN_NUMBERS_EM = 11.5
#: ... its result part ``= [o] \odot [tanh c] = [h]``,
HIDDEN_RESULT_EM = 8.0
#: ... its symbolic part with the first numbers ``h_t = o_t \odot \tanh(c_t) = [o] \odot``
#: (measured 14.6 em),
HIDDEN_SYMBOLIC_EM = 15.0
#: ... and the projection ``h_t = W_hr m_t = [W] [m] = [h]``.
PROJECTION_LINE_EM = 10.0
#: The numbers' row of the GRU's ``h_t = (1 - [z]) \odot [n] + [z] \odot [h]`` but its
#: matrices, and its first product ``(1 - [z]) \odot [n]`` (calibrated.py),
GRU_UPDATE_EM = calibrated.GRU_UPDATE_EM
GRU_PRODUCT_EM = calibrated.GRU_PRODUCT_EM
#: ... `` = [h]`` after it,
GRU_RESULT_EM = 2.0
#: ... and, when its sum has a row of its own, that row's indent and its ``+`` and
#: ``\odot`` (``+ [z] \odot [h]``, measured 4.86 em with `` = [h]``; 2 em alone put it
#: 15 % under).
GRU_SUM_ROW_EM = 3.0

#: An input's ``h_{t-1} =`` on slides (measured 3.5 em: a layer-1 step's x, h and c, each
#: estimated at 5 em, went on two frames half full; issue 12) and elsewhere.
INPUT_LABEL_EM = {True: 3.5, False: 5.0}
#: ``x_t =`` and its spacing.
X_LABEL_EM = 5.0
#: The marks of a symbol's superscript, such as ``(1)`` and an arrow (both: this, one:
#: half of it).
SUP_EM = 2.0
#: A label of values over time, ``[h_1 \cdots h_T]``, and with row vectors (one row a step)
#: stacked, ``[h_1; h_T]`` (measured 2.0 em: estimated at 4.5, a hidden-8 row of 8 that fits
#: its frame showed 6 of them; issue 12).
TIME_LABEL_EM = 4.5
ROWS_TIME_LABEL_EM = 2.0
#: ``example 1:`` before a label.
EXAMPLE_EM = 6.0
#: A final state's label ``h_n[0] =`` and the step it is, ``h^{(1)}_{T} =``.
FINAL_LABEL_EM = 4.0
FINAL_MID_EM = 3.0
#: A bidirectional output's ``[h^->_t  h^<-_t]`` rows of symbols (row vectors), and per
#: step the columns of its ruled ``[h^->; h^<-]`` with their brackets (column vectors).
ROWS_MID_EM = 8.0
STACKED_SYMBOL_EM = 3.5
SYMBOL_BRACKETS_EM = 1.0
#: The rule between two blocks of one matrix: its width (side by side) and its height in
#: matrix rows (stacked).
BLOCK_RULE_EM = 0.5
BLOCK_RULE_ROWS = 0.5
#: An expansion's label ``( ... )_{j} =`` around its symbol, and the room its sum leaves.
EXPANSION_LABEL_EM = 3.0
EXPANSION_ROOM_EM = 2.0
#: A layer above's ``x^{(l)}_t = [h->; h<-]`` as a row, beside its numbers.
FROM_ROW_EM = 10.0


# ---------------------------------------------------------------- symbolic expressions

#: ``" + "`` between the terms of an expansion, in ems.
PLUS_EM = 1.6
#: ``" \cdot "`` between two factors of an expansion's term.
CDOT_EM = 1.3
#: ``\qquad`` and ``+`` at the start of an expansion's continuation row.
EXPANSION_INDENT_EM = 3.0
#: The ``\cdots`` of an elided sum.
CDOTS_EM = 1.5


def term_em(text: str) -> float:
    r"""The width of an expansion's term such as ``(-0.36) \cdot 0.5`` in ems: digits,
    signs and points half an em, parentheses 0.4, ``\cdot`` with its spacing
    :data:`CDOT_EM`."""
    if text == "\\cdots":
        return CDOTS_EM
    body = text.replace("\\cdot", "")
    return (
        DIGIT_EM * sum(ch.isdigit() or ch in ".-" for ch in body)
        + 0.4 * sum(ch in "()" for ch in body)
        + CDOT_EM * text.count("\\cdot")
    )


_SYMBOL_SCRIPT = re.compile(r"[_^](?:\{([^{}]*)\}|(.))")
_SYMBOL_COMMAND = re.compile(r"\\[a-zA-Z]+")


def symbol_em(sym: str) -> float:
    r"""The width of a symbol such as ``W_{if}^{(1)} x^{(1)}_{1} + b_{if}^{(1)}`` in ems:
    letters 0.6, sub- and superscripts 0.4 a character (a command counts as one), ``" +
    "`` :data:`PLUS_EM`."""
    scripts = sum(len(_SYMBOL_COMMAND.sub("x", a or b)) for a, b in _SYMBOL_SCRIPT.findall(sym))
    main = _SYMBOL_SCRIPT.sub("", sym)
    letters = len(re.sub(r"[\s+]", "", _SYMBOL_COMMAND.sub("x", main)))
    return 0.6 * letters + 0.4 * scripts + PLUS_EM * main.count("+")


#: An operator between matrices on the backward pass's lines (=, +, -, \odot) with its
#: spacing, in ems: measured 1.33 for =, 1.22 for the others (it was 1.6: dW and SGD lines
#: of hidden 8 showed a column fewer than fits; issue 12).
OP_EM = 1.35

_COMMAND = re.compile(r"\\((mathrm|mathsf|mathbf|left|right|text|quad)(?![a-zA-Z])|[,;!])")
_SCRIPT = re.compile(r"[_^](\{[^{}]*\}|\\[a-zA-Z]+|.)")
#: ``\frac{a}{b}``, ``a`` and ``b`` holding braces one deep (``\frac{\partial L}{h_{t}}``)
_FRAC = re.compile(r"\\frac\{((?:[^{}]|\{[^{}]*\})*)\}\{((?:[^{}]|\{[^{}]*\})*)\}")
#: Widths in ems of what symbolic lines are made of (a math italic letter is about 0.55,
#: :data:`LETTER_EM`).
TEX_EMS = {
    "\\tanh": 1.9,
    "\\sigma": 0.6,
    "\\odot": 1.25,
    "\\sum": 1.7,
    "\\cdot": 0.9,
    "\\leftarrow": 1.6,
    "\\rightarrow": 1.0,
    "\\top": 0.8,
    "\\delta": 0.45,
    "\\eta": 0.5,
    "\\hat": 0.0,
    "\\dots": 1.2,
    "=": 1.35,
    "+": 1.25,
    "-": 1.25,
    "(": 0.4,
    ")": 0.4,
    ",": 0.3,
    "'": 0.3,
}
LETTER_EM = 0.55
#: A fraction: its wider part and this (``\nulldelimiterspace`` on each side; ``\frac12``
#: measured 0.74 em at 10 pt).
FRAC_EM = 0.24
#: Sub- and superscripts are set smaller: this share of their width.
SCRIPT_SHARE = 0.7


def tex_em(tex: str) -> float:
    """The width of a symbolic expression in ems (the backward pass's lines; matrices are
    estimated apart); sub- and superscripts count at :data:`SCRIPT_SHARE`, a fraction as
    its wider part (:data:`FRAC_EM`)."""
    plain = _COMMAND.sub("", tex)
    fracs = [max(tex_em(m.group(1)), tex_em(m.group(2))) for m in _FRAC.finditer(plain)]
    # the fractions go: a function as the replacement, since "\\f" in a replacement
    # string is a form feed (the fraction was counted as 4 letters)
    plain = _FRAC.sub(lambda _: " ", plain)
    # a script has no space around a relation: its \leftarrow is an arrow as wide as
    # \rightarrow (counted at 1.6, a reverse direction's db line was 2.4 em wider than
    # the forward one's, broke, and left its frame: issue 12)
    scripts = sum(
        tex_em(m.group(1).strip("{}").replace("\\leftarrow", "\\rightarrow"))
        for m in _SCRIPT.finditer(plain)
    )
    body = _SCRIPT.sub("", plain).replace("{", " ").replace("}", " ")
    em = sum(FRAC_EM + width for width in fracs)
    # a space ends a command: "\odot o" is two tokens (it was read as one letter)
    for token in re.findall(r"\\[a-zA-Z]+|\S", body):
        em += TEX_EMS.get(token, LETTER_EM)
    return em + SCRIPT_SHARE * scripts


def strip_commands(tex: str) -> str:
    r"""``tex`` without the commands that set no width of their own (``\mathrm``,
    ``\left``, ``\,``, ...): what a note's length is counted on."""
    return _COMMAND.sub("", tex)
