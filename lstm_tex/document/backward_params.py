r"""The backward pass's loss, the gradients of the parameters (summed over the steps),
of the initial state, the SGD step and the loss after it."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.trace import Direction
from lstm_tex.document import numbers
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import (
    SUM_TERMS_MAX,
    Piece,
    line,
    sum_line,
    text_line,
)
from lstm_tex.document.backward_symbols import BLOCK_NAMES, Symbols, placement, shown_pair


class ParamLines(BuilderBase):
    """The builder's the loss's and the parameters' lines."""

    # ------------------------------------------------------------ the loss

    def error_lines(
        self, out: np.ndarray, error: np.ndarray | None, prime: str, loss: str
    ) -> list[dict[str, Any]]:
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
        else:
            y, target = out.reshape(-1, width), spec.target.reshape(-1, width)
            error = y - target if error is None else error.reshape(-1, width)
            names = (f"\\hat Y{prime}", "Y", f"E{prime}")
        factor = f"\\frac{{1}}{{{spec.target.size}}}" if spec.loss == "mse" else "\\frac{1}{2}"
        squares = numbers.format_number(float(np.sum(error**2)), "fixed", self.medium.decimals)
        return [
            line(
                self.show,
                "difference",
                {"lhs": names[2], "a": names[0], "b": names[1], "factor": ""},
                {"a": self.show.value(y), "b": self.show.given(target)},
                self.show.value(error),
                f"{names[2]} = {names[0]} - {names[1]}",
                ops=2,
            ),
            text_line(
                "loss",
                {
                    "lhs": f"L{prime}",
                    "e": names[2],
                    "factor": factor,
                    "squares": squares,
                    "r": loss,
                },
            ),
        ]

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
        show = self.show
        steps = sorted(
            (s for s in self.g.trace.steps if s.layer == layer and s.direction == direction),
            key=lambda s: s.t,
        )
        back = {s.t: self.g.step(layer, direction, s.t) for s in steps}
        sy = Symbols(steps[0], self.cfg, self.dd)
        hidden = self.cfg.hidden_size
        sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
        # An exercise sheet on paper writes the sum term by term: a product of stacked
        # deltas as boxes 1.5 times a number wide is wider than the page from 6 steps on.
        stacked = len(steps) > SUM_TERMS_MAX and not (
            self.medium.paper_boxes and "dpre" in self.medium.marks
        )
        batched = self.ex.batched
        ones = "\\mathbf{1}" if batched else ""
        h_prev_t = "t-1" if direction == "forward" else "t+1"
        where = placement(layer, direction, self.cfg)

        def outer(
            deltas: list[np.ndarray], operands: list[np.ndarray], given: list[bool]
        ) -> list[tuple[Piece, Piece | None]]:
            if stacked:
                return [
                    (
                        show.value(np.concatenate(deltas), "dpre"),
                        show.as_is(np.concatenate(operands), all(given)),
                    )
                ]
            return [
                (show.value(dl), show.as_is(op, gv))
                for dl, op, gv in zip(deltas, operands, given, strict=True)
            ]

        def expand(general: str, terms: list[str]) -> str:
            return general if stacked else f"{general} = " + " + ".join(terms)

        groups = []
        for n, k in enumerate(self.cell.gate_names):
            block = slice(n * hidden, (n + 1) * hidden)
            deltas = [back[s.t].gates[k].dpre for s in steps]
            deltas_hh = [back[s.t].gates[k].dhh for s in steps]
            dk = self.delta_sym(sy, k)
            dk_hh = self.hh_delta_sym(sy, k)
            lhs = f"{sy.dd}{sy.w('i' + k)}"
            lines = [
                sum_line(
                    show,
                    lhs,
                    expand(
                        f"\\sum_{{t}} {dk('t')} {sy.x('t', True)}",
                        [f"{dk(s.t)} {sy.x(s.t, True)}" for s in steps],
                    ),
                    outer(deltas, [s.x for s in steps], [layer == 0] * len(steps)),
                    show.as_is(self.g.grads[f"weight_ih{sfx}"][block], kind="grads"),
                )
            ]
            lhs = f"{sy.dd}{sy.w('h' + k)}"
            lines.append(
                sum_line(
                    show,
                    lhs,
                    expand(
                        f"\\sum_{{t}} {dk_hh('t')} {sy.qt('h', h_prev_t)}",
                        [f"{dk_hh(s.t)} {sy.qt('h', self.prev_t(s))}" for s in steps],
                    ),
                    outer(deltas_hh, [s.h_prev for s in steps], [self.is_first(s) for s in steps]),
                    show.as_is(self.g.grads[f"weight_hh{sfx}"][block], kind="grads"),
                )
            )
            split = self.cfg.bias is True and self.separate_hh(k)
            biases: list[tuple[str, list[np.ndarray], Any, str]] = []
            if self.cfg.single_bias:  # one bias per gate
                biases.append((self.bias_sym(sy, "", k), deltas, dk, "bias_ih"))
            elif split:  # the GRU's n: b_in gets delta_n, b_hn gets r * delta_n
                biases.append((self.bias_sym(sy, "i", k), deltas, dk, "bias_ih"))
                biases.append((self.bias_sym(sy, "h", k), deltas_hh, dk_hh, "bias_hh"))
            elif self.cfg.bias:
                both = f"{self.bias_sym(sy, 'i', k)} = {sy.dd}{self.bias_sym(sy, 'h', k)}"
                biases.append((both, deltas, dk, "bias_ih"))
            for symbol, these, sym, name in biases:
                terms: list[tuple[Piece, Piece | None]] = (
                    [(show.value(np.concatenate(these), "dpre"), None)]
                    if stacked
                    else [(show.value(dl), None) for dl in these]
                )
                lines.append(
                    sum_line(
                        show,
                        f"{sy.dd}{symbol}",
                        expand(
                            f"\\sum_{{t}} {sym('t')}{ones}",
                            [f"{sym(s.t)}{ones}" for s in steps],
                        ),
                        terms,
                        show.value(self.g.grads[f"{name}{sfx}"][block][None, :], "grads"),
                        right=ones or ("\\mathbf{1}" if stacked else ""),
                        right_em=1.5 if (batched or stacked) else 0.0,
                    )
                )
            note = (
                f"Sums over the steps of outer products: ${dk('t')}$ times the "
                "transposed vector it multiplied in the forward pass"
                + (
                    ", summed over the batch too ($\\mathbf{1}$ is a column of ones)"
                    if batched
                    else ""
                )
                + "."
            )
            if self.separate_hh(k):
                note += (
                    f" What reaches ${self.hh_n(sy, h_prev_t)}$ is "
                    f"${dk_hh('t')} = {sy.q('r', 't')} \\odot {dk('t')}$, since $r$ "
                    "multiplies it."
                )
            if stacked:
                note += (
                    " With this many steps each sum is one product: the columns of the "
                    "first matrix are the deltas, the rows of the second the vectors."
                )
            title = f"Gradients: {self.block_name(k)}" + (f", {where}" if where else "")
            group = self.group(f"l{layer}-{direction}-grad-{k}", title, note, lines)
            if self.text_em is not None:
                # On slides dW_ik gets a frame of its own, dW_hk the next: three sums of outer
                # products on one frame are too small to read. A bias goes with dW_ik (issue
                # 12: dW_ik alone filled 45 % of its frame), two (the GRU's n: db_ik and
                # db_hk) each with its weight; where the sums are scaled to the width, the
                # biases go with dW_hk.
                first, second = [lines[0]], [lines[1]]
                if max(q["width"] for q in lines) > self.text_em:
                    second += lines[2:]
                else:
                    first += lines[2:3]
                    second += lines[3:]
                group["frames"] = (
                    self.group("", title, note, first)["frames"]
                    + self.group("", title, "", second)["frames"]
                )
            groups.append(group)
        if self.cfg.proj_size:
            lhs = f"{sy.dd}{sy.w('hr')}"
            dhs = [back[s.t].dh for s in steps]
            line = sum_line(
                show,
                lhs,
                expand(
                    f"\\sum_{{t}} {sy.d('h', 't')} {sy.qt('m', 't')}",
                    [f"{sy.d('h', s.t)} {sy.qt('m', s.t)}" for s in steps],
                ),
                outer(dhs, [s.m for s in steps if s.m is not None], [False] * len(steps)),
                show.as_is(self.g.grads[f"weight_hr{sfx}"], kind="grads"),
            )
            note = f"From ${sy.q('h', 't')} = {sy.w('hr')}{sy.q('m', 't')}$ at every step."
            title = "Gradients: projection" + (f", {where}" if where else "")
            groups.append(self.group(f"l{layer}-{direction}-grad-hr", title, note, [line]))
        return groups

    # ------------------------------------------------------------ initial state, SGD

    def initial_state(self) -> dict[str, Any]:
        """dL/dh_0 and dL/dc_0 of every layer and direction, in torch's order."""
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
                for name, array in states:
                    lines.append(
                        line(
                            self.show,
                            "value",
                            {"lhs": sy.d(name, p)},
                            {},
                            self.show.value(array, "grads"),
                            sy.d(name, p),
                            ops=0,
                        )
                    )
        per_state = 2 if self.g.dc0 is not None else 1
        note = (
            "The gradients of the initial state (torch's \\texttt{h0.grad}"
            + (" and \\texttt{c0.grad})" if per_state == 2 else ")")
            + (", one per layer and direction" if len(lines) > per_state else "")
            + "."
        )
        return self.group("initial", "Gradients of the initial state", note, lines)

    def sgd(self) -> list[dict[str, Any]]:
        """``W <- W - eta dW`` for every weight block: one group per gate (and projection)."""
        sgd = self.g.sgd
        if sgd is None:
            return []
        show = self.show
        eta = numbers.format_number(sgd.lr, "written", 0)
        hidden = self.cfg.hidden_size
        note = (
            f"Every weight moves against its gradient, $W \\leftarrow W - \\eta\\,"
            f"{self.dd}W$, with the gradients derived above."
        )
        groups: list[dict[str, Any]] = []
        for layer in range(self.cfg.num_layers):
            for direction in self.directions:
                step = next(
                    s for s in self.g.trace.steps if s.layer == layer and s.direction == direction
                )
                sy = Symbols(step, self.cfg, self.dd)
                sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
                where = placement(layer, direction, self.cfg)
                blocks: dict[str, list[tuple[str, str, slice]]] = {}
                for n, k in enumerate(self.cell.gate_names):
                    rows = slice(n * hidden, (n + 1) * hidden)
                    blocks[k] = [
                        (sy.w("i" + k), f"weight_ih{sfx}", rows),
                        (sy.w("h" + k), f"weight_hh{sfx}", rows),
                    ]
                    if self.cfg.single_bias:
                        blocks[k] += [(self.bias_sym(sy, "", k), f"bias_ih{sfx}", rows)]
                    elif self.cfg.bias:
                        blocks[k] += [
                            (self.bias_sym(sy, "i", k), f"bias_ih{sfx}", rows),
                            (self.bias_sym(sy, "h", k), f"bias_hh{sfx}", rows),
                        ]
                if self.cfg.proj_size:
                    blocks["hr"] = [(sy.w("hr"), f"weight_hr{sfx}", slice(None))]
                for key, items in blocks.items():
                    lines = []
                    for symbol, name, rows in items:
                        old = self.ex.weights[name][rows]
                        grad = self.g.grads[name][rows]
                        new = sgd.weights[name][rows]
                        if old.ndim == 1:
                            old, grad, new = old[:, None], grad[:, None], new[:, None]
                        lines.append(
                            line(
                                show,
                                "sgd",
                                {"lhs": symbol, "eta": eta, "dd": self.dd},
                                {
                                    "w": show.as_is(old, given=True),
                                    "d": show.as_is(grad, kind="grads"),
                                },
                                # the new weights would give the gradients away
                                show.as_is(new, kind="grads"),
                                f"{symbol} = {symbol} - {eta} d{symbol}",
                                ops=3,
                                extra_em=0.5 * numbers.display_width(eta),
                            )
                        )
                    what = (
                        "projection"
                        if key == "hr"
                        else ("the weights" if self.cell.kind == "rnn" else BLOCK_NAMES[key])
                    )
                    title = f"One SGD step, $\\eta = {eta}$: {what}" + (
                        f", {where}" if where else ""
                    )
                    groups.append(
                        self.group(
                            f"sgd-l{layer}-{direction}-{key}",
                            title,
                            note if not groups else "",
                            lines,
                        )
                    )
        return groups

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
            "The forward pass again, with the new weights ($Y'$ are its outputs)."
            if not spec.last_step_only
            else "The forward pass again, with the new weights ($y'$ is its last output)."
        )
        group = self.group("after", "The loss after one step", note, lines)
        group["verdict"] = f"{verdict}: from ${before}$ to ${after}$."
        group["went"] = went
        return group
