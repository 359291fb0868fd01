r"""The backward pass's lines: a line's matrices (:class:`Piece`, made by :class:`Show`),
where a ``lhs = symbolic = numbers = result`` line breaks and how tall it is (:func:`fit`,
:func:`line`, :func:`sum_line`), and groups of lines packed into frames (:func:`group`,
with the one packer of :mod:`lstm_tex.document.frames`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex.document import matrices, numbers
from lstm_tex.document.frames import LINE, SYMBOLIC, line_height, pack
from lstm_tex.document.medium import Medium, matrix_em

OP_EM = 1.6  # an operator between matrices (=, +, -, \odot) with its spacing, in ems
SUM_TERMS_MAX = 4  # a longer sum over t is shown as one product of stacked matrices
# The forward pass's frame budget fills a frame to about 80% with these lines (measured
# on the rendered decks); \lstmcap in the frames shrinks anything the estimate misses.
SLIDES_ROOM = 1.2
SLIDES_TEXT_EM = 40.0  # a 16:9 frame's text width in ems of the estimates (\small math)
ARTICLE_BLOCK_ROWS = 40.0  # height of one align* in the article, in matrix rows (< a page)
NOTE_CHARS = 90  # characters of a note per line of text on a slide
NOTE_LINE = 1.2  # height of a line of text, in matrix rows


# ---------------------------------------------------------------- matrices and lines


@dataclass(frozen=True)
class Piece:
    """One matrix of a line: its LaTeX, estimated width (em) and rows."""

    tex: str
    em: float
    rows: int


class Show:
    """Turns arrays into :class:`Piece` objects for one medium (slides or article).

    ``kinds``: the exercise quantity (``dh``, ``dpre``, ...) of each array of the backward
    pass, by identity, so that every line that shows one of them blanks it (or boxes it,
    in the answer key) as the medium's marks say."""

    def __init__(self, medium: Medium, kinds: dict[int, str] | None = None) -> None:
        self.medium = medium
        self.limit = medium.layout.line_em
        self.kinds = kinds or {}

    def value(self, array: np.ndarray, kind: str = "") -> Piece:
        """A computed (B, n) array as an n x B matrix (one column per example), rounded."""
        m = self.medium
        kind = kind or self.kinds.get(id(array), "")
        return Piece(m.value(array, kind), m.em(array), m.rows(array))

    def given(self, array: np.ndarray) -> Piece:
        """A (B, n) input as an n x B matrix, its numbers as written in the example."""
        m = self.medium
        return Piece(m.given(array), m.em(array, "written"), m.rows(array))

    def state(self, array: np.ndarray, given: bool) -> Piece:
        return self.given(array) if given else self.value(array)

    def transposed(self, matrix: np.ndarray) -> Piece:
        """A weight block transposed, its numbers as written."""
        m = self.medium
        return Piece(
            m.weights(matrix.T), m.weights_em(matrix.T), min(matrix.shape[1], m.layout.max_rows)
        )

    def as_is(self, array: np.ndarray, given: bool = False, kind: str = "") -> Piece:
        """A matrix shown as it is stored: a gradient of a weight, or (B, n) rows x^T;
        ``kind``: its exercise quantity (``grads``)."""
        m = self.medium
        style: numbers.Style = "written" if given else "fixed"
        mark = m.marks.get(kind, "")
        tex = matrices.bmatrix(
            array,
            style=style,
            decimals=m.decimals,
            max_rows=m.layout.max_rows,
            max_cols=m.layout.max_cols,
            marks=mark,
        )
        em = matrix_em(array, m.decimals, style, m.layout)
        if mark:
            cols = min(array.reshape(array.shape[0], -1).shape[1], m.layout.max_cols)
            em += m.box_em(array, style) * cols
        return Piece(tex, em, min(array.shape[0], m.layout.max_rows))


