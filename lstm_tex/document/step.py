r"""One derived step: its inputs, gates and states, each a list of
:class:`~lstm_tex.document.line.Line` records packed into frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step, Trace
from lstm_tex.document import forms, measure, numbers
from lstm_tex.document.blocks import Where, textbook_stacked
from lstm_tex.document.captions import CAPTION, step_captions
from lstm_tex.document.frames import TALL, Frame, dotted_rows, pack_lines
from lstm_tex.document.gates import gate_context
from lstm_tex.document.line import Line
from lstm_tex.document.measure import LINE, SYMBOLIC
from lstm_tex.document.medium import GATE_EXTRA_ROWS, Medium
from lstm_tex.document.products import Widest, widest_products
from lstm_tex.document.states import States, gru_line, lstm_lines
from lstm_tex.document.symbols import placement, superscript


def relined(ctx: dict[str, Any], change: Callable[[Line], Line]) -> None:
    """Change every line of a step context (its inputs', gates' and states'), in its frames
    too: ``Line.unbroken`` sets each on one row, ``Line.paged`` lets a page break inside
    one taller than a page."""

    def each(frames: list[Frame]) -> list[Frame]:
        return [Frame.of([change(line) for line in f], f.tall, f.used) for f in frames]

    ctx["input_lines"] = [change(line) for line in ctx["input_lines"]]
    ctx["input_frames"] = each(ctx["input_frames"])
    for g in ctx["gates"]:
        g["lines"] = tuple(change(line) for line in g["lines"])
        g["frames"] = each(g["frames"])
    ctx["state_lines"] = {k: change(line) for k, line in ctx["state_lines"].items()}
    ctx["state_frames"] = each(ctx["state_frames"])


def arrange_inputs(widths: dict[str, float], line_em: float) -> list[list[str]]:
    """x, h_{t-1} (and c_{t-1}) side by side if they fit, else x alone above the other two,
    else one per line."""
    gap = measure.OPERATOR_EM
    if sum(widths.values()) + gap * (len(widths) - 1) <= line_em:
        return [list(widths)]
    # on two rows, x and h_{t-1} share the first column of the aligned block
    if "c" in widths and max(widths["x"], widths["h"]) + widths["c"] + gap <= line_em:
        return [["x"], ["h", "c"]]
    return [[key] for key in widths]


def step_contexts(trace: Trace, derived: list[Step], medium: Medium) -> list[dict[str, Any]]:
    """The contexts of the ``derived`` steps (:func:`step_context`), each weight matrix of
    PyTorch's products with the room of its widest step, so that it shows the same columns
    at every step (:func:`~lstm_tex.document.products.widest_products`)."""
    steps = trace.example.steps
    widest = widest_products(((s, input_styles(s, starts(s, steps))) for s in derived), medium)
    return [step_context(trace, s, medium, n, widest) for n, s in enumerate(derived)]


def step_context(
    trace: Trace, step: Step, medium: Medium, index: int, widest: Widest | None = None
) -> dict[str, Any]:
    """Symbols and formatted numbers of one step (all gates, and the states after them);
    ``widest``: the widest products of the steps shown (:func:`step_contexts`)."""
    ex = trace.example
    form = forms.of(ex)
    beside = measure.GRU_ROW_LINE_EM if form.kind == "gru" else 0.0
    medium.rows_of_step(*step_arrays(step, starts(step, ex.steps)), beside)
    ctx = step_symbols(trace, step, medium, index)
    where = gate_where(trace, step, medium, ctx)
    where = replace(where, widest=(widest or {}).get((step.layer, step.direction), {}))
    ctx.update(where.stacked)
    ctx["gates"] = [gate_context(gate, n, where) for n, gate in enumerate(form.gates)]
    ctx.update(input_lines(step, medium, ctx, where))
    ctx["state_lines"] = state_lines(ctx, form, where)
    captions = (
        step_captions(
            form,
            step,
            ctx["sup"],
            ctx["prev_t"],
            medium,
            ctx["first"],
            ctx["proj"],
            hidden_bias=bool(ex.config.bias) and not ex.config.single_bias,
        )
        if medium.captions
        else {}
    )
    ctx["cell_caption"] = captions.get("cell", "")
    ctx["hidden_caption"] = captions.get("hidden", "")
    extra = {key: CAPTION if text else 0.0 for key, text in captions.items()}
    gate_rows = medium.layout.frame_rows + (GATE_EXTRA_ROWS if medium.layout.shrinks else 0.0)
    for g in ctx["gates"]:
        g["caption"] = captions.get(g["key"], "")
        gate_frames(g, gate_rows, extra.get(g["key"], 0.0))
        for frame in g["frames"]:
            # the \vdots rows count here: at 9 pt two lines of 8-row elided matrices
            # under the symbolic line overflowed their frame by 4.5 pt at the usual spacing
            frame.tight = frame.used + dotted_rows(frame) > medium.layout.frame_rows
            # at the usual spacing, the usual budget says whether Beamer must shrink it
            frame.tall = frame.tall or frame.used > medium.layout.frame_rows * TALL
    states = list(ctx["state_lines"].values())
    ctx["state_frames"] = (
        pack_lines(states, medium.layout.frame_rows, extra=[extra.get(q.kind, 0.0) for q in states])
        if states
        else []
    )
    medium.rows_of_step([], [])
    return ctx


def gate_frames(g: dict[str, Any], budget: float, caption: float) -> None:
    """Pack a gate's lines into frames, its symbolic line heading each (``caption``: the
    rows of the caption under its result); then take its ``moves`` (product lines whose W
    shows more columns set otherwise: with their result and bias on rows of their own, or
    their left-hand side) that keep the gate's number of frames and make none of them
    taller than its tallest or than a frame: a 2-layer network's W_ii (8 x 5) showed 3 of
    its 5 columns while the gate's second frame was half empty; at 11 pt, W_hk h_1 (8 x
    8) showed 2 of its columns on a frame of its own (issue 12)."""

    def pack(lines: tuple[Line, ...]) -> list[Frame]:
        first, *rest = lines
        # a line with a matrix elided in its rows is taller by its \vdots: two such lines
        # of 8-row matrices under the symbolic line were shrunk to 9.84 pt (hidden 16)
        after = [(caption if line.kind == "result" else 0.0) + dotted_rows([line]) for line in rest]
        return pack_lines(rest, budget, first, extra=after)

    g["frames"] = pack(g["lines"])
    # W shown as first \\cdots last may take a frame more to show more (issue 12: Madrid 4:3)
    narrow = {line.kind for line in g["lines"] if two_columns(line)}
    taken: set[str] = set()  # the kinds of the lines moved (the first move that fits)
    for lines, more in g.pop("moves", []):
        found = {kind: line for kind, line in lines.items() if kind not in taken}
        # each that shows more columns so, then together (two products that share a
        # frame move their left-hand sides together)
        trials = [{k: found[k]} for k in sorted(more - taken)] + [found] * (len(found) > 1)
        for some in trials:
            trial = tuple(some.get(line.kind, line) for line in g["lines"])
            packed = pack(trial)
            # nothing left that shows more columns: taken only where it stops cutting a
            # product over frames (issue 12: 5 frames a gate at 11 pt in Madrid 4:3)
            mends = not whole(g["frames"]) and whole(packed)
            if not (set(some) & more) - taken and not (mends and len(packed) < len(g["frames"])):
                continue
            # no frame taller than the gate's tallest or a frame (its \vdots rows counted);
            # a left-hand side on a row of its own leaves W more room only where no other
            # product's shares the block's first column
            tallest = max(budget, *(f.used for f in g["frames"]))
            fits = max(f.used for f in packed) <= tallest + 1e-9
            room = len(g["frames"]) + (bool(set(some) & narrow) and whole(packed))
            if len(packed) <= room and fits and not apart_lhs(packed):
                g["lines"], g["frames"] = trial, packed
                taken |= set(some)
    # a result line on frames of its own (without the product lines, whose left-hand
    # sides are wider) has the width of the frame: it breaks less (issue 12)
    alone = g.pop("alone", None)
    if alone is not None:
        trial = tuple(alone if line.kind == "result" else line for line in g["lines"])
        packed = pack(trial)
        apart = not any(
            {"ih", "hh"} & {line.kind for line in f} and "result" in {line.kind for line in f}
            for f in packed
        )
        if apart and len(packed) <= len(g["frames"]):
            g["lines"], g["frames"] = trial, packed


def two_columns(line: Line) -> bool:
    """Whether a product line shows its W as two columns around ``\\cdots``."""
    first = line.numbers.get("W", "").split("\\\\")[0] if line.kind in ("ih", "hh") else ""
    return "\\cdots" in first and first.count("&") == 2


def whole(frames: list[Frame]) -> bool:
    """Whether ``frames`` hold each product line whole (none cut over frames, which sets its
    result apart from its factors: :meth:`Line.pieces`)."""
    cut = ("upto", "resumes")
    return not any(
        line.kind in ("ih", "hh") and cut & line.symbolic.keys() for f in frames for line in f
    )


def apart_lhs(frames: list[Frame]) -> bool:
    """Whether a frame holds a product line whose left-hand side has a row of its own with
    one whose left-hand side has not: that one widens the aligned block's first column,
    which the other's numbers start after."""
    products = [[line for line in f if line.kind in ("ih", "hh")] for f in frames]
    return any(len({line.broken("lhs") for line in lines}) > 1 for lines in products)


