r"""One gate of a step as :class:`~lstm_tex.document.line.Line` records, in each notation
(PyTorch's ``W_ik x_t + b_ik``, the textbook's ``W_k [h; x] + b_k``, d2l's ``x_t W_xk +
...``): its symbols, and for each line its numbers, where it breaks and how tall it is."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lstm_tex.document import forms, measure
from lstm_tex.document.affine import affine_lines
from lstm_tex.document.blocks import Blocks, Where
from lstm_tex.document.line import Line, symbolic, widest
from lstm_tex.document.measure import OPERATOR_EM
from lstm_tex.document.products import (
    product_lines,
    stacked_em,
    stacked_rows,
    unbroken_if_tall,
)

#: What a product line's left-hand side is wider than :func:`stacked_em` counts
#: (``W`` and ``h`` are wider than the average letter; :func:`lhs_gap`): 0.85 puts the
#: gaps measured (4.34, 4.80, 6.47 em) 0.02 to 0.4 em under the estimate (it was 1.0: with
#: tanh counted at its width, a 2-layer g_t result line of 38.8 em was estimated 39.6 of
#: 39.5 and broke, and W_ig was elided again; issue 12).
LHS_GAP_EM = 0.85


def gate_context(gate: forms.GateForm, n: int, where: Where) -> dict[str, Any]:
    """One gate of a step: its symbols, its activation's numbers (``act``, which the state
    lines read) and its ``lines``, the symbolic one first. On slides, ``moves``: PyTorch's
    product lines set otherwise (by kind) and the kinds whose W shows more columns so, in
    order: with their result and bias on rows of their own whatever their height, with
    their left-hand side on a row of its own; step.py takes them where the gate keeps
    its number of frames."""
    blocks = Blocks.of(where.w, n, where.hidden)
    entry = gate_symbols(gate, where, blocks)
    entry["act"] = where.medium.value(where.step.gates[gate.key].act, gate.key)
    lines: tuple[Line, ...]
    entry["moves"] = []
    entry["alone"] = None
    if where.notation == "pytorch" or gate.gated:
        products = product_lines(entry, blocks, where)
        lines = (*products, result_line(entry, where))
        alone = result_line(entry, where, beside=False)
        if alone != lines[-1]:
            entry["alone"] = alone.with_symbols(line_symbols(entry, where))
        if where.medium.layout.shrinks:
            tall = gains(products, product_lines(entry, blocks, where, "tall"))
            entry["moves"] = [(tall, set(tall))]
            if not entry["row_form"]:
                own = product_lines(entry, blocks, where, "own")
                # both may move: a product's left-hand side beside the other's own row
                # would widen the block's first column that the other's numbers follow
                entry["moves"].append(({q.kind: q for q in own}, set(gains(products, own))))
    else:
        lines = affine_lines(entry, blocks, where)
    shared = line_symbols(entry, where)
    entry["lines"] = (
        replace(symbolic(**shared), width=symbolic_width(shared)),
        *(line.with_symbols(shared) if line.kind == "result" else line for line in lines),
    )
    return entry


def gains(now: tuple[Line, ...], moved: tuple[Line, ...]) -> dict[str, Line]:
    """The ``moved`` product lines whose W shows more columns than ``now``'s, by kind."""
    return {a.kind: b for a, b in zip(now, moved, strict=True) if b.numbers["W"] != a.numbers["W"]}


def line_symbols(entry: dict[str, Any], where: Where) -> dict[str, Any]:
    """What a gate's symbolic and result lines read besides their numbers: the gate's
    symbols and activation, the step's ``x_sym`` and ``h_prev_sym`` (``v_sym``: the
    textbook's [h; x]), and the ``form`` of its equation (``gated``: the GRU's candidate,
    else the notation)."""
    x_sym, h_sym = where.symbols
    return {
        **{k: v for k, v in entry.items() if k.endswith("sym") or k in ("act_fn", "row_form")},
        "form": "gated" if entry["gated"] else where.notation,
        "x_sym": x_sym,
        "h_prev_sym": h_sym,
        "v_sym": where.stacked.get("v_head", ""),  # [h; x] as the symbolic line writes it
    }


