r"""The lines after a step's gates, as :class:`~lstm_tex.document.line.Line` records: the
LSTM's cell and hidden state (and the row-vector notation's breaks of them), the GRU's new
hidden state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import measure, numbers
from lstm_tex.document.frames import flow
from lstm_tex.document.line import Line, widest
from lstm_tex.document.measure import OPERATOR_EM, SYMBOLIC, line_height
from lstm_tex.document.medium import Medium
from lstm_tex.validate.model import GATES


@dataclass(frozen=True)
class States:
    """What a step's state lines are made from: the step and its medium, the projection
    ``W_hr`` (or None), the ems of the layer/direction marks per symbol, how the previous
    state is written (``style``, and its numbers ``c_prev``, ``h_prev`` as shown), the
    gates' activations as shown (``acts``), the room of a line (``line_em``, less in
    ``Step.latex()``'s one block), and whether rows are broken between factors
    (``row_lines``: row vectors in a medium that breaks lines)."""

    step: Step
    medium: Medium
    proj: np.ndarray | None
    sup_em: float
    style: numbers.Style
    shown: dict[str, str]
    acts: dict[str, str]
    line_em: float
    row_lines: bool


#: Where a step's cell and hidden-state lines break, how tall and how wide (ems: the widest
#: row as set) each is: (cell breaks, hidden breaks, cell height, hidden height, widths).
Fitted = tuple[dict[str, bool], dict[str, bool], float, float, tuple[float, float]]


def row_state(s: States) -> Fitted:
    r"""Where the row-vector notation's cell and hidden-state lines break (``c_t = f_t
    \odot c_{t-1} + i_t \odot g_t``, ``h_t = o_t \odot \tanh(c_t)``, ``h_t = m_t
    W_{hr}^\top``): before any factor that would make its line too wide, since a row
    cannot be broken inside as the column notation breaks its lines between matrices of
    columns. Returns the breaks, the heights of the cell's line (without its symbolic
    row) and of the hidden state's, and their widths (:data:`Fitted`)."""
    step, medium, sup_em, proj = s.step, s.medium, s.sup_em, s.proj
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None
    em, line = medium.em, medium.layout.line_em
    lhs = measure.STATE_LHS_EM + sup_em
    rows = medium.rows(step.c)
    act = {k: step.gates[k].act for k in GATES}
    op = OPERATOR_EM
    widths: list[float] = []

    def fill(segments: list[tuple[str, float, int, bool]]) -> tuple[dict[str, bool], float]:
        breaks, height = flow(segments, line, lhs)
        widths.append(widest(((em, breaks[name]) for name, em, _, _ in segments), lhs))
        if medium.layout.shrinks:  # on slides: the rows of one line set closer
            height = measure.closer_rows(height, sum(breaks.values()))
        return breaks, height

    cell, cell_h = fill(
        [
            ("f", lhs + op + em(act["f"]), rows, False),
            ("prev", op + em(step.c_prev, s.style), rows, True),
            ("sum", op + em(act["i"]), rows, True),
            ("g", op + em(act["g"]), rows, True),
            ("result", op + em(step.c), rows, True),
        ]
    )
    tanh_line = [
        ("lhs", lhs + measure.TANH_SYMBOLIC_EM + sup_em, 0, False),
        ("symbolic", op + em(act["o"]), rows, True),
        ("tanh", measure.TANH_EM + em(step.c), rows, True),
    ]
    product = [
        ("odot", op + em(step.tanh_c), rows, True),
        ("result", op + em(step.m if proj is not None else step.h), rows, True),
    ]
    if proj is None:  # the template breaks after tanh(c_t)
        first, first_h = fill(tanh_line)
        then, then_h = fill([("o", lhs + op + em(act["o"]), rows, False), *product])
        first["then"] = True
    else:
        first, first_h = fill([*tanh_line, ("then", op + em(act["o"]), rows, True), *product])
        w = proj.T
        then, then_h = fill(
            [
                ("m", lhs + measure.PROJECTION_LHS_EM + sup_em + em(step.m), rows, False),
                ("product", measure.PROJECTION_GAP_EM + medium.weights_em(w), medium.rows(w), True),
                ("projection", op + em(step.h), rows, True),
            ]
        )
    return cell, {**first, **then}, cell_h, first_h + then_h, (widths[0], max(widths[1:]))


