r"""The SGD step after the backward pass, ``W \leftarrow W - \eta\,dW`` for every weight
block, and the loss after it (the forward pass again with the new weights)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.trace import Direction
from lstm_tex.document import numbers
from lstm_tex.document.backward_base import BuilderBase
from lstm_tex.document.backward_lines import TALL_ROWS, VDOTS_ROW, line, record, tall
from lstm_tex.document.backward_symbols import BLOCK_NAMES, Symbols, placement
from lstm_tex.document.frames import line_height
from lstm_tex.document.line import Line
from lstm_tex.document.measure import OP_EM, SYMBOLIC, tex_em
from lstm_tex.validate.model import ELISION_MIN

#: On slides, the rows an SGD line of tall weights shows: W - eta dW on one row and the
#: new W on the next, below the symbolic row, fit a frame with its note at 8 rows only
#: scaled down (issue 12).
SGD_TALL_ROWS = 6
#: Where the rows of a tall SGD line after its symbolic row start: a quad from the margin
#: (the symbolic row starts at the margin, ``W`` in the right column moved back a quad).
MARGIN_EM = 1.0


def sgd_rows(count: int, frame_rows: float, size: float, symbolic: bool = True) -> int:
    """The most rows (up to :data:`SGD_TALL_ROWS`, at least ``ELISION_MIN``) of ``count``
    rows of tall matrices (below a ``symbolic`` row) that fit ``frame_rows`` rows of text."""
    return next(
        (
            n
            for n in range(SGD_TALL_ROWS, ELISION_MIN, -1)
            if tall([n] * count, symbolic, size) + count * VDOTS_ROW <= frame_rows
        ),
        ELISION_MIN,
    )


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
        # the left column of the lines that keep their left-hand side in it (the biases)
        column = max((tex_em(sy) for sy, name, _ in items if name.startswith("bias")), default=0.0)
        lines = [
            self.sgd_line(symbol, name, rows, eta, first if n == 0 else self.budget, column)
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
        self,
        symbol: str,
        name: str,
        rows: Any,
        eta: str,
        frame_rows: float = 0.0,
        column: float = 0.0,
    ) -> Line:
        """``W <- W - eta dW = [W] - eta [dW] = [W']`` for one block: on slides, tall
        blocks show the same columns of the three (:meth:`tall_sgd`); in the article as
        many as fit a row each (the new weights would give the gradients away in an
        exercise: boxed as them); ``frame_rows``: the rows of text of the frame it may take
        (slides); ``column``: the widest left-hand side of the lines beside it."""
        assert self.g.sgd is not None
        show = self.show
        old = self.ex.weights[name][rows]
        grad = self.g.grads[name][rows]
        new = self.g.sgd.weights[name][rows]
        if old.ndim == 1:
            old, grad, new = old[:, None], grad[:, None], new[:, None]
        eta_em = 0.5 * numbers.display_width(eta)
        sym = {"lhs": symbol, "eta": eta, "dd": self.dd}
        symbolic = f"{symbol} = {symbol} - {eta} d{symbol}"
        arrays = [(old, True, ""), (grad, False, "grads"), (new, False, "grads")]
        if self.text_em is not None and self.medium.rows(old.T) > TALL_ROWS:
            if old.shape[1] > 1:  # a weight: its columns elided to the width
                room = show.limit - tex_em(symbolic) - 3 * OP_EM - eta_em
                w, d, r = show.columns(arrays, room)
                if w.em + d.em + r.em > room:
                    return self.tall_sgd(sym, symbolic, (old, grad, new), frame_rows, column)
            else:  # a bias: W - eta dW on one row, below the symbols where need be
                most = sgd_rows(2, frame_rows, show.size)
                room = show.limit - tex_em(symbol) - 2 * OP_EM - eta_em  # = W - eta dW
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
        return line(show, "sgd", sym, {"w": w, "d": d}, r, symbolic, ops=2, extra_em=eta_em)

    def tall_sgd(
        self,
        sym: dict[str, Any],
        symbolic: str,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
        frame_rows: float,
        column: float,
    ) -> Line:
        """On slides, the SGD step of tall weights (:meth:`sgd_layouts`): the one that shows
        the most columns, then the most rows (issue 12: W_hk showed 3 of its 8 columns at
        10 pt, the rows after the first indented past ``W_hk``; then 3 of its 8 rows)."""
        show = self.show
        old = arrays[0]
        one, *stacked_ones = self.sgd_layouts(sym, symbolic, arrays, frame_rows, column)
        # of the stacked ones, the symbols on the first row where that shows more rows
        own = max(stacked_ones, key=lambda layout: (layout[0], layout[1], layout[3]))
        # each factor on a row of its own where that shows more columns, with more than
        # ELISION_MIN rows, or where one row shows only 2 columns around \cdots
        better = own[0] and own[1] > one[1] and (own[3] > ELISION_MIN or one[1] <= ELISION_MIN)
        _, _, stacked, most, (w, d, r), rows_em, inline = own if better or not one[0] else one
        count = 3 if stacked else 2
        fit = {
            "break_numbers": not inline,
            "break_result": True,
            "break_inner": stacked,
            "height": (0.0 if inline else SYMBOLIC) + count * line_height(most),
            "width": max(rows_em) if inline else max(tex_em(symbolic), *rows_em),
            "tall": tall([most] * count, not inline, show.size)
            + (count * VDOTS_ROW if old.shape[0] > most else 0.0),
        }
        val = {"w": w.tex, "d": d.tex, "r": r.tex}
        return record(show, "sgd", {**sym, "margin": not inline}, val, fit)

    def sgd_layouts(
        self,
        sym: dict[str, Any],
        symbolic: str,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
        frame_rows: float,
        column: float,
    ) -> list[tuple[Any, ...]]:
        """The layouts of :meth:`tall_sgd`, each ``(fits, columns, stacked, rows, pieces,
        the width of each row, inline)``: below its symbolic row, which starts at the margin
        (the rows after it a quad in, not after ``W``), ``= [W] - eta [dW]`` on one row and
        ``= [W']`` on the next, or each factor on a row of its own; or, where the symbols
        and ``= [W]`` share the first row (``inline``, a row of the frame less, so more
        rows of the matrices), ``- eta [dW]`` and ``= [W']`` on rows of their own after the
        left-hand side. Rows from ``ELISION_MIN`` up: the most that fit ``frame_rows``."""
        show = self.show
        eta_em = 0.5 * numbers.display_width(sym["eta"])
        pieces = [(arrays[0], True, ""), (arrays[1], False, "grads"), (arrays[2], False, "grads")]
        layouts = []
        for stacked, count, inline in ((False, 2, False), (True, 3, False), (True, 3, True)):
            # where the rows after the first start: a quad in, or after the left-hand side
            start = max(tex_em(sym["lhs"]), column) if inline else max(MARGIN_EM, column)
            # what the first row holds before "= [W]": the symbols after the left column
            lead = start + tex_em(symbolic) - tex_em(sym["lhs"]) if inline else start
            room = show.limit - start - OP_EM  # = [..]
            most = sgd_rows(count, frame_rows, show.size, symbolic=not inline)
            if stacked:  # the widest row: \quad - eta [dW]
                first = show.limit - lead - OP_EM
                cols = min(
                    show.slots(pieces[:1], first, rows=most),
                    show.slots(pieces[1:2], room - 1.0 - eta_em, rows=most),
                    show.slots(pieces[2:], room, rows=most),
                )
            else:
                cols = show.slots(pieces, room - OP_EM - eta_em, fit=2, rows=most)
            w, d, r = (show.as_is(a, g, kind, cols=cols, rows=most) for a, g, kind in pieces)
            rows_em = (  # each row with its operators, from the margin
                [start + 2 * OP_EM + w.em + eta_em + d.em, start + OP_EM + r.em]
                if not stacked
                else [
                    lead + OP_EM + w.em,
                    start + 1.0 + OP_EM + eta_em + d.em,
                    start + OP_EM + r.em,
                ]
            )
            fits = max(rows_em) <= show.limit
            layouts.append((fits, cols, stacked, most, (w, d, r), rows_em, inline))
        return layouts
