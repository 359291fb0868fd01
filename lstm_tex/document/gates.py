r"""One gate of a step: its symbols, numbers and line breaks in each notation (PyTorch's
``W_ik x_t + b_ik``, the textbook's ``W_k [h; x] + b_k``, d2l's ``x_t W_xk + ...``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import forms, numbers
from lstm_tex.document.frames import (
    SYMBOLIC,
    Frame,
    flow,
)
from lstm_tex.document.medium import (
    Medium,
)

#: The lines of a gate's derivation in each notation (after the symbolic one).
NOTATION_LINES = {
    "pytorch": ("symbolic", "ih", "hh", "result"),
    "textbook": ("symbolic", "affine", "result"),
    "row-vector": ("symbolic", "affine", "result"),
}


#: The breaks of a product line (``break_ih``, ``break_ih_product``, ``break_ih_bias``).
PART_BREAKS = ("", "_product", "_bias")

#: A gate line of up to this many matrix rows may move its result and bias to rows of their
#: own to show its weight matrix whole: the gate's two lines still share a frame. A taller
#: line moves them only where the gate keeps its number of frames (:func:`take_room`).
MOVE_ROWS = 4


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
    ``tall``, for any line (:func:`take_room` keeps it only where no frame is added)."""
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


def product_part(
    medium: Medium,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray],
    style: numbers.Style,
    sup_em: float,
    row_form: bool,
    tall: bool = False,
    part: str = "ih",
) -> dict[str, Any]:
    """One of PyTorch's products ``W v + b = r`` of a gate (``arrays``: W, v, b or None, r;
    ``style``: how v is written): W and b as shown (transposed for the GRU's candidate
    with row vectors, ``row_form``) and where its line breaks: before the result, inside
    ``W v``, before ``+ b``; ``tall``: a line of any height may move its result and bias
    to rows of their own (:func:`weight_room`); ``part``: ``ih`` or ``hh``, the kind of
    its result (an exercise's boxes, :meth:`Medium.em`)."""
    w, v, b, result = arrays
    shown_w = w.T if row_form else w
    shown_b = None if b is None else (b.reshape(1, -1) if row_form else b)
    # On slides, W has the room its line leaves at full size: its columns are elided
    # rather than the line scaled down (issue 12).
    # v is an h when computed (h_{t-1}, or the layer below's h_t); the result is ih or hh
    v_em, result_em = medium.em(v, style, kind="h"), medium.em(result, kind=part)
    rest = (
        v_em
        + (medium.weights_em(shown_b) if shown_b is not None else 0)
        + result_em
        + 9
        + 2 * sup_em
    )
    line_em = medium.layout.line_em
    bias_em = medium.weights_em(shown_b) if shown_b is not None else 0.0
    room = weight_room(medium, shown_w, rest, (result_em, bias_em), (result,), tall)
    w_em = medium.weights_em(shown_w, room)
    part_em = w_em + v_em + 7 + 2 * sup_em
    return {
        "W": medium.weights(shown_w, room),
        "b": medium.weights(shown_b) if shown_b is not None else "",
        "break": w_em + rest > line_em,
        "break_product": not medium.layout.shrinks and (part_em > line_em),
        "break_bias": shown_b is not None and (part_em + medium.weights_em(shown_b) + 2 > line_em),
    }


