r"""Numbers laid out in LaTeX: matrices, elided axes and a product's row written out.
Every number's text comes from :mod:`lstm_tex.document.numbers`, the one place where a
float becomes text.

* :func:`bmatrix` lays numbers out in a well-formed amsmath ``bmatrix`` whose
  columns line up on the decimal point: entries are padded with ``\phantom``
  (for a missing minus sign, integer digits or decimals), so centred columns align,
  and a padded minus is written ``{-}`` so that TeX sets it as a sign.
  Matrices wider than amsmath's default of 10 columns raise ``MaxMatrixCols`` inside a
  group of their own (the host document's counter stays as it was).
  A matrix of tiny computed values is written with a shared power of ten,
  ``10^{-4}\begin{bmatrix} 0.3012 \\ 0.0020 \end{bmatrix}`` (:func:`shared_exponent`).
  Large matrices can be elided with ``\cdots``, ``\vdots`` and ``\ddots``
  (:func:`keep`, :func:`shown`).
* :func:`dot_terms` and :func:`expansion` write one entry of ``W v + b`` out as its
  products and sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from lstm_tex.document import numbers
from lstm_tex.document.numbers import TIMES, Style, factor, fixed, format_number, split

AMSMATH_MAX_COLS = 10


def _phantom(text: str) -> str:
    return f"\\phantom{{{text}}}" if text else ""


def align_column(texts: Sequence[str]) -> list[str]:
    r"""Pad numbers (as text) with ``\phantom`` so that they line up when centred.

    A padded negative number writes its sign as ``{-}`` after the padding: a minus after
    a phantom would be spaced as a subtraction ("1 − 1"), not as a sign. Numbers with an
    exponent (``2.5 \times 10^{7}``) line up on the point too, their exponents padded to
    one width; the other numbers of their column get a phantom exponent."""
    parts = [split(t) for t in texts if t not in ELLIPSES]
    if not parts:
        return list(texts)
    any_negative = any(p[0] for p in parts)
    max_whole = max(p[1] for p in parts)
    max_frac = max(p[2] for p in parts)
    exponents = [p[3] for p in parts if p[3] is not None]
    exp_digits = max((len(e.lstrip("-")) for e in exponents), default=0)
    exp_negative = any(e.startswith("-") for e in exponents)
    out = []
    for text in texts:
        if text in ELLIPSES:
            out.append(text)
            continue
        negative, whole, frac, exponent = split(text)
        mantissa = text.partition(TIMES)[0]
        left = ("-" if any_negative and not negative else "") + "0" * (max_whole - whole)
        right = ("." if max_frac and not frac else "") + "0" * (max_frac - frac)
        if left and negative:
            mantissa = "{-}" + mantissa[1:]
        padded = _phantom(left) + mantissa + _phantom(right)
        if exponent is not None:
            sign = "-" if exp_negative and not exponent.startswith("-") else ""
            digits = "0" * (exp_digits - len(exponent.lstrip("-")))
            padded += f"{TIMES}{_phantom(sign)}{exponent}{_phantom(digits)}}}"
        elif exponents:
            pattern = ("-" if exp_negative else "") + "0" * exp_digits
            padded += _phantom(f"{{}}{TIMES}{pattern}}}")
        out.append(padded)
    return out


ELLIPSES = ("\\cdots", "\\vdots", "\\ddots", "")

#: How an exercise sheet marks a row of a matrix: ``blank`` hides its numbers behind
#: boxes, ``answer`` (the answer key) boxes them; ``""`` shows them plainly.
Mark = Literal["", "blank", "answer"]
#: The box of a blanked number: ``\lstmblank{-0.0000}``, as wide as its argument (whose
#: digits are all 0, so it gives nothing away); the templates define it.
BLANK = "\\lstmblank"
#: The box of an answer, ``\lstmanswer{0.1234}``, the size of the blank it fills.
ANSWER = "\\lstmanswer"


def _blank_pattern(texts: Sequence[str]) -> str:
    """The widest number of a column with every digit 0: ``-0.0000`` (for a blank's width)."""
    parts = [split(t) for t in texts if t not in ELLIPSES]
    if not parts:
        return "0"
    frac = max(p[2] for p in parts)
    exponents = [p[3] for p in parts if p[3] is not None]
    tail = ""
    if exponents:
        tail = (
            TIMES
            + ("-" if any(e.startswith("-") for e in exponents) else "")
            + "0" * max(len(e.lstrip("-")) for e in exponents)
            + "}"
        )
    return (
        ("-" if any(p[0] for p in parts) else "")
        + "0" * max(p[1] for p in parts)
        + ("." + "0" * frac if frac else "")
        + tail
    )


#: An axis's limit (:func:`keep`): one for every block, or one per block.
Limit = int | Sequence[int | None] | None


def keep(n: int, limit: int | None) -> list[int | None]:
    """Indices to show for an axis of length ``n``: all, or head, ``None`` (gap), tail."""
    if limit is None or n <= limit or limit < 3:
        return list(range(n))
    head = (limit - 1) - (limit - 1) // 2
    tail = (limit - 1) // 2
    return [*range(head), None, *range(n - tail, n)]


def bmatrix(
    values: np.ndarray | Sequence[float] | Sequence[Sequence[float]],
    *,
    style: Style | Sequence[Style] = "fixed",
    decimals: int = 4,
    max_rows: Limit = None,
    max_cols: Limit = None,
    decorate: Callable[[int, int, str], str] | None = None,
    marks: Mark | Sequence[Mark] = "",
    blocks: Sequence[int] | None = None,
    column_blocks: Sequence[int] | None = None,
) -> str:
    r"""A ``bmatrix`` of ``values`` (1-D is a column vector), aligned and optionally elided.

    ``blocks`` (row counts adding up to the rows): blocks of rows stacked in one matrix
    with a rule between them (``\hline``), each elided on its own; ``column_blocks``
    likewise side by side, with a vertical rule (then an ``array`` in brackets, as
    ``bmatrix`` sets it). With blocks, ``max_rows`` (``max_cols``) may give each block
    its own limit: the textbook's ``[W_hk | W_ik]`` elides its h columns and ``[h; x]``
    the same h rows, each inside its block, so that the rule between them stays.

    ``decorate(row, column, text)`` may wrap each shown entry (indices into ``values``;
    gaps are not passed), e.g. in Beamer's ``\textcolor<3>{...}{...}``.
    ``style`` and ``marks`` may be given per row. A row marked ``"blank"`` shows boxes
    (:data:`BLANK`) as wide as its column's numbers and none of its digits; ``"answer"``
    boxes its numbers (:data:`ANSWER`) at the same size.

    >>> bmatrix([0.5, -0.25], style="written")
    '\\begin{bmatrix} \\phantom{-}0.5\\phantom{0} \\\\ -0.25 \\end{bmatrix}'
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    n = array.shape[0]
    row_styles = [style] * n if isinstance(style, str) else list(style)
    row_marks = [marks] * n if isinstance(marks, str) else list(marks)
    rows, rules = _blocks(blocks or [n], max_rows)
    cols, col_rules = _blocks(column_blocks or [array.shape[1]], max_cols)
    exponent = shared_exponent(array, rows, cols, row_styles, row_marks, decimals)
    shown = array if exponent is None else numbers.mantissas(array, exponent)
    grid = _grid(shown, rows, cols, row_styles, decimals)
    columns = [align_column([row[k] for row in grid]) for k in range(len(cols))]
    if decorate is not None:  # after the padding, so that decorated columns still align
        for k, c in enumerate(cols):
            for j, r in enumerate(rows):
                if r is not None and c is not None:
                    columns[k][j] = decorate(r, c, columns[k][j])
    if any(row_marks):
        _mark(columns, grid, rows, row_marks)
    body = ""
    for j in range(len(rows)):
        if j:
            body += " \\\\ \\hline " if j in rules else " \\\\ "
        body += " & ".join(columns[k][j] for k in range(len(cols)))
    if column_blocks or len(rules) > 1:
        spec = "|".join(
            "c" * (end - start) for start, end in zip([0, *col_rules[:-1]], col_rules, strict=True)
        )
        return numbers.power(exponent) + ruled_matrix(body, spec)
    return numbers.power(exponent) + matrix(body, len(cols))


def shared_exponent(
    array: np.ndarray,
    rows: Sequence[int | None],
    cols: Sequence[int | None],
    styles: Sequence[Style],
    marks: Sequence[Mark],
    decimals: int,
) -> int | None:
    """The power of ten :func:`bmatrix` writes before the matrix (``10^{-4}``), from the
    entries it shows (:func:`numbers.shared_exponent`): only for computed values (every
    row ``fixed``) and never on an exercise sheet's boxes (a power before a blank would
    give the answer's size away; the answer key boxes what the sheet blanks)."""
    if any(s != "fixed" for s in styles) or any(marks):
        return None
    shown = array[np.ix_([r for r in rows if r is not None], [c for c in cols if c is not None])]
    return numbers.shared_exponent(shown, decimals)


def _grid(
    array: np.ndarray,
    rows: Sequence[int | None],
    cols: Sequence[int | None],
    styles: Sequence[Style],
    decimals: int,
) -> list[list[str]]:
    """The texts of the shown entries, row by row, with the ellipses of the gaps."""
    grid: list[list[str]] = []
    for r in rows:
        line = []
        for c in cols:
            if r is None and c is None:
                line.append("\\ddots")
            elif r is None:
                line.append("\\vdots")
            elif c is None:
                line.append("\\cdots")
            else:
                line.append(format_number(array[r, c], styles[r], decimals))
        grid.append(line)
    return grid


def _mark(
    columns: list[list[str]],
    grid: list[list[str]],
    rows: Sequence[int | None],
    marks: Sequence[Mark],
) -> None:
    """Put the marked rows' entries of ``columns`` in boxes: a blank as wide as its
    column's widest number (:func:`_blank_pattern`), an answer around its number."""
    for k, column in enumerate(columns):
        pattern = _blank_pattern([row[k] for row in grid])
        for j, r in enumerate(rows):
            text = column[j]
            if r is None or text in ELLIPSES or not marks[r]:
                continue
            column[j] = f"{BLANK}{{{pattern}}}" if marks[r] == "blank" else f"{ANSWER}{{{text}}}"


def ruled_matrix(body: str, spec: str) -> str:
    r"""A bracketed matrix with rules (``\hline`` between rows, ``|`` in ``spec`` between
    columns): an ``array`` without outer column space (``@{}``), so that a rule spans the
    entries only and stops inside the brackets; in ``bmatrix`` an ``\hline`` runs
    ``\arraycolsep`` further on each side, across the brackets (issue 12)."""
    return f"\\left[\\begin{{array}}{{@{{}}{spec}@{{}}}} {body} \\end{{array}}\\right]"


def _blocks(sizes: Sequence[int], limit: Limit) -> tuple[list[int | None], list[int]]:
    """The indices shown of consecutive blocks of ``sizes`` entries, each elided on its own
    (:func:`keep`) at ``limit`` (or at its own limit), and the count shown up to the end of
    each block."""
    limits = list(limit) if isinstance(limit, Sequence) else [limit] * len(sizes)
    shown: list[int | None] = []
    ends = []
    start = 0
    for size, cap in zip(sizes, limits, strict=True):
        shown += [None if k is None else start + k for k in keep(size, cap)]
        ends.append(len(shown))
        start += size
    return shown, ends


def block_indices(sizes: Sequence[int], limit: Limit) -> list[int | None]:
    """The indices shown of an axis made of blocks of ``sizes`` entries, each elided on its
    own at ``limit`` (or its own limit), ``None`` for each gap (as :func:`bmatrix` shows
    them with ``blocks``)."""
    return _blocks(sizes, limit)[0]


def matrix(body: str, cols: int) -> str:
    r"""``\begin{bmatrix} body \end{bmatrix}``; wider than amsmath's default of 10 columns,
    inside a group that raises ``MaxMatrixCols`` for this matrix only (``\begingroup``
    makes no subformula, so the spacing around the matrix stays), so that nothing of the
    host document changes: the counter is a plain local assignment, undone at
    ``\endgroup``, where ``\setcounter`` would be global."""
    if cols <= AMSMATH_MAX_COLS:
        return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"
    return (
        f"\\begingroup\\csname c@MaxMatrixCols\\endcsname={cols}\\relax"
        f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}\\endgroup"
    )