def column_state(s: States) -> Fitted:
    """The column notation's cell and hidden-state lines: they break between their
    matrices, after the symbolic part always (and, without a projection, either after it
    or, when the numbers do not fit one row, after ``\\tanh(c_t)``), and where wide
    batches need it: before ``+ i g`` in the cell line, before the result of ``o *
    tanh(c)``, before the result of the projection. The breaks, heights and
    widths as :func:`row_state`."""
    step, medium, sup_em, proj, line = s.step, s.medium, s.sup_em, s.proj, s.line_em
    assert step.c is not None and step.m is not None
    c = medium.em(step.c)
    f, prev, i, g = cell_ems(s)
    projection_em = (
        medium.weights_em(proj) + medium.em(step.m) + medium.em(step.h)
        if proj is not None
        else -np.inf
    )
    # each vector as wide as it is (five times c's width made an 11 pt hidden-8 line 19 %
    # wider than pdflatex sets it: it broke before its result, and Madrid 4:3 shrank the
    # frame to 10.24 pt; issue 12)
    cell_em, sum_em = cell_symbols(medium)
    cell = {
        "result": f + prev + i + g + c + cell_em + sup_em > line,
        "sum": f + prev + i + g + sum_em > line,
    }
    # Without a projection, the h line's numbers go on one row under its symbols where
    # they fit (two rows of 8-row vectors did not fit an 11 pt frame: Beamer shrank it to
    # 10.63 pt; issue 12), else they break after tanh(c).
    one_row = proj is None and 5 * c + measure.HIDDEN_NUMBERS_EM <= line
    hidden = {
        "then": not one_row
        and (proj is None or 5 * c + measure.HIDDEN_LINE_EM + 3 * sup_em > line),
        "result": not one_row and 3 * c + measure.HIDDEN_RESULT_EM > line,
        "symbolic": one_row or 2 * c + measure.HIDDEN_SYMBOLIC_EM + 3 * sup_em > line,
        "projection": projection_em + measure.PROJECTION_LINE_EM > line,
    }
    rows = medium.rows(step.c)
    cell_h = line_height(rows) * (1 + sum(cell.values()))
    hidden_h = line_height(rows) * (1 + hidden["then"] + hidden["result"]) + (
        SYMBOLIC if hidden["symbolic"] else 0.0
    )
    if proj is not None:
        hidden_h += line_height(max(rows, medium.rows(step.h)), hidden["projection"])
    return cell, hidden, cell_h, hidden_h, column_widths(s, cell, hidden)


def cell_ems(s: States) -> tuple[float, float, float, float]:
    """The ems of the cell line's factors ``f``, ``c_{t-1}`` (as it is shown), ``i``, ``g``."""
    step, em = s.step, s.medium.em
    assert step.c_prev is not None
    return (
        em(step.gates["f"].act),
        em(step.c_prev, s.style),
        em(step.gates["i"].act),
        em(step.gates["g"].act),
    )


def cell_symbols(medium: Medium) -> tuple[float, float]:
    """The cell line's symbols at the medium's size: all, and those before ``= [c]``."""
    size = medium.layout.size
    return (
        measure.symbols_em(measure.CELL_LINE_EM, size),
        measure.symbols_em(measure.CELL_SUM_EM, size),
    )


