r"""The one place where a float becomes LaTeX text.

* :func:`fixed` prints a computed value with a fixed number of decimals, never in
  exponent notation and never as ``-0.0000``.
* :func:`written` prints an input the way it was written (the shortest decimal
  that reads back as the same float), again never in exponent notation.
* :func:`format_number` is how a number shows in math: :func:`fixed` or
  :func:`written`, or ``a \times 10^{p}`` when it is too large or too small to write out;
  a computed value that is not 0 but would round to ``0.0000`` shows its first
  significant digit (``0.00003``, below 10^-6 ``3 \times 10^{-8}``): a gradient of a large net
  never reads as zero (issue 12); below :data:`NOISE` (float64's rounding of an exact 0)
  it stays ``0.0000``.
* :func:`factor` writes a number as a factor or summand (parenthesised when negative);
  :func:`display_width` and :func:`widest` say how wide the text is, :func:`split` what
  it is made of. :mod:`lstm_tex.document.matrices` lays the texts out in matrices.
* :func:`shared_exponent` is the power of ten a matrix of tiny computed values is written
  with (``10^{-4}\begin{bmatrix} 0.3012 \\ 0.0020 \end{bmatrix}``, :func:`power`), its
  entries as :func:`mantissas`; :func:`power_width` is the power's width.
* :func:`scientific` prints an error size as ``1.1 \times 10^{-16}``.
* :func:`rounder` rounds arrays to the values :func:`fixed` prints (for documents that
  go on from the printed values); :func:`decimal_sum` adds written numbers as decimals;
  :func:`percent` prints a share as a percentage.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

Style = Literal["fixed", "written"]


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
#: What joins a mantissa and its power of ten in a formatted number.
TIMES = " \\times 10^{"


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
    if sci is None and style == "fixed" and _rounds_to_zero(x, decimals):
        return _small(x)
    if sci is None:
        return fixed(x, decimals) if style == "fixed" else written(x)
    return f"{sci[0]}{TIMES}{sci[1]}}}"


#: Below this a computed value is float64's rounding of an exact 0 (``0.1 \cdot 0.2 -
#: 0.2 \cdot 0.1`` is ``1.4 \times 10^{-17}`` in a bundled example's gate), printed as 0.
NOISE = 1e-12


def _rounds_to_zero(x: float, decimals: int) -> bool:
    """Whether ``x`` is not 0 (nor float noise, :data:`NOISE`) but :func:`fixed` prints it
    as ``0.0000``."""
    return NOISE <= abs(x) < math.inf and float(fixed(x, decimals)) == 0.0


def _small(x: float) -> str:
    r"""A value that would round to zero, with one significant digit: ``3.14e-5`` ->
    ``0.00003``; below 10^-6 (as :func:`written` numbers are) ``3 \times 10^{-8}``
    (a gradient of a hidden-16 net at 4 decimals read ``0.0000``; issue 12). One digit,
    as ``-0.0003`` beside it has: each further one widens the matrix's column."""
    mantissa, _, exp = f"{x:.0e}".partition("e")
    e = int(exp)  # of x rounded to one digit: 9.6e-6 is 1e-05, so 0.00001
    if e <= SMALL_EXPONENT:
        return f"{mantissa}{TIMES}{e}}}"
    return fixed(x, -e)


@_remembered
def split(text: str) -> tuple[bool, int, int, str | None]:
    r"""``-12.50 \times 10^{7}`` -> (negative, integer digits, decimals, exponent or None)."""
    exponent = None
    if TIMES in text:
        text, _, tail = text.partition(TIMES)
        exponent = tail[:-1]
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    return negative, len(whole), len(frac), exponent


@_remembered
def display_width(text: str) -> float:
    r"""The printed width of a formatted number in digit widths (half an em): a minus, a
    point and each digit count one; ``\times 10`` counts four, each exponent character 0.7."""
    negative, whole, frac, exponent = split(text)
    width = float(negative + whole + (frac + 1 if frac else 0))
    if exponent is not None:
        width += 4 + 0.7 * len(exponent)
    return width