def dot_terms(
    weights: Sequence[float] | np.ndarray,
    vector: Sequence[float] | np.ndarray,
    *,
    weight_style: Style = "written",
    vector_style: Style | Sequence[Style] = "fixed",
    decimals: int = 4,
    max_terms: int | None = None,
    vector_first: bool = False,
) -> list[str]:
    r"""The products ``w_k \cdot v_k`` of one row of a matrix-vector product, in order.

    Negative factors are parenthesised (:func:`factor`); beyond ``max_terms`` terms the
    middle ones are elided as a bmatrix elides columns, with one ``\cdots`` term.
    ``vector_style`` may be given per entry (a stacked vector); ``vector_first`` writes
    ``v_k \cdot w_k`` (a row vector times a matrix, ``x W``).

    >>> dot_terms([-0.36, 0.03], [0.5, 0.1], vector_style="written")
    ['(-0.36) \\cdot 0.5', '0.03 \\cdot 0.1']
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    v = np.asarray(vector, dtype=np.float64).ravel()
    styles = [vector_style] * len(v) if isinstance(vector_style, str) else list(vector_style)
    terms = []
    for k in keep(len(w), max_terms):
        if k is None:
            terms.append("\\cdots")
            continue
        pair = [factor(w[k], weight_style, decimals), factor(v[k], styles[k], decimals)]
        terms.append(" \\cdot ".join(pair[::-1] if vector_first else pair))
    return terms


def expansion(
    weights: Sequence[float] | np.ndarray,
    vector: Sequence[float] | np.ndarray,
    bias: float | None,
    value: float,
    *,
    weight_style: Style = "written",
    vector_style: Style | Sequence[Style] = "fixed",
    decimals: int = 4,
    max_terms: int | None = None,
    vector_first: bool = False,
) -> tuple[list[str], str]:
    r"""One entry of ``W v + b`` written out: the summands (:func:`dot_terms`, then the
    bias as given, parenthesised when negative) and the computed value.

    >>> expansion([-0.36, 0.03], [0.5, 0.1], -0.24, -0.417, vector_style="written")
    (['(-0.36) \\cdot 0.5', '0.03 \\cdot 0.1', '(-0.24)'], '-0.4170')
    """
    terms = dot_terms(
        weights,
        vector,
        weight_style=weight_style,
        vector_style=vector_style,
        decimals=decimals,
        max_terms=max_terms,
        vector_first=vector_first,
    )
    if bias is not None:
        terms.append(factor(bias, weight_style, decimals))
    return terms, fixed(value, decimals)


def shown(n: int, limit: int | None) -> list[int]:
    """The indices of an axis of length ``n`` that a matrix elided at ``limit`` shows (its
    first and last ones): ``shown(10, 5)`` -> ``[0, 1, 8, 9]``."""
    return [k for k in keep(n, limit) if k is not None]
