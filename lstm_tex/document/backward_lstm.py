r"""The backward derivation of one LSTM step, as groups of lines (GRU and RNN steps:
:mod:`lstm_tex.document.backward_cells`)::

    dh_t = dy_t + W_hh^T delta_{t+1}          (dm_t = W_hr^T dh_t with a projection)
    do_t = dm_t * tanh(c_t)
    dc_t = dm_t * o_t * (1 - tanh^2 c_t) + dc_{t+1} * f_{t+1}
    di_t = dc_t * g_t    df_t = dc_t * c_{t-1}    dg_t = dc_t * i_t
    delta_k = dk_t * k_t (1 - k_t) (k = i, f, o)    delta_g = dg_t * (1 - g_t^2)
    back: W_hh^T delta_t, dc_t * f_t (and W_ih^T delta_t to the layer below)
"""

from __future__ import annotations

from typing import Any

from lstm_tex.compute.backward import BackwardStep
from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step
from lstm_tex.document.backward_lines import line
from lstm_tex.document.backward_steps import StepLines
from lstm_tex.document.backward_symbols import Symbols
from lstm_tex.document.line import Line
from lstm_tex.validate.model import GATES


def groups(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
    """The five groups of an LSTM step: dh; do, dc; di, df, dg; deltas; what goes back."""
    t = s.t
    proj = layer_weights(bld.ex, s.layer, s.direction)["w_hr"] is not None
    notes = bld.notes(s, sy)
    return [
        bld.group(
            "h",
            f"${sy.d('h', t)}$" + (f" and ${sy.d('m', t)}$" if proj else ""),
            notes["h"],
            _h(bld, b, s, sy),
        ),
        bld.group("oc", f"${sy.d('o', t)}$ and ${sy.d('c', t)}$", notes["oc"], _oc(bld, b, s, sy)),
        bld.group(
            "ifg",
            f"${sy.d('i', t)}$, ${sy.d('f', t)}$ and ${sy.d('g', t)}$",
            notes["ifg"],
            _ifg(bld, b, s, sy),
        ),
        bld.group(
            "delta",
            f"the deltas ${sy.delta('k', t)}$",
            notes["delta"],
            [bld.delta_line(sy, k, s, b) for k in GATES],
        ),
        bld.back_group(s, notes["back"], _back(bld, b, s, sy)),
    ]


def _h(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[Line]:
    """dy_t and dh_t (and dm_t = W_hr^T dh_t with a projection)."""
    show, t = bld.show, s.t
    lines = bld.dh_lines(b, s, sy, f"{sy.tr('hh')}{sy.delta(None, bld.next_t(s))}")
    w_hr = layer_weights(bld.ex, s.layer, s.direction)["w_hr"]
    if w_hr is not None:
        assert b.dm is not None
        lhs = f"{sy.d('m', t)} = {sy.tr('hr')}{sy.d('h', t)}"
        matvec = line(
            show,
            "matvec",
            {"lhs": sy.d("m", t), "W": sy.tr("hr"), "v": sy.d("h", t)},
            {"W": show.transposed(w_hr), "v": show.value(b.dh)},
            show.value(b.dm),
            lhs,
            ops=1,
        )
        lines.append(bld.through(matvec, lhs, w_hr.T, b.dh, b.dm, name=sy.d("h", t)))
    return lines


def _dm(bld: StepLines, s: Step, sy: Symbols) -> str:
    """What o_t and c_t receive: dm_t with a projection, else dh_t."""
    proj = layer_weights(bld.ex, s.layer, s.direction)["w_hr"] is not None
    return sy.d("m", s.t) if proj else sy.d("h", s.t)


def _oc(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[Line]:
    """do_t and dc_t (with what came back from c_{t+1} through f_{t+1})."""
    assert b.dm is not None and b.dc is not None and s.tanh_c is not None
    show, t, tn = bld.show, s.t, bld.next_t(s)
    last = bld.is_last(s)
    dm = _dm(bld, s, sy)
    tanh_c = f"\\tanh({sy.q('c', t)})"
    do = line(
        show,
        "product",
        {"lhs": sy.d("o", t), "a": dm, "b": tanh_c},
        {"a": show.value(b.dm), "b": show.value(s.tanh_c)},
        show.value(b.gates["o"].d),
        f"{sy.d('o', t)} = {dm} \\odot {tanh_c}",
        ops=2,
    )
    symbols = {
        "lhs": sy.d("c", t),
        "dm": dm,
        "o": sy.q("o", t),
        "c": sy.q("c", t),
        "dc_next": None if last else sy.d("c", tn),
        "f_next": None if last else sy.q("f", tn),
    }
    pieces = {
        "dm": show.value(b.dm),
        "o": show.value(s.gates["o"].act),
        "one_minus": show.derived(
            1.0 - s.tanh_c**2, [s.tanh_c], f"\\left(1 - \\tanh^2({sy.q('c', t)})\\right)"
        ),
        **({} if b.dc_next is None or last else {"next": show.value(b.dc_next)}),
    }
    dc = line(
        show,
        "dc",
        symbols,
        pieces,
        show.value(b.dc),
        f"{sy.d('c', t)} = {dm} \\odot {sy.q('o', t)} \\odot (1 - \\tanh^2({sy.q('c', t)}))"
        + ("" if last else f" + {sy.d('c', tn)} \\odot {sy.q('f', tn)}"),
        ops=3 if last else 4,
    )
    return [do, dc]


def _ifg(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[Line]:
    """di_t, df_t and dg_t: dc_t times what each gate multiplied."""
    assert b.dc is not None and s.c_prev is not None
    show, t, tp = bld.show, s.t, bld.prev_t(s)
    partners = {
        "i": (sy.q("g", t), show.value(s.gates["g"].act)),
        "f": (sy.q("c", tp), show.state(s.c_prev, bld.is_first(s))),
        "g": (sy.q("i", t), show.value(s.gates["i"].act)),
    }
    return [
        line(
            show,
            "product",
            {"lhs": sy.d(k, t), "a": sy.d("c", t), "b": other},
            {"a": show.value(b.dc), "b": piece},
            show.value(b.gates[k].d),
            f"{sy.d(k, t)} = {sy.d('c', t)} \\odot {other}",
            ops=2,
        )
        for k, (other, piece) in partners.items()
    ]


def _back(bld: StepLines, b: BackwardStep, s: Step, sy: Symbols) -> list[Line]:
    """What the step hands back: W_hh^T delta_t, dc_t * f_t (and dx_t to the layer below)."""
    assert b.dc is not None and b.dc_prev is not None
    show, t, tp = bld.show, s.t, bld.prev_t(s)
    first = bld.is_first(s)
    w = layer_weights(bld.ex, s.layer, s.direction)
    w_ih, w_hh = w["w_ih"], w["w_hh"]
    assert w_ih is not None and w_hh is not None
    h_lhs = (f"{sy.d('h', tp)} = " if first else "") + f"{sy.tr('hh')}{sy.delta(None, t)}"
    c_lhs = (f"{sy.d('c', tp)} = " if first else "") + (f"{sy.d('c', t)} \\odot {sy.q('f', t)}")
    # dc_0 = dc_1 * f_1 names its factors, so that on a frame of its own its symbols may
    # take a row above its numbers (issue 12: 2 layers at 11 pt, 49 % full)
    c_sym = (
        {"lhs": sy.d("c", tp), "a": sy.d("c", t), "b": sy.q("f", t)}
        if first
        else {"lhs": c_lhs, "a": None, "b": None}
    )
    lines = [
        bld.back_line(b, sy, "h", w_hh, b.dh_prev, h_lhs),
        line(
            show,
            "product",
            c_sym,
            {"a": show.value(b.dc), "b": show.value(s.gates["f"].act)},
            show.value(b.dc_prev),
            c_lhs,
            ops=2,
        ),
    ]
    if s.layer > 0:
        dx = f"{sy.d('x', t)} = {sy.tr('ih')}{sy.delta(None, t)}"
        lines.append(bld.back_line(b, sy, "i", w_ih, b.dx, dx))
    return lines
