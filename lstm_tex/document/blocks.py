r"""What the lines of a step's gates are made from: one gate's blocks of a layer's weights
(:class:`Blocks`, shared by the gate lines, the expansion and the reveal), what the
gates of one step share (:class:`Where`) and the textbook's ``[W_hk | W_ik]`` and
``[h; x]``, elided inside their blocks (:func:`textbook_stacked`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import matrices, measure, numbers
from lstm_tex.document.measure import LINE, OPERATOR_EM, SYMBOLIC
from lstm_tex.document.medium import FIT_COLS, NO_ELISION, Medium


@dataclass(frozen=True)
class Blocks:
    """One gate's blocks of a layer's weights: PyTorch's ``W_ik``, ``W_hk``, ``b_ik`` and
    ``b_hk`` (``None`` without a bias)."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray | None
    b_hh: np.ndarray | None

    @classmethod
    def of(cls, w: dict[str, Any], n: int, hidden: int) -> Blocks:
        """Gate ``n``'s blocks of ``w`` (:func:`lstm_tex.compute.engine.layer_weights`)."""
        block = slice(n * hidden, (n + 1) * hidden)
        return cls(
            w["w_ih"][block],
            w["w_hh"][block],
            None if w["b_ih"] is None else w["b_ih"][block],
            None if w["b_hh"] is None else w["b_hh"][block],
        )

    @property
    def bias(self) -> np.ndarray | None:
        """The textbook's and d2l's one bias ``b_k = b_ik + b_hk``, added as decimals
        (``bias: single`` has ``b_ik`` only)."""
        if self.b_ih is None:
            return None
        return self.b_ih if self.b_hh is None else numbers.decimal_sum(self.b_ih, self.b_hh)

    @property
    def stacked(self) -> np.ndarray:
        """The textbook's ``W_k = [W_hk  W_ik]``."""
        return np.hstack([self.w_hh, self.w_ih])

    def textbook(self, medium: Medium, slots: tuple[int, int]) -> str:
        """``W_k = [W_hk | W_ik]`` with a rule between its h and x columns, each block
        elided inside to its ``slots`` (:func:`textbook_stacked`)."""
        return matrices.bmatrix(
            self.stacked,
            style="written",
            max_rows=medium.layout.max_rows,
            max_cols=slots,
            column_blocks=[self.w_hh.shape[1], self.w_ih.shape[1]],
        )

    def textbook_em(self, medium: Medium, slots: tuple[int, int]) -> float:
        """The width of :meth:`textbook` in ems, by the widest weight it shows."""
        sizes = (int(self.w_hh.shape[1]), int(self.w_ih.shape[1]))
        rows = matrices.shown(int(self.w_hh.shape[0]), medium.layout.max_rows)
        cols = [c for c in matrices.block_indices(sizes, slots) if c is not None]
        widest = numbers.widest(self.stacked[np.ix_(rows, cols)], "written", medium.decimals)
        return blocks_em(widest, sizes, slots, medium.layout.size)