def step_symbols(trace: Trace, step: Step, medium: Medium, index: int) -> dict[str, Any]:
    """A step's title, place and symbols, and its inputs' numbers as shown."""
    ex = trace.example
    cfg = ex.config
    t = step.t
    sup = superscript(step, cfg.num_layers, cfg.bidirectional)
    prev_t = t - 1 if step.direction == "forward" else t + 1
    first = starts(step, ex.steps)
    title = ", ".join([*placement(step.layer, step.direction, cfg), f"step {t}"])

    def state(a: np.ndarray | None, kind: str) -> str:
        return "" if a is None else medium.given(a) if first else medium.value(a, kind)

    return {
        "title": title[0].upper() + title[1:],
        "cell": forms.of(ex).kind,
        "x_from": x_from(step, cfg.bidirectional, medium.row_vectors),
        "index": index,
        "layer": step.layer,
        "direction": step.direction,
        "t": t,
        "prev_t": prev_t,
        "id": f"l{step.layer}-{step.direction}-t{t}",
        "sup": sup,
        "first": first,
        "notation": ex.render.notation,
        "row_vectors": medium.row_vectors,
        "x_sym": f"x_{{{t}}}" if step.layer == 0 else f"x^{{({step.layer})}}_{{{t}}}",
        "h_prev_sym": f"h{sup}_{{{prev_t}}}",
        "c_prev_sym": f"c{sup}_{{{prev_t}}}",
        "h_sym": f"h{sup}_{{{t}}}",
        "c_sym": f"c{sup}_{{{t}}}",
        "m_sym": f"m{sup}_{{{t}}}",
        "x": medium.given(step.x) if step.layer == 0 else medium.value(step.x, "h"),
        "h_prev": state(step.h_prev, "h"),
        "c_prev": state(step.c_prev, "c") if forms.of(ex).carries_c else "",
        "h": medium.value(step.h, "h"),
        "proj": False,
        "input_lines": [],
        "input_frames": [],
        "state_frames": [],
        "cell_caption": "",
        "hidden_caption": "",
    }


