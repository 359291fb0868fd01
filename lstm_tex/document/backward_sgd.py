r"""The SGD step after the backward pass, ``W \leftarrow W - \eta\,dW`` for every weight
block, and the loss after it (the forward pass again with the new weights)."""

from __future__ import annotations

from typing import Any

from lstm_tex.compute.trace import Direction
from lstm_tex.document import numbers
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import TALL_ROWS, VDOTS_ROW, line, tall
from lstm_tex.document.backward_symbols import BLOCK_NAMES, Symbols, placement
from lstm_tex.document.line import Line
from lstm_tex.document.measure import OP_EM, tex_em
from lstm_tex.validate.model import ELISION_MIN

#: On slides, the rows an SGD line of tall weights shows: W - eta dW on one row and the
#: new W on the next, below the symbolic row, fit a frame with its note at 8 rows only
#: scaled down (issue 12).
SGD_TALL_ROWS = 6


class SgdLines(BuilderBase):
    """The builder's SGD step and the loss after it."""

    def sgd(self) -> list[dict[str, Any]]:
        """``W <- W - eta dW`` for every weight block: one group per gate (and projection)."""
        if self.g.sgd is None:
            return []
        note = (
            f"Every weight moves against its gradient, $W \\leftarrow W - \\eta\\,"
            f"{self.dd}W$, with the gradients derived above."
        )
        groups: list[dict[str, Any]] = []
        for layer in range(self.cfg.num_layers):
            for direction in self.directions:
                for key, items in self.sgd_blocks(layer, direction).items():
                    groups.append(
                        self.sgd_group(layer, direction, key, items, note if not groups else "")
                    )
        return groups

    def sgd_blocks(self, layer: int, direction: Direction) -> dict[str, list[tuple[str, str, Any]]]:
        """The weight blocks of one layer and direction, by gate (and ``hr``): each
        ``(symbol, state_dict name, rows)``."""
        step = next(s for s in self.g.trace.steps if s.layer == layer and s.direction == direction)
        sy = Symbols(step, self.cfg, self.dd)
        sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
        hidden = self.cfg.hidden_size
        blocks: dict[str, list[tuple[str, str, Any]]] = {}
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
        return blocks

    def sgd_group(
        self,
        layer: int,
        direction: Direction,
        key: str,
        items: list[tuple[str, str, Any]],
        note: str,
    ) -> dict[str, Any]:
        """The SGD lines of one weight block (``key``: a gate, or ``hr``)."""
        assert self.g.sgd is not None
        eta = numbers.format_number(self.g.sgd.lr, "written", 0)
        # the first line shares its frame with the note (at 11 pt the note's 2 lines and
        # 6 rows of a tall W_ii on two rows were scaled to 10.56 pt; issue 12)
        first = self.budget - self.show.note_rows(note)
        lines = [
            self.sgd_line(symbol, name, rows, eta, first if n == 0 else self.budget)
            for n, (symbol, name, rows) in enumerate(items)
        ]
        if key == "hr":
            what = "projection"
        else:
            what = "the weights" if self.cell.kind == "rnn" else BLOCK_NAMES[key]
        where = placement(layer, direction, self.cfg)
        title = f"One SGD step, $\\eta = {eta}$: {what}" + (f", {where}" if where else "")
        return self.group(f"sgd-l{layer}-{direction}-{key}", title, note, lines)

    def sgd_line(
        self, symbol: str, name: str, rows: Any, eta: str, frame_rows: float = 0.0
    ) -> Line:
        """``W <- W - eta dW = [W] - eta [dW] = [W']`` for one block: on slides, tall
        blocks show the same columns of the three, as many as fit W - eta dW's row
        (the new weights would give the gradients away in an exercise: boxed as them);
        ``frame_rows``: the rows of text of the frame it may take (slides)."""
        assert self.g.sgd is not None
        show = self.show
        old = self.ex.weights[name][rows]
        grad = self.g.grads[name][rows]
        new = self.g.sgd.weights[name][rows]
        if old.ndim == 1:
            old, grad, new = old[:, None], grad[:, None], new[:, None]
        eta_em = 0.5 * numbers.display_width(eta)
        if self.text_em is not None and self.medium.rows(old.T) > TALL_ROWS:
            room = show.limit - tex_em(symbol) - 2 * OP_EM - eta_em  # = W - eta dW
            arrays = [(old, True, ""), (grad, False, "grads"), (new, False, "grads")]
            most = next(
                (
                    n
                    for n in range(SGD_TALL_ROWS, ELISION_MIN, -1)
                    if tall([n, n], True, show.size) + 2 * VDOTS_ROW <= frame_rows
                ),
                ELISION_MIN,
            )
            w, d, r = show.columns(arrays, room, fit=2, rows=most)
        else:
            # in the article each of the three may need a row of its own (= [W],
            # - eta [dW], = [W']): as many columns of them as fit that row
            limit = show.limit - tex_em(symbol) - OP_EM
            cols = show.page_slots(
                [
                    ((old, True, ""), limit),
                    ((grad, False, "grads"), limit - OP_EM - 1.0 - eta_em),
                    ((new, False, "grads"), limit),
                ]
            )
            w, d = show.as_is(old, given=True, cols=cols), show.as_is(grad, kind="grads", cols=cols)
            r = show.as_is(new, kind="grads", cols=cols)
        return line(
            show,
            "sgd",
            {"lhs": symbol, "eta": eta, "dd": self.dd},
            {"w": w, "d": d},
            r,
            f"{symbol} = {symbol} - {eta} d{symbol}",
            ops=2,
            extra_em=eta_em,
        )
