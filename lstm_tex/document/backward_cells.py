r"""The backward derivation of one GRU or RNN step, as groups of lines.

:mod:`lstm_tex.document.backward_context` builds the loss, the parameter gradients, the initial
state and the SGD step for every cell, and an LSTM step itself; a GRU or an RNN step is
built here, from the cell description's gates and the same line kinds and packer.

GRU (torch's n = tanh(ih_n + r * (W_hn h_{t-1} + b_hn)), h_t = (1 - z) n + z h_{t-1})::

    dh_t     = dy_t + (W_hh^T tilde-delta_{t+1} + z_{t+1} * dh_{t+1})
    dn_t     = dh_t * (1 - z_t)          dz_t = dh_t * (h_{t-1} - n_t)
    delta_n  = dn_t * (1 - n_t^2)        dr_t = delta_n * (W_hn h_{t-1} + b_hn)
    tilde-delta_n = r_t * delta_n        (what reaches W_hn h_{t-1} + b_hn)
    delta_r  = dr_t * r_t (1 - r_t)      delta_z = dz_t * z_t (1 - z_t)
    back     = W_hr^T delta_r + W_hz^T delta_z + W_hn^T tilde-delta_n + z_t * dh_t

RNN (h_t = tanh or relu of pre_t)::

    dh_t     = dy_t + W_hh^T delta_{t+1}
    delta_t  = dh_t * (1 - h_t^2)   or   dh_t * [h_t > 0]   (relu)
    back     = W_hh^T delta_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.backward import BackwardStep
from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step
from lstm_tex.document.backward_lines import LINE_GAP, line, sum_line
from lstm_tex.document.backward_show import Piece
from lstm_tex.document.backward_steps import StepLines
from lstm_tex.document.backward_symbols import Symbols
from lstm_tex.document.line import Line
from lstm_tex.document.measure import tex_em


def groups(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
    """The groups of one GRU or RNN step, in the order the chain rule walks them."""
    if bld.cell.kind == "gru":
        return _gru(bld, b, s, sy)
    return _rnn(bld, b, s, sy)


def _product(
    bld: StepLines,
    lhs: str,
    a: tuple[str, np.ndarray],
    c: tuple[str, np.ndarray],
    r: np.ndarray,
    sources: tuple[np.ndarray, ...] = (),
) -> Line:
    """``lhs = a * c`` with the numbers of both; ``sources``: the forward values ``c`` is
    computed from, by its name where one is blank on an exercise sheet."""
    show = bld.show
    return line(
        show,
        "product",
        {"lhs": lhs, "a": a[0], "b": c[0]},
        {"a": show.value(a[1]), "b": show.derived(c[1], sources, c[0])},
        show.value(r),
        f"{lhs} = {a[0]} \\odot {c[0]}",
        ops=2,
    )


def _apply(
    bld: StepLines, lhs: str, matrix: np.ndarray, v: tuple[str, np.ndarray], r: np.ndarray
) -> Line:
    r"""``lhs = W^\top v`` where lhs already reads ``W^\top v`` (with numbers only; ``v``:
    its name and value)."""
    return bld.through(None, lhs, matrix.T, v[1], r, name=v[0])


# ---------------------------------------------------------------- GRU


def _gru(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
    t, tn, tp = s.t, bld.next_t(s), bld.prev_t(s)
    r, z, n = (s.gates[k] for k in ("r", "z", "n"))
    g = b.gates
    back = (
        f"\\left({sy.tr('hh')}{sy.tilde_delta(None, tn)} + "
        f"{sy.q('z', tn)} \\odot {sy.d('h', tn)}\\right)"
    )
    group_h = bld.dh_lines(b, s, sy, back)
    group_nz = [
        _product(
            bld,
            sy.d("n", t),
            (sy.d("h", t), b.dh),
            (f"\\left(1 - {sy.q('z', t)}\\right)", 1.0 - z.act),
            g["n"].d,
            (z.act,),
        ),
        _product(
            bld,
            sy.d("z", t),
            (sy.d("h", t), b.dh),
            (f"\\left({sy.q('h', tp)} - {sy.q('n', t)}\\right)", s.h_prev - n.act),
            g["z"].d,
            (s.h_prev, n.act),
        ),
    ]
    group_n = [
        bld.delta_line(sy, "n", s, b),
        _product(
            bld,
            sy.d("r", t),
            (sy.delta("n", t), g["n"].dpre),
            (f"\\left({bld.hh_n(sy, tp)}\\right)", n.hh),
            g["r"].d,
            (n.hh, s.h_prev),
        ),
        _product(
            bld,
            sy.tilde_delta("n", t),
            (sy.q("r", t), r.act),
            (sy.delta("n", t), g["n"].dpre),
            g["n"].dhh,
        ),
    ]
    notes = _gru_notes(bld, s, sy)
    return [
        bld.group("h", f"${sy.d('h', t)}$", notes["h"], group_h),
        bld.group("nz", f"${sy.d('n', t)}$ and ${sy.d('z', t)}$", notes["nz"], group_nz),
        bld.group("n", f"${sy.delta('n', t)}$ and ${sy.d('r', t)}$", notes["n"], group_n),
        bld.group(
            "delta",
            f"the deltas ${sy.delta('r', t)}$ and ${sy.delta('z', t)}$",
            notes["delta"],
            [bld.delta_line(sy, "r", s, b), bld.delta_line(sy, "z", s, b)],
        ),
        bld.back_group(s, notes["back"], _gru_back(bld, b, s, sy, notes["back"])),
    ]


def _gru_back(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols, note: str) -> list[Line]:
    """What a GRU step hands back: through W_hh (the sum over the gates, or one product),
    directly through z, and to the layer below (``note``: the group's)."""
    show = bld.show
    t, tp = s.t, bld.prev_t(s)
    first = bld.is_first(s)
    w = layer_weights(bld.ex, s.layer, s.direction)
    w_ih, w_hh = w["w_ih"], w["w_hh"]
    hidden = bld.cfg.hidden_size
    z = s.gates["z"]
    g = b.gates
    through_w = f"{sy.tr('hh')}{sy.tilde_delta(None, t)}"
    terms: list[tuple[Piece, Piece | None]] = []
    expansion = []
    for number, k in enumerate(bld.cell.gate_names):
        block = w_hh[number * hidden : (number + 1) * hidden]
        delta = sy.tilde_delta(k, t) if k == "n" else sy.delta(k, t)
        terms.append((show.transposed(block), show.operand(g[k].dhh, delta)))
        expansion.append(f"{sy.tr('h' + k)}{delta}")
    direct = f"{sy.q('z', t)} \\odot {sy.d('h', t)}"
    lhs = f"{through_w} + {direct}"
    summed = sum_line(show, through_w, " + ".join(expansion), terms, show.value(b.delta_hh @ w_hh))
    group_back = [
        bld.through(summed, through_w, w_hh.T, b.delta_hh, b.delta_hh @ w_hh),
        line(
            show,
            "plus_product",
            {
                "lhs": f"{sy.d('h', tp)}" if first else lhs,
                "a": through_w if first else None,
                "b": sy.q("z", t),
                "c": sy.d("h", t),
            },
            {
                "a": show.value(b.delta_hh @ w_hh),
                "b": show.value(z.act),
                "c": show.value(b.dh),
            },
            show.value(b.dh_prev),
            f"{sy.d('h', tp)} = {lhs}" if first else lhs,
            ops=3,
        ),
    ]
    group_back[0] = _beside(bld, group_back, note, b, w_hh.T)
    if s.layer > 0:
        group_back.append(
            bld.back_line(
                b, sy, "i", w_ih, b.dx, f"{sy.d('x', t)} = {sy.tr('ih')}{sy.delta(None, t)}"
            )
        )
    return group_back


def _beside(
    bld: StepLines, group_back: list[Line], note: str, b: BackwardStep, w_hh_t: np.ndarray
) -> Line:
    """W^T delta of a GRU step, on slides elided to the column of W^T delta + z . dh beside
    it where the two fit one frame together (issue 12: at 9 pt each had a frame of its
    own, 49 % and 39 % full): both start after the longer left-hand side."""
    apply, plus = group_back
    through_w = str(apply.symbolic["lhs"])
    column = tex_em(str(plus.symbolic["lhs"])) - tex_em(through_w)
    together = apply.height + LINE_GAP + plus.height + bld.show.note_rows(note)
    if (
        apply.kind != "apply"
        or bld.text_em is None
        or column <= 0
        or apply.width + column <= bld.text_em
        or together > bld.budget
    ):
        return apply
    return bld.through(None, through_w, w_hh_t, b.delta_hh, b.delta_hh @ w_hh_t.T, column=column)


def _gru_notes(bld: StepLines, s: Step, sy: Symbols) -> dict[str, str]:
    t, tn, tp = s.t, bld.next_t(s), bld.prev_t(s)
    note_h = bld.h_note(
        s,
        sy,
        f", there through ${sy.w('hh')}$ and directly through ${sy.q('z', tn)}$; "
        f"the bracket came back from step {tn}.",
    )
    note_nz = (
        f"From ${sy.q('h', t)} = (1 - {sy.q('z', t)}) \\odot {sy.q('n', t)} + "
        f"{sy.q('z', t)} \\odot {sy.q('h', tp)}$."
    )
    # the sum named once, in the formula: written again in the sentence, a line of
    # inline maths was squeezed to the width of a 4-line note (issue 12)
    note_n = (
        f"From ${sy.q('n', t)} = \\tanh({sy.w('in')} {sy.x(t)} + {sy.b('in')} + {sy.q('r', t)} "
        f"\\odot ({bld.hh_n(sy, tp)}))$: torch's $r$ multiplies the sum (the GRU paper "
        f"and d2l multiply ${sy.q('h', tp)}$ first), so ${sy.d('r', t)}$ sees the sum, "
        f"which receives ${sy.tilde_delta('n', t)} = {sy.q('r', t)} \\odot {sy.delta('n', t)}$."
    )
    if bld.cfg.bias is not True:
        note_n = (
            f"From ${sy.q('n', t)} = \\tanh({sy.w('in')} {sy.x(t)}"
            + (f" + {sy.b('n')}" if bld.cfg.single_bias else "")
            + f" + {sy.q('r', t)} \\odot {bld.hh_n(sy, tp)})$: torch's $r$ multiplies "
            f"${bld.hh_n(sy, tp)}$ (the GRU paper and d2l multiply ${sy.q('h', tp)}$ first), "
            f"so ${sy.d('r', t)}$ sees it, which receives "
            f"${sy.tilde_delta('n', t)} = {sy.q('r', t)} \\odot {sy.delta('n', t)}$."
        )
    note_delta = (
        "Through the activations: $\\sigma' = \\sigma\\,(1 - \\sigma)$ for $r$ and $z$ "
        f"($\\tanh' = 1 - \\tanh^2$ for $n$ above); ${sy.delta('k', t)}$ is the gradient "
        "of gate $k$'s pre-activation."
    )
    stack = (
        f"${sy.tilde_delta(None, t)}$ stacks ${sy.delta('r', t)}$, ${sy.delta('z', t)}$ "
        f"and ${sy.tilde_delta('n', t)}$ like the blocks of ${sy.w('hh')}$."
    )
    if bld.is_first(s):
        note_back = (
            f"Step {t} is the first {bld.computes}, so what it hands back is the "
            f"gradient of the initial state: through ${sy.w('hh')}$ and through "
            f"${sy.q('z', t)}$. {stack}"
        )
    else:
        note_back = (
            f"What step {t} hands back to step {tp}, to be added into ${sy.d('h', tp)}$ "
            f"there: through ${sy.w('hh')}$ and directly through ${sy.q('z', t)}$. {stack}"
        )
    if s.layer > 0:
        note_back += (
            f" Layer {s.layer - 1} receives ${sy.d('x', t)}$, with "
            f"${sy.delta(None, t)} = [{sy.delta('r', t)}; {sy.delta('z', t)}; "
            f"{sy.delta('n', t)}]$."
        )
    return {"h": note_h, "nz": note_nz, "n": note_n, "delta": note_delta, "back": note_back}


# ---------------------------------------------------------------- RNN


def _rnn(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
    t, tn, tp = s.t, bld.next_t(s), bld.prev_t(s)
    first = bld.is_first(s)
    w = layer_weights(bld.ex, s.layer, s.direction)
    (k,) = bld.cell.gate_names
    group_h = bld.dh_lines(b, s, sy, f"{sy.tr('hh')}{sy.delta(None, tn)}")
    group_delta = [bld.delta_line(sy, None, s, b)]
    lhs = (f"{sy.d('h', tp)} = " if first else "") + f"{sy.tr('hh')}{sy.delta(None, t)}"
    delta = (sy.delta(None, t), b.gates[k].dpre)
    group_back = [_apply(bld, lhs, w["w_hh"], delta, b.dh_prev)]
    if s.layer > 0:
        group_back.append(
            _apply(
                bld,
                f"{sy.d('x', t)} = {sy.tr('ih')}{sy.delta(None, t)}",
                w["w_ih"],
                delta,
                b.dx,
            )
        )
    note_h = bld.h_note(s, sy)
    if bld.cell.nonlinearity == "relu":
        note_delta = (
            f"Through ${sy.q('h', t)} = \\mathrm{{relu}}(\\cdot)$: its derivative is 1 where "
            f"the pre-activation is positive (where ${sy.q('h', t)} > 0$) and 0 elsewhere "
            f"(torch takes 0 at 0); ${sy.delta(None, t)}$ is the gradient of the "
            "pre-activation."
        )
    else:
        note_delta = (
            f"Through ${sy.q('h', t)} = \\tanh(\\cdot)$: $\\tanh' = 1 - \\tanh^2$; "
            f"${sy.delta(None, t)}$ is the gradient of the pre-activation."
        )
    if first:
        note_back = (
            f"Step {t} is the first {bld.computes}, so what it hands back is the "
            "gradient of the initial state."
        )
    else:
        note_back = f"What step {t} hands back to step {tp}, to be added into ${sy.d('h', tp)}$."
    if s.layer > 0:
        note_back += f" Layer {s.layer - 1} receives ${sy.d('x', t)}$."
    return [
        bld.group("h", f"${sy.d('h', t)}$", note_h, group_h),
        bld.group("delta", f"the delta ${sy.delta(None, t)}$", note_delta, group_delta),
        bld.back_group(s, note_back, group_back),
    ]