def starts(step: Step, steps: int) -> bool:
    """Whether ``step`` is the first its direction computes (it reads the initial state)."""
    return step.t == (1 if step.direction == "forward" else steps)


def step_arrays(step: Step, first: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The arrays of a step as written (inputs of layer 0 and the initial state) and as
    computed (the rest), for :meth:`Medium.rows_of_step`."""
    inputs = ((step.x, step.layer == 0), (step.h_prev, first), (step.c_prev, first))
    states = (step.c, step.tanh_c, step.m, step.h)  # c, tanh_c, m: an LSTM's only
    given = [a for a, written in inputs if written and a is not None]
    computed = [
        *(a for a, written in inputs if not written and a is not None),
        *(a for gv in step.gates.values() for a in (gv.ih, gv.hh, gv.pre, gv.act)),
        *(a for a in states if a is not None),
    ]
    return given, computed


def x_from(step: Step, bidirectional: bool, row_vectors: bool) -> str:
    """The hand-over: layer l > 0 reads the layer below's h at the same step."""
    if step.layer == 0:
        return ""
    below, t = f"({step.layer - 1})", step.t
    if not bidirectional:
        return f"h^{{{below}}}_{{{t}}}"
    return (
        f"\\begin{{bmatrix}} h^{{{below}\\rightarrow}}_{{{t}}} "
        + ("& " if row_vectors else "\\\\ ")
        + f"h^{{{below}\\leftarrow}}_{{{t}}} \\end{{bmatrix}}"
    )


def input_styles(step: Step, first: bool) -> tuple[numbers.Style, numbers.Style]:
    """How a step's x and h_{t-1} are written: as given (layer 0's x, the initial state
    of the ``first`` step its direction computes) or as computed."""
    return ("written" if step.layer == 0 else "fixed", "written" if first else "fixed")


def gate_where(trace: Trace, step: Step, medium: Medium, ctx: dict[str, Any]) -> Where:
    """What the step's gates share (:class:`~lstm_tex.document.gates.Where`)."""
    ex = trace.example
    cfg = ex.config
    sup_em = measure.SUP_EM / 2 * ((cfg.num_layers > 1) + cfg.bidirectional)  # per symbol
    notation = ex.render.notation
    styles = input_styles(step, ctx["first"])
    stacked: dict[str, Any] = {}
    if notation == "textbook":
        parts = [
            (step.h_prev, styles[1], "" if ctx["first"] else "h"),
            (step.x, styles[0], "" if step.layer == 0 else "h"),
        ]
        w = layer_weights(ex, step.layer, step.direction)
        stacked = textbook_stacked(medium, parts, w, (ctx["h_prev_sym"], ctx["x_sym"]), sup_em)
    # Step.latex(): one aligned block, so every line starts after the widest left-hand
    # side, PyTorch's W_ii x_t + b_ii (about 5 em and its marks), not after its own (i_t)
    block = medium.one_block and notation == "pytorch"
    return Where(
        step=step,
        medium=medium,
        w=layer_weights(ex, step.layer, step.direction),
        hidden=cfg.hidden_size,
        notation=notation,
        sup=ctx["sup"],
        sup_em=sup_em,
        styles=styles,
        symbols=(ctx["x_sym"], ctx["h_prev_sym"]),
        shown=(ctx["x"], ctx["h_prev"]),
        stacked=stacked,
        state_line=medium.layout.line_em - (measure.BLOCK_LHS_EM + sup_em if block else 0.0),
    )


def input_lines(step: Step, medium: Medium, ctx: dict[str, Any], where: Where) -> dict[str, Any]:
    """The lines of a step's inputs x, h_{t-1} (and c_{t-1}), side by side where they fit
    (in ``Step.latex()``'s one block, one a line), and their frames."""
    label = measure.INPUT_LABEL_EM[medium.layout.shrinks]
    # [h^(l-1)-> h^(l-1)<-] as a row is wider than stacked
    wide_from = medium.row_vectors and "\\leftarrow" in ctx["x_from"]
    from_em = (measure.FROM_ROW_EM if wide_from else label) if ctx["x_from"] else 0
    x_style, state_style = where.styles
    # each on a row of its own: as many entries as fit there (Medium.lone; issue 12)
    lone = {
        k: medium.lone(a, style, kind)
        for k, a, style, kind in (
            ("x", step.x, x_style, "h"),
            ("h_prev", step.h_prev, state_style, "h"),
            ("c_prev", step.c_prev, state_style, "c"),
        )
        if a is not None
    }
    x_em = lone["x"][1] + measure.X_LABEL_EM + where.sup_em
    widths = {"x": x_em + from_em, "h": lone["h_prev"][1] + label + where.sup_em}
    rows = {"x": medium.rows(step.x), "h": medium.rows(step.h_prev)}
    if step.c_prev is not None:
        widths["c"] = lone["c_prev"][1] + label + where.sup_em
        rows["c"] = medium.rows(step.c_prev)
    # a wide x_t of a layer above goes on below its symbols
    x_from_break = bool(ctx["x_from"]) and x_em + from_em > medium.layout.line_em
    symbols = {"x": ctx["x_sym"], "x_from": ctx["x_from"]}
    symbols |= {k: ctx[f"{k}_sym"] for k in ("h_prev", "c_prev")}
    shown = {k: lone[k][0] if k in lone else "" for k in ("x", "h_prev", "c_prev")}
    # as set: a broken x_t is as wide as the wider of its two rows
    set_widths = widths | (
        {"x": max(x_em, from_em + measure.X_LABEL_EM + where.sup_em)} if x_from_break else {}
    )
    lines = [
        Line(
            "inputs",
            symbolic={"entries": tuple(keys), **symbols},
            numbers=shown,
            breaks={"x_from": x_from_break and "x" in keys},
            width=sum(set_widths[key] for key in keys),
            height=max(rows[key] for key in keys) + LINE,
        )
        # Step.latex()'s one aligned block: one input a line (side by side they would add
        # columns beside the widest line of the gates)
        for keys in (
            [[k] for k in widths]
            if medium.one_block
            else arrange_inputs(widths, medium.layout.line_em)
        )
    ]
    return {
        "input_lines": lines,
        "input_frames": pack_lines(lines, medium.layout.frame_rows - 2 * SYMBOLIC),
    }


def state_lines(ctx: dict[str, Any], form: forms.Form, where: Where) -> dict[str, Line]:
    """The lines after the gates, by kind: the LSTM's ``cell`` and ``hidden``, the GRU's
    ``hidden``, none for the RNN (whose one gate is h_t)."""
    step, medium = where.step, where.medium
    acts = {g["key"]: g["act"] for g in ctx["gates"]}
    states = States(
        step=step,
        medium=medium,
        proj=where.w["w_hr"],
        sup_em=where.sup_em,
        style=where.styles[1],
        shown={"c_prev": ctx["c_prev"], "h_prev": ctx["h_prev"]},
        acts=acts,
        line_em=where.state_line,
        # Row vectors cannot be broken inside: their lines break between the factors.
        row_lines=medium.breaks_rows,
    )
    if form.carries_c:
        cell, hidden = lstm_lines(ctx, states)
        return {"cell": cell, "hidden": hidden}
    if "hidden" in form.states:
        return {"hidden": gru_line(ctx, states)}
    return {}
