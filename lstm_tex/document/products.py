r"""PyTorch's product lines of a gate, ``W_ik x_t + b_ik = [W] [x] + [b] = [r]`` (and the
GRU candidate's, in every notation), as :class:`~lstm_tex.document.line.Line` records:
the columns of W that its line leaves room for, the vector paired with them, where the
line breaks and how tall and wide it is."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import measure, numbers
from lstm_tex.document.affine import row_product_height, row_product_room
from lstm_tex.document.blocks import Blocks, Where
from lstm_tex.document.line import Line, Term, broken_height, widest
from lstm_tex.document.measure import BREAK_EM, OPERATOR_EM, SYMBOLIC
from lstm_tex.document.medium import FIT_COLS, GATE_EXTRA_ROWS, Medium

#: A gate line of up to this many matrix rows may move its result and bias to rows of their
#: own to show its weight matrix whole: the gate's two lines still share a frame. A taller
#: line moves them only where the gate keeps its number of frames (``moves``, step.py).
MOVE_ROWS = 4
#: What a product's row of numbers holds before its first factor when its left-hand side
#: has a row of its own: the gate's symbol (the first column of the frame's aligned
#: block), ``\quad =`` and the gap between the factors, as :data:`measure.PRODUCT_ROW_EM`
#: counts ``W_ik x_t + b_ik =`` and the gap. Measured with pdflatex at 11 pt: 2.1 em from
#: ``r_2`` to ``=`` where ``W_hr h_1 + b_hr`` took 5.0 em; the line, estimated 0.5 em
#: over its 32.0 em, as the product lines are (0.4 to 0.5 em).
OWN_ROW_EM = 4.0

#: How a product line is set (:func:`product_line`): as it fits, ``tall`` (its result and
#: bias may move to rows of their own whatever its height) or ``own`` (its left-hand side
#: on a row of its own, which leaves W more room).
Mode = Literal["", "tall", "own"]


def unbroken_if_tall(line: Line, where: Where) -> Line:
    r"""On slides, a gate line whose breaks make it taller than a frame goes on over the
    next frame, cut where it breaks (:meth:`Line.pieces`, when the packer meets it); one
    that cannot be cut so (a row taller than a frame: ``render.article_full``, or no break
    to cut at) stays one row: \lstmfit then scales it to the width, which costs less than
    shrinking the frame."""
    layout = where.medium.layout
    if not layout.shrinks:
        return line
    room = layout.frame_rows + GATE_EXTRA_ROWS - SYMBOLIC
    if all(piece.height <= room for piece in line.pieces(room)):
        return line
    return replace(line.unbroken(), height=line.height / line.rows)


def stacked_rows(line: Line, rows: int) -> Line:
    """``line`` with its height: each of its rows as tall as ``rows``-row matrices."""
    return replace(line, height=broken_height(rows, line.rows))


def weight_room(
    medium: Medium,
    shown: np.ndarray,
    rest: float,
    movable: tuple[float, float],
    line: tuple[np.ndarray, ...],
    tall: bool = False,
) -> float | None:
    """On slides, the ems a weight matrix has on its line ``W x + b = result`` (``rest``:
    all but W), so that its columns are elided rather than the line scaled down. When the
    whole matrix does not fit there but does with the result (``movable[0]`` ems), then
    also the bias (``movable[1]``), on rows of their own, it keeps every column and they
    move (issue 12: a hidden-4 W_hn was elided on a half-empty frame); only for lines of
    up to :data:`MOVE_ROWS` rows, since taller ones on three rows take a frame more; with
    ``tall``, for any line (step.py keeps it only where the gate keeps its frames)."""
    if not medium.layout.shrinks:
        return None
    room = medium.layout.line_em - rest
    every = min(shown.shape[1], medium.layout.max_cols) if shown.ndim == 2 else 0
    if every == 0 or medium.weight_cols(shown, room) >= every:
        return room
    rows = max(min(shown.shape[0], medium.layout.max_rows), *(medium.rows(a) for a in line))
    if rows > MOVE_ROWS and not tall:
        return room
    wider = room
    for em in movable:
        wider += em
        if medium.weight_cols(shown, wider) >= every:
            return wider
    return room


#: No step wider than the one a product line is of (``Step.latex()``, d2l's row vectors).
NONE_WIDER = (0.0, 0.0, 0.0)
#: The widest products of each layer and direction (:func:`widest_products`).
Widest = dict[tuple[int, str], dict[tuple[str, str], tuple[float, float, float]]]


def widest_products(
    steps: Iterable[tuple[Step, tuple[numbers.Style, numbers.Style]]],
    medium: Medium,
) -> Widest:
    """By layer and direction, PyTorch's products of each gate by kind (``("f", "hh")``):
    the widest ems of their vector, result and step number (its digits after the first,
    ``x_{10}``: :data:`measure.STEP_DIGIT_EM`) over ``steps`` (each with how its x and
    h_{t-1} are written), so that a weight matrix has the room of its widest step at every
    step (:func:`product_line`). None with row vectors, whose columns a step fixes
    (:meth:`Medium.rows_of_step`), nor where W is not elided to fit (off slides, or a
    ``max_cols`` over :data:`~lstm_tex.document.medium.FIT_COLS`)."""
    found: Widest = {}
    if medium.row_vectors or not medium.layout.shrinks or medium.layout.max_cols > FIT_COLS:
        return found
    for step, styles in steps:
        by_kind = found.setdefault((step.layer, step.direction), {})
        for key, gv in step.gates.items():
            for kind, v, style, result in (
                ("ih", step.x, styles[0], gv.ih),
                ("hh", step.h_prev, styles[1], gv.hh),
            ):
                ems = (
                    medium.em(v, style, kind="h"),
                    medium.em(result, kind=kind),
                    measure.product_line_em(kind, step.t) - measure.product_line_em(kind, 1),
                )
                most = by_kind.get((key, kind), NONE_WIDER)
                by_kind[key, kind] = (
                    max(ems[0], most[0]),
                    max(ems[1], most[1]),
                    max(ems[2], most[2]),
                )
    return found


def product_lines(
    entry: dict[str, Any], blocks: Blocks, where: Where, mode: Mode = ""
) -> tuple[Line, Line]:
    """PyTorch's two products of a gate, ``W_ik x_t + b_ik`` and ``W_hk h_{t-1} + b_hk``
    (``mode``: as :func:`product_line`)."""
    step = where.step
    gv = step.gates[entry["key"]]
    parts = (
        ("ih", (blocks.w_ih, step.x, blocks.b_ih, gv.ih)),
        ("hh", (blocks.w_hh, step.h_prev, blocks.b_hh, gv.hh)),
    )
    ih, hh = (
        product_line(
            kind,
            arrays,
            (where.styles[n], where.symbols[n], where.shown[n]),
            (entry[f"W_{kind}_sym"], entry[f"b_{kind}_sym"]),
            where,
            (entry["row_form"], mode, where.widest.get((entry["key"], kind), NONE_WIDER)),
        )
        for n, (kind, arrays) in enumerate(parts)
    )
    return ih, hh


def product_line(
    kind: str,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray],
    vector: tuple[numbers.Style, str, str],
    symbols: tuple[str, str],
    where: Where,
    mode: tuple[bool, Mode, tuple[float, float, float]],
) -> Line:
    """One of PyTorch's products ``W v + b = r`` of a gate (``arrays``: W, v, b or None, r;
    ``vector``: v's style, symbol and numbers; ``symbols``: W's and b's): W and b as shown
    (transposed for the GRU's candidate with row vectors, ``mode[0]``), where it breaks:
    after its left-hand side (``mode[1]`` ``own``), inside ``W v``, before ``+ b``, before
    the result (``tall``: whatever its height, :func:`weight_room`; never unbroken). W has
    the room of the widest of its steps (``mode[2]``, :func:`widest_products`): the same
    columns at every step (issue 12: W_hk h_1 showed 3 of 8 columns, W_hk h_0 4)."""
    row_form, how, wide = mode
    medium, line_em = where.medium, where.medium.layout.line_em
    w, v, b, result = arrays
    style, v_sym, v_tex = vector
    shown_w = w.T if row_form else w
    shown_b = None if b is None else (b.reshape(1, -1) if row_form else b)
    bias_em = medium.weights_em(shown_b) if shown_b is not None else 0.0
    ems = (medium.em(v, style, kind="h"), medium.em(result, kind=kind))
    own = how == "own"
    lead, after = product_symbols(kind, where, own)
    digits = measure.product_line_em(kind, where.step.t) - measure.product_line_em(kind, 1)
    rows_apart = row_form and medium.breaks_rows  # d2l's x W_xn (affine.row_product_room)
    v_em, result_em = (max(em, most) for em, most in zip(ems, wide, strict=False))
    rest = v_em + bias_em + result_em + lead + after + max(0.0, wide[2] - digits)
    # on slides W has the room its line leaves (issue 12)
    room = weight_room(medium, shown_w, rest, (result_em, bias_em), (result,), how == "tall")
    room = row_product_room(where) if rows_apart else room
    w_em = medium.weights_em(shown_w, room)
    part_em = w_em + v_em + lead
    w_tex = medium.weights(shown_w, room)
    v_tex, v_rows = paired_vector(medium, (shown_w, v, style), room, v_tex, row_form)
    factors = (v_tex, w_tex) if row_form else (w_tex, v_tex)
    inside = (rows_apart or not medium.layout.shrinks) and part_em > line_em
    bias_row = shown_b is not None and part_em + bias_em + OPERATOR_EM > line_em
    joined = lead + BREAK_EM + bias_em + result_em + after  # the row "+ b = r"
    to_result = result_row(medium, w_em + rest, joined if bias_row else None)
    breaks = {"lhs": own, "bias": bias_row, "result": to_result}
    line = Line(
        kind,
        symbolic={
            "lhs": (f"{v_sym} {symbols[0]}" if row_form else f"{symbols[0]} {v_sym}")
            + (f" + {symbols[1]}" if symbols[1] else "")
        },
        numbers={"W": w_tex, "b": medium.weights(shown_b) if shown_b is not None else ""},
        result=medium.value(result, kind),
        terms=(Term(*factors, inside=inside),),
        breaks=breaks,
        width=product_width(
            (w_em, ems[0], bias_em, ems[1]), row_form, breaks | {"inside": inside}, (lead, after)
        ),
    )
    if rows_apart:  # never on one row (affine.row_product_height)
        return replace(line, height=row_product_height(medium.rows(shown_w), inside, breaks))
    return product_height(line, max(where.rows, v_rows), how, where)


def result_row(medium: Medium, whole: float, joined: float | None) -> bool:
    """Whether a product line breaks before its result: where the whole line (``whole``
    ems) is wider than the medium's line; but in the article and the parts (a medium that
    breaks lines, not scales them), where ``+ b`` has a row of its own, only where
    ``= r`` does not fit beside it (``joined``: that row's ems; None: no such row). A
    hidden-16 part's product took three rows, ``+ [b]`` and ``= [r]`` each alone, and most
    of a page (new-user finding 6)."""
    line_em = medium.layout.line_em
    if joined is not None and not medium.layout.shrinks:
        return joined > line_em
    return whole > line_em


def product_symbols(kind: str, where: Where, own: bool) -> tuple[float, float]:
    """What a product line's rows hold besides its matrices (ems): what leads its first
    factor, its left-hand side and ``=`` or, with a row of its own (``own``), the gate's
    symbol (the block's first column) and ``\\quad =``; and the operators after the
    product (``+ b = r``), where a wider left-hand side (``W_hk h_{t-1}``) counts in
    :data:`measure.PRODUCT_LINE_EM` unless it has a row of its own."""
    sup_em = where.sup_em
    lead = OWN_ROW_EM + sup_em if own else measure.PRODUCT_ROW_EM + 2 * sup_em
    after = measure.product_line_em("ih" if own else kind, where.step.t) - measure.PRODUCT_ROW_EM
    return lead, after


def product_height(line: Line, rows: int, how: Mode, where: Where) -> Line:
    """``line`` with its height, each row as tall as ``rows``-row matrices but a left-hand
    side's own row (one of symbols, as :func:`affine.affine_lines` counts it); set as it
    fits (``how``: not ``tall``), one too tall for a frame is cut or unbroken
    (:func:`unbroken_if_tall`)."""
    if how == "own":
        return replace(line, height=broken_height(rows, line.rows - 1) + SYMBOLIC)
    line = stacked_rows(line, rows)
    return line if how == "tall" else unbroken_if_tall(line, where)


def paired_vector(
    medium: Medium,
    arrays: tuple[np.ndarray, np.ndarray, numbers.Style],
    room: float | None,
    v_tex: str,
    row_form: bool,
) -> tuple[str, int]:
    r"""The vector ``v`` of ``W v`` (``arrays``: W as shown, v, v's style; ``v_tex``: v as
    the step shows it) and its rows: where W's columns are elided to fit (``room``:
    :meth:`Medium.weights`), v's rows are elided to the same entries, ``\vdots`` where W
    has ``\cdots``, so that each column pairs with its entry (issue 12: an 8 x 8 W_hr
    showed 4 of its 8 columns beside all 8 rows of h), as the textbook's ``[h; x]`` and the
    backward products are; d2l's row vectors (``row_form``) keep theirs."""
    w, v, style = arrays
    n = v.shape[-1]
    cols = medium.weight_cols(w, room) if w.ndim == 2 else n
    if row_form or cols >= n:
        return v_tex, medium.rows(v)
    tex = medium.given(v, rows=cols) if style == "written" else medium.value(v, "h", rows=cols)
    return tex, cols


def product_width(
    ems: tuple[float, float, float, float],
    row_form: bool,
    breaks: dict[str, bool],
    symbols: tuple[float, float],
) -> float:
    """The widest row of a product line ``W v + b = r`` (``ems``: W's, v's, b's and r's) as
    it breaks: what leads its first factor (``symbols[0]``: the left-hand side and ``=``, or
    the gate's symbol and ``\\quad =`` after a row of its own), the second factor (after
    ``\\qquad \\cdot``: ``inside``), ``+ b``, ``= r`` (``symbols[1]``: the operators after
    the product, :data:`measure.PRODUCT_LINE_EM` less :data:`measure.PRODUCT_ROW_EM`)."""
    w_em, v_em, bias_em, result_em = ems
    lead, after = symbols
    first, second = (v_em, w_em) if row_form else (w_em, v_em)
    pieces = [
        (first + lead, False),
        (second, breaks["inside"]),
        (bias_em, breaks["bias"]),
        (result_em + after, breaks["result"]),
    ]
    return widest(pieces, lead)


_PAIR = re.compile(r"([_^])(\{[^{}]*\}|\\[a-zA-Z]+|[^\s{}])([_^])(\{[^{}]*\}|\\[a-zA-Z]+|[^\s{}])")


def stacked_em(tex: str) -> float:
    """As :func:`measure.tex_em`, but a symbol's sub- and superscript (``_PAIR``) set one above the
    other count the wider (``W_{hg}^{(0)} h^{(0)}_{0}`` and a bias: 5.7 em, measured 6.4)."""
    wider = [0.0]

    def pair(m: re.Match[str]) -> str:
        if m.group(1) == m.group(3):
            return m.group(0)
        scripts = (measure.tex_em(m.group(k).strip("{}")) for k in (2, 4))
        wider.append(measure.SCRIPT_SHARE * max(scripts))
        return " "

    return measure.tex_em(_PAIR.sub(pair, tex)) + sum(wider)