def gate_context(
    form: forms.Form,
    gate: forms.GateForm,
    n: int,
    step: Step,
    medium: Medium,
    where: dict[str, Any],
) -> dict[str, Any]:
    """Symbols, numbers and line breaks of one gate of a step (``where`` holds the step's
    symbols and styles, and its weights ``w``)."""
    k = gate.key
    sup, sup_em, t = where["sup"], where["sup_em"], step.t
    x_style, state_style, w = where["x_style"], where["state_style"], where["w"]
    hidden = where["hidden"]
    notation = where["notation"]
    block = slice(n * hidden, (n + 1) * hidden)
    gv = step.gates[k]
    w_ih, w_hh = w["w_ih"][block], w["w_hh"][block]
    b_ih, b_hh = (w[b][block] if w[b] is not None else None for b in ("b_ih", "b_hh"))
    # The GRU's candidate in the row-vector notation: x W_xn + b_in and h W_hn + b_hn, its
    # two parts apart (r multiplies the second), each as d2l writes a product.
    row_form = gate.gated and medium.row_vectors
    products = {
        "ih": ((w_ih, step.x, b_ih, gv.ih), x_style),
        "hh": ((w_hh, step.h_prev, b_hh, gv.hh), state_style),
    }
    parts = {p: product_part(medium, *products[p], sup_em, row_form, part=p) for p in products}
    lines = NOTATION_LINES["pytorch" if gate.gated else notation]
    pytorch = medium.layout.shrinks and lines == NOTATION_LINES["pytorch"]
    moves = tall_moves(medium, products, parts, (sup_em, row_form)) if pytorch else {}
    reset = step.gates["r"].act if gate.gated else None
    gated_em = medium.em(reset, kind="r") + 6 + sup_em if reset is not None else 0.0  # + r ⊙
    ih_em, hh_em = medium.em(gv.ih, kind="ih"), medium.em(gv.hh, kind="hh")
    pre_em, value_em = medium.em(gv.pre, kind="pre"), medium.em(gv.act, kind=k)
    res_em = ih_em + hh_em + pre_em + value_em + 12 + sup_em + gated_em
    # Wide batches need more breaks: inside sigma(ih + hh), before the activation's result.
    sum_em = ih_em + hh_em + 7 + sup_em + gated_em
    act_em = pre_em + value_em + 8
    x_letter = "x" if row_form else "i"
    entry: dict[str, Any] = {
        "key": k,
        "name": gate.name,
        "act_fn": gate.act_fn,
        "gated": gate.gated,
        "row_form": row_form,
        "sym": f"{k}{sup}_{{{t}}}",
        "W_ih_sym": f"W_{{{x_letter}{k}}}{sup}",
        "W_hh_sym": f"W_{{h{k}}}{sup}",
        # bias: single: one bias per gate, b_k, added in the ih line
        "b_ih_sym": ""
        if b_ih is None
        else (f"b_{{{k}}}{sup}" if b_hh is None else f"b_{{i{k}}}{sup}"),
        "b_hh_sym": f"b_{{h{k}}}{sup}" if b_hh is not None else "",
        **{f"{x}_{p}": parts[p][x] for p in parts for x in ("W", "b")},
        "ih": medium.value(gv.ih, "ih"),
        "hh": medium.value(gv.hh, "hh"),
        "pre": medium.value(gv.pre, "pre"),
        "act": medium.value(gv.act, k),
        **{f"break_{p}{f}": parts[p]["break" + f] for p in parts for f in PART_BREAKS},
        "break_result": res_em > where["state_line"],
        "break_sum": sum_em > where["state_line"],
        "break_act": act_em > where["state_line"],
        "lines": lines,
        "moves": moves,
    }
    if reset is not None:
        entry["r_sym"] = f"r{sup}_{{{t}}}"
        entry["r"] = medium.value(reset, "r")
    if notation != "pytorch" and not gate.gated:
        entry.update(
            affine_gate(
                notation,
                k,
                sup,
                sup_em,
                step,
                medium,
                (w_ih, w_hh, b_ih, b_hh),
                (x_style, state_style),
                where["stacked"],
            )
        )
    return entry