_COMMAND = re.compile(r"\\(mathrm|mathsf|mathbf|left|right|text|quad|[,;!])")
_SCRIPT = re.compile(r"[_^](\{[^{}]*\}|\\[a-zA-Z]+|.)")
_FRAC = re.compile(r"\\frac\{[^{}]*\}\{[^{}]*\}")
#: Widths in ems of what symbolic lines are made of (math italic letters are about 0.55).
_EMS = {
    "\\tanh": 1.9,
    "\\sigma": 0.6,
    "\\odot": 1.7,
    "\\sum": 1.7,
    "\\cdot": 0.9,
    "\\leftarrow": 1.9,
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


def tex_em(tex: str) -> float:
    """Rough width of a symbolic expression in ems (matrices are estimated apart);
    sub- and superscripts count at 70%."""
    plain = _FRAC.sub("\\frac", _COMMAND.sub("", tex))
    scripts = sum(tex_em(m.group(1).strip("{}")) for m in _SCRIPT.finditer(plain))
    body = _SCRIPT.sub("", plain).replace("{", "").replace("}", "").replace(" ", "")
    em = 0.0
    for token in re.findall(r"\\[a-zA-Z]+|.", body):
        em += 1.0 if token == "\\frac" else _EMS.get(token, 0.55)
    return em + 0.7 * scripts


def fit_line(
    limit: float, lhs: str, symbolic: str, numbers_em: float, result: Piece | None, rows: int
) -> dict[str, Any]:
    """Where a ``lhs = symbolic = numbers = result`` line breaks, and its height.

    ``symbolic`` includes ``lhs``; every row after the first starts after ``lhs`` (the
    alignment column), so its width counts on every row.
    """
    lhs_em = tex_em(lhs)
    sym_em = tex_em(symbolic)
    res_em = (result.em + OP_EM) if result is not None else 0.0
    if sym_em + numbers_em + res_em <= limit:
        breaks = (False, False)
    elif sym_em + numbers_em <= limit and lhs_em + res_em <= limit:
        breaks = (False, True)
    elif lhs_em + numbers_em + res_em <= limit:
        breaks = (True, False)
    else:
        breaks = (True, True)
    height = (SYMBOLIC if breaks[0] else 0.0) + line_height(rows, breaks[1])
    inner = lhs_em + numbers_em > limit
    numbers_row = lhs_em + (0.6 * numbers_em if inner else numbers_em)
    width = {
        (False, False): sym_em + numbers_em + res_em,
        (False, True): max(sym_em + numbers_em, lhs_em + res_em),
        (True, False): max(sym_em, numbers_row + res_em),
        (True, True): max(sym_em, numbers_row, lhs_em + res_em),
    }[breaks]
    return {
        "break_numbers": breaks[0],
        "break_result": breaks[1],
        "break_inner": inner,
        "height": height,
        "width": width,
    }


def line(
    show: Show,
    kind: str,
    sym: dict[str, Any],
    pieces: dict[str, Piece],
    result: Piece | None,
    symbolic: str,
    ops: int,
    extra_em: float = 0.0,
) -> dict[str, Any]:
    """A line of ``kind``: its symbols, numbers and where it breaks. ``symbolic`` is
    its symbolic part for the width estimate, ``ops`` the operators between numbers."""
    everything = [*pieces.values(), *([result] if result is not None else [])]
    rows = max((p.rows for p in everything), default=1)
    numbers_em = sum(p.em for p in pieces.values()) + ops * OP_EM + extra_em
    val = {k: p.tex for k, p in pieces.items()}
    if result is not None:
        val["r"] = result.tex
    lhs = sym.get("lhs") or ""
    fit = fit_line(show.limit, lhs, symbolic, numbers_em, result, rows)
    if fit["break_inner"] and len(pieces) > 1:
        # Too wide even on a row of their own: one matrix per row, the result below.
        fit.update(
            break_numbers=True,
            break_result=True,
            height=SYMBOLIC + (len(pieces) + 1) * line_height(rows, False),
            width=max(tex_em(symbolic), tex_em(lhs) + 2 * OP_EM + max(p.em for p in everything)),
        )
    else:
        fit["break_inner"] = False
    return {"kind": kind, "sym": sym, "val": val, "terms": [], **fit}


def text_line(kind: str, sym: dict[str, Any]) -> dict[str, Any]:
    """A line without matrices (a scalar result, or a zero)."""
    return {
        "kind": kind,
        "sym": sym,
        "val": {},
        "terms": [],
        "break_numbers": False,
        "break_result": False,
        "break_inner": False,
        "height": SYMBOLIC,
        "width": 0.0,
    }


def sum_line(
    show: Show,
    lhs: str,
    expansion: str,
    terms: list[tuple[Piece, Piece | None]],
    result: Piece,
    right: str = "",
    right_em: float = 0.0,
) -> dict[str, Any]:
    """``lhs = expansion = a1 b1 + a2 b2 + ... = result``, the terms wrapped to the width.

    ``b`` is None where a term is one matrix followed by ``right`` (such as a column
    of ones).
    """
    limit = show.limit - tex_em(lhs)  # every row starts after the lhs column
    wrapped: list[int] = []  # the rows of each wrapped line of terms
    out: list[dict[str, Any]] = []
    width = widest = OP_EM
    for a, b in terms:
        em = a.em + (b.em if b is not None else right_em) + OP_EM
        rows = max(a.rows, b.rows if b is not None else 1)
        newline = bool(out) and width + em > limit
        if newline or not out:
            wrapped.append(rows)
            width = OP_EM + (1.0 if newline else 0.0)
        wrapped[-1] = max(wrapped[-1], rows)
        width += em
        widest = max(widest, width)
        out.append({"left": a.tex, "right": b.tex if b is not None else right, "newline": newline})
    symbolic_em = tex_em(f"{lhs} = {expansion}")
    fits_whole = len(wrapped) == 1 and symbolic_em + width + result.em + OP_EM <= show.limit
    break_result = width + result.em + OP_EM > limit
    lhs_em = show.limit - limit
    if fits_whole:
        line_width = symbolic_em + width + result.em + OP_EM
    else:
        line_width = max(
            symbolic_em, lhs_em + max(widest, width + (0.0 if break_result else result.em + OP_EM))
        )
    height = (
        (0.0 if fits_whole else SYMBOLIC)
        + sum(r + LINE for r in wrapped)
        + (result.rows + LINE if break_result else 0.0)
    )
    return {
        "kind": "sum",
        "sym": {"lhs": lhs, "expansion": expansion},
        "val": {"r": result.tex},
        "terms": out,
        "break_numbers": not fits_whole,
        "break_result": break_result,
        "break_inner": False,
        "height": height,
        "width": line_width,
    }


def pack_group(
    name: str,
    title: str,
    note: str,
    lines: list[dict[str, Any]],
    budget: float,
    text_em: float | None,
) -> dict[str, Any]:
    """Lines that belong together, packed into frames (one or more, never overflowing).

    A frame's note takes a line of text (about a matrix row) per 90 characters. With
    ``text_em`` (slides), a frame wider than that is shrunk to fit (``\\lstmfit``), and
    its height with it; the packing counts on that.
    """
    note_rows = NOTE_LINE * -(-len(_COMMAND.sub("", note)) // NOTE_CHARS)
    frames = pack(
        [(line, line["height"]) for line in lines],
        budget - note_rows,
        widths=[line["width"] for line in lines],
        text_em=text_em,
    )
    heading = title[0].upper() + title[1:] if title[:1].isalpha() else title
    return {
        "name": name,
        "title": title,
        "heading": heading,
        "note": note,
        "lines": lines,
        "frames": frames,
    }
