r"""The backward pass through one LSTM step: dh, do and dc, di, df, dg, the deltas and
what goes back to the step before, with the notes that say where each term comes from
(GRU and RNN steps: :mod:`lstm_tex.document.backward_cells`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.backward import BackwardStep
from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import OP_EM, line, sum_line, tex_em, text_line
from lstm_tex.document.backward_show import Piece
from lstm_tex.document.backward_symbols import HAT_Y, Symbols
from lstm_tex.validate.model import GATES


class StepLines(BuilderBase):
    """The builder's one step's lines."""

    def lstm_groups(self, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
        """The five groups of an LSTM step: dh; do, dc; di, df, dg; deltas; what goes back."""
        assert s.c_prev is not None and s.tanh_c is not None
        assert b.dm is not None and b.dc is not None and b.dc_prev is not None
        show = self.show
        t, tn, tp = s.t, self.next_t(s), self.prev_t(s)
        last, first = self.is_last(s), self.is_first(s)
        w = layer_weights(self.ex, s.layer, s.direction)
        w_ih, w_hh, w_hr = w["w_ih"], w["w_hh"], w["w_hr"]
        assert w_ih is not None and w_hh is not None
        dm = sy.d("m", t) if w_hr is not None else sy.d("h", t)
        act = {k: s.gates[k].act for k in GATES}

        group_h = self.dh_lines(b, s, sy, f"{sy.tr('hh')}{sy.delta(None, tn)}")
        if w_hr is not None:
            matvec = line(
                show,
                "matvec",
                {"lhs": sy.d("m", t), "W": sy.tr("hr"), "v": sy.d("h", t)},
                {"W": show.transposed(w_hr), "v": show.value(b.dh)},
                show.value(b.dm),
                f"{sy.d('m', t)} = {sy.tr('hr')}{sy.d('h', t)}",
                ops=1,
            )
            lhs = f"{sy.d('m', t)} = {sy.tr('hr')}{sy.d('h', t)}"
            group_h.append(self.through(matvec, lhs, w_hr.T, b.dh, b.dm))

        tanh_c = f"\\tanh\\left({sy.q('c', t)}\\right)"
        group_oc = [
            line(
                show,
                "product",
                {"lhs": sy.d("o", t), "a": dm, "b": tanh_c},
                {"a": show.value(b.dm), "b": show.value(s.tanh_c)},
                show.value(b.gates["o"].d),
                f"{sy.d('o', t)} = {dm} \\odot {tanh_c}",
                ops=2,
            ),
            line(
                show,
                "dc",
                {
                    "lhs": sy.d("c", t),
                    "dm": dm,
                    "o": sy.q("o", t),
                    "c": sy.q("c", t),
                    "dc_next": None if last else sy.d("c", tn),
                    "f_next": None if last else sy.q("f", tn),
                },
                {
                    "dm": show.value(b.dm),
                    "o": show.value(act["o"]),
                    "one_minus": show.value(1.0 - s.tanh_c**2),
                    **({} if b.dc_next is None or last else {"next": show.value(b.dc_next)}),
                },
                show.value(b.dc),
                f"{sy.d('c', t)} = {dm} \\odot {sy.q('o', t)} \\odot (1 - \\tanh^2 c)"
                + ("" if last else f" + {sy.d('c', tn)} \\odot {sy.q('f', tn)}"),
                ops=4 if last else 6,
                extra_em=1.0,
            ),
        ]

        partners = {
            "i": (sy.q("g", t), show.value(act["g"])),
            "f": (sy.q("c", tp), show.state(s.c_prev, first)),
            "g": (sy.q("i", t), show.value(act["i"])),
        }
        group_ifg = []
        for k, (other, piece) in partners.items():
            group_ifg.append(
                line(
                    show,
                    "product",
                    {"lhs": sy.d(k, t), "a": sy.d("c", t), "b": other},
                    {"a": show.value(b.dc), "b": piece},
                    show.value(b.gates[k].d),
                    f"{sy.d(k, t)} = {sy.d('c', t)} \\odot {other}",
                    ops=2,
                )
            )

        group_delta = []
        for k in GATES:
            sym = {"lhs": sy.delta(k, t), "d": sy.d(k, t), "k": sy.q(k, t)}
            if k == "g":
                group_delta.append(
                    line(
                        show,
                        "delta_tanh",
                        sym,
                        {"d": show.value(b.gates[k].d), "one_minus": show.value(1.0 - act[k] ** 2)},
                        show.value(b.gates[k].dpre),
                        f"{sym['lhs']} = {sym['d']} \\odot (1 - {sym['k']}^2)",
                        ops=2,
                        extra_em=1.0,
                    )
                )
            else:
                group_delta.append(
                    line(
                        show,
                        "delta_sigma",
                        sym,
                        {
                            "d": show.value(b.gates[k].d),
                            "k": show.value(act[k]),
                            "one_minus": show.value(1.0 - act[k]),
                        },
                        show.value(b.gates[k].dpre),
                        f"{sym['lhs']} = {sym['d']} \\odot {sym['k']} \\odot (1 - {sym['k']})",
                        ops=3,
                        extra_em=1.0,
                    )
                )

        h_lhs = (f"{sy.d('h', tp)} = " if first else "") + f"{sy.tr('hh')}{sy.delta(None, t)}"
        c_lhs = (f"{sy.d('c', tp)} = " if first else "") + (f"{sy.d('c', t)} \\odot {sy.q('f', t)}")
        group_back = [
            self.back_line(b, sy, "h", w_hh, b.dh_prev, h_lhs),
            line(
                show,
                "product",
                {"lhs": c_lhs, "a": None, "b": None},
                {"a": show.value(b.dc), "b": show.value(act["f"])},
                show.value(b.dc_prev),
                c_lhs,
                ops=2,
            ),
        ]
        if s.layer > 0:
            group_back.append(
                self.back_line(
                    b, sy, "i", w_ih, b.dx, f"{sy.d('x', t)} = {sy.tr('ih')}{sy.delta(None, t)}"
                )
            )

        notes = self.notes(s, sy)
        return [
            self.group(
                "h",
                f"${sy.d('h', t)}$" + (f" and ${sy.d('m', t)}$" if w_hr is not None else ""),
                notes["h"],
                group_h,
            ),
            self.group("oc", f"${sy.d('o', t)}$ and ${sy.d('c', t)}$", notes["oc"], group_oc),
            self.group(
                "ifg",
                f"${sy.d('i', t)}$, ${sy.d('f', t)}$ and ${sy.d('g', t)}$",
                notes["ifg"],
                group_ifg,
            ),
            self.group("delta", f"the deltas ${sy.delta('k', t)}$", notes["delta"], group_delta),
            self.group(
                "back",
                "back to the initial state" if first else f"back to step {tp}",
                notes["back"],
                group_back,
            ),
        ]

    def dy_line(self, b: BackwardStep, s: Step, sy: Symbols, kind: str = "") -> dict[str, Any]:
        """dy_t: from the loss (top layer) or from the layer above (through its W_ih);
        ``kind``: the exercise quantity its result counts as (default ``dy``)."""
        show = self.show
        t = s.t
        spec = self.g.spec
        out_size = self.cfg.out_size
        d = self.directions.index(s.direction)
        cols = slice(d * out_size, (d + 1) * out_size)
        if s.layer == self.top:
            if spec.last_step_only and t != self.ex.steps:
                return text_line("dy_none", {"lhs": sy.d(HAT_Y, t), "T": self.ex.steps})
            target = spec.target if spec.last_step_only else spec.target[t - 1]
            factor = f"\\frac{{2}}{{{spec.target.size}}}" if spec.loss == "mse" else ""
            return line(
                show,
                "difference",
                {"lhs": sy.d(HAT_Y, t), "a": sy.q(HAT_Y, t), "b": sy.target(t), "factor": factor},
                {"a": show.value(s.h), "b": show.given(target[:, cols])},
                show.value(b.dy, kind),
                f"{sy.d(HAT_Y, t)} = {factor}(\\hat y_t - y_t)",
                ops=2,
                extra_em=3.0 if factor else 0.0,
            )
        sources: list[str] = []
        pieces: dict[str, Piece] = {}
        for n, direction in enumerate(self.directions):
            upper = self.g.trace.step(s.layer + 1, direction, t)
            sources.append(Symbols(upper, self.cfg, self.dd).d("x", t))
            pieces[f"s{n}"] = show.value(self.g.step(s.layer + 1, direction, t).dx[:, cols])
        rows = f"{cols.start + 1}:{cols.stop}" if self.cfg.bidirectional else ""
        return line(
            show,
            "dy_above",
            {"lhs": sy.d(HAT_Y, t), "sources": sources, "rows": rows},
            pieces,
            show.value(b.dy, kind),
            f"{sy.d(HAT_Y, t)} = " + " + ".join(sources) + rows,
            ops=len(sources),
        )

    def back_line(
        self,
        b: BackwardStep,
        sy: Symbols,
        which: str,
        matrix: np.ndarray,
        result: np.ndarray,
        lhs: str,
    ) -> dict[str, Any]:
        r"""``W^\top \delta_t`` as the sum over the gates of ``W_k^\top \delta_{k,t}``."""
        hidden = self.cfg.hidden_size
        terms: list[tuple[Piece, Piece | None]] = []
        expansion = []
        for n, k in enumerate(self.cell.gate_names):
            block = matrix[n * hidden : (n + 1) * hidden]
            terms.append((self.show.transposed(block), self.show.value(b.gates[k].dpre)))
            expansion.append(f"{sy.tr(which + k)}{sy.delta(k, b.t)}")
        summed = sum_line(self.show, lhs, " + ".join(expansion), terms, self.show.value(result))
        return self.through(summed, lhs, matrix.T, b.delta, result)

    def through(
        self,
        summed: dict[str, Any] | None,
        lhs: str,
        matrix: np.ndarray,
        vector: np.ndarray,
        result: np.ndarray,
    ) -> dict[str, Any]:
        r"""``lhs = W^\top v = r``, ``lhs`` reading ``W^\top v``: the sum over the gates
        (``summed``) where it takes at most half a frame, else (on slides, issue 12) one
        product, ``W^\top``'s columns (and ``v``'s rows) elided to the room of one row."""
        if summed is not None and (self.text_em is None or summed["tall"] <= self.budget / 2):
            return summed
        show = self.show
        r = show.value(result)
        room = None if self.text_em is None else show.limit - tex_em(lhs) - 3 * OP_EM - r.em
        w, v = show.product(matrix, vector, room)
        return line(show, "apply", {"lhs": lhs}, {"W": w, "v": v}, r, lhs, ops=1)

    def feeds(self, s: Step, sy: Symbols) -> str:
        """What h_t feeds besides the next step: the loss, or the layer above."""
        t = s.t
        if s.layer == self.top:
            sees = not self.g.spec.last_step_only or t == self.ex.steps
            return f"the loss (as ${sy.q(HAT_Y, t)}$)" if sees else "no term of the loss"
        rows = ""
        if self.cfg.bidirectional:
            d = self.directions.index(s.direction)
            out = self.cfg.out_size
            rows = f"rows {d * out + 1}:{(d + 1) * out} of "
        return f"layer {s.layer + 1} (as {rows}its input $x^{{({s.layer + 1})}}_{{{t}}}$)"

    def h_note(self, s: Step, sy: Symbols, later: str | None = None) -> str:
        """The note of dh_t: where h_t goes. ``later``: how it reaches the next step and
        what came back (default: through W_hh only, the LSTM's and the RNN's way)."""
        t, tn = s.t, self.next_t(s)
        h = f"${sy.q('h', t)}$"
        if self.is_last(s):
            return (
                f"Start at step {t}, the last {self.computes}: {h} feeds "
                f"{self.feeds(s, sy)} and no later step."
            )
        if later is None:
            later = (
                f" (through ${sy.w('hh')}$), so both add up; "
                f"${sy.tr('hh')}{sy.delta(None, tn)}$ came back from step {tn}."
            )
        return f"{h} feeds {self.feeds(s, sy)} and step {tn}{later}"

    def dh_lines(self, b: BackwardStep, s: Step, sy: Symbols, back: str) -> list[dict[str, Any]]:
        """dy_t, then dh_t = dy_t + ``back`` (what came back from the next step), or
        dh_t = dy_t at the last step."""
        show, t = self.show, s.t
        # At the last step dh_t is dy_t: where an exercise blanks dh, dy_t's result is
        # blanked as dh too, not printed right above the blank (lecturer-tester).
        marks = self.medium.marks
        same = "dh" if self.is_last(s) and "dh" in marks and "dy" not in marks else ""
        lines = [self.dy_line(b, s, sy, same)]
        if self.is_last(s):
            lines.append(
                line(
                    show,
                    "dh_last",
                    {"lhs": sy.d("h", t), "dy": sy.d(HAT_Y, t)},
                    {},
                    show.value(b.dh),
                    sy.d(HAT_Y, t),
                    ops=0,
                )
            )
        else:
            lines.append(
                line(
                    show,
                    "dh",
                    {"lhs": sy.d("h", t), "dy": sy.d(HAT_Y, t), "next": back},
                    {"dy": show.value(b.dy), "next": show.value(b.dh_next)},
                    show.value(b.dh),
                    f"{sy.d('h', t)} = {sy.d(HAT_Y, t)} + {back}",
                    ops=2,
                )
            )
        return lines

    def notes(self, s: Step, sy: Symbols) -> dict[str, str]:
        """One or two sentences per group: where each quantity comes from."""
        t, tn, tp = s.t, self.next_t(s), self.prev_t(s)
        last, first = self.is_last(s), self.is_first(s)
        proj = self.cfg.proj_size > 0
        note_h = self.h_note(s, sy)
        if proj:
            note_h += f" With the projection, ${sy.q('h', t)} = {sy.w('hr')}{sy.q('m', t)}$."
        m = sy.q("m", t) if proj else sy.q("h", t)
        note_oc = f"From ${m} = {sy.q('o', t)} \\odot \\tanh {sy.q('c', t)}$" + (
            "."
            if last
            else f"; ${sy.q('c', t)}$ also reaches ${sy.q('c', tn)}$ through ${sy.q('f', tn)}$."
        )
        note_ifg = (
            f"From ${sy.q('c', t)} = {sy.q('f', t)} \\odot {sy.q('c', tp)} + "
            f"{sy.q('i', t)} \\odot {sy.q('g', t)}$."
        )
        note_delta = (
            "Through the activations: $\\sigma' = \\sigma\\,(1 - \\sigma)$ for "
            "$i, f, o$ and $\\tanh' = 1 - \\tanh^2$ for $g$; "
            f"${sy.delta('k', t)}$ is the gradient of gate $k$'s pre-activation."
        )
        stack = (
            f"${sy.delta(None, t)}$ stacks ${sy.delta('i', t)}, \\dots, "
            f"{sy.delta('o', t)}$ like the blocks of ${sy.w('hh')}$."
        )
        if first:
            note_back = (
                f"Step {t} is the first {self.computes}, so what it hands "
                f"back is the gradient of the initial state. {stack}"
            )
        else:
            note_back = (
                f"What step {t} hands back to step {tp}, to be added into "
                f"${sy.d('h', tp)}$ and ${sy.d('c', tp)}$ there. {stack}"
            )
        if s.layer > 0:
            note_back += f" Layer {s.layer - 1} receives ${sy.d('x', t)}$."
        return {"h": note_h, "oc": note_oc, "ifg": note_ifg, "delta": note_delta, "back": note_back}
