r"""The one place where a float becomes LaTeX text.

* :func:`fixed` prints a computed value with a fixed number of decimals, never in
  exponent notation and never as ``-0.0000``.
* :func:`written` prints an input the way it was written (the shortest decimal
  that reads back as the same float), again never in exponent notation.
* :func:`bmatrix` lays numbers out in a well-formed amsmath ``bmatrix`` whose
  columns line up on the decimal point: entries are padded with ``\phantom``
  (for a missing minus sign, integer digits or decimals), so centred columns align.
  Matrices wider than amsmath's default of 10 columns raise ``MaxMatrixCols``.
  Large matrices can be elided with ``\cdots``, ``\vdots`` and ``\ddots``.
* :func:`scientific` prints an error size as ``1.1 \times 10^{-16}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

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
    """The shortest positional decimal that reads back as ``x``: ``1e-05`` -> ``0.00001``."""
    text = np.format_float_positional(float(x), unique=True, trim="-")
    return "0" if text in ("-0", "0") else text


def scientific(x: float, digits: int = 2) -> str:
    r"""``1.1e-16`` -> ``1.1 \times 10^{-16}`` (math mode); ``0`` -> ``0``."""
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    exp = int(exponent)
    if exp == 0:
        return mantissa
    return f"{mantissa} \\times 10^{{{exp}}}"


def format_number(x: float, style: Style, decimals: int) -> str:
    return fixed(x, decimals) if style == "fixed" else written(x)


def widest(values: np.ndarray, style: Style, decimals: int) -> int:
    """``max(len(format_number(v, style, decimals)) for v in values)`` (1 when empty), fast.

    Fixed: the length is the sign plus the integer digits plus the decimals, and the
    integer digits never shrink as ``|v|`` grows, so the longest is that of the largest
    negative or the largest non-negative value. Written: each distinct value once.
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size == 0:
        return 1
    if style == "fixed" and np.isfinite(flat).all():
        negative = flat < 0
        candidates = [flat[negative].min()] if negative.any() else []
        if not negative.all():
            candidates.append(flat[~negative].max())
    else:
        candidates = list(set(flat.tolist()))  # not np.unique: it imports numpy.ma (20 ms)
    return max(len(format_number(v, style, decimals)) for v in candidates)


def _parts(text: str) -> tuple[bool, int, int]:
    negative = text.startswith("-")
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    return negative, len(whole), len(frac)


def align_column(texts: Sequence[str]) -> list[str]:
    r"""Pad numbers (as text) with ``\phantom`` so that they line up when centred."""
    parts = [_parts(t) for t in texts if t not in ELLIPSES]
    if not parts:
        return list(texts)
    any_negative = any(p[0] for p in parts)
    max_whole = max(p[1] for p in parts)
    max_frac = max(p[2] for p in parts)
    out = []
    for text in texts:
        if text in ELLIPSES:
            out.append(text)
            continue
        negative, whole, frac = _parts(text)
        left = ""
        if any_negative and not negative:
            left += "-"
        left += "0" * (max_whole - whole)
        right = ""
        if max_frac and not frac:
            right += "."
        right += "0" * (max_frac - frac)
        padded = (f"\\phantom{{{left}}}" if left else "") + text + (
            f"\\phantom{{{right}}}" if right else "")
        out.append(padded)
    return out


ELLIPSES = ("\\cdots", "\\vdots", "\\ddots", "")


def _keep(n: int, limit: int | None) -> list[int | None]:
    """Indices to show for an axis of length ``n``: all, or head, ``None`` (gap), tail."""
    if limit is None or n <= limit or limit < 3:
        return list(range(n))
    head = (limit - 1) - (limit - 1) // 2
    tail = (limit - 1) // 2
    return [*range(head), None, *range(n - tail, n)]


def bmatrix(
    values: np.ndarray | Sequence[float] | Sequence[Sequence[float]],
    *,
    style: Style = "fixed",
    decimals: int = 4,
    max_rows: int | None = None,
    max_cols: int | None = None,
) -> str:
    r"""A ``bmatrix`` of ``values`` (1-D is a column vector), aligned and optionally elided.

    >>> bmatrix([0.5, -0.25], style="written")
    '\\begin{bmatrix} \\phantom{-}0.5\\phantom{0} \\\\ -0.25 \\end{bmatrix}'
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    rows = _keep(array.shape[0], max_rows)
    cols = _keep(array.shape[1], max_cols)
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
                line.append(format_number(array[r, c], style, decimals))
        grid.append(line)
    columns = [align_column([row[k] for row in grid]) for k in range(len(cols))]
    body = " \\\\ ".join(" & ".join(columns[k][j] for k in range(len(cols)))
                         for j in range(len(rows)))
    prefix = ""
    if len(cols) > AMSMATH_MAX_COLS:
        prefix = f"\\setcounter{{MaxMatrixCols}}{{{len(cols)}}}"
    return f"{prefix}\\begin{{bmatrix}} {body} \\end{{bmatrix}}"
