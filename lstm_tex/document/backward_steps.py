r"""The backward pass through one LSTM step: dh, do and dc, di, df, dg, the deltas and
what goes back to the step before, with the notes that say where each term comes from
(GRU and RNN steps: :mod:`lstm_tex.document.backward_cells`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.backward import BackwardStep
from lstm_tex.compute.trace import Step
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import line, sum_line, text_line
from lstm_tex.document.backward_show import Piece
from lstm_tex.document.backward_symbols import HAT_Y, Symbols
from lstm_tex.document.line import Line
from lstm_tex.document.measure import OP_EM, tex_em


class StepLines(BuilderBase):
    """The builder's one step's lines."""

    def delta_line(self, sy: Symbols, k: str | None, s: Step, b: BackwardStep) -> Line:
        """delta = d(act) * act'(pre): sigma's s (1 - s), tanh's 1 - a^2 or relu's [a > 0]
        (``k``: the gate; None: an RNN's one block, written with h)."""
        show, t = self.show, s.t
        gate = k or self.cell.gate_names[0]
        act = s.gates[gate].act
        grads = b.gates[gate]
        lhs = sy.delta(k, t)
        d = sy.d(k, t) if k else sy.d("h", t)
        a = sy.q(k, t) if k else sy.q("h", t)
        activation = self.cell.activation(gate)
        if activation == "sigmoid":
            return line(
                show,
                "delta_sigma",
                {"lhs": lhs, "d": d, "k": a},
                {
                    "d": show.value(grads.d),
                    "k": show.value(act),
                    "one_minus": show.derived(1.0 - act, [act], f"\\left(1 - {a}\\right)"),
                },
                show.value(grads.dpre),
                f"{lhs} = {d} \\odot {a} \\odot (1 - {a})",
                ops=3,
                extra_em=1.0,
            )
        if activation == "tanh":
            return line(
                show,
                "delta_tanh",
                {"lhs": lhs, "d": d, "k": a},
                {
                    "d": show.value(grads.d),
                    "one_minus": show.derived(1.0 - act**2, [act], f"\\left(1 - {{{a}}}^2\\right)"),
                },
                show.value(grads.dpre),
                f"{lhs} = {d} \\odot (1 - {a}^2)",
                ops=2,
                extra_em=1.0,
            )
        return line(
            show,
            "delta_relu",
            {"lhs": lhs, "d": d, "k": a},
            {
                "d": show.value(grads.d),
                "mask": show.derived(
                    (act > 0.0).astype(np.float64), [act], f"\\left[{a} > 0\\right]"
                ),
            },
            show.value(grads.dpre),
            f"{lhs} = {d} \\odot [{a} > 0]",
            ops=2,
            extra_em=1.5,
        )

    def back_group(self, s: Step, note: str, lines: list[Line]) -> dict[str, Any]:
        """The group of what a step hands back: to the step before, or the initial state."""
        to = "the initial state" if self.is_first(s) else f"step {self.prev_t(s)}"
        return self.group("back", f"back to {to}", note, lines)

    def dy_line(self, b: BackwardStep, s: Step, sy: Symbols, kind: str = "", lhs: str = "") -> Line:
        """dy_t: from the loss (top layer) or from the layer above (through its W_ih);
        ``kind``: the exercise quantity its result counts as (default ``dy``); ``lhs``:
        what the line is written for (default dy_t)."""
        show = self.show
        t = s.t
        lhs = lhs or sy.d(HAT_Y, t)
        spec = self.g.spec
        out_size = self.cfg.out_size
        d = self.directions.index(s.direction)
        cols = slice(d * out_size, (d + 1) * out_size)
        if s.layer == self.top:
            if spec.last_step_only and t != self.ex.steps:
                return text_line(show, "dy_none", {"lhs": sy.d(HAT_Y, t), "T": self.ex.steps})
            target = spec.target if spec.last_step_only else spec.target[t - 1]
            factor = f"\\frac{{2}}{{{spec.target.size}}}" if spec.loss == "mse" else ""
            return line(
                show,
                "difference",
                {"lhs": lhs, "a": sy.q(HAT_Y, t), "b": sy.target(t), "factor": factor},
                {"a": show.value(s.h), "b": show.given(target[:, cols])},
                show.value(b.dy, kind),
                f"{lhs} = {factor}(\\hat y_t - y_t)",
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
            {"lhs": lhs, "sources": sources, "rows": rows},
            pieces,
            show.value(b.dy, kind),
            f"{lhs} = " + " + ".join(sources) + rows,
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
    ) -> Line:
        r"""``W^\top \delta_t`` as the sum over the gates of ``W_k^\top \delta_{k,t}``."""
        hidden = self.cfg.hidden_size
        terms: list[tuple[Piece, Piece | None]] = []
        expansion = []
        for n, k in enumerate(self.cell.gate_names):
            block = matrix[n * hidden : (n + 1) * hidden]
            delta = sy.delta(k, b.t)
            terms.append((self.show.transposed(block), self.show.operand(b.gates[k].dpre, delta)))
            expansion.append(f"{sy.tr(which + k)}{delta}")
        summed = sum_line(self.show, lhs, " + ".join(expansion), terms, self.show.value(result))
        return self.through(summed, lhs, matrix.T, b.delta, result)

    def through(
        self,
        summed: Line | None,
        lhs: str,
        matrix: np.ndarray,
        vector: np.ndarray,
        result: np.ndarray,
        column: float = 0.0,
        name: str = "",
    ) -> Line:
        r"""``lhs = W^\top v = r``, ``lhs`` reading ``W^\top v``: the sum over the gates
        (``summed``) where it takes at most half a frame, else (on slides, issue 12) one
        product, ``W^\top``'s columns (and ``v``'s rows) elided to the room of one row
        (``column`` ems less: what a longer left-hand side beside it on its frame takes);
        ``name``: v's, for an exercise sheet that leaves v blank."""
        if summed is not None and (self.text_em is None or summed.height <= self.budget / 2):
            return summed
        show = self.show
        r = show.value(result)
        room = None
        if self.text_em is not None:
            room = show.limit - tex_em(lhs) - 3 * OP_EM - r.em - column
        w, v = show.product(matrix, vector, room)
        return line(show, "apply", {"lhs": lhs, "v": name}, {"W": w, "v": v}, r, lhs, ops=1)

    def feeds(self, s: Step, sy: Symbols) -> str:
        """What h_t feeds besides the next step: the loss, or the layer above."""
        t = s.t
        if s.layer == self.top:
            return (
                f"the loss (as ${sy.q(HAT_Y, t)}$)" if self.sees_loss(s) else "no term of the loss"
            )
        rows = ""
        if self.cfg.bidirectional:
            d = self.directions.index(s.direction)
            out = self.cfg.out_size
            rows = f"rows {d * out + 1}:{(d + 1) * out} of "
        return f"layer {s.layer + 1} (as {rows}its input $x^{{({s.layer + 1})}}_{{{t}}}$)"

    def sees_loss(self, s: Step) -> bool:
        """Whether h_t reaches the loss other than through the next step: in the layer
        below the top, through the layer above; at the top, unless the loss is on the
        last step only and this is not it."""
        return s.layer != self.top or not self.g.spec.last_step_only or s.t == self.ex.steps

    def h_note(self, s: Step, sy: Symbols, later: str | None = None) -> str:
        """The note of dh_t: where h_t goes. ``later``: how it reaches the next step and
        what came back (default: through W_hh only, the LSTM's and the RNN's way). Where
        the next step is h_t's only way to the loss, it says so (nothing to add up)."""
        t, tn = s.t, self.next_t(s)
        h = f"${sy.q('h', t)}$"
        if self.is_last(s):
            return (
                f"Start at step {t}, the last {self.computes}: {h} feeds "
                f"{self.feeds(s, sy)} and no later step."
            )
        back = f"${sy.tr('hh')}{sy.delta(None, tn)}$ came back from step {tn}."
        if not self.sees_loss(s):
            lone = f", there through ${sy.w('hh')}$; {back}" if later is None else later
            return f"{h} reaches the loss only through step {tn}{lone}"
        if later is None:
            later = f" (through ${sy.w('hh')}$), so both add up; {back}"
        return f"{h} feeds {self.feeds(s, sy)} and step {tn}{later}"

    def dh_lines(self, b: BackwardStep, s: Step, sy: Symbols, back: str) -> list[Line]:
        """dy_t, then dh_t = dy_t + ``back`` (what came back from the next step), or
        dh_t = dy_t at the last step."""
        show, t = self.show, s.t
        # At the last step dh_t is dy_t: where an exercise blanks dh, dy_t's result is
        # blanked as dh too, not printed right above the blank (lecturer-tester).
        marks = self.medium.marks
        same = "dh" if self.is_last(s) and "dh" in marks and "dy" not in marks else ""
        if self.is_last(s) and self.text_em is not None and not marks:
            # on slides one line, dh_t = dy_t = ...: a line dh_t = dy_t below it repeated
            # dy_t's numbers, alone on a frame 43 % full at hidden 8 (issue 12)
            both = f"{sy.d('h', t)} = {sy.d(HAT_Y, t)}"
            dy = self.dy_line(b, s, sy, lhs=both)
            if dy.kind != "dy_none":
                return [dy]
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
        note_oc = f"From ${m} = {sy.q('o', t)} \\odot \\tanh({sy.q('c', t)})$" + (
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