def gate_symbols(gate: forms.GateForm, where: Where, blocks: Blocks) -> dict[str, Any]:
    """A gate's name, activation and symbols: PyTorch's ``W_ik``, ``W_hk``, ``b_ik``,
    ``b_hk`` (``W_xn`` for the GRU's candidate with row vectors: ``row_form``), the
    textbook's ``W_k`` or d2l's ``W_xk``, ``W_hk`` and their one ``b_k``."""
    k, sup, t = gate.key, where.sup, where.step.t
    row_form = gate.gated and where.medium.row_vectors
    b_ih, b_hh = blocks.b_ih is not None, blocks.b_hh is not None
    entry: dict[str, Any] = {
        "key": k,
        "name": gate.name,
        "act_fn": gate.act_fn,
        "gated": gate.gated,
        "row_form": row_form,
        "sym": f"{k}{sup}_{{{t}}}",
        "W_ih_sym": f"W_{{{'x' if row_form else 'i'}{k}}}{sup}",
        "W_hh_sym": f"W_{{h{k}}}{sup}",
        # bias: single: one bias per gate, b_k, added in the ih line
        "b_ih_sym": (f"b_{{i{k}}}{sup}" if b_hh else f"b_{{{k}}}{sup}") if b_ih else "",
        "b_hh_sym": f"b_{{h{k}}}{sup}" if b_hh else "",
    }
    if gate.gated:
        entry["r_sym"] = f"r{sup}_{{{t}}}"
    elif where.notation != "pytorch":
        entry["b_sym"] = f"b_{{{k}}}{sup}" if b_ih else ""
        if where.notation == "textbook":
            entry["W_sym"] = f"W_{{{k}}}{sup}"
        else:
            entry.update(Wx_sym=f"W_{{x{k}}}{sup}", Wh_sym=f"W_{{h{k}}}{sup}")
    return entry


def symbolic_width(symbols: dict[str, Any]) -> float:
    """The width of a gate's symbolic line (one row, ``f_t = sigma(W_if x_t + b_if + W_hf
    h_{t-1} + b_hf)`` in its form; the textbook's [h; x] as wide as x), as
    :func:`measure.tex_em` estimates it."""
    y = {k: v for k, v in symbols.items() if isinstance(v, str)}
    x, h = y["x_sym"], y["h_prev_sym"]
    terms = {
        "pytorch": [f"{y.get('W_ih_sym')} {x}", y.get("b_ih_sym"), f"{y.get('W_hh_sym')} {h}"],
        "gated": [
            f"{y.get('W_ih_sym')} {x}",
            y.get("b_ih_sym"),
            f"{y.get('r_sym')} \\odot {y.get('W_hh_sym')} {h}",
        ],
        "textbook": [f"{y.get('W_sym')} {x}", y.get("b_sym")],
        "row-vector": [f"{x} {y.get('Wx_sym')}", f"{h} {y.get('Wh_sym')}", y.get("b_sym")],
    }[y["form"]] + ([y.get("b_hh_sym")] if y["form"] in ("pytorch", "gated") else [])
    body = " + ".join(t for t in terms if t)
    return measure.tex_em(f"{y['sym']} = {y['act_fn']}({body})")