def widest(values: np.ndarray, style: Style, decimals: int) -> float:
    """``max(display_width(format_number(v, style, decimals)) for v in values)`` (1 when
    empty), fast; computed values of which some would round to zero (shown with more
    decimals, :func:`format_number`) count as a matrix's column aligns them
    (:func:`column_width`).

    Fixed, below 10^6: the width is the sign plus the integer digits plus the decimals, and
    the integer digits never shrink as ``|v|`` grows, so the widest is that of the largest
    negative or the largest non-negative value, or of the smallest value that would round
    to zero. Otherwise each distinct value once.
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size == 0:
        return 1.0
    if flat.size <= FEW:  # the same choice in Python: NumPy's calls cost more than the work
        return _widest_of(flat.tolist(), style, decimals)
    if style == "fixed" and np.isfinite(flat).all() and not (np.abs(flat) >= 5e5).any():
        negative = flat < 0
        candidates = [flat[negative].min()] if negative.any() else []
        if not negative.all():
            candidates.append(flat[~negative].max())
        small = flat[(np.abs(flat) < 10.0**-decimals) & (flat != 0)]
        candidates += _small_candidates(small.tolist())
        return column_width([format_number(v, style, decimals) for v in candidates])
    candidates = list(set(flat.tolist()))  # not np.unique: it imports numpy.ma (20 ms)
    return max(display_width(format_number(v, style, decimals)) for v in candidates)


def column_width(texts: list[str]) -> float:
    """The digit widths of a column of computed numbers as a matrix aligns them (padded to
    the longest whole part, decimals and exponent, a phantom sign where one is negative):
    the widest number's where their decimals agree and none has an exponent (every value
    but those :func:`format_number` shows with more decimals, as they would round to
    zero)."""
    parts = [split(t) for t in texts]
    exponents = [p[3] for p in parts if p[3] is not None]
    if len({frac for _, _, frac, _ in parts}) <= 1 and not exponents:
        return max(display_width(t) for t in texts)
    frac = max(p[2] for p in parts)
    width = float(any(p[0] for p in parts) + max(p[1] for p in parts) + (frac + 1 if frac else 0))
    if exponents:  # every number of the column padded to the longest exponent
        width += 4 + 0.7 * max(len(e) for e in exponents)
    return width


#: Up to this many numbers, :func:`widest` chooses its candidates without NumPy (a width
#: estimate is mostly of a few numbers: a bias, a state, an elided matrix's corners).
FEW = 64


def _widest_of(xs: list[float], style: Style, decimals: int) -> float:
    """:func:`widest` of a few numbers, the same candidates chosen in plain Python."""
    if style == "fixed" and all(-5e5 < x < 5e5 for x in xs):  # finite, below 5 x 10^5
        negative = [x for x in xs if x < 0]
        rest = [x for x in xs if not x < 0]
        candidates = ([min(negative)] if negative else []) + ([max(rest)] if rest else [])
        small = [x for x in xs if x != 0 and abs(x) < 10.0**-decimals]
        candidates += _small_candidates(small)
        return column_width([format_number(v, style, decimals) for v in candidates])
    candidates = list(set(xs))
    return max(display_width(format_number(v, style, decimals)) for v in candidates)


def has_small(values: np.ndarray, decimals: int) -> bool:
    """Whether any of ``values`` would round to zero but is not 0 (:func:`format_number`
    shows it with more decimals, or an exponent)."""
    size = np.abs(np.asarray(values, dtype=np.float64))
    return bool(((size >= NOISE) & (size < 10.0**-decimals)).any())


def _small_candidates(small: list[float]) -> list[float]:
    """Of values that would round to zero, those of each sign that :func:`format_number`
    shows widest: the smallest of all (below 10^-6, with an exponent) and the smallest
    written out with more decimals."""
    found = []
    for sign in (-1.0, 1.0):
        sizes = sorted(sign * x for x in small if sign * x >= NOISE)
        first = bisect.bisect_left(sizes, True, key=lambda m: TIMES not in _small(m))
        found += [sign * sizes[k] for k in {0, first} if k < len(sizes)]
    return found


def factor(x: float, style: Style, decimals: int) -> str:
    """A number as a factor (or summand) written out: ``-0.36`` -> ``(-0.36)``, ``0.5`` -> ``0.5``.

    Negative numbers, and numbers with an exponent (``(2 \\times 10^{7})``), are
    parenthesised so that a sum of products reads unambiguously.
    """
    text = format_number(x, style, decimals)
    return f"({text})" if text.startswith("-") or TIMES in text else text


def scale_below(decimals: int) -> float:
    r"""A matrix of computed values is written with a shared power of ten when every entry
    it shows is smaller than this (and one is not 0): ``10^{-(decimals - 1)}``, where even
    its largest entry would keep one significant digit (at 4 decimals below 0.001, which
    reads ``0.0004``, the smaller ones ``0.00003`` or ``2 \times 10^{-7}``, padding every
    entry of the column to that width; issue 12), and at most 0.1. From there up a matrix
    reads as it is (``0.0027``: two digits, and a power would take more room than it saves)."""
    return 10.0 ** -max(decimals - 1, 1)


def shared_exponent(values: np.ndarray, decimals: int) -> int | None:
    r"""The power of ten ``p`` a matrix of the computed ``values`` (the entries it shows) is
    written with, ``10^{p}`` times its :func:`mantissas`, or None: when every value is
    below :func:`scale_below` in size and one is not 0 (nor float noise, :data:`NOISE`),
    the largest mantissa shows as the document's other values do, ``0.3012`` (between 0.1
    and 1, with ``decimals`` decimals): ``[3.012e-5, 2e-7]`` -> -4, ``10^{-4}[0.3012;
    0.0020]``. Also below 0.1 where a value would otherwise take an exponent of its own:
    ``[0.0058, -2e-7]`` -> -2, ``10^{-2}[0.5800; -0.00002]``, not ``0.0058`` over ``-2
    \times 10^{-7}`` (every entry padded to the exponent's width; issue 12). The exercise
    sheets' boxes and numbers as written never take one."""
    size = np.abs(np.asarray(values, dtype=np.float64))
    if size.size == 0 or not np.isfinite(size).all():
        return None
    top = float(size.max())
    if not NOISE <= top < scale_below(decimals) and not (
        NOISE <= top < 0.1 and _needs_exponent(size, decimals)
    ):
        return None
    p = math.floor(math.log10(top)) + 1
    if float(fixed(top * 10.0**-p, decimals)) >= 1.0:  # 0.99996e-3 -> 0.1000, not 1.0000
        p += 1
    return p


def _needs_exponent(size: np.ndarray, decimals: int) -> bool:
    r"""Whether a value of sizes ``size`` prints with an exponent of its own (``2 \times
    10^{-7}``, :func:`format_number`), padding every entry of its column to that width."""
    tiny = size[(size >= NOISE) & (size < 1e-6)]
    return any(TIMES in format_number(float(x), "fixed", decimals) for x in set(tiny.tolist()))


def mantissas(values: np.ndarray, exponent: int) -> np.ndarray:
    """``values`` divided by ``10^{exponent}`` (:func:`shared_exponent`): float noise
    (:data:`NOISE`) stays 0, as it reads without the power."""
    a = np.asarray(values, dtype=np.float64)
    out: np.ndarray = np.where(np.abs(a) < NOISE, 0.0, a) * 10.0**-exponent
    return out


def power(exponent: int | None) -> str:
    """The factor written before a matrix: ``10^{-4}``; ``""`` for None."""
    return "" if exponent is None else f"10^{{{exponent}}}"


def power_width(exponent: int | None) -> float:
    r"""The printed width of :func:`power` in digit widths (half an em), with the thin
    space before the matrix: measured 2.24 em for ``10^{-4}`` and 2.64 em for ``10^{-10}``
    at 10 pt (Latin Modern); 0 for None."""
    if exponent is None:
        return 0.0
    return 3.7 + 0.8 * len(str(abs(exponent)))


def matrix_widths(
    values: np.ndarray, style: Style, decimals: int, scale: bool = True
) -> tuple[float, float]:
    """The digit widths of the widest entry (:func:`widest`) of a matrix that shows
    ``values`` and of the power of ten it is written with (:func:`shared_exponent`; 0
    without one, or where ``scale`` is False: an exercise's boxes)."""
    exponent = shared_exponent(values, decimals) if scale and style == "fixed" else None
    if exponent is None:
        return widest(values, style, decimals), 0.0
    return widest(mantissas(values, exponent), style, decimals), power_width(exponent)