def column_widths(s: States, cell: dict[str, bool], hidden: dict[str, bool]) -> tuple[float, float]:
    """The widest rows of the column notation's cell and hidden-state lines as they break
    (:func:`column_state`): their pieces are the parts of the estimates it breaks by."""
    step, medium, sup_em, op = s.step, s.medium, s.sup_em, OPERATOR_EM
    assert step.c is not None and step.m is not None  # an LSTM step
    c = medium.em(step.c)
    f, prev, i, g = cell_ems(s)
    cell_em, sum_em = cell_symbols(medium)
    indent = measure.STATE_LHS_EM + sup_em
    cell_w = widest(
        [
            (f + prev + sum_em - op, False),  # = f * c_{t-1}
            (i + g + op, cell["sum"]),  # + i * g
            (c + cell_em - sum_em + sup_em, cell["result"]),
        ],
        indent,
    )
    numbers = measure.TANH_EM + op  # = o * tanh(c), its operators
    if s.proj is None and hidden["symbolic"] and not hidden["then"]:
        # the numbers on one row under the symbols (column_state)
        symbols = measure.HIDDEN_SYMBOLIC_EM + 3 * sup_em - numbers
        return cell_w, max(indent + symbols, 5 * c + measure.HIDDEN_NUMBERS_EM)
    hidden_w = widest(
        [
            (measure.HIDDEN_SYMBOLIC_EM + 3 * sup_em - numbers, False),  # h = o * tanh(c)
            (2 * c + numbers, hidden["symbolic"]),
            (2 * c + measure.HIDDEN_RESULT_EM - op, hidden["then"]),  # = o * tanh c
            (c + op, hidden["result"]),
        ],
        indent,
    )
    if s.proj is None:
        return cell_w, hidden_w
    w_em = medium.weights_em(s.proj) + medium.em(step.m)  # h = W_hr m = [W_hr] [m]
    h_em = medium.em(step.h) + op
    projection = [(w_em + measure.PROJECTION_LINE_EM - op, False), (h_em, hidden["projection"])]
    return cell_w, max(hidden_w, widest(projection, indent))


def lstm_lines(ctx: dict[str, Any], s: States) -> tuple[Line, Line]:
    """The LSTM's cell-state and hidden-state lines (and the symbols of the projection in
    ``ctx``)."""
    step, medium, proj = s.step, s.medium, s.proj
    assert step.c is not None and step.tanh_c is not None and step.m is not None
    sup = ctx["sup"]
    # with row vectors, h_t = m_t W_hr^T: the transpose joins the layer/direction marks
    ctx["W_hr_sym"] = "W_{hr}" + (
        (sup[:-1] + "\\top}" if sup else "^{\\top}") if medium.row_vectors else sup
    )
    ctx["proj"] = proj is not None
    fitted = (row_state if s.row_lines else column_state)(s)
    cell_breaks, hidden_breaks, cell_h, hidden_h, (cell_w, hidden_w) = fitted
    acts = s.acts
    c = medium.value(step.c, "c")
    t = step.t
    cell = Line(
        "cell",
        symbolic={
            "lhs": ctx["c_sym"],
            **{k: f"{k}{sup}_{{{t}}}" for k in ("f", "i", "g")},
            "c_prev": ctx["c_prev_sym"],
        },
        numbers={"f": acts["f"], "c_prev": s.shown["c_prev"], "i": acts["i"], "g": acts["g"]},
        result=c,
        breaks={k: cell_breaks.get(k, False) for k in ("prev", "sum", "g", "result")},
        width=cell_w,
        height=SYMBOLIC + cell_h,
    )
    names = ("symbolic", "tanh", "then", "odot", "result", "product", "projection")
    hidden = Line(
        "hidden",
        symbolic={
            "form": "lstm",
            "proj": proj is not None,
            "row_vectors": medium.row_vectors,
            "o": f"o{sup}_{{{t}}}",
            **{k: ctx[f"{k}_sym"] for k in ("c", "m", "h", "W_hr")},
        },
        numbers={
            "o": acts["o"],
            "c": c,
            "tanh_c": medium.value(step.tanh_c, "c"),
            "m": medium.value(step.m),
            "W_hr": (
                medium.weights(proj.T if medium.row_vectors else proj) if proj is not None else ""
            ),
            "h": ctx["h"],
        },
        result=ctx["h"] if proj is None else medium.value(step.m),
        breaks={k: hidden_breaks.get(k, False) for k in names},
        width=hidden_w,
        height=hidden_h,
    )
    return cell, hidden


