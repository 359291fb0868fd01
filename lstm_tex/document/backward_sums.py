r"""The sums over the steps that give the parameters' gradients of one layer and
direction: ``dW = \sum_t \delta_t v_t^\top`` term by term, or as one product of stacked
deltas (many steps; on slides, tall matrices), and ``db = \sum_t \delta_t``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lstm_tex.compute.trace import Direction, Step
from lstm_tex.document.backward_lines import (
    SUM_LIMITS_ROW,
    SUM_TERMS_MAX,
    TALL_ROWS,
    VDOTS_ROW,
    sum_line,
    tall,
)
from lstm_tex.document.backward_show import Piece
from lstm_tex.document.backward_symbols import Symbols
from lstm_tex.document.line import Line
from lstm_tex.document.measure import OP_EM, tex_em
from lstm_tex.validate.model import ELISION_MIN

if TYPE_CHECKING:
    from lstm_tex.document.backward_base import BuilderBase


#: The rows a product of tall matrices shows when its result needs a row of its own (fewer
#: where the frame, with the group's note, holds less: at 11 pt two rows of 6 and the note
#: were scaled to 9.5 pt; issue 12) ...
TALL_PRODUCT_ROWS = 6
#: ... and at least, where the result takes a row of its own only to show more columns
#: than one row does (at hidden 8, dW_hk showed 2 of its 8 columns on one row).
WIDER_PRODUCT_ROWS = 5


class Sums:
    """The sums of one layer and direction (``steps`` in order of t)."""

    def __init__(
        self, bld: BuilderBase, layer: int, direction: Direction, steps: Sequence[Step]
    ) -> None:
        self.bld = bld
        self.show = bld.show
        self.layer, self.direction, self.steps = layer, direction, list(steps)
        self.back = {s.t: bld.g.step(layer, direction, s.t) for s in steps}
        self.sy = Symbols(steps[0], bld.cfg, bld.dd)
        self.sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
        medium = bld.medium
        #: On slides, deltas of more rows than TALL_ROWS: each sum is one product on one
        #: row, its right factor and result elided to the width (issue 12).
        self.tall = bld.text_em is not None and medium.rows(self.back[steps[0].t].dh) > TALL_ROWS
        # An exercise sheet on paper writes the sum term by term: a product of stacked
        # deltas as boxes 1.5 times a number wide is wider than the page from 6 steps on.
        self.stacked = self.tall or (
            len(steps) > SUM_TERMS_MAX and not (medium.paper_boxes and "dpre" in medium.marks)
        )
        self.batched = bld.ex.batched
        self.ones = "\\mathbf{1}" if self.batched else ""

    def named(self, left: Piece, names: Sequence[str], n: int | None = None) -> Piece:
        """A sum's left factor on an exercise sheet that leaves the deltas blank: the
        ``n``-th delta by its name, or (``None``) the stacked deltas as a row of names,
        as the lines that derive them left them (:meth:`Show.used`)."""
        if not names:
            return left
        if n is not None:
            return self.show.used(left, names[n])
        return self.show.used(left, "\\begin{bmatrix} " + " & ".join(names) + " \\end{bmatrix}")

    def expand(self, general: str, terms: list[str]) -> str:
        r"""``\sum_t general``, written out term by term unless the sum is one product."""
        summed = f"\\sum_{{t}} {general}"
        return summed if self.stacked else f"{summed} = " + " + ".join(terms)

    def weight(
        self,
        lhs: str,
        symbols: tuple[str, list[str]],
        deltas: list[np.ndarray],
        operands: tuple[list[np.ndarray], list[bool]],
        grad: np.ndarray,
        frame_rows: float | None = None,
        names: Sequence[str] = (),
    ) -> Line:
        r"""``lhs = \sum_t \delta_t v_t^\top = ... = grad``: ``symbols`` the general term
        and each step's, ``operands`` the vectors ``v_t`` and whether each is as given;
        ``frame_rows``: the rows of text of a frame it may take (slides; a whole frame if
        ``None``, less the note where it has one)."""
        show = self.show
        vectors, given = operands
        terms: list[tuple[Piece, Piece | None]]
        if not self.stacked:
            lefts = [self.named(show.value(dl), names, n) for n, dl in enumerate(deltas)]
            cols = self.page_cols(lhs, lefts, list(zip(vectors, given, strict=True)), grad)
            terms = [
                (left, show.as_is(op, gv, cols=cols))
                for left, op, gv in zip(lefts, vectors, given, strict=True)
            ]
            result = show.as_is(grad, kind="grads", cols=cols)
        else:
            left = show.value(np.concatenate(deltas), "dpre")
            right = np.concatenate(vectors)
            # each row as the forward frames show it: h_0 as given, h_1 as computed
            rows = [g for v, g in zip(vectors, given, strict=True) for _ in range(v.shape[0])]
            if self.tall:
                shown, result, left = self.tall_product(
                    lhs,
                    np.concatenate(deltas),
                    (right, rows),
                    grad,
                    self.bld.budget if frame_rows is None else frame_rows,
                )
            else:
                cols = self.page_cols(lhs, [left], [(right, rows)], grad)
                shown = show.as_is(right, rows, cols=cols)
                result = show.as_is(grad, kind="grads", cols=cols)
            terms = [(self.named(left, names), self.stacked_names(vectors, given) or shown)]
        return sum_line(show, lhs, self.expand(*symbols), terms, result)

    def stacked_names(self, vectors: list[np.ndarray], given: list[bool]) -> Piece | None:
        r"""The stacked ``[h_0^\top; h_1^\top]`` by name where one of them is blank on the
        exercise sheet (:attr:`Show.forward`), else ``None``."""
        show = self.show
        if all(g or show.blank_name(v) is None for v, g in zip(vectors, given, strict=True)):
            return None
        rows = [show.forward[id(v)][2] for v in vectors]
        tex = "\\begin{bmatrix} " + " \\\\ ".join(rows) + " \\end{bmatrix}"
        return Piece(tex, max(tex_em(r) for r in rows) + 1.0, len(rows))

    def page_cols(
        self,
        lhs: str,
        lefts: list[Piece],
        rights: list[tuple[np.ndarray, bool | Sequence[bool]]],
        grad: np.ndarray,
    ) -> int | None:
        """In the article, the columns a sum's right factors and its result show: as many
        as let each term (``+ [left] [right]`` after the left-hand side and a quad) and
        the result (``= [grad]``) fit a row of their own (:meth:`Show.page_slots`)."""
        limit = self.show.limit - tex_em(lhs)
        terms = [
            ((right, given, ""), limit - 2 * OP_EM - 1.0 - left.em)
            for left, (right, given) in zip(lefts, rights, strict=True)
        ]
        return self.show.page_slots([*terms, ((grad, False, "grads"), limit - OP_EM)])

    def tall_product(
        self,
        lhs: str,
        deltas: np.ndarray,
        right: tuple[np.ndarray, Sequence[bool]],
        grad: np.ndarray,
        frame_rows: float,
    ) -> tuple[Piece, Piece, Piece]:
        """On slides, ``[deltas] [right] = [grad]`` of tall matrices, the columns of
        ``right`` (and whether each row is as given) and ``grad`` elided alike: on one row; or
        with the result on a row of its own, both rows elided to the most rows (up to
        :data:`TALL_PRODUCT_ROWS`) that fit ``frame_rows``, where even the fewest columns
        do not fit one row, or where that shows more columns (issue 12: the frame's
        width used, never scaled down)."""
        show = self.show
        left = show.value(deltas, "dpre")
        arrays: list[tuple[np.ndarray, bool | Sequence[bool], str]] = [
            (right[0], right[1], ""),
            (grad, False, "grads"),
        ]
        room = show.limit - tex_em(lhs) - 2 * OP_EM - left.em  # = [left] [right] = [grad]
        one = show.slots(arrays, room)
        shown, result = show.columns(arrays, room)
        fits = shown.em + result.em <= room
        rows = self.product_rows(frame_rows)
        # with the result on a row of its own, both rows fit: [left] [right] after the
        # left-hand side, and = [grad] (at hidden 8 with one step, a narrow left and
        # 8 columns of dW_hk on the second row were scaled to 9.78 pt at 10 pt; issue 12)
        wide = min(
            show.slots(arrays, room + OP_EM, fit=1, rows=rows),
            show.slots(arrays[1:], show.limit - tex_em(lhs) - OP_EM, rows=rows),
        )
        if fits and (
            one >= min(right[0].shape[1], show.medium.layout.max_cols)
            # fewer rows only where one row shows 2 columns around \cdots (at 11 pt dW_ik
            # under its note's 3 lines: 4 of its 4 columns, 3 of its 8 rows; issue 12)
            or (rows < WIDER_PRODUCT_ROWS and (one > ELISION_MIN or rows <= ELISION_MIN))
            or wide <= one
        ):
            return shown, result, left
        left = show.value(deltas, "dpre", slots=rows)
        shown, result = (show.as_is(a, g, kind, cols=wide, rows=rows) for a, g, kind in arrays)
        return shown, result, left

    def product_rows(self, frame_rows: float) -> int:
        """The most rows (from :data:`TALL_PRODUCT_ROWS` down to ``ELISION_MIN``) of a
        product whose result has a row of its own that fit ``frame_rows`` rows of text
        with the line's symbolic row (as :func:`sum_line` counts them)."""
        for rows in range(TALL_PRODUCT_ROWS, ELISION_MIN, -1):
            if (
                tall([rows, rows], True, self.show.size) + 2 * VDOTS_ROW + SUM_LIMITS_ROW
                <= frame_rows
            ):
                return rows
        return ELISION_MIN

    def bias(
        self,
        symbol: str,
        deltas: list[np.ndarray],
        sym: Callable[[int | str], str],
        grad: np.ndarray,
    ) -> Line:
        r"""``db = \sum_t \delta_t``: the deltas one by one, or one product of the stacked
        deltas with a column of ones written out, ``[\delta_1 \delta_2] [1; 1]`` (and each
        ``\delta_t`` times ones with a batch): it says what it does where a bold 1 had to be
        explained on an earlier frame (issue 12)."""
        show = self.show
        lefts = [np.concatenate(deltas)] if self.stacked else deltas
        ones = self.batched or self.stacked
        names = [sym(s.t) for s in self.steps]
        terms: list[tuple[Piece, Piece | None]] = [
            (
                self.named(show.value(d, "dpre"), names)
                if self.stacked
                else self.named(show.value(d), names, n),
                show.given(np.ones((1, d.shape[0]))) if ones and d.shape[0] > 1 else None,
            )
            for n, d in enumerate(lefts)
        ]
        general = f"{sym('t')}{self.ones}"
        # the deltas by name and nothing beside them: written out once, not twice
        named = all(left.tex in names and right is None for left, right in terms)
        return sum_line(
            show,
            f"{self.sy.dd}{symbol}",
            f"\\sum_{{t}} {general}"
            if named
            else self.expand(general, [f"{sym(s.t)}{self.ones}" for s in self.steps]),
            terms,
            show.value(grad[None, :], "grads"),
        )
