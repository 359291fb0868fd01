r"""The one place where a float becomes LaTeX text.

* :func:`fixed` prints a computed value with a fixed number of decimals, never in
  exponent notation and never as ``-0.0000``.
* :func:`written` prints an input the way it was written (the shortest decimal
  that reads back as the same float), again never in exponent notation.
* :func:`format_number` is how a number shows in math: :func:`fixed` or
  :func:`written`, or ``a \times 10^{p}`` when it is too large or too small to write out.
* :func:`bmatrix` lays numbers out in a well-formed amsmath ``bmatrix`` whose
  columns line up on the decimal point: entries are padded with ``\phantom``
  (for a missing minus sign, integer digits or decimals), so centred columns align,
  and a padded minus is written ``{-}`` so that TeX sets it as a sign.
  Matrices wider than amsmath's default of 10 columns raise ``MaxMatrixCols`` inside a
  group of their own (the host document's counter stays as it was).
  Large matrices can be elided with ``\cdots``, ``\vdots`` and ``\ddots``.
* :func:`scientific` prints an error size as ``1.1 \times 10^{-16}``.
* :func:`rounder` rounds arrays to the values :func:`fixed` prints (for documents that
  go on from the printed values); :func:`decimal_sum` adds written numbers as decimals;
  :func:`percent` prints a share as a percentage.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

Style = Literal["fixed", "written"]
AMSMATH_MAX_COLS = 10


def fixed(x: float, decimals: int) -> str:
    """``0.29299999`` -> ``0.2930``; ``-0.00001`` -> ``0.0000`` (no negative zero)."""
    text = f"{float(x):.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def written(x: float) -> str:
    """The shortest positional decimal that reads back as ``x``: ``1e-05`` -> ``0.00001``.

    A value that is exactly a float16, bfloat16 or float32 number (a weight a model saved
    in that precision, read from its file) reads back in that precision: ``0.02`` for the
    float16 nearest to 0.02, not the 17 digits of its float64 value. A decimal as written
    in an example file is never such a number unless it is that short already.
    """
    return _written(float(x))


#: A document formats the same weights and values again and again (each medium, each gate,
#: each width estimate): the numbers' text is remembered (issue 17: most of a warm re-render).
_remembered = functools.lru_cache(maxsize=1 << 16)


@_remembered
def _written(value: float) -> str:
    text = np.format_float_positional(_saved_precision(value), unique=True, trim="-")
    return "0" if text in ("-0", "0") else text


def _saved_precision(value: float) -> Any:
    """``value`` as the narrowest of float16, bfloat16, float32 that holds it exactly."""
    if not math.isfinite(value) or value == 0.0:
        return value
    with np.errstate(over="ignore"):
        half, single = np.float16(value), np.float32(value)
    if float(half) == value:
        return half
    if float(single) != value:
        return value
    bits = int(np.array(value, dtype=np.float32).view(np.uint32))
    if bits & 0xFFFF == 0:  # a bfloat16: the shortest decimal that rounds back to it
        for digits in range(1, 10):
            candidate = float(f"{value:.{digits}g}")
            rounded = int(np.array(candidate, dtype=np.float32).view(np.uint32))
            rounded = (rounded + 0x7FFF + ((rounded >> 16) & 1)) & 0xFFFF0000
            if rounded == bits:
                return candidate
    return single


def scientific(x: float, digits: int = 2) -> str:
    r"""``1.1e-16`` -> ``1.1 \times 10^{-16}`` (math mode); ``0`` -> ``0``."""
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    exp = int(exponent)
    if exp == 0:
        return mantissa
    return f"{mantissa} \\times 10^{{{exp}}}"


def rounder(decimals: int) -> Callable[[np.ndarray], np.ndarray]:
    """A function that rounds an array to the values :func:`fixed` then prints unchanged
    (``fixed(r(x), decimals)`` shows the digits of ``r(x)`` exactly), rounding as a student
    does with a calculator: half away from zero on the decimal value. ``fixed`` alone
    would round a decimal tie such as ``0.1235 * 0.5 = 0.06175`` by its binary value
    (down, to ``0.0617``); a difference from a tie below ``1e-9`` units of the last
    decimal (float noise, beyond a calculator's display) counts as the tie."""
    scale = 10.0**decimals

    def round_(values: np.ndarray) -> np.ndarray:
        a = np.asarray(values, dtype=np.float64)
        y = np.abs(a) * scale
        whole = np.floor(y)
        up = (y - whole) >= 0.5 - np.maximum(1e-9, 64 * np.finfo(np.float64).eps * y)
        out: np.ndarray = np.copysign((whole + up) / scale, a)
        # beyond 2**52 every float is whole; + 0.0 turns -0.0 into 0.0
        return np.where(y >= 2.0**52, a, out) + 0.0

    return round_


def decimal_sum(*arrays: np.ndarray) -> np.ndarray:
    """The entry-wise sum of numbers as written, added as decimals (``0.1 + 0.2`` is
    ``0.3``, not ``0.30000000000000004``), so that :func:`written` prints it short: the
    combined bias ``b_ih + b_hh`` of a notation that shows one bias."""
    from decimal import Decimal

    first = np.asarray(arrays[0], dtype=np.float64)
    flat = [
        sum((Decimal(written(float(v))) for v in values), Decimal(0))
        for values in zip(*(np.asarray(a, dtype=np.float64).ravel() for a in arrays), strict=True)
    ]
    return np.array([float(v) for v in flat], dtype=np.float64).reshape(first.shape)


def percent(x: float) -> str:
    r"""A share as a whole percentage for running text: ``0.3842`` -> ``38\,\%``."""
    return fixed(100.0 * float(x), 0) + "\\,\\%"


#: Beyond these magnitudes a number is shown as ``a \times 10^{p}`` in math (a column of
#: ``1e300`` or ``1e-320`` written out would run off any page): from 10^6 up (``fixed`` and
#: ``written``), and below 10^-6 for numbers shown as written (computed values round to
#: ``0.0000`` there).
BIG_EXPONENT = 6
SMALL_EXPONENT = -7
_TIMES = " \\times 10^{"


def _exponent_form(x: float, style: Style, decimals: int) -> tuple[str, int] | None:
    """``(mantissa, exponent)`` when ``x`` is too large or too small to write out."""
    if x == 0 or not math.isfinite(x):
        return None
    if style == "fixed":
        if (
            abs(x) < 10.0 ** (BIG_EXPONENT - 1)
            or len(fixed(x, decimals).lstrip("-").partition(".")[0]) <= BIG_EXPONENT
        ):
            return None  # as fixed() prints it, fewer than 7 integer digits
        mantissa, _, exp = f"{x:.{decimals}e}".partition("e")
        return mantissa, int(exp)
    mantissa, _, exp = np.format_float_scientific(
        _saved_precision(x), unique=True, trim="-"
    ).partition("e")
    e = int(exp)
    return (mantissa, e) if e >= BIG_EXPONENT or e <= SMALL_EXPONENT else None


def format_number(x: float, style: Style, decimals: int) -> str:
    r"""A number as LaTeX math: :func:`fixed` or :func:`written`, or from 10^6 up (and below
    10^-6 as written) ``a \times 10^{p}``: ``1e300`` -> ``1 \times 10^{300}``."""
    return _format_number(float(x), style, decimals)


@_remembered
def _format_number(x: float, style: Style, decimals: int) -> str:
    sci = _exponent_form(x, style, decimals)
    if sci is None:
        return fixed(x, decimals) if style == "fixed" else written(x)
    return f"{sci[0]}{_TIMES}{sci[1]}}}"


@_remembered
def _split(text: str) -> tuple[bool, int, int, str | None]:
    r"""``-12.50 \times 10^{7}`` -> (negative, integer digits, decimals, exponent or None)."""
    exponent = None
    if _TIMES in text:
        text, _, tail = text.partition(_TIMES)
        exponent = tail[:-1]
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    return negative, len(whole), len(frac), exponent


@_remembered
def display_width(text: str) -> float:
    r"""The printed width of a formatted number in digit widths (half an em): a minus, a
    point and each digit count one; ``\times 10`` counts four, each exponent character 0.7."""
    negative, whole, frac, exponent = _split(text)
    width = float(negative + whole + (frac + 1 if frac else 0))
    if exponent is not None:
        width += 4 + 0.7 * len(exponent)
    return width


def widest(values: np.ndarray, style: Style, decimals: int) -> float:
    """``max(display_width(format_number(v, style, decimals)) for v in values)`` (1 when
    empty), fast.

    Fixed, below 10^6: the width is the sign plus the integer digits plus the decimals, and
    the integer digits never shrink as ``|v|`` grows, so the widest is that of the largest
    negative or the largest non-negative value. Otherwise each distinct value once.
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size == 0:
        return 1.0
    if style == "fixed" and np.isfinite(flat).all() and not (np.abs(flat) >= 5e5).any():
        negative = flat < 0
        candidates = [flat[negative].min()] if negative.any() else []
        if not negative.all():
            candidates.append(flat[~negative].max())
    else:
        candidates = list(set(flat.tolist()))  # not np.unique: it imports numpy.ma (20 ms)
    return max(display_width(format_number(v, style, decimals)) for v in candidates)


def _phantom(text: str) -> str:
    return f"\\phantom{{{text}}}" if text else ""


def align_column(texts: Sequence[str]) -> list[str]:
    r"""Pad numbers (as text) with ``\phantom`` so that they line up when centred.

    A padded negative number writes its sign as ``{-}`` after the padding: a minus after
    a phantom would be spaced as a subtraction ("1 − 1"), not as a sign. Numbers with an
    exponent (``2.5 \times 10^{7}``) line up on the point too, their exponents padded to
    one width; the other numbers of their column get a phantom exponent."""
    parts = [_split(t) for t in texts if t not in ELLIPSES]
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
        negative, whole, frac, exponent = _split(text)
        mantissa = text.partition(_TIMES)[0]
        left = ("-" if any_negative and not negative else "") + "0" * (max_whole - whole)
        right = ("." if max_frac and not frac else "") + "0" * (max_frac - frac)
        if left and negative:
            mantissa = "{-}" + mantissa[1:]
        padded = _phantom(left) + mantissa + _phantom(right)
        if exponent is not None:
            sign = "-" if exp_negative and not exponent.startswith("-") else ""
            digits = "0" * (exp_digits - len(exponent.lstrip("-")))
            padded += f"{_TIMES}{_phantom(sign)}{exponent}{_phantom(digits)}}}"
        elif exponents:
            pattern = ("-" if exp_negative else "") + "0" * exp_digits
            padded += _phantom(f"{{}}{_TIMES}{pattern}}}")
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
    parts = [_split(t) for t in texts if t not in ELLIPSES]
    if not parts:
        return "0"
    frac = max(p[2] for p in parts)
    exponents = [p[3] for p in parts if p[3] is not None]
    tail = ""
    if exponents:
        tail = (
            _TIMES
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
    max_rows: int | None = None,
    max_cols: int | None = None,
    decorate: Callable[[int, int, str], str] | None = None,
    marks: Mark | Sequence[Mark] = "",
    blocks: Sequence[int] | None = None,
    column_blocks: Sequence[int] | None = None,
) -> str:
    r"""A ``bmatrix`` of ``values`` (1-D is a column vector), aligned and optionally elided.

    ``blocks`` (row counts adding up to the rows): blocks of rows stacked in one matrix
    with a rule between them (``\hline``), each elided on its own; ``column_blocks``
    likewise side by side, with a vertical rule (then an ``array`` in brackets, as
    ``bmatrix`` sets it).

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
                line.append(format_number(array[r, c], row_styles[r], decimals))
        grid.append(line)
    columns = [align_column([row[k] for row in grid]) for k in range(len(cols))]
    if decorate is not None:  # after the padding, so that decorated columns still align
        for k, c in enumerate(cols):
            for j, r in enumerate(rows):
                if r is not None and c is not None:
                    columns[k][j] = decorate(r, c, columns[k][j])
    if any(row_marks):
        for k in range(len(cols)):
            pattern = _blank_pattern([row[k] for row in grid])
            for j, r in enumerate(rows):
                text = columns[k][j]
                if r is None or text in ELLIPSES or not row_marks[r]:
                    continue
                columns[k][j] = (
                    f"{BLANK}{{{pattern}}}" if row_marks[r] == "blank" else f"{ANSWER}{{{text}}}"
                )
    body = ""
    for j in range(len(rows)):
        if j:
            body += " \\\\ \\hline " if j in rules else " \\\\ "
        body += " & ".join(columns[k][j] for k in range(len(cols)))
    if column_blocks or len(rules) > 1:
        spec = "|".join(
            "c" * (end - start) for start, end in zip([0, *col_rules[:-1]], col_rules, strict=True)
        )
        return ruled_matrix(body, spec)
    return matrix(body, len(cols))


def ruled_matrix(body: str, spec: str) -> str:
    r"""A bracketed matrix with rules (``\hline`` between rows, ``|`` in ``spec`` between
    columns): an ``array`` without outer column space (``@{}``), so that a rule spans the
    entries only and stops inside the brackets; in ``bmatrix`` an ``\hline`` runs
    ``\arraycolsep`` further on each side, across the brackets (issue 12)."""
    return f"\\left[\\begin{{array}}{{@{{}}{spec}@{{}}}} {body} \\end{{array}}\\right]"


def _blocks(sizes: Sequence[int], limit: int | None) -> tuple[list[int | None], list[int]]:
    """The indices shown of consecutive blocks of ``sizes`` entries, each elided on its own
    (:func:`keep`), and the count shown up to the end of each block."""
    shown: list[int | None] = []
    ends = []
    start = 0
    for size in sizes:
        shown += [None if k is None else start + k for k in keep(size, limit)]
        ends.append(len(shown))
        start += size
    return shown, ends


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


def factor(x: float, style: Style, decimals: int) -> str:
    """A number as a factor (or summand) written out: ``-0.36`` -> ``(-0.36)``, ``0.5`` -> ``0.5``.

    Negative numbers, and numbers with an exponent (``(2 \\times 10^{7})``), are
    parenthesised so that a sum of products reads unambiguously.
    """
    text = format_number(x, style, decimals)
    return f"({text})" if text.startswith("-") or _TIMES in text else text


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
