r"""The lines after a step's gates: the LSTM's cell and hidden state (and the row-vector
notation's breaks of them), the GRU's new hidden state."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import numbers
from lstm_tex.document.frames import (
    flow,
)
from lstm_tex.document.medium import (
    Medium,
)
from lstm_tex.validate.model import GATES

#: The flags of the cell and hidden-state lines that only the row-vector notation sets
#: (:func:`row_state`; the others are set for every notation).
ROW_STATE_BREAKS = (
    "break_cell_prev",
    "break_cell_g",
    "break_hidden_tanh",
    "break_hidden_odot",
    "break_projection_product",
)


def row_state(
    step: Step,
    medium: Medium,
    sup_em: float,
    state_style: numbers.Style,
    proj: np.ndarray | None,
) -> tuple[dict[str, bool], tuple[float, float]]:
    r"""Where the row-vector notation's cell and hidden-state lines break (``c_t = f_t
    \odot c_{t-1} + i_t \odot g_t``, ``h_t = o_t \odot \tanh(c_t)``, ``h_t = m_t
    W_{hr}^\top``): before any factor that would make its line too wide, since a row
    cannot be broken inside as the column notation breaks its lines between matrices of
    columns. Returns the flags and the heights of the cell's and the hidden state's lines
    (without the cell's symbolic line)."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None
    em, line = medium.em, medium.layout.line_em
    lhs = 2.0 + sup_em
    rows = medium.rows(step.c)
    act = {k: step.gates[k].act for k in GATES}
    cell, cell_h = flow(
        [
            ("f", lhs + 2 + em(act["f"]), rows, False),
            ("break_cell_prev", 2 + em(step.c_prev, state_style), rows, True),
            ("break_cell_sum", 2 + em(act["i"]), rows, True),
            ("break_cell_g", 2 + em(act["g"]), rows, True),
            ("break_cell", 2 + em(step.c), rows, True),
        ],
        line,
        lhs,
    )
    tanh_line = [
        ("symbolic", lhs + 8 + sup_em, 0, False),
        ("break_hidden_symbolic", 2 + em(act["o"]), rows, True),
        ("break_hidden_tanh", 6 + em(step.c), rows, True),
    ]
    product = [
        ("break_hidden_odot", 2 + em(step.tanh_c), rows, True),
        ("break_hidden_result", 2 + em(step.m if proj is not None else step.h), rows, True),
    ]
    if proj is None:  # the template breaks after tanh(c_t)
        first, first_h = flow(tanh_line, line, lhs)
        then, then_h = flow([("o", lhs + 2 + em(act["o"]), rows, False), *product], line, lhs)
        first["break_hidden"] = False
    else:
        first, first_h = flow(
            [*tanh_line, ("break_hidden", 2 + em(act["o"]), rows, True), *product], line, lhs
        )
        w = proj.T
        then, then_h = flow(
            [
                ("m", lhs + 6 + sup_em + em(step.m), rows, False),
                ("break_projection_product", 3 + medium.weights_em(w), medium.rows(w), True),
                ("break_projection", 2 + em(step.h), rows, True),
            ],
            line,
            lhs,
        )
    flags = {k: v for k, v in {**cell, **first, **then}.items() if k.startswith("break_")}
    return flags, (cell_h, first_h + then_h)


def lstm_states(
    ctx: dict[str, Any],
    step: Step,
    medium: Medium,
    proj: np.ndarray | None,
    sup_em: float,
    line_em: float,
) -> None:
    """The LSTM's cell-state and hidden-state lines: their numbers and where they break
    (``line_em``: the room of a line, less in ``Step.latex()``'s one block)."""
    assert step.c is not None and step.tanh_c is not None and step.m is not None
    # its left-hand side, two "=", two "⊙" and a "+" take about 9 em (measured: 8.8 with
    # c_1; an estimate of 14 broke an 11 pt hidden-8 line that fits, and the frame was
    # shrunk to 9.83 pt; issue 12)
    cell_em = 5 * medium.em(step.c) + 10 + sup_em
    # Without a projection the template always breaks the h line after tanh(c).
    hidden_em = (5 if proj is not None else 4) * medium.em(step.c) + 16 + 3 * sup_em
    # Wide batches need more breaks: before "+ i g" in the cell line, before the result
    # of "o * tanh(c)", and before the result of the projection.
    cell_sum_em = 4 * medium.em(step.c) + 10
    hidden_result_em = 3 * medium.em(step.c) + 8
    hidden_symbolic_em = 2 * medium.em(step.c) + 14 + 3 * sup_em
    projection_em = (
        medium.weights_em(proj) + medium.em(step.m) + medium.em(step.h) + 10
        if proj is not None
        else 0.0
    )
    sup = ctx["sup"]
    ctx.update(
        {
            # with row vectors, h_t = m_t W_hr^T: the transpose joins the layer/direction
            # marks
            "W_hr_sym": "W_{hr}"
            + ((sup[:-1] + "\\top}" if sup else "^{\\top}") if medium.row_vectors else sup),
            "c": medium.value(step.c, "c"),
            "tanh_c": medium.value(step.tanh_c, "c"),
            "m": medium.value(step.m),
            "W_hr": (
                medium.weights(proj.T if medium.row_vectors else proj) if proj is not None else ""
            ),
            "proj": proj is not None,
            "break_cell": cell_em > line_em,
            "break_hidden": hidden_em > line_em,
            "break_cell_sum": cell_sum_em > line_em,
            "break_hidden_result": hidden_result_em > line_em,
            "break_hidden_symbolic": hidden_symbolic_em > line_em,
            "break_projection": projection_em > line_em,
        }
    )


def gru_hidden(
    ctx: dict[str, Any], step: Step, medium: Medium, sup_em: float, state_style: numbers.Style
) -> None:
    """The GRU's new hidden state ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``: the numbers of
    z and n (as their gates show them) and where the line breaks."""
    z, n = step.gates["z"].act, step.gates["n"].act
    z_em, n_em = medium.em(z), medium.em(n)
    # Step.latex(): one aligned block, whose lines start after n's W_in x_t + b_in
    line = medium.layout.line_em - (5 + sup_em if medium.one_block else 0.0)
    # "= (1 - " ... ")", two "⊙", a "+" and h_t: about 9 em (measured: 8.8 with h_1; an
    # estimate of 14, and 4 for "= h_t", moved a result that fits to a row of its own)
    update_em = 2 * z_em + n_em + medium.em(step.h_prev, state_style) + 10 + sup_em
    split = update_em > line
    ctx.update(
        {
            "z": medium.value(z, "z"),
            "n": medium.value(n, "n"),
            "z_sym": f"z{ctx['sup']}_{{{step.t}}}",
            "n_sym": f"n{ctx['sup']}_{{{step.t}}}",
            "break_update_sum": split,
            # a row cannot break inside: (1 - z) and its product with n on two rows
            "break_update_n": not medium.layout.shrinks and z_em + n_em + 10 > line,
            "break_hidden_result": (
                medium.em(step.h_prev, state_style) + z_em if split else update_em
            )
            + medium.em(step.h)
            + 2
            > line,
        }
    )