@dataclass(frozen=True)
class Where:
    """What the gates of one step share: the step and its medium, the layer's weights
    ``w``, the notation, the layer/direction superscript (and its ems per symbol), how x
    and h_{t-1} are written (styles, symbols, numbers as shown), the textbook's stacked
    ``[h; x]`` (:func:`textbook_stacked`: ``v_sym``, ``v_head``, ``v``, ``v_em``,
    ``v_rows``, ``slots``), the room of a result line and ``widest``: PyTorch's products
    by gate and kind (``("f", "hh")``), the widest ems of their vector, result and symbols
    over the steps shown (:func:`lstm_tex.document.products.widest_products`)."""

    step: Step
    medium: Medium
    w: dict[str, Any]
    hidden: int
    notation: str
    sup: str
    sup_em: float
    styles: tuple[numbers.Style, numbers.Style]
    symbols: tuple[str, str]
    shown: tuple[str, str]
    stacked: dict[str, Any]
    state_line: float
    widest: Mapping[tuple[str, str], tuple[float, float, float]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Matrix rows of the step's states."""
        step = self.step
        return self.medium.rows(step.c if step.c is not None else step.h)

    @property
    def budget(self) -> float:
        """On slides, a line taller than this stays on one row (:func:`unbroken_if_tall`)."""
        return self.medium.layout.frame_rows - SYMBOLIC


# ------------------------------------------------ the textbook's W_k = [W_hk | W_ik], [h; x]

#: The fewest slots of an elided block: its first column, ``\cdots`` and its last.
LEAST_SLOTS = 3


def textbook_lhs(medium: Medium, sup_em: float) -> tuple[float, bool]:
    """Where the numbers of the textbook's affine line start (ems), and whether its
    left-hand side ``W_k [h; x] + b_k`` has a row of its own (``Step.latex()``'s one
    aligned block, where it would widen every line)."""
    if medium.one_block:
        return measure.OWN_ROW_INDENT_EM + sup_em, True
    return measure.TEXTBOOK_LHS_EM + 2 * sup_em, False


def blocks_em(widest: float, sizes: tuple[int, int], slots: tuple[int, int], size: float) -> float:
    r"""The width (ems of ``size`` pt) of ``[W_hk | W_ik]`` with each block elided to its
    ``slots``: each block's columns and ``\cdots`` (:func:`measure.elided_matrix_em`) and
    one pair of brackets. The rule adds nothing: the ruled ``array`` of
    :func:`matrices.ruled_matrix` measured as wide as a ``bmatrix`` of the same columns
    (201.6 pt for 4 | 2 columns of -0.27, 226.5 pt for 3 | 4 with ``\cdots``)."""
    brackets = measure.BRACKETS_EM * measure.fixed_em(size)
    inner = sum(
        measure.elided_matrix_em(widest, n, s, size) - brackets
        for n, s in zip(sizes, slots, strict=True)
    )
    return inner + brackets


def block_slots(
    sizes: tuple[int, int], most: int, fits: Callable[[tuple[int, int]], bool]
) -> tuple[int, int]:
    r"""The slots (columns shown, ``\cdots`` counted, :func:`matrices.keep`) of the h and x
    blocks of ``[W_hk | W_ik]``, which ``[h; x]`` shows as rows: each block whole, or
    elided inside to no more than ``most``; then, until ``fits`` them, one slot fewer for
    the h block down to :data:`LEAST_SLOTS` (first column, ``\cdots``, last), then for the
    x block: the x block stays whole where it can."""
    slots = [min(n, most) for n in sizes]
    while not fits((slots[0], slots[1])):
        cuttable = [k for k in (0, 1) if slots[k] > LEAST_SLOTS]
        if not cuttable:
            break
        slots[cuttable[0]] -= 1
    return slots[0], slots[1]


def textbook_stacked(
    medium: Medium,
    parts: Sequence[tuple[np.ndarray, numbers.Style, str]],
    w: dict[str, Any],
    symbols: tuple[str, str],
    sup_em: float,
) -> dict[str, Any]:
    r"""The textbook's stacked ``[h_{t-1}; x_t]`` of one step (``parts``: h_{t-1}, then
    x_t, each with its style and its kind for an exercise's marks), for every gate of the
    step (``w``: the layer's weights): its symbol ``v_sym`` (stacked, with a rule) and
    ``v_head`` (the gates' symbolic line: on slides ``[h; x]`` on one row, Olah's
    concatenation, since the stacked symbol, two rows tall, took 7 % of a frame: a gate
    at hidden 8 and two gates sharing a frame were shrunk), its numbers ``v``, their
    width ``v_em`` and rows ``v_rows``, and the ``slots`` of its h and x blocks, which
    every ``W_k`` shows as columns: elided inside each block, so that the rule between h
    and x stays and the rows of ``[h; x]`` are the columns of ``W_k`` (issue 12).

    The slots fit ``W_k`` into the line beside the affine line's left-hand side (and, on
    slides, where a line is not broken inside ``W [h; x]``, beside the vector too), with
    the widest weight shown of any gate; and where two rows of the hidden size's matrices
    under the gate's symbolic line fill a frame (hidden 8 at 10 and 11 pt), ``[h; x]`` is
    no taller than ``W_k``: its ``\vdots`` counts as a row of its own."""
    layout = medium.layout
    h_sym, x_sym = symbols
    arrays = [a.T if a.ndim == 2 else a for a, _, _ in parts]  # one column per example
    sizes = (int(arrays[0].shape[0]), int(arrays[1].shape[0]))
    v_em = max(medium.em(a, style) for a, style, _ in parts)
    slots = _textbook_slots(medium, w, sizes, v_em, sup_em)
    v_sym = matrices.ruled_matrix(f"{h_sym} \\\\ \\hline {x_sym}", "c")
    styles = [style for (_, style, _), a in zip(parts, arrays, strict=True) for _ in range(len(a))]
    marks = [
        medium.marks.get(kind, "") for (_, _, kind), a in zip(parts, arrays, strict=True) for _ in a
    ]
    return {
        "v_sym": v_sym,
        "v_head": f"\\left[{h_sym};\\, {x_sym}\\right]" if layout.shrinks else v_sym,
        "v": matrices.bmatrix(
            np.concatenate(arrays),
            style=styles,
            decimals=medium.decimals,
            max_rows=slots,
            max_cols=layout.max_cols,
            marks=marks,
            blocks=sizes,
        ),
        "v_em": v_em,
        "v_rows": min(sum(slots), layout.max_rows),
        "slots": slots,
    }


def _textbook_slots(
    medium: Medium, w: dict[str, Any], sizes: tuple[int, int], v_em: float, sup_em: float
) -> tuple[int, int]:
    """The slots of ``[h; x]``'s h and x blocks (``sizes``) that :func:`textbook_stacked`
    shows: as many as fit ``W_k`` beside the left-hand side (and on slides beside the
    vector, ``v_em`` wide) and, where a gate's frame is tight, no taller than ``W_k``."""
    layout = medium.layout
    rows = min(int(w["w_hh"].shape[1]), layout.max_rows)  # W_k's rows shown: the hidden size
    tight = layout.shrinks and layout.frame_rows < 2 * (rows + LINE) + SYMBOLIC + 1.0
    lhs, own_row = textbook_lhs(medium, sup_em)
    room = layout.line_em - lhs - OPERATOR_EM * own_row
    if layout.shrinks:  # a slide: W and [h; x] on one row, never broken between them
        room -= v_em + measure.STACKED_GAP_EM
    widest = _widest_weight(medium, w)
    size = layout.size

    def fits(slots: tuple[int, int]) -> bool:
        shown = sum(slots)
        if tight:  # each elided block's \vdots counts as a row
            shown += sum(s < n for s, n in zip(slots, sizes, strict=True))
        if shown > (rows if tight else layout.max_rows):
            return False
        # more columns than fit asked for (render.max_cols above FIT_COLS on slides, or
        # article_full): they show, and a line too wide is scaled down (as Medium.weights)
        asked = layout.max_cols > FIT_COLS if layout.shrinks else layout.max_cols >= NO_ELISION
        return asked or blocks_em(widest, sizes, slots, size) <= room

    return block_slots(sizes, layout.max_cols, fits)


def _widest_weight(medium: Medium, w: dict[str, Any]) -> float:
    """The widest weight, as written, that the rows shown of any gate's ``[W_hk | W_ik]``
    hold (once per layer: the steps share it)."""
    w_ih, w_hh = np.asarray(w["w_ih"]), np.asarray(w["w_hh"])
    key = ("textbook", w_ih.shape, w_ih.tobytes() + w_hh.tobytes(), None)
    cached = medium._weights.get(key)  # the medium's cache of its weights
    if cached is None:
        hidden = w_hh.shape[1]
        rows = [
            n * hidden + r
            for n in range(w_hh.shape[0] // hidden)
            for r in matrices.keep(hidden, medium.layout.max_rows)
            if r is not None
        ]
        both = np.hstack([w_hh[rows], w_ih[rows]])
        cached = numbers.widest(both, "written", medium.decimals)
        medium._weights[key] = cached
    return float(cached)
