r"""One derived step: its inputs, gates and states, each packed into frames."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step, Trace
from lstm_tex.document import forms, matrices, numbers
from lstm_tex.document.captions import CAPTION, step_captions
from lstm_tex.document.frames import (
    LINE,
    SYMBOLIC,
    TALL,
    Frame,
    line_height,
    pack,
    unbreak_tall,
)
from lstm_tex.document.gates import NOTATION_LINES, gate_context, take_room
from lstm_tex.document.medium import (
    GATE_EXTRA_ROWS,
    Medium,
)
from lstm_tex.document.states import ROW_STATE_BREAKS, gru_hidden, lstm_states, row_state
from lstm_tex.document.symbols import (
    SUP_EM,
    placement,
    superscript,
)


def one_line(ctx: dict[str, Any]) -> None:
    """Clear the line breaks of a step context (its own and its gates')."""
    for entry in (ctx, *ctx["gates"]):
        for key in entry:
            if key.startswith("break_"):
                entry[key] = False
        if isinstance(entry.get("breaks"), dict):
            entry["breaks"] = dict.fromkeys(entry["breaks"], False)


def arrange_inputs(widths: dict[str, float], line_em: float) -> list[list[str]]:
    """x, h_{t-1} (and c_{t-1}) side by side if they fit, else x alone above the other two,
    else one per line."""
    if sum(widths.values()) + 2 * (len(widths) - 1) <= line_em:
        return [list(widths)]
    # on two rows, x and h_{t-1} share the first column of the aligned block
    if "c" in widths and max(widths["x"], widths["h"]) + widths["c"] + 2 <= line_em:
        return [["x"], ["h", "c"]]
    return [[key] for key in widths]


def gate_heights(
    g: dict[str, Any], rows: tuple[int, int, int], caption: dict[str, float]
) -> list[tuple[str, float]]:
    """The heights of a gate's lines in PyTorch's notation (``ih``, ``hh``, ``result``) as
    they break; ``rows``: those of the states, of x and of h_{t-1}; ``caption``: the
    height of each gate's caption, under its result."""
    state, x, h = rows
    return [
        (
            "ih",
            line_height(max(state, x), g["break_ih"])
            + line_height(max(state, x), False) * (g["break_ih_bias"] + g["break_ih_product"]),
        ),
        (
            "hh",
            line_height(max(state, h), g["break_hh"])
            + line_height(max(state, h), False) * (g["break_hh_bias"] + g["break_hh_product"]),
        ),
        (
            "result",
            line_height(state, g["break_result"])
            + line_height(state, False) * (g["break_sum"] + g["break_act"])
            + caption.get(g["key"], 0.0),
        ),
    ]


def step_context(trace: Trace, step: Step, medium: Medium, index: int) -> dict[str, Any]:
    """Symbols and formatted numbers of one step (all gates, and the states after them)."""
    ex = trace.example
    cfg = ex.config
    form = forms.of(ex)
    sup = superscript(step, cfg.num_layers, cfg.bidirectional)
    sup_em = SUP_EM / 2 * ((cfg.num_layers > 1) + cfg.bidirectional)  # per symbol
    # Step.latex(): one aligned block, so every line starts after the widest left-hand
    # side, PyTorch's W_ii x_t + b_ii (about 5 em and its marks), not after its own (i_t)
    state_line = medium.layout.line_em - (
        4 + sup_em if medium.one_block and ex.render.notation == "pytorch" else 0.0
    )
    t = step.t
    prev_t = t - 1 if step.direction == "forward" else t + 1
    w = layer_weights(ex, step.layer, step.direction)
    x_sym = f"x_{{{t}}}" if step.layer == 0 else f"x^{{({step.layer})}}_{{{t}}}"
    inputs_given = step.layer == 0

    def given_or_value(a: np.ndarray) -> str:
        return medium.given(a) if inputs_given else medium.value(a, "h")

    first = (step.direction == "forward" and t == 1) or (
        step.direction == "reverse" and t == ex.steps
    )
    state_style: numbers.Style = "written" if first else "fixed"
    inputs = ((step.x, inputs_given), (step.h_prev, first), (step.c_prev, first))
    states = (step.c, step.tanh_c, step.m, step.h)  # c, tanh_c, m: an LSTM's only
    medium.rows_of_step(
        [a for a, given in inputs if given and a is not None],
        [
            *(a for a, given in inputs if not given and a is not None),
            *(a for gv in step.gates.values() for a in (gv.ih, gv.hh, gv.pre, gv.act)),
            *(a for a in states if a is not None),
        ],
    )
    x_style: numbers.Style = "written" if inputs_given else "fixed"
    h_prev = medium.given(step.h_prev) if first else medium.value(step.h_prev, "h")
    c_prev = ""
    if form.carries_c:
        assert step.c_prev is not None  # an LSTM step
        c_prev = medium.given(step.c_prev) if first else medium.value(step.c_prev, "c")
    notation = ex.render.notation
    h_prev_sym = f"h{sup}_{{{prev_t}}}"
    stacked: dict[str, Any] = {}
    if notation == "textbook":
        parts = [
            (step.h_prev, state_style, "" if first else "h"),
            (step.x, x_style, "" if inputs_given else "h"),
        ]
        stacked = {
            "v_sym": matrices.ruled_matrix(f"{h_prev_sym} \\\\ \\hline {x_sym}", "c"),
            "v": medium.stacked(parts),
            "v_em": max(medium.em(a, style) for a, style, _ in parts),
            "v_rows": min(
                medium.rows(step.h_prev) + medium.rows(step.x),
                medium.layout.max_rows,
                medium.layout.max_cols,
            ),
        }
    where = {
        "sup": sup,
        "sup_em": sup_em,
        "x_style": x_style,
        "state_style": state_style,
        "w": w,
        "hidden": cfg.hidden_size,
        "notation": notation,
        "stacked": stacked,
        "state_line": state_line,
    }
    gates = [gate_context(form, gate, n, step, medium, where) for n, gate in enumerate(form.gates)]
    # The hand-over: layer l > 0 reads the layer below's h at the same step.
    x_from = ""
    if step.layer > 0:
        below = f"({step.layer - 1})"
        if cfg.bidirectional:
            x_from = (
                f"\\begin{{bmatrix}} h^{{{below}\\rightarrow}}_{{{t}}} "
                + ("& " if medium.row_vectors else "\\\\ ")
                + f"h^{{{below}\\leftarrow}}_{{{t}}} \\end{{bmatrix}}"
            )
        else:
            x_from = f"h^{{{below}}}_{{{t}}}"
    # [h^(l-1)-> h^(l-1)<-] as a row is wider than stacked
    # On slides "h_{t-1} = " takes about 3.5 em (measured: a layer-1 step's x, h and c,
    # estimated at 5 em each, went on two frames half full; issue 12)
    label = 3.5 if medium.layout.shrinks else 5.0
    from_em = (10 if medium.row_vectors and cfg.bidirectional else label) if x_from else 0
    x_em = medium.em(step.x, x_style, kind="h") + 5 + sup_em
    widths = {
        "x": x_em + from_em,
        "h": medium.em(step.h_prev, state_style, kind="h") + label + sup_em,
    }
    input_rows = {"x": medium.rows(step.x), "h": medium.rows(step.h_prev)}
    if step.c_prev is not None:
        widths["c"] = medium.em(step.c_prev, state_style, kind="c") + label + sup_em
        input_rows["c"] = medium.rows(step.c_prev)
    input_lines = arrange_inputs(widths, medium.layout.line_em)
    input_frames = pack(
        [
            (str(n), max(input_rows[key] for key in line) + LINE)
            for n, line in enumerate(input_lines)
        ],
        medium.layout.frame_rows - 2 * SYMBOLIC,
    )
    title = ", ".join([*placement(step.layer, step.direction, cfg), f"step {t}"])
    ctx: dict[str, Any] = {
        "title": title[0].upper() + title[1:],
        "cell": form.kind,
        "x_from": x_from,
        # a wide x_t of a layer above goes on below its symbols
        "break_x_from": bool(x_from) and x_em + from_em > medium.layout.line_em,
        "index": index,
        "layer": step.layer,
        "direction": step.direction,
        "t": t,
        "prev_t": prev_t,
        "id": f"l{step.layer}-{step.direction}-t{t}",
        "sup": sup,
        "first": first,
        "notation": notation,
        "row_vectors": medium.row_vectors,
        "x_sym": x_sym,
        "h_prev_sym": h_prev_sym,
        "c_prev_sym": f"c{sup}_{{{prev_t}}}",
        "h_sym": f"h{sup}_{{{t}}}",
        "c_sym": f"c{sup}_{{{t}}}",
        "m_sym": f"m{sup}_{{{t}}}",
        "x": given_or_value(step.x),
        "h_prev": h_prev,
        "c_prev": c_prev,
        "gates": gates,
        "h": medium.value(step.h, "h"),
        "proj": False,
        "input_lines": input_lines,
        "input_frames": [
            Frame.of([input_lines[int(n)] for n in frame], frame.tall) for frame in input_frames
        ],
        "state_frames": [],
        "cell_caption": "",
        "hidden_caption": "",
    }
    rows = medium.rows(step.c if step.c is not None else step.h)
    ctx["rows"] = rows
    # Row vectors cannot be broken inside: their lines break between the factors.
    row_lines = medium.row_vectors and not medium.layout.shrinks
    row_heights = (0.0, 0.0)
    if form.carries_c:
        lstm_states(ctx, step, medium, w["w_hr"], sup_em, state_line)
        row_flags, row_heights = (
            row_state(step, medium, sup_em, state_style, w["w_hr"])
            if row_lines
            else (dict.fromkeys(ROW_STATE_BREAKS, False), (0.0, 0.0))
        )
        ctx.update(row_flags)
    in_rows = medium.rows(step.x)
    h_rows = medium.rows(step.h_prev)
    if medium.layout.shrinks:
        for g in gates:
            unbreak_tall(
                g, max(rows, in_rows), max(rows, h_rows), rows, medium.layout.frame_rows - SYMBOLIC
            )
    ctx.update(stacked)
    captions = (
        step_captions(form, step, sup, prev_t, medium, first, w["w_hr"] is not None)
        if medium.captions
        else {}
    )
    caption_h = {key: CAPTION if text else 0.0 for key, text in captions.items()}
    gate_rows = medium.layout.frame_rows + (GATE_EXTRA_ROWS if medium.layout.shrinks else 0.0)
    ctx["cell_caption"] = captions.get("cell", "")
    ctx["hidden_caption"] = captions.get("hidden", "")

    gate_frames = partial(pack, budget=gate_rows, first=("symbolic", SYMBOLIC))
    for g in gates:
        g["caption"] = captions.get(g["key"], "")
        if g["lines"] != NOTATION_LINES["pytorch"]:
            heights = [
                (name, h + (caption_h.get(g["key"], 0.0) if name == "result" else 0.0))
                for name, h in g["heights"]
            ]
            g["frames"] = gate_frames(heights)
            continue
        sized = partial(gate_heights, rows=(rows, in_rows, h_rows), caption=caption_h)
        g["frames"] = gate_frames(sized(g))
        take_room(g, sized, gate_frames)
    for g in gates:
        for frame in g["frames"]:
            frame.tight = frame.used > medium.layout.frame_rows
            # at the usual spacing, the usual budget says whether Beamer must shrink it
            frame.tall = frame.tall or frame.used > medium.layout.frame_rows * TALL
    if form.carries_c:
        cell_h = (
            SYMBOLIC
            + line_height(rows, ctx["break_cell"])
            + (line_height(rows, False) if ctx["break_cell_sum"] else 0.0)
        )
        hidden_h = (
            2 * line_height(rows, False)
            if not ctx["proj"]
            else (
                line_height(rows, ctx["break_hidden"])
                + line_height(max(rows, medium.rows(step.h)), ctx["break_projection"])
            )
        )
        hidden_h += line_height(rows, False) * (
            ctx["break_hidden_result"] + ctx["break_hidden_symbolic"]
        )
        if row_lines:
            cell_h, hidden_h = SYMBOLIC + row_heights[0], row_heights[1]
        ctx["state_frames"] = pack(
            [
                ("cell", cell_h + caption_h.get("cell", 0.0)),
                ("hidden", hidden_h + caption_h.get("hidden", 0.0)),
            ],
            medium.layout.frame_rows,
        )
    elif "hidden" in form.states:
        gru_hidden(ctx, step, medium, sup_em, state_style)
        hidden_h = SYMBOLIC + line_height(rows, False) * (
            1 + ctx["break_update_sum"] + ctx["break_update_n"] + ctx["break_hidden_result"]
        )
        ctx["state_frames"] = pack(
            [("hidden", hidden_h + caption_h.get("hidden", 0.0))], medium.layout.frame_rows
        )
    medium.rows_of_step([], [])
    return ctx