def tall_moves(
    medium: Medium,
    products: dict[str, tuple[tuple[Any, ...], numbers.Style]],
    parts: dict[str, dict[str, Any]],
    marks: tuple[float, bool],
) -> dict[str, dict[str, Any]]:
    """The products of a gate (``ih``, ``hh``) that show more columns of W when they may
    move their result to a row of their own whatever their height (:func:`product_part`
    with ``tall``; ``parts``: as they are; ``marks``: ``sup_em`` and ``row_form``): step.py
    takes them where the gate keeps its number of frames (:func:`take_room`)."""
    moves = {}
    for part, now in parts.items():
        moved = product_part(medium, *products[part], *marks, True, part)
        if moved["W"] != now["W"]:
            moves[part] = moved
    return moves


def take_room(
    g: dict[str, Any],
    heights: Callable[[dict[str, Any]], list[tuple[str, float]]],
    frames: Callable[[list[tuple[str, float]]], list[Frame]],
) -> None:
    """Take the moves of a gate in PyTorch's notation (``g["moves"]``: a tall line's W with
    more columns, its result on a row of its own) that keep the gate's number of frames
    and make none of its frames taller than its tallest: a 2-layer network's W_ii (8 x 5)
    showed 3 of its 5 columns while the gate's second frame was half empty (issue 12).
    ``heights``: the gate's lines and their heights; ``frames``: packs them
    (``g["frames"]``: the packing so far)."""
    for part, moved in g.pop("moves", {}).items():
        trial = {**g, f"W_{part}": moved["W"], f"b_{part}": moved["b"]}
        for flag in PART_BREAKS:
            trial[f"break_{part}{flag}"] = moved["break" + flag]
        packed = frames(heights(trial))
        # no frame taller than one the gate has already (those are known to fit)
        fits = max(f.used for f in packed) <= max(f.used for f in g["frames"]) + 1e-9
        if len(packed) <= len(g["frames"]) and fits:
            g.update(trial)
            g["frames"] = packed


def affine_gate(
    notation: str,
    k: str,
    sup: str,
    sup_em: float,
    step: Step,
    medium: Medium,
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None],
    styles: tuple[numbers.Style, numbers.Style],
    stacked: dict[str, Any],
) -> dict[str, Any]:
    """A gate in the textbook notation, ``sigma(W_k [h_{t-1}; x_t] + b_k)`` (Olah), or the
    row-vector one, ``sigma(x_t W_xk + h_{t-1} W_hk + b_k)`` (d2l): the symbols, the
    numbers, where the two lines break and their heights. ``W_k`` is ``[W_hk  W_ik]``,
    ``W_xk`` and ``W_hk`` are PyTorch's blocks transposed, ``b_k = b_ik + b_hk``."""
    w_ih, w_hh, b_ih, b_hh = blocks
    x_style, state_style = styles
    gv = step.gates[k]
    line_em = medium.layout.line_em
    bias = (
        None
        if b_ih is None
        # bias: single has b_ih only
        else (b_ih if b_hh is None else numbers.decimal_sum(b_ih, b_hh))
    )
    rows = medium.rows(gv.pre)
    max_rows = medium.layout.max_rows
    own_row = False
    entry: dict[str, Any] = {"b_sym": f"b_{{{k}}}{sup}" if bias is not None else "", "b": ""}
    if notation == "textbook":
        lhs = 8 + 2 * sup_em
        w = np.hstack([w_hh, w_ih])
        entry.update(W_sym=f"W_{{{k}}}{sup}", W=medium.weight_blocks([w_hh, w_ih]))
        if bias is not None:
            entry["b"] = medium.weights(bias)
        # one aligned block for the whole step (Step.latex()): the long left-hand side
        # W_k [h; x] + b_k gets a row of its own, or it would widen every line
        own_row = medium.one_block
        lhs = 3 + sup_em if own_row else lhs
        segments = [
            ("W", lhs + 2 * own_row + medium.weights_em(w), min(w.shape[0], max_rows), False),
            ("product", stacked["v_em"] + 1, stacked["v_rows"], not medium.layout.shrinks),
        ]
    else:
        wx, wh = w_ih.T, w_hh.T
        lhs = 12 + 3 * sup_em
        entry.update(
            Wx_sym=f"W_{{x{k}}}{sup}",
            Wh_sym=f"W_{{h{k}}}{sup}",
            Wx=medium.weights(wx),
            Wh=medium.weights(wh),
        )
        if bias is not None:
            bias = bias.reshape(1, -1)
            entry["b"] = medium.weights(bias)
        if medium.layout.shrinks:
            segments = [
                (
                    "x",
                    lhs + medium.em(step.x, x_style) + medium.weights_em(wx),
                    max(medium.rows(step.x), min(wx.shape[0], max_rows)),
                    False,
                ),
                (
                    "terms",
                    medium.em(step.h_prev, state_style) + medium.weights_em(wh) + 2,
                    max(medium.rows(step.h_prev), min(wh.shape[0], max_rows)),
                    True,
                ),
            ]
        else:
            lhs, segments, own_row = row_affine(lhs, sup_em, step, medium, (wx, wh, bias), styles)
    if bias is not None:
        segments.append(("bias", medium.weights_em(bias) + 2, min(bias.shape[0], max_rows), True))
    segments.append(("affine", medium.em(gv.pre) + 2, rows, True))
    breaks, affine_h = flow(segments, line_em, lhs)
    for name in ("bias", "product", "terms", "x_product", "h_product"):
        breaks.setdefault(name, False)
    breaks["lhs"] = own_row
    if own_row:
        affine_h += SYMBOLIC
    result_breaks, result_h = flow(
        [
            ("pre", medium.em(gv.pre) + 9 + sup_em, rows, False),
            ("act", medium.em(gv.act) + 2, rows, True),
        ],
        line_em,
        3 + sup_em if notation == "textbook" or breaks["lhs"] or medium.layout.shrinks else lhs,
    )
    entry.update(
        lines=NOTATION_LINES[notation],
        breaks={**breaks, **result_breaks},
        heights=[("affine", affine_h), ("result", result_h)],
    )
    return entry