def gru_line(ctx: dict[str, Any], s: States) -> Line:
    """The GRU's new hidden state ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``: the numbers of
    z and n (as their gates show them) and where the line breaks."""
    step, medium = s.step, s.medium
    z, n = step.gates["z"].act, step.gates["n"].act
    z_em, n_em = medium.em(z), medium.em(n)
    # Step.latex(): one aligned block, whose lines start after n's W_in x_t + b_in
    line = medium.layout.line_em - (
        measure.GRU_BLOCK_LHS_EM + s.sup_em if medium.one_block else 0.0
    )
    h_em = medium.em(step.h_prev, s.style)
    update_sym = measure.symbols_em(measure.GRU_UPDATE_EM, medium.layout.size)
    product_sym = measure.symbols_em(measure.GRU_PRODUCT_EM, medium.layout.size)
    update_em = 2 * z_em + n_em + h_em + update_sym + s.sup_em
    split = update_em > line
    ctx["z_sym"] = f"z{ctx['sup']}_{{{step.t}}}"
    ctx["n_sym"] = f"n{ctx['sup']}_{{{step.t}}}"
    breaks = {
        # a row cannot break inside: (1 - z) and its product with n on two rows
        "n": (s.row_lines or not medium.layout.shrinks) and z_em + n_em + product_sym > line,
        "sum": split,
        # row vectors: z_t on the sum's row, its product with h_{t-1} on the next
        "prev": s.row_lines and split and z_em + h_em + measure.GRU_SUM_ROW_EM > line,
        "result": (h_em + z_em + measure.GRU_SUM_ROW_EM if split else update_em)
        + medium.em(step.h)
        + measure.GRU_RESULT_EM
        > line,
    }
    rows = medium.rows(step.h)
    op = OPERATOR_EM
    pieces = [  # = (1 - z) (with the symbols' marks), * n, + z * h_{t-1}, = h
        (z_em + update_sym + s.sup_em - op, False),
        (n_em, breaks["n"]),
        (z_em + op, breaks["sum"]),
        (h_em, breaks["prev"]),
        (medium.em(step.h) + measure.GRU_RESULT_EM, breaks["result"]),
    ]
    width = widest(pieces, measure.STATE_LHS_EM + s.sup_em)
    height = SYMBOLIC + (
        measure.rows_height([rows] * (1 + sum(breaks.values())))
        if s.row_lines and medium.layout.shrinks
        else line_height(rows) * (1 + sum(breaks.values()))
    )
    symbolic = {
        "form": "gru",
        **{k: ctx[f"{k}_sym"] for k in ("h", "z", "n")},
        "h_prev": ctx["h_prev_sym"],
    }
    inline = gru_inline(symbolic, s, (z_em, n_em, h_em, medium.em(step.h)), height)
    if inline is not None:
        breaks, height, width = inline
    return Line(
        "hidden",
        symbolic={**symbolic, "inline": inline is not None},
        numbers={"z": s.acts["z"], "n": s.acts["n"], "h_prev": s.shown["h_prev"]},
        result=ctx["h"],
        breaks=breaks,
        width=width,
        height=height,
    )


def gru_inline(
    symbolic: dict[str, Any], s: States, ems: tuple[float, float, float, float], height: float
) -> tuple[dict[str, bool], float, float] | None:
    """On slides, where the GRU's h_t line (its symbols on a row of their own, its numbers
    on two) is taller than a frame, its numbers start on the symbols' row, ``h_t = (1 - z)
    n + z h = (1 - [z]) [n]``, and go on with ``+ [z] [h] = [h]``: two rows of matrices, as
    the LSTM's h_t (in Madrid 4:3 at 11 pt, the three rows were shrunk to 10.24 pt; issue
    12). ``ems``: z's, n's, h_{t-1}'s and h_t's. The breaks, height and width, or None."""
    medium, line = s.medium, s.line_em
    if s.row_lines or not medium.layout.shrinks or height <= medium.layout.frame_rows:
        return None
    z_em, n_em, h_em, result_em = ems
    y = symbolic
    symbols = measure.tex_em(
        f"{y['h']} = \\left(1 - {y['z']}\\right) \\odot {y['n']} + {y['z']} \\odot {y['h_prev']}"
    )
    product_sym = measure.symbols_em(measure.GRU_PRODUCT_EM, medium.layout.size)
    first = symbols + product_sym + z_em + n_em
    second = measure.GRU_SUM_ROW_EM + z_em + h_em + measure.GRU_RESULT_EM + result_em
    if max(first, second + measure.STATE_LHS_EM + s.sup_em) > line:
        return None
    breaks = {"n": False, "sum": True, "prev": False, "result": False}
    return breaks, 2 * line_height(medium.rows(s.step.h)), max(first, second)