def result_line(entry: dict[str, Any], where: Where, beside: bool = True) -> Line:
    """PyTorch's ``f_t = \\sigma(ih + hh) = \\sigma(pre) = act`` (the GRU's candidate with
    ``+ r \\odot hh``), breaking where wide batches need it: inside the sum, before the
    pre-activation, before the activation's result; ``beside``: on a frame with the
    product lines, whose wider left-hand sides it starts after (:func:`lhs_gap`)."""
    step, medium, sup_em = where.step, where.medium, where.sup_em
    gv = step.gates[entry["key"]]
    reset = step.gates["r"].act if entry["gated"] else None
    em, k = medium.em, entry["key"]
    sym = result_symbols(entry["act_fn"], medium.layout.size)
    fn = sym["fn"]
    gated_em = em(reset, kind="r") + sym["gated"] + sup_em if reset is not None else 0.0
    ih_em, hh_em = em(gv.ih, kind="ih"), em(gv.hh, kind="hh")
    pre_em, act_em = em(gv.pre, kind="pre") + fn, em(gv.act, kind=k)
    line_em = ih_em + hh_em + pre_em + act_em + sym["line"] + sup_em + gated_em + fn
    # the gate's lines are one aligned block: its rows start after the widest left-hand side
    gap = lhs_gap(entry, where) if beside else 0.0
    room = where.state_line - gap
    values = {
        "ih": medium.value(gv.ih, "ih"),
        "hh": medium.value(gv.hh, "hh"),
        "pre": medium.value(gv.pre, "pre"),
    }
    if reset is not None:
        values["r"] = medium.value(reset, "r")
    sum_em = hh_em + sym["sum"] + sup_em + gated_em + fn
    breaks = {
        "sum": ih_em + sum_em > room,
        # row vectors of the GRU's candidate: r on a row, then its product with hh
        "odot": reset is not None and medium.breaks_rows and sum_em > room,
        "pre": line_em > room,
        "act": pre_em + act_em + sym["act"] > room,
    }
    # its pieces: f_t = sigma(ih, + hh), = sigma(pre), = act
    then_em = sym["line"] - sym["sum"] - OPERATOR_EM
    pieces = [
        (ih_em + sym["sum"] + sup_em + fn, False),
        (gated_em, breaks["sum"]),
        (hh_em, breaks["odot"]),
        (pre_em + then_em, breaks["pre"]),
        (act_em + OPERATOR_EM, breaks["act"]),
    ]
    line = Line(
        "result",
        numbers=values,
        result=entry["act"],
        breaks=breaks,
        width=widest(pieces, measure.STATE_LHS_EM + sup_em) + gap,
    )
    if medium.breaks_rows and medium.layout.shrinks:  # rows of row vectors, never one row
        return replace(line, height=measure.rows_height([where.rows] * line.rows))
    # A result line has no columns to elide: unbroken, it is scaled, to 7.96 pt in a 4:3
    # deck for a GRU candidate of five 8-row vectors at 10 pt (42 em; issue 12). Broken,
    # it stays so where its pieces fit a gate's frame (cut over frames by the packer).
    return unbroken_if_tall(stacked_rows(line, where.rows), where)


def result_symbols(act_fn: str, size: float) -> dict[str, float]:
    """A result line's symbols (``line``, its rows ``sum`` and ``act``, the GRU's ``gated``
    part) as pdflatex sets them at ``size`` pt (benchmarks/calibrate.py): \\sigma's, and
    ``fn``, what the line's function (tanh, ReLU) adds once in each row."""
    fn = measure.ACT_FN_EM.get(act_fn, max(measure.ACT_FN_EM.values()))
    return {
        name: measure.symbols_em(value, size)
        for name, value in (
            ("line", measure.RESULT_LINE_EM),
            ("sum", measure.RESULT_SUM_EM),
            ("act", measure.RESULT_ACT_EM),
            ("gated", measure.GATED_EM),
            ("fn", fn),
        )
    }


def lhs_gap(entry: dict[str, Any], where: Where) -> float:
    """On slides, how much wider (ems) the widest left-hand side of a gate's lines is than
    its result line's own (``W_hk h_{t-1} + b_hk`` against ``f_t``): a frame's lines are one
    aligned block, so the result's rows start after it (a bundled 11 pt g_t line ran 2.5 em
    past the frame and was scaled to 10.45 pt; issue 12). :func:`stacked_em` and
    :data:`LHS_GAP_EM`: measured 4.34, 4.80 and 6.47 em for ``h_0``, ``h^{(0)}_0`` and
    ``h^{(1)\\rightarrow}_0``, estimated 4.89, 5.24 and 6.64."""
    if not where.medium.layout.shrinks:
        return 0.0
    lhs = [
        " + ".join(s for s in (f"{entry[f'W_{kind}_sym']} {v}", entry[f"b_{kind}_sym"]) if s)
        for kind, v in zip(("ih", "hh"), where.symbols, strict=True)
    ]
    widest_lhs = max(stacked_em(s) for s in lhs)
    return max(0.0, widest_lhs + LHS_GAP_EM - stacked_em(entry["sym"]))