def row_affine(
    lhs: float,
    sup_em: float,
    step: Step,
    medium: Medium,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    styles: tuple[numbers.Style, numbers.Style],
) -> tuple[float, list[tuple[str, float, int, bool]], bool]:
    r"""The row-vector notation's affine line ``x_t W_xk + h_{t-1} W_hk + b_k = [x] [W_xk] +
    [h] [W_hk] + [b] = [pre]`` in a medium that breaks lines: breakable also inside the
    products (``\qquad \cdot [W]``, as the column notation breaks inside ``W x``), and
    with its long left-hand side on a row of its own (``lhs``) when a factor would not fit
    beside it, or when one aligned block holds every line of the step (``Step.latex()``):
    the indent of its rows, its segments (:func:`flow`) up to the bias, and whether the
    left-hand side has its own row."""
    wx, wh, bias = arrays
    x_style, state_style = styles
    max_rows = medium.layout.max_rows
    factors = [
        medium.em(step.x, x_style),
        medium.weights_em(wx),
        medium.em(step.h_prev, state_style),
        medium.weights_em(wh),
        medium.em(step.c if step.c is not None else step.h),  # a state vector's width
        *([medium.weights_em(bias)] if bias is not None else []),
    ]
    own = medium.one_block or lhs + 3 + max(factors) > medium.layout.line_em
    # its own row: the rows start with "\quad" after the gate's symbol (f_t, 1 em)
    indent = 3 + sup_em if own else lhs
    # a product's factor goes beside the other, or after "\qquad \cdot" (flow adds 2 em)
    segments = [
        ("x", indent + 2 + factors[0], medium.rows(step.x), False),
        ("x_product", 0.5 + factors[1], min(wx.shape[0], max_rows), True),
        ("terms", 2 + factors[2], medium.rows(step.h_prev), True),
        ("h_product", 0.5 + factors[3], min(wh.shape[0], max_rows), True),
    ]
    return indent, segments, own
