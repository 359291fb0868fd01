r"""The backward pass's loss, the gradients of the parameters (summed over the steps),
of the initial state, the SGD step and the loss after it."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.trace import Direction
from lstm_tex.document import numbers
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import (
    LINE_GAP,
    TALL_ROWS,
    VDOTS_ROW,
    line,
    text_line,
)
from lstm_tex.document.backward_notes import ONES_NOTE, ones_notes
from lstm_tex.document.backward_sums import Sums
from lstm_tex.document.backward_symbols import Symbols, placement, shown_pair
from lstm_tex.document.frames import Frame
from lstm_tex.document.line import Line

#: The fewest rows of dh_0 and dc_0 shown to put those of two layers on one frame: 4 of
#: their numbers and a row of dots.
INITIAL_ROWS_MIN = 5


class ParamLines(BuilderBase):
    """The builder's the loss's and the parameters' lines."""

    # ------------------------------------------------------------ the loss

    def error_lines(
        self, out: np.ndarray, error: np.ndarray | None, prime: str, loss: str
    ) -> list[Line]:
        """``E = Y_hat - Y`` (prediction less target) and ``L`` of the output sequence
        ``out`` (the last step alone with ``last_step_only``): ``error`` as the backward
        pass has it, or (``None``) computed here; ``prime`` marks the names after the SGD
        step; ``loss`` is L shown."""
        spec = self.g.spec
        width = out.shape[-1]
        T = self.ex.steps
        if spec.last_step_only:
            y, target = out[-1], spec.target
            error = y - target if error is None else error[-1]
            names = (f"\\hat y{prime}_{{{T}}}", f"y_{{{T}}}", f"e{prime}_{{{T}}}")
            entry = f"e{prime}_{{{T},j}}"
        else:
            y, target = out.reshape(-1, width), spec.target.reshape(-1, width)
            error = y - target if error is None else error.reshape(-1, width)
            names = (f"\\hat Y{prime}", "Y", f"E{prime}")
            entry = f"E{prime}_{{j}}"
        # on an exercise sheet that leaves h blank: the outputs by name, and E blank (its
        # numbers less the given Y's are the answers)
        outputs, shown_error = self.show.value(y), self.show.value(error)
        if out is self.g.trace.output and "h" in self.show.blanks:
            outputs = self.show.named_piece(self.output_names())
            shown_error = self.show.value(error, "E")
        factor = f"\\frac{{1}}{{{spec.target.size}}}" if spec.loss == "mse" else "\\frac{1}{2}"
        squares = numbers.format_number(float(np.sum(error**2)), "fixed", self.medium.decimals)
        return [
            line(
                self.show,
                "difference",
                {"lhs": names[2], "a": names[0], "b": names[1], "factor": ""},
                {"a": outputs, "b": self.show.given(target)},
                shown_error,
                f"{names[2]} = {names[0]} - {names[1]}",
                ops=2,
            ),
            text_line(
                self.show,
                "loss",
                {
                    "lhs": f"L{prime}",
                    # E_j^2 over the entries of E (or e_T); a prime is a superscript too
                    "e": f"({entry})^2" if prime else f"{entry}^2",
                    "n": spec.target.size,
                    "factor": factor,
                    "squares": squares,
                    "r": loss,
                },
            ),
        ]

    def output_names(self) -> str:
        """The outputs the loss sees by name: the top layer's h_t (a bidirectional
        network's stacked directions: y-hat_t), as a row of blocks (the last step's alone
        with ``last_step_only``)."""
        T = self.ex.steps
        steps = [T] if self.g.spec.last_step_only else list(range(1, T + 1))
        if self.cfg.bidirectional:
            names = [f"\\hat y_{{{t}}}" for t in steps]
        else:
            sy = Symbols(self.g.trace.step(self.top, "forward", T), self.cfg, self.dd)
            names = [sy.q("h", t) for t in steps]
        if len(names) == 1:
            return names[0]
        return "\\begin{bmatrix} " + " & ".join(names) + " \\end{bmatrix}"

    def loss(self) -> dict[str, Any]:
        """``E = Y_hat - Y`` and ``L``, the group that opens the backward pass."""
        spec = self.g.spec
        T = self.ex.steps
        loss = numbers.format_number(self.g.loss, "fixed", self.medium.decimals)
        lines = self.error_lines(self.g.trace.output, self.g.error, "", loss)
        if spec.last_step_only:
            note = (
                f"The loss sees the last step only: the prediction $\\hat y_{{{T}}}$ (the "
                f"output) against the target $y_{{{T}}}$, {spec.target.size} numbers."
            )
        else:
            note = (
                f"The loss sees every step: $\\hat Y$ holds the predictions $\\hat y_t$ (the "
                f"outputs, one column per step), $Y$ the targets $y_t$, "
                f"{spec.target.size} numbers in all."
            )
        if self.ex.batched:
            note += f" With a batch, each step has {self.ex.batch} columns, one per example."
        if self.cfg.bidirectional:
            note += (
                " Both directions give "
                "$\\hat y_t = [\\hat y^{\\rightarrow}_t; \\hat y^{\\leftarrow}_t]$: "
                "the forward and the reverse $h_t$ stacked."
            )
        what = "mean squared error" if spec.loss == "mse" else "half the sum of squares"
        return self.group("loss", f"The loss, {what}", note, lines)

    # ------------------------------------------------------------ parameter gradients

    def params(self, layer: int, direction: Direction) -> list[dict[str, Any]]:
        """Per gate: dW_ik, dW_hk and db as sums over t of outer products; then dW_hr."""
        steps = sorted(
            (s for s in self.g.trace.steps if s.layer == layer and s.direction == direction),
            key=lambda s: s.t,
        )
        sums = Sums(self, layer, direction, steps)
        groups = [self.gate_grads(sums, n, k) for n, k in enumerate(self.cell.gate_names)]
        for group in groups if self.text_em is not None else []:
            ones_notes(group, self.budget + LINE_GAP, self.show.note_rows(ONES_NOTE))
        if self.cfg.proj_size:
            sy, back = sums.sy, sums.back
            note = f"From ${sy.q('h', 't')} = {sy.w('hr')}{sy.q('m', 't')}$ at every step."
            line = sums.weight(
                f"{sy.dd}{sy.w('hr')}",
                (
                    f"{sy.d('h', 't')} {sy.qt('m', 't')}",
                    [f"{sy.d('h', s.t)} {sy.qt('m', s.t)}" for s in steps],
                ),
                [back[s.t].dh for s in steps],
                ([s.m for s in steps if s.m is not None], [False] * len(steps)),
                self.g.grads[f"weight_hr{sums.sfx}"],
                self.budget - self.show.note_rows(note),
                names=[sy.d("h", s.t) for s in steps],
            )
            title = self.grads_title("projection", layer, direction)
            groups.append(self.group(f"l{layer}-{direction}-grad-hr", title, note, [line]))
        return groups

    def gate_grads(self, sums: Sums, n: int, k: str) -> dict[str, Any]:
        """The gradients of gate ``k``'s weights and biases (block ``n``)."""
        sy, steps, back = sums.sy, sums.steps, sums.back
        block = slice(n * self.cfg.hidden_size, (n + 1) * self.cfg.hidden_size)
        deltas = [back[s.t].gates[k].dpre for s in steps]
        deltas_hh = [back[s.t].gates[k].dhh for s in steps]
        dk, dk_hh = self.delta_sym(sy, k), self.hh_delta_sym(sy, k)
        h_prev_t = "t-1" if sums.direction == "forward" else "t+1"
        note = self.grads_note(sums, k, h_prev_t)
        lines = [
            sums.weight(
                f"{sy.dd}{sy.w('i' + k)}",
                (f"{dk('t')} {sy.x('t', True)}", [f"{dk(s.t)} {sy.x(s.t, True)}" for s in steps]),
                deltas,
                ([s.x for s in steps], [sums.layer == 0] * len(steps)),
                self.g.grads[f"weight_ih{sums.sfx}"][block],
                self.budget - self.show.note_rows(note),  # the first line: with the note
                names=[dk(s.t) for s in steps],
            ),
            sums.weight(
                f"{sy.dd}{sy.w('h' + k)}",
                (
                    f"{dk_hh('t')} {sy.qt('h', h_prev_t)}",
                    [f"{dk_hh(s.t)} {sy.qt('h', self.prev_t(s))}" for s in steps],
                ),
                deltas_hh,
                ([s.h_prev for s in steps], [self.is_first(s) for s in steps]),
                self.g.grads[f"weight_hh{sums.sfx}"][block],
                names=[dk_hh(s.t) for s in steps],
            ),
        ]
        biases: list[tuple[str, list[np.ndarray], Any, str]] = []
        if self.cfg.single_bias:  # one bias per gate
            biases.append((self.bias_sym(sy, "", k), deltas, dk, "bias_ih"))
        elif self.cfg.bias is True and self.separate_hh(k):
            # the GRU's n: b_in gets delta_n, b_hn gets r * delta_n
            biases.append((self.bias_sym(sy, "i", k), deltas, dk, "bias_ih"))
            biases.append((self.bias_sym(sy, "h", k), deltas_hh, dk_hh, "bias_hh"))
        elif self.cfg.bias:
            both = f"{self.bias_sym(sy, 'i', k)} = {sy.dd}{self.bias_sym(sy, 'h', k)}"
            biases.append((both, deltas, dk, "bias_ih"))
        for symbol, these, sym, name in biases:
            lines.append(sums.bias(symbol, these, sym, self.g.grads[f"{name}{sums.sfx}"][block]))
        title = self.grads_title(self.block_name(k), sums.layer, sums.direction)
        group = self.group(f"l{sums.layer}-{sums.direction}-grad-{k}", title, note, lines)
        if self.text_em is not None and not sums.tall:
            group["frames"] = self.weight_frames(title, note, lines, self.text_em)
        return group

    def weight_frames(
        self, title: str, note: str, lines: list[Line], text_em: float
    ) -> list[Frame]:
        """On slides dW_ik gets a frame of its own, dW_hk the next: three sums of outer
        products on one frame are too small to read. A bias goes with dW_ik (issue 12:
        dW_ik alone filled 45 % of its frame), two (the GRU's n: db_ik and db_hk) each with
        its weight; where the sums are scaled to the width, the biases go with dW_hk.
        Where the bias would stand alone between them (34 % of a frame in a bidirectional
        hidden-4 deck at 10 pt, issue 12), the biases follow dW_hk, on its frame or the
        last. Lines of tall matrices are packed as they come."""
        weights, biases = lines[:2], lines[2:]
        if max(q.width for q in lines) > text_em:
            splits = [([weights[0]], [weights[1], *biases])]
        else:
            splits = [([weights[0], *biases[:1]], [weights[1], *biases[1:]])]
            splits.append(([weights[0]], [weights[1], *biases]))
        tried = [
            self.group("", title, note, first)["frames"]
            + self.group("", title, "", second)["frames"]
            for first, second in splits
        ]
        return next(
            (frames for frames in tried if all(f.used >= self.budget / 2 for f in frames[:-1])),
            tried[0],
        )

    def grads_title(self, what: str, layer: int, direction: Direction) -> str:
        """The title of the gradients of ``what`` (a gate's weights, the projection)."""
        where = placement(layer, direction, self.cfg)
        return f"Gradients: {what}" + (f", {where}" if where else "")

    def grads_note(self, sums: Sums, k: str, h_prev_t: str) -> str:
        """What the gradients of a gate's weights are: sums over the steps."""
        sy = sums.sy
        dk, dk_hh = self.delta_sym(sy, k), self.hh_delta_sym(sy, k)
        batch = (
            ", summed over the batch too ($\\mathbf{1}$ is a column of ones)"
            if self.ex.batched
            else ""
        )
        if sums.tall:
            # one sentence, not two: at hidden 8 the GRU's n took 4 lines, and dW_in beside
            # it showed 2 of its 4 columns at 10 pt (issue 12)
            note = (
                "Each sum over the steps of outer products is one product: the first "
                f"matrix's columns are the deltas ${dk('t')}$, the second's rows the "
                f"transposed vectors the weights multiplied{batch}."
            )
        else:
            note = (
                f"Sums over the steps of outer products: ${dk('t')}$ times the "
                f"transposed vector its weights multiplied in the forward pass{batch}."
            )
        if self.separate_hh(k):
            note += (
                f" ${self.hh_n(sy, h_prev_t)}$ receives "
                f"${dk_hh('t')} = {sy.q('r', 't')} \\odot {dk('t')}$, since $r$ "
                "multiplies it."
            )
        if sums.stacked and not sums.tall:
            note += (
                " With this many steps each sum is one product: the columns of the "
                "first matrix are the deltas, the rows of the second the vectors."
            )
        return note

    # ------------------------------------------------------------ initial state, SGD

    def initial_state(self) -> dict[str, Any]:
        """dL/dh_0 and dL/dc_0 of every layer and direction, in torch's order."""
        group = self.initial_group(None)
        frames = group["frames"]
        if len(frames) > 1 and all(q.kind == "value2" for q in group["lines"]):
            # on slides, tall dh_0 and dc_0 of two layers (or directions) side by side:
            # their rows elided so that both share a frame with the closing words, rather
            # than one on a frame 44 to 48 % full (issue 12)
            n = len(group["lines"])
            room = self.budget - self.last_words - self.show.note_rows(group["note"])
            slots = int((room - (n - 1) * LINE_GAP) / n - VDOTS_ROW)
            if slots >= INITIAL_ROWS_MIN:
                return self.initial_group(slots)
        return group

    def initial_group(self, slots: int | None) -> dict[str, Any]:
        """:meth:`initial_state`'s group, its vectors' rows elided to ``slots``."""
        lines = []
        for layer in range(self.cfg.num_layers):
            for d, direction in enumerate(self.directions):
                index = layer * len(self.directions) + d
                first = next(
                    s for s in self.g.trace.steps if s.layer == layer and s.direction == direction
                )
                sy = Symbols(first, self.cfg, self.dd)
                p = self.prev_t(first)
                states = [("h", self.g.dh0[index])]
                if self.g.dc0 is not None:
                    states.append(("c", self.g.dc0[index]))
                pieces = [(sy.d(name, p), self.show.value(a, "grads", slots)) for name, a in states]
                if len(pieces) == 2 and self.text_em is not None and pieces[0][1].rows > TALL_ROWS:
                    # on slides, tall dh_0 and dc_0 side by side: one above the other and
                    # a note do not fit a frame, and one alone fills half of it
                    (h, dh), (c, dc) = pieces
                    sym = {"lhs": h, "lhs2": c}
                    lines.append(line(self.show, "value2", sym, {"r2": dc}, dh, h + c, ops=2))
                    continue
                for lhs, piece in pieces:
                    lines.append(line(self.show, "value", {"lhs": lhs}, {}, piece, lhs, ops=0))
        per_state = 2 if self.g.dc0 is not None else 1
        note = (
            "The gradients of the initial state (torch's \\texttt{h0.grad}"
            + (" and \\texttt{c0.grad})" if per_state == 2 else ")")
            + self.one_per()
            + "."
        )
        return self.group("initial", "Gradients of the initial state", note, lines, True)

    def one_per(self) -> str:
        """ ", one per layer and direction" of the initial state's gradients: only what
        there is more than one of (no "direction" in a one-way network)."""
        many = ["layer"] * (self.cfg.num_layers > 1) + ["direction"] * self.cfg.bidirectional
        return f", one per {' and '.join(many)}" if many else ""

    def loss_after(self) -> dict[str, Any] | None:
        """The forward pass again with the new weights: the new error and loss."""
        sgd = self.g.sgd
        if sgd is None:
            return None
        spec = self.g.spec
        before, after = shown_pair(self.g.loss, sgd.loss_after, self.medium.decimals)
        lines = self.error_lines(sgd.trace.output, None, "'", after)
        went = (
            "down"
            if sgd.loss_after < self.g.loss
            else ("up" if sgd.loss_after > self.g.loss else "nowhere")
        )
        verdict = {
            "down": "The loss went down",
            "up": "The loss went up (the step was too large)",
            "nowhere": "The loss did not change",
        }[went]
        note = (
            "The forward pass again, with the new weights ($\\hat Y'$ are its outputs)."
            if not spec.last_step_only
            else "The forward pass again, with the new weights ($\\hat y'$ is its last output)."
        )
        # the verdict's own lines kept free (not the check's 50 pt): at 11 pt the new loss
        # went alone onto a frame of its own with the verdict (issue 12)
        words = f"{verdict}: from ${before}$ to ${after}$."
        group = self.group("after", "The loss after one step", note, lines, words)
        group["verdict"] = words
        group["went"] = went
        return group
