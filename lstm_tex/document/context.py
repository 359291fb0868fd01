r"""From a trace to the template context: every number already LaTeX text.

The templates compose equations from the symbols and ``bmatrix`` strings made
here; they never format a number themselves. The layout decisions that depend
on sizes (when to move a result onto its own line, when to split a derivation
over two frames, when to elide rows of a large matrix) are made here too, from
simple width and height estimates, so the templates stay declarative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lstm_tex.check.forward import CheckReport
from lstm_tex.compute.engine import Direction, Step, Trace, directions_of, layer_weights
from lstm_tex.document import expansion, forms, measure, numbers, plots, reveal
from lstm_tex.errors import printable
from lstm_tex.latex.tex import NEEDS, PART_NEEDS, escape, needs_comment
from lstm_tex.latex.text import comment
from lstm_tex.validate.model import ELISION_MIN, GATES, LstmConfig, RenderOptions

GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
ACTIVATION = {"i": "\\sigma", "f": "\\sigma", "g": "\\tanh", "o": "\\sigma"}


@dataclass(frozen=True)
class Layout:
    """Size limits of one medium (slides or article), in ems of the body font."""

    line_em: float
    max_rows: int
    max_cols: int
    frame_rows: float
    shrinks: bool = False  # a line too wide is scaled down (\lstmfit), not broken inside W x


#: The deck's text is 140 mm wide: 39.8 em of \small (10 pt) math, the derivations' size;
#: a line is elided to fit it at that size rather than scaled down (issue 12).
SLIDES = Layout(
    line_em=measure.slide_line_em() - 0.3, max_rows=8, max_cols=8, frame_rows=19.5, shrinks=True
)
#: A gate's frames set their lines closer (\jot 1 pt): they hold this many more rows, which
#: is two lines of 8-row matrices under the gate's symbolic line.
GATE_EXTRA_ROWS = 1.0
# The article's text is 17 cm wide: 44 em of 11 pt math (measured against pdflatex); its
# "frames" are the display blocks that results are split into, so that pages can break.
ARTICLE = Layout(line_em=44.0, max_rows=16, max_cols=12, frame_rows=36.0)
#: No elision (``render.article_full``): every row and column; a line too large for the
#: page is scaled down as a whole (``\lstmfitpage``) rather than broken inside ``W x``.
NO_ELISION = 1_000_000
ARTICLE_FULL = Layout(
    line_em=44.0, max_rows=NO_ELISION, max_cols=NO_ELISION, frame_rows=36.0, shrinks=True
)


#: ``parts/*.tex`` and the API's ``Step.latex()``: lines broken to 30 em, which fit the text
#: of a default ``\documentclass{article}`` at 10, 11 and 12 pt (345 pt of 10 pt, 360 pt of
#: 10.95 pt and 390 pt of 12 pt: 34.5, 32.9 and 32.5 em); a part still wider than its host's
#: ``\linewidth`` (a 4:3 frame) is scaled down to it as a whole (part.tex.j2).
PARTS = Layout(line_em=30.0, max_rows=8, max_cols=8, frame_rows=36.0)


#: With ``article_full``, matrices taller than this are not broken onto more lines: two
#: lines of them would not fit a page, so each derivation line is scaled down whole.
FULL_ROWS = 24


def _one_line(ctx: dict[str, Any]) -> None:
    """Clear the line breaks of a step context (its own and its gates')."""
    for entry in (ctx, *ctx["gates"]):
        for key in entry:
            if key.startswith("break_"):
                entry[key] = False
        if isinstance(entry.get("breaks"), dict):
            entry["breaks"] = dict.fromkeys(entry["breaks"], False)


def slides_layout(size: int) -> Layout:
    """:data:`SLIDES` at ``render.text_size`` ``size`` (pt): a line holds fewer ems of a
    larger size and a frame fewer matrix rows, so more is elided or split, never shrunk."""
    if size == measure.SLIDE_TEXT_PT:
        return SLIDES
    return replace(
        SLIDES,
        line_em=measure.slide_line_em(size) - 0.3,
        frame_rows=SLIDES.frame_rows * measure.SLIDE_TEXT_PT / size,
    )


def layout(render: RenderOptions, slides: bool, parts: bool = False) -> Layout:
    """The limits of a medium under the ``render:`` options: ``max_rows``/``max_cols`` on
    slides and in the parts, ``text_size`` on slides, ``article_full`` in the article."""
    if parts:
        return replace(PARTS, max_rows=render.max_rows, max_cols=render.max_cols)
    if slides:
        return replace(
            slides_layout(render.text_size), max_rows=render.max_rows, max_cols=render.max_cols
        )
    return ARTICLE_FULL if render.article_full else ARTICLE


def _where(layer: int, direction: str, cfg: LstmConfig) -> list[str]:
    """``["Layer 1", "reverse"]``: the parts of a title that place a step in the network."""
    where = [f"Layer {layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        where.append(direction)
    return where


def _sup(step: Step, layers: int, bidirectional: bool) -> str:
    parts = []
    if layers > 1:
        parts.append(f"({step.layer})")
    if bidirectional:
        parts.append("\\rightarrow" if step.direction == "forward" else "\\leftarrow")
    return f"^{{{''.join(parts)}}}" if parts else ""


def _matrix_em(array: np.ndarray, decimals: int, style: numbers.Style, layout: Layout) -> float:
    """Estimated width of a bmatrix in ems (digits are half an em wide)."""
    a = array.reshape(array.shape[0], -1)
    cols = min(a.shape[1], layout.max_cols)
    widest = numbers.widest(_shown(a, layout.max_rows, layout.max_cols), style, decimals)
    return measure.matrix_em(widest, cols)


def _shown(a: np.ndarray, max_rows: int, max_cols: int) -> np.ndarray:
    """The entries of matrix ``a`` that an elided bmatrix can show (all when it fits):
    widths are measured on them, not on the thousands of numbers elided away."""
    if a.ndim < 2 or (a.shape[0] <= max_rows and a.shape[1] <= max_cols):
        return a
    rows = [r for r in numbers._keep(a.shape[0], max_rows) if r is not None]
    cols = [c for c in numbers._keep(a.shape[1], max_cols) if c is not None]
    return a[np.ix_(rows, cols)]


BOX_EM = 0.3  # extra width of a number in an exercise box (\lstmblank, \lstmanswer)
#: On paper (the article's exercise sheet and answer key) a box is this many times as wide
#: as the number it stands for, room for a handwritten one (issue 12; exercise.tex.j2).
PAPER_BOX_SCALE = 1.5


#: Up to this ``max_cols`` (the default), a slide's weight matrix shows no more columns than
#: fit its line at full size; a larger ``max_cols`` (or ``article_full``) asks for more
#: columns, and the line is scaled to fit instead.
FIT_COLS = 8

WEIGHT_LABEL_EM = 12.0  # width of a label such as W_{hi} h_{0} + b_{hi} = (with marks)
#: Width of what a row vector shares its line with at the least, in the row-vector notation:
#: a left-hand side (``h^{(1)\leftarrow}_{1}``), ``\odot \tanh\left(``, ``\right)`` and
#: the brackets (measured with pdflatex: 2.45 and 3.7 em).
ROW_LINE_EM = 6.5


class _Medium:
    """Formats the numbers of one medium with its limits.

    ``row_vectors``: vectors are rows and a batch is one row per example (the row-vector
    notation); else columns, one per example. ``marks``: what an exercise sheet does with
    the values of each quantity (``ih``, ..., ``i``, ``c``, ``h``): blank them or box
    them as answers. ``captions``: whether derivations get sentences that read them.
    """

    def __init__(
        self,
        decimals: int,
        layout: Layout,
        *,
        row_vectors: bool = False,
        marks: Mapping[str, numbers.Mark] | None = None,
        captions: bool = False,
    ) -> None:
        self.decimals = decimals
        self.layout = layout
        self.row_vectors = row_vectors
        self.marks = dict(marks or {})
        self.captions = captions
        #: Every line of a step in one aligned block (``Step.latex()``): a long left-hand
        #: side would widen all of them.
        self.one_block = False
        self.row_cap: int | None = None
        #: Exercise boxes :data:`PAPER_BOX_SCALE` times as wide as their number (the
        #: article), else :data:`BOX_EM` wider (slides).
        self.paper_boxes = False
        # Weights are shown again at every step: each one is formatted once, by content.
        self._weights: dict[tuple[str, tuple[int, ...], bytes, float | None], Any] = {}

    def value(self, array: np.ndarray, kind: str = "", beside: float = 0.0) -> str:
        """A computed value; ``kind`` names the quantity for an exercise's marks;
        ``beside``: the ems of what shares its line (:meth:`row_cols`)."""
        matrix = self._as_matrix(array)
        return numbers.bmatrix(
            matrix,
            style="fixed",
            decimals=self.decimals,
            max_rows=self.layout.max_rows,
            max_cols=self.row_cols(matrix, "fixed", beside),
            marks=self.marks.get(kind, ""),
        )

    def row_cols(self, matrix: np.ndarray, style: numbers.Style, beside: float = 0.0) -> int:
        """Columns shown of a vector: ``max_cols``; with row vectors in a medium that breaks
        lines (the article, the parts, ``Step.latex()``), no more than fit a line of their
        own (:data:`ROW_LINE_EM`), since a row cannot be broken: within a step, the same
        columns for every vector (:meth:`rows_of_step`), so that ``[f] \\odot [c]`` pairs
        the numbers it shows. ``beside``: a longer label that shares the line (a results
        row's ``[h_1 \\cdots h_T] =``) leaves less room."""
        if not self.row_vectors or self.layout.shrinks or matrix.ndim < 2:
            return self.layout.max_cols
        if self.row_cap is not None:
            return self.row_cap
        shown = _shown(matrix, self.layout.max_rows, self.layout.max_cols)
        return self._row_fit(numbers.widest(shown, style, self.decimals), beside)

    def _row_fit(self, widest: float, beside: float = 0.0) -> int:
        column = 0.5 * widest + 1.0
        if self.marks:  # an exercise box around any number (an over-estimate, as em())
            column += BOX_EM
            if self.paper_boxes:
                column += (PAPER_BOX_SCALE - 1.0) * measure.DIGIT_EM * widest
        fit = int((self.layout.line_em - max(ROW_LINE_EM, beside)) / column)
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def rows_of_step(self, given: Sequence[np.ndarray], computed: Sequence[np.ndarray]) -> None:
        """Fix the columns of the row vectors of one step (:meth:`row_cols`) from the widest
        number among them (``given`` ones as written, else as computed values), or lift
        the fix (both empty)."""
        self.row_cap = None
        if not self.row_vectors or self.layout.shrinks or not (given or computed):
            return
        rows, cols = self.layout.max_rows, self.layout.max_cols
        widest = max(
            [
                *(numbers.widest(_shown(a, rows, cols), "written", self.decimals) for a in given),
                *(numbers.widest(_shown(a, rows, cols), "fixed", self.decimals) for a in computed),
            ]
        )
        self.row_cap = self._row_fit(widest)

    def blocks(self, arrays: Sequence[np.ndarray], kind: str = "", beside: float = 0.0) -> str:
        """Computed values as blocks of one matrix with a rule between them: stacked (a
        bidirectional output, ``[h->; h<-]``), or side by side with row vectors (each block
        elided on its own, together no wider than :meth:`row_cols` allows)."""
        blocks = [self._as_matrix(a) for a in arrays]
        axis = 1 if self.row_vectors else 0
        sizes = [b.shape[axis] for b in blocks]
        whole = np.concatenate(blocks, axis=axis)
        cols = self.layout.max_cols
        if self.row_vectors and not self.layout.shrinks:
            cols = max(ELISION_MIN, self.row_cols(whole, "fixed", beside) // len(blocks))
        return numbers.bmatrix(
            whole,
            style="fixed",
            decimals=self.decimals,
            max_rows=self.layout.max_rows,
            max_cols=cols,
            marks=self.marks.get(kind, ""),
            blocks=None if self.row_vectors else sizes,
            column_blocks=sizes if self.row_vectors else None,
        )

    def stacked(self, parts: Sequence[tuple[np.ndarray, numbers.Style, str]]) -> str:
        """Vectors stacked into one (``[h_{t-1}; x_t]``), each part with its style and kind;
        elided like the columns of the matrix that multiplies it."""
        blocks = [self._as_matrix(a) for a, _, _ in parts]
        styles = [
            style for (_, style, _), b in zip(parts, blocks, strict=True) for _ in range(b.shape[0])
        ]
        marks = [
            self.marks.get(kind, "")
            for (_, _, kind), b in zip(parts, blocks, strict=True)
            for _ in range(b.shape[0])
        ]
        stacked = np.concatenate(blocks)
        limit = min(self.layout.max_rows, self.layout.max_cols)
        whole = stacked.shape[0] <= limit  # not elided: a rule between h and x (issue 12)
        return numbers.bmatrix(
            stacked,
            style=styles,
            decimals=self.decimals,
            max_rows=None if whole else limit,
            max_cols=self.layout.max_cols,
            marks=marks,
            blocks=[b.shape[0] for b in blocks] if whole else None,
        )

    def weight_blocks(self, blocks: Sequence[np.ndarray]) -> str:
        """Weight matrices side by side (``[W_hk  W_ik]``): with a rule between them when
        every column shows, else as one matrix elided like :meth:`weights`."""
        array = np.hstack(blocks)
        if array.shape[1] > self.weight_cols(array):
            return self.weights(array)
        return numbers.bmatrix(
            array,
            style="written",
            max_rows=self.layout.max_rows,
            column_blocks=[b.shape[1] for b in blocks],
        )

    def given(self, array: np.ndarray) -> str:
        matrix = self._as_matrix(array)
        return numbers.bmatrix(
            matrix,
            style="written",
            max_rows=self.layout.max_rows,
            max_cols=self.row_cols(matrix, "written"),
        )

    def _as_matrix(self, array: np.ndarray) -> np.ndarray:
        # (B, n) batch rows become n x B: one column per example (unless rows are wanted).
        return array.T if array.ndim == 2 and not self.row_vectors else array

    def weight_cols(self, array: np.ndarray, room: float | None = None) -> int:
        """Columns of a weight matrix shown: ``max_cols``, and no more than fit ``room`` ems
        (on slides: what its line leaves for it at full size, so that the line is elided
        rather than scaled down) or, in a medium that breaks lines (the article), the line
        beside the label ``W x + b =``."""
        if array.ndim < 2 or (
            self.layout.shrinks and (room is None or self.layout.max_cols > FIT_COLS)
        ):
            return self.layout.max_cols
        if room is None:
            room = self.layout.line_em - WEIGHT_LABEL_EM
        shown = _shown(array, self.layout.max_rows, self.layout.max_cols)
        widest = numbers.widest(shown, "written", self.decimals)
        if self.layout.shrinks:  # a slide: as many columns as fit, counting the dots
            return measure.fit_columns(
                widest, array.shape[1], room, ELISION_MIN, self.layout.max_cols
            )
        fit = int((room - measure.BRACKETS_EM) / measure.column_em(widest))
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def weights(self, array: np.ndarray, room: float | None = None) -> str:
        """A weight matrix (or bias vector) as written, not transposed; ``room``: the ems
        its line leaves for it (:meth:`weight_cols`)."""
        key = ("tex", array.shape, array.tobytes(), room)
        if key not in self._weights:
            self._weights[key] = numbers.bmatrix(
                array,
                style="written",
                max_rows=self.layout.max_rows,
                max_cols=self.weight_cols(array, room),
            )
        text: str = self._weights[key]
        return text

    def em(self, array: np.ndarray, style: numbers.Style = "fixed", beside: float = 0.0) -> float:
        matrix = self._as_matrix(array)
        layout = replace(self.layout, max_cols=self.row_cols(matrix, style, beside))
        em = _matrix_em(matrix, self.decimals, style, layout)
        if self.marks:  # boxes anywhere: count them everywhere (an over-estimate)
            em += self.box_em(matrix, style) * min(
                matrix.reshape(matrix.shape[0], -1).shape[1], self.layout.max_cols
            )
        return em

    def box_em(self, matrix: np.ndarray, style: numbers.Style = "fixed") -> float:
        """What an exercise box adds to each column of ``matrix``, in ems."""
        if not self.paper_boxes:
            return BOX_EM
        a = matrix.reshape(matrix.shape[0], -1)
        shown = _shown(a, self.layout.max_rows, self.layout.max_cols)
        widest = numbers.widest(shown, style, self.decimals)
        return BOX_EM + (PAPER_BOX_SCALE - 1.0) * measure.DIGIT_EM * widest

    def weights_em(self, array: np.ndarray, room: float | None = None) -> float:
        key = ("em", array.shape, array.tobytes(), room)
        if key not in self._weights:
            matrix = array.reshape(array.shape[0], -1)
            cols = self.weight_cols(array, room)
            if self.layout.shrinks and cols < matrix.shape[1]:
                # as weight_cols counted it (the dots column as itself), or the line that
                # W was elided to fit is taken for too wide and broken (issue 12)
                widest = numbers.widest(
                    _shown(matrix, self.layout.max_rows, cols), "written", self.decimals
                )
                self._weights[key] = measure.elided_matrix_em(widest, matrix.shape[1], cols)
            else:
                self._weights[key] = _matrix_em(
                    matrix, self.decimals, "written", replace(self.layout, max_cols=cols)
                )
        em: float = self._weights[key]
        return em

    def rows(self, array: np.ndarray) -> int:
        n = int(self._as_matrix(array).shape[0])
        return min(n, self.layout.max_rows)


SYMBOLIC = 1.6  # height of a line without matrices, in matrix rows
LINE = 1.4  # extra height of a line of matrices (brackets, spacing), in matrix rows


def _height(rows: int, broken: bool) -> float:
    """Estimated height of a derivation line of ``rows``-row matrices (two if broken)."""
    return (rows + LINE) * (2 if broken else 1)


class Frame(list[Any]):
    """The lines (or rows) of one frame; ``tall``: estimated taller than the frame (one line
    alone that is too tall), so the template lets Beamer shrink it (``[shrink]``, only as
    much as needed: a frame the default theme holds may not fit a themed 16:9 deck);
    ``used``: its estimated height in rows; ``tight``: its lines are set closer (a gate's
    frame holding more than a frame's rows at the usual spacing)."""

    tall: bool = False
    used: float = 0.0
    tight: bool = False

    @classmethod
    def of(cls, lines: Sequence[Any], tall: bool, used: float = 0.0) -> Frame:
        frame = cls(lines)
        frame.tall = tall
        frame.used = used
        return frame


#: A frame is shrunk when its estimate exceeds this share of the budget. The budget is
#: calibrated on the default theme; a themed 16:9 deck (Madrid: a taller title bar, a
#: footline) holds a little less, and taller matrices (render.max_rows) more than their
#: estimate says.
TALL = 0.95


#: A gate line of up to this many matrix rows may move its result and bias to rows of their
#: own to show its weight matrix whole: the gate's two lines still share a frame.
MOVE_ROWS = 4


def _weight_room(
    medium: _Medium,
    shown: np.ndarray,
    rest: float,
    movable: tuple[float, float],
    line: tuple[np.ndarray, ...],
) -> float | None:
    """On slides, the ems a weight matrix has on its line ``W x + b = result`` (``rest``:
    all but W), so that its columns are elided rather than the line scaled down. When the
    whole matrix does not fit there but does with the result (``movable[0]`` ems), then
    also the bias (``movable[1]``), on rows of their own, it keeps every column and they
    move (issue 12: a hidden-4 W_hn was elided on a half-empty frame); only for lines of
    up to :data:`MOVE_ROWS` rows, since taller ones on three rows take a frame more."""
    if not medium.layout.shrinks:
        return None
    room = medium.layout.line_em - rest
    every = min(shown.shape[1], medium.layout.max_cols) if shown.ndim == 2 else 0
    if every == 0 or medium.weight_cols(shown, room) >= every:
        return room
    rows = max(min(shown.shape[0], medium.layout.max_rows), *(medium.rows(a) for a in line))
    if rows > MOVE_ROWS:
        return room
    wider = room
    for em in movable:
        wider += em
        if medium.weight_cols(shown, wider) >= every:
            return wider
    return room


def _unbreak_tall(g: dict[str, Any], ih_rows: int, hh_rows: int, rows: int, budget: float) -> None:
    r"""On slides, a gate line whose breaks make it taller than a frame stays one line:
    \lstmfit then scales it to the width, which costs less than shrinking the frame."""
    for line_rows, flags in (
        (ih_rows, ("break_ih", "break_ih_bias")),
        (hh_rows, ("break_hh", "break_hh_bias")),
        (rows, ("break_result", "break_sum", "break_act")),
    ):
        if (line_rows + LINE) * (1 + sum(bool(g[f]) for f in flags)) > budget:
            for f in flags:
                g[f] = False


def _pack(
    lines: list[tuple[str, float]], budget: float, first: tuple[str, float] | None = None
) -> list[Frame]:
    """Greedily fill frames with lines; ``first`` (the symbolic line) heads every frame."""
    head = [first[0]] if first else []
    used0 = first[1] if first else 0.0
    frames: list[Frame] = []
    current, used = list(head), used0
    for name, height in lines:
        if current != head and used + height > budget:
            frames.append(Frame.of(current, used > budget * TALL, used))
            current, used = list(head), used0
        current.append(name)
        used += height
    frames.append(Frame.of(current, used > budget * TALL, used))
    return frames


def _input_lines(widths: dict[str, float], line_em: float) -> list[list[str]]:
    """x, h_{t-1} (and c_{t-1}) side by side if they fit, else x alone above the other two,
    else one per line."""
    if sum(widths.values()) + 2 * (len(widths) - 1) <= line_em:
        return [list(widths)]
    # on two rows, x and h_{t-1} share the first column of the aligned block
    if "c" in widths and max(widths["x"], widths["h"]) + widths["c"] + 2 <= line_em:
        return [["x"], ["h", "c"]]
    return [[key] for key in widths]


def _gate_context(
    form: forms.Form,
    gate: forms.GateForm,
    n: int,
    step: Step,
    medium: _Medium,
    where: dict[str, Any],
) -> dict[str, Any]:
    """Symbols, numbers and line breaks of one gate of a step (``where`` holds the step's
    symbols and styles, and its weights ``w``)."""
    k = gate.key
    sup, sup_em, t = where["sup"], where["sup_em"], step.t
    x_style, state_style, w = where["x_style"], where["state_style"], where["w"]
    hidden = where["hidden"]
    notation = where["notation"]
    block = slice(n * hidden, (n + 1) * hidden)
    gv = step.gates[k]
    w_ih = w["w_ih"][block]
    w_hh = w["w_hh"][block]
    b_ih = w["b_ih"][block] if w["b_ih"] is not None else None
    b_hh = w["b_hh"][block] if w["b_hh"] is not None else None
    # The GRU's candidate in the row-vector notation: x W_xn + b_in and h W_hn + b_hn, its
    # two parts apart (r multiplies the second), each as d2l writes a product.
    row_form = gate.gated and medium.row_vectors
    shown_ih = w_ih.T if row_form else w_ih
    shown_hh = w_hh.T if row_form else w_hh
    shown_b_ih = None if b_ih is None else (b_ih.reshape(1, -1) if row_form else b_ih)
    shown_b_hh = None if b_hh is None else (b_hh.reshape(1, -1) if row_form else b_hh)
    # On slides, W has the room its line leaves at full size: its columns are elided
    # rather than the line scaled down (issue 12).
    ih_rest = (
        medium.em(step.x, x_style)
        + (medium.weights_em(shown_b_ih) if shown_b_ih is not None else 0)
        + medium.em(gv.ih)
        + 9
        + 2 * sup_em
    )
    hh_rest = (
        medium.em(step.h_prev, state_style)
        + (medium.weights_em(shown_b_hh) if shown_b_hh is not None else 0)
        + medium.em(gv.hh)
        + 9
        + 2 * sup_em
    )

    def bias_em(b: np.ndarray | None) -> float:
        return medium.weights_em(b) if b is not None else 0.0

    ih_room = _weight_room(
        medium, shown_ih, ih_rest, (medium.em(gv.ih), bias_em(shown_b_ih)), (gv.ih,)
    )
    hh_room = _weight_room(
        medium, shown_hh, hh_rest, (medium.em(gv.hh), bias_em(shown_b_hh)), (gv.hh,)
    )
    ih_em = medium.weights_em(shown_ih, ih_room) + ih_rest
    hh_em = medium.weights_em(shown_hh, hh_room) + hh_rest
    reset = step.gates["r"].act if gate.gated else None
    gated_em = medium.em(reset) + 6 + sup_em if reset is not None else 0.0  # " + r ⊙"
    res_em = (
        medium.em(gv.ih)
        + medium.em(gv.hh)
        + medium.em(gv.pre)
        + medium.em(gv.act)
        + 12
        + sup_em
        + gated_em
    )
    # Wide inputs and batches need more breaks: inside W x, before "+ b", inside
    # sigma(ih + hh), before the activation's result.
    ih_part_em = medium.weights_em(shown_ih, ih_room) + medium.em(step.x, x_style) + 7 + 2 * sup_em
    hh_part_em = (
        medium.weights_em(shown_hh, hh_room) + medium.em(step.h_prev, state_style) + 7 + 2 * sup_em
    )
    sum_em = medium.em(gv.ih) + medium.em(gv.hh) + 7 + sup_em + gated_em
    act_em = medium.em(gv.pre) + medium.em(gv.act) + 8
    line_em = medium.layout.line_em
    x_letter = "x" if row_form else "i"
    entry: dict[str, Any] = {
        "key": k,
        "name": gate.name,
        "act_fn": gate.act_fn,
        "gated": gate.gated,
        "row_form": row_form,
        "sym": f"{k}{sup}_{{{t}}}",
        "W_ih_sym": f"W_{{{x_letter}{k}}}{sup}",
        "W_hh_sym": f"W_{{h{k}}}{sup}",
        # bias: single: one bias per gate, b_k, added in the ih line
        "b_ih_sym": ""
        if b_ih is None
        else (f"b_{{{k}}}{sup}" if b_hh is None else f"b_{{i{k}}}{sup}"),
        "b_hh_sym": f"b_{{h{k}}}{sup}" if b_hh is not None else "",
        "W_ih": medium.weights(shown_ih, ih_room),
        "W_hh": medium.weights(shown_hh, hh_room),
        "b_ih": medium.weights(shown_b_ih) if shown_b_ih is not None else "",
        "b_hh": medium.weights(shown_b_hh) if shown_b_hh is not None else "",
        "ih": medium.value(gv.ih, "ih"),
        "hh": medium.value(gv.hh, "hh"),
        "pre": medium.value(gv.pre, "pre"),
        "act": medium.value(gv.act, k),
        "break_ih": ih_em > line_em,
        "break_hh": hh_em > line_em,
        "break_result": res_em > where["state_line"],
        "break_ih_product": not medium.layout.shrinks and (ih_part_em > line_em),
        "break_hh_product": not medium.layout.shrinks and (hh_part_em > line_em),
        "break_ih_bias": shown_b_ih is not None
        and (ih_part_em + medium.weights_em(shown_b_ih) + 2 > line_em),
        "break_hh_bias": shown_b_hh is not None
        and (hh_part_em + medium.weights_em(shown_b_hh) + 2 > line_em),
        "break_sum": sum_em > where["state_line"],
        "break_act": act_em > where["state_line"],
        "lines": NOTATION_LINES["pytorch" if gate.gated else notation],
    }
    if reset is not None:
        entry["r_sym"] = f"r{sup}_{{{t}}}"
        entry["r"] = medium.value(reset, "r")
    if notation != "pytorch" and not gate.gated:
        entry.update(
            _affine_gate(
                notation,
                k,
                sup,
                sup_em,
                step,
                medium,
                (w_ih, w_hh, b_ih, b_hh),
                (x_style, state_style),
                where["stacked"],
            )
        )
    return entry


def step_context(trace: Trace, step: Step, medium: _Medium, index: int) -> dict[str, Any]:
    """Symbols and formatted numbers of one step (all gates, and the states after them)."""
    ex = trace.example
    cfg = ex.config
    form = forms.of(ex)
    sup = _sup(step, cfg.num_layers, cfg.bidirectional)
    sup_em = SUP_EM / 2 * ((cfg.num_layers > 1) + cfg.bidirectional)  # per symbol
    # Step.latex(): one aligned block, so every line starts after the widest left-hand
    # side, PyTorch's W_ii x_t + b_ii (about 5 em and its marks), not after its own (i_t)
    state_line = medium.layout.line_em - (
        4 + sup_em if medium.one_block and ex.render.notation == "pytorch" else 0.0
    )
    t = step.t
    prev_t = t - 1 if step.direction == "forward" else t + 1
    w = layer_weights(ex, step.layer, step.direction)
    x_sym = f"x_{{{t}}}" if step.layer == 0 else f"x^{{({step.layer})}}_{{{t}}}"
    inputs_given = step.layer == 0

    def given_or_value(a: np.ndarray) -> str:
        return medium.given(a) if inputs_given else medium.value(a, "h")

    first = (step.direction == "forward" and t == 1) or (
        step.direction == "reverse" and t == ex.steps
    )
    state_style: numbers.Style = "written" if first else "fixed"
    inputs = ((step.x, inputs_given), (step.h_prev, first), (step.c_prev, first))
    states = (step.c, step.tanh_c, step.m, step.h)  # c, tanh_c, m: an LSTM's only
    medium.rows_of_step(
        [a for a, given in inputs if given and a is not None],
        [
            *(a for a, given in inputs if not given and a is not None),
            *(a for gv in step.gates.values() for a in (gv.ih, gv.hh, gv.pre, gv.act)),
            *(a for a in states if a is not None),
        ],
    )
    x_style: numbers.Style = "written" if inputs_given else "fixed"
    h_prev = medium.given(step.h_prev) if first else medium.value(step.h_prev, "h")
    c_prev = ""
    if form.carries_c:
        assert step.c_prev is not None  # an LSTM step
        c_prev = medium.given(step.c_prev) if first else medium.value(step.c_prev, "c")
    notation = ex.render.notation
    h_prev_sym = f"h{sup}_{{{prev_t}}}"
    stacked: dict[str, Any] = {}
    if notation == "textbook":
        parts = [
            (step.h_prev, state_style, "" if first else "h"),
            (step.x, x_style, "" if inputs_given else "h"),
        ]
        stacked = {
            "v_sym": numbers.ruled_matrix(f"{h_prev_sym} \\\\ \\hline {x_sym}", "c"),
            "v": medium.stacked(parts),
            "v_em": max(medium.em(a, style) for a, style, _ in parts),
            "v_rows": min(
                medium.rows(step.h_prev) + medium.rows(step.x),
                medium.layout.max_rows,
                medium.layout.max_cols,
            ),
        }
    where = {
        "sup": sup,
        "sup_em": sup_em,
        "x_style": x_style,
        "state_style": state_style,
        "w": w,
        "hidden": cfg.hidden_size,
        "notation": notation,
        "stacked": stacked,
        "state_line": state_line,
    }
    gates = [_gate_context(form, gate, n, step, medium, where) for n, gate in enumerate(form.gates)]
    # The hand-over: layer l > 0 reads the layer below's h at the same step.
    x_from = ""
    if step.layer > 0:
        below = f"({step.layer - 1})"
        if cfg.bidirectional:
            x_from = (
                f"\\begin{{bmatrix}} h^{{{below}\\rightarrow}}_{{{t}}} "
                + ("& " if medium.row_vectors else "\\\\ ")
                + f"h^{{{below}\\leftarrow}}_{{{t}}} \\end{{bmatrix}}"
            )
        else:
            x_from = f"h^{{{below}}}_{{{t}}}"
    # [h^(l-1)-> h^(l-1)<-] as a row is wider than stacked
    from_em = (10 if medium.row_vectors and cfg.bidirectional else 5) if x_from else 0
    x_em = medium.em(step.x, x_style) + 5 + sup_em
    widths = {
        "x": x_em + from_em,
        "h": medium.em(step.h_prev, state_style) + 5 + sup_em,
    }
    input_rows = {"x": medium.rows(step.x), "h": medium.rows(step.h_prev)}
    if step.c_prev is not None:
        widths["c"] = medium.em(step.c_prev, state_style) + 5 + sup_em
        input_rows["c"] = medium.rows(step.c_prev)
    input_lines = _input_lines(widths, medium.layout.line_em)
    input_frames = _pack(
        [
            (str(n), max(input_rows[key] for key in line) + LINE)
            for n, line in enumerate(input_lines)
        ],
        medium.layout.frame_rows - 2 * SYMBOLIC,
    )
    title = ", ".join([*_where(step.layer, step.direction, cfg), f"step {t}"])
    ctx: dict[str, Any] = {
        "title": title[0].upper() + title[1:],
        "cell": form.kind,
        "x_from": x_from,
        # a wide x_t of a layer above goes on below its symbols
        "break_x_from": bool(x_from) and x_em + from_em > medium.layout.line_em,
        "index": index,
        "layer": step.layer,
        "direction": step.direction,
        "t": t,
        "prev_t": prev_t,
        "id": f"l{step.layer}-{step.direction}-t{t}",
        "sup": sup,
        "first": first,
        "notation": notation,
        "row_vectors": medium.row_vectors,
        "x_sym": x_sym,
        "h_prev_sym": h_prev_sym,
        "c_prev_sym": f"c{sup}_{{{prev_t}}}",
        "h_sym": f"h{sup}_{{{t}}}",
        "c_sym": f"c{sup}_{{{t}}}",
        "m_sym": f"m{sup}_{{{t}}}",
        "x": given_or_value(step.x),
        "h_prev": h_prev,
        "c_prev": c_prev,
        "gates": gates,
        "h": medium.value(step.h, "h"),
        "proj": False,
        "input_lines": input_lines,
        "input_frames": [
            Frame.of([input_lines[int(n)] for n in frame], frame.tall) for frame in input_frames
        ],
        "state_frames": [],
        "cell_caption": "",
        "hidden_caption": "",
    }
    rows = medium.rows(step.c if step.c is not None else step.h)
    ctx["rows"] = rows
    # Row vectors cannot be broken inside: their lines break between the factors.
    row_lines = medium.row_vectors and not medium.layout.shrinks
    row_heights = (0.0, 0.0)
    if form.carries_c:
        _lstm_states(ctx, step, medium, w["w_hr"], sup_em, state_line)
        row_flags, row_heights = (
            _row_state(step, medium, sup_em, state_style, w["w_hr"])
            if row_lines
            else (dict.fromkeys(ROW_STATE_BREAKS, False), (0.0, 0.0))
        )
        ctx.update(row_flags)
    in_rows = medium.rows(step.x)
    h_rows = medium.rows(step.h_prev)
    if medium.layout.shrinks:
        for g in gates:
            _unbreak_tall(
                g, max(rows, in_rows), max(rows, h_rows), rows, medium.layout.frame_rows - SYMBOLIC
            )
    ctx.update(stacked)
    captions = (
        _captions(form, step, sup, prev_t, medium, first, w["w_hr"] is not None)
        if medium.captions
        else {}
    )
    caption_h = {key: CAPTION if text else 0.0 for key, text in captions.items()}
    gate_rows = medium.layout.frame_rows + (GATE_EXTRA_ROWS if medium.layout.shrinks else 0.0)
    ctx["cell_caption"] = captions.get("cell", "")
    ctx["hidden_caption"] = captions.get("hidden", "")
    for g in gates:
        g["caption"] = captions.get(g["key"], "")
        if g["lines"] != NOTATION_LINES["pytorch"]:
            heights = [
                (name, h + (caption_h.get(g["key"], 0.0) if name == "result" else 0.0))
                for name, h in g["heights"]
            ]
            g["frames"] = _pack(heights, gate_rows, first=("symbolic", SYMBOLIC))
            continue
        g["frames"] = _pack(
            [
                (
                    "ih",
                    _height(max(rows, in_rows), g["break_ih"])
                    + _height(max(rows, in_rows), False)
                    * (g["break_ih_bias"] + g["break_ih_product"]),
                ),
                (
                    "hh",
                    _height(max(rows, h_rows), g["break_hh"])
                    + _height(max(rows, h_rows), False)
                    * (g["break_hh_bias"] + g["break_hh_product"]),
                ),
                (
                    "result",
                    _height(rows, g["break_result"])
                    + _height(rows, False) * (g["break_sum"] + g["break_act"])
                    + caption_h.get(g["key"], 0.0),
                ),
            ],
            gate_rows,
            first=("symbolic", SYMBOLIC),
        )
    for g in gates:
        for frame in g["frames"]:
            frame.tight = frame.used > medium.layout.frame_rows
            # at the usual spacing, the usual budget says whether Beamer must shrink it
            frame.tall = frame.tall or frame.used > medium.layout.frame_rows * TALL
    if form.carries_c:
        cell_h = (
            SYMBOLIC
            + _height(rows, ctx["break_cell"])
            + (_height(rows, False) if ctx["break_cell_sum"] else 0.0)
        )
        hidden_h = (
            2 * _height(rows, False)
            if not ctx["proj"]
            else (
                _height(rows, ctx["break_hidden"])
                + _height(max(rows, medium.rows(step.h)), ctx["break_projection"])
            )
        )
        hidden_h += _height(rows, False) * (
            ctx["break_hidden_result"] + ctx["break_hidden_symbolic"]
        )
        if row_lines:
            cell_h, hidden_h = SYMBOLIC + row_heights[0], row_heights[1]
        ctx["state_frames"] = _pack(
            [
                ("cell", cell_h + caption_h.get("cell", 0.0)),
                ("hidden", hidden_h + caption_h.get("hidden", 0.0)),
            ],
            medium.layout.frame_rows,
        )
    elif "hidden" in form.states:
        _gru_hidden(ctx, step, medium, sup_em, state_style)
        hidden_h = SYMBOLIC + _height(rows, False) * (
            1 + ctx["break_update_sum"] + ctx["break_update_n"] + ctx["break_hidden_result"]
        )
        ctx["state_frames"] = _pack(
            [("hidden", hidden_h + caption_h.get("hidden", 0.0))], medium.layout.frame_rows
        )
    medium.rows_of_step([], [])
    return ctx


#: The flags of the cell and hidden-state lines that only the row-vector notation sets
#: (:func:`_row_state`; the others are set for every notation).
ROW_STATE_BREAKS = (
    "break_cell_prev",
    "break_cell_g",
    "break_hidden_tanh",
    "break_hidden_odot",
    "break_projection_product",
)


def _row_state(
    step: Step,
    medium: _Medium,
    sup_em: float,
    state_style: numbers.Style,
    proj: np.ndarray | None,
) -> tuple[dict[str, bool], tuple[float, float]]:
    r"""Where the row-vector notation's cell and hidden-state lines break (``c_t = f_t
    \odot c_{t-1} + i_t \odot g_t``, ``h_t = o_t \odot \tanh(c_t)``, ``h_t = m_t
    W_{hr}^\top``): before any factor that would make its line too wide, since a row
    cannot be broken inside as the column notation breaks its lines between matrices of
    columns. Returns the flags and the heights of the cell's and the hidden state's lines
    (without the cell's symbolic line)."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None
    em, line = medium.em, medium.layout.line_em
    lhs = 2.0 + sup_em
    rows = medium.rows(step.c)
    act = {k: step.gates[k].act for k in GATES}
    cell, cell_h = _flow(
        [
            ("f", lhs + 2 + em(act["f"]), rows, False),
            ("break_cell_prev", 2 + em(step.c_prev, state_style), rows, True),
            ("break_cell_sum", 2 + em(act["i"]), rows, True),
            ("break_cell_g", 2 + em(act["g"]), rows, True),
            ("break_cell", 2 + em(step.c), rows, True),
        ],
        line,
        lhs,
    )
    tanh_line = [
        ("symbolic", lhs + 8 + sup_em, 0, False),
        ("break_hidden_symbolic", 2 + em(act["o"]), rows, True),
        ("break_hidden_tanh", 6 + em(step.c), rows, True),
    ]
    product = [
        ("break_hidden_odot", 2 + em(step.tanh_c), rows, True),
        ("break_hidden_result", 2 + em(step.m if proj is not None else step.h), rows, True),
    ]
    if proj is None:  # the template breaks after tanh(c_t)
        first, first_h = _flow(tanh_line, line, lhs)
        then, then_h = _flow([("o", lhs + 2 + em(act["o"]), rows, False), *product], line, lhs)
        first["break_hidden"] = False
    else:
        first, first_h = _flow(
            [*tanh_line, ("break_hidden", 2 + em(act["o"]), rows, True), *product], line, lhs
        )
        w = proj.T
        then, then_h = _flow(
            [
                ("m", lhs + 6 + sup_em + em(step.m), rows, False),
                ("break_projection_product", 3 + medium.weights_em(w), medium.rows(w), True),
                ("break_projection", 2 + em(step.h), rows, True),
            ],
            line,
            lhs,
        )
    flags = {k: v for k, v in {**cell, **first, **then}.items() if k.startswith("break_")}
    return flags, (cell_h, first_h + then_h)


def _lstm_states(
    ctx: dict[str, Any],
    step: Step,
    medium: _Medium,
    proj: np.ndarray | None,
    sup_em: float,
    line_em: float,
) -> None:
    """The LSTM's cell-state and hidden-state lines: their numbers and where they break
    (``line_em``: the room of a line, less in ``Step.latex()``'s one block)."""
    assert step.c is not None and step.tanh_c is not None and step.m is not None
    cell_em = 5 * medium.em(step.c) + 14
    # Without a projection the template always breaks the h line after tanh(c).
    hidden_em = (5 if proj is not None else 4) * medium.em(step.c) + 16 + 3 * sup_em
    # Wide batches need more breaks: before "+ i g" in the cell line, before the result
    # of "o * tanh(c)", and before the result of the projection.
    cell_sum_em = 4 * medium.em(step.c) + 10
    hidden_result_em = 3 * medium.em(step.c) + 8
    hidden_symbolic_em = 2 * medium.em(step.c) + 14 + 3 * sup_em
    projection_em = (
        medium.weights_em(proj) + medium.em(step.m) + medium.em(step.h) + 10
        if proj is not None
        else 0.0
    )
    sup = ctx["sup"]
    ctx.update(
        {
            # with row vectors, h_t = m_t W_hr^T: the transpose joins the layer/direction
            # marks
            "W_hr_sym": "W_{hr}"
            + ((sup[:-1] + "\\top}" if sup else "^{\\top}") if medium.row_vectors else sup),
            "c": medium.value(step.c, "c"),
            "tanh_c": medium.value(step.tanh_c, "c"),
            "m": medium.value(step.m),
            "W_hr": (
                medium.weights(proj.T if medium.row_vectors else proj) if proj is not None else ""
            ),
            "proj": proj is not None,
            "break_cell": cell_em > line_em,
            "break_hidden": hidden_em > line_em,
            "break_cell_sum": cell_sum_em > line_em,
            "break_hidden_result": hidden_result_em > line_em,
            "break_hidden_symbolic": hidden_symbolic_em > line_em,
            "break_projection": projection_em > line_em,
        }
    )


def _gru_hidden(
    ctx: dict[str, Any], step: Step, medium: _Medium, sup_em: float, state_style: numbers.Style
) -> None:
    """The GRU's new hidden state ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``: the numbers of
    z and n (as their gates show them) and where the line breaks."""
    z, n = step.gates["z"].act, step.gates["n"].act
    z_em, n_em = medium.em(z), medium.em(n)
    # Step.latex(): one aligned block, whose lines start after n's W_in x_t + b_in
    line = medium.layout.line_em - (5 + sup_em if medium.one_block else 0.0)
    update_em = 2 * z_em + n_em + medium.em(step.h_prev, state_style) + 14
    split = update_em > line
    ctx.update(
        {
            "z": medium.value(z, "z"),
            "n": medium.value(n, "n"),
            "z_sym": f"z{ctx['sup']}_{{{step.t}}}",
            "n_sym": f"n{ctx['sup']}_{{{step.t}}}",
            "break_update_sum": split,
            # a row cannot break inside: (1 - z) and its product with n on two rows
            "break_update_n": not medium.layout.shrinks and z_em + n_em + 10 > line,
            "break_hidden_result": (
                medium.em(step.h_prev, state_style) + z_em if split else update_em
            )
            + medium.em(step.h)
            + 4
            > line,
        }
    )


CAPTION = 2.5  # height of a caption under a derivation (two lines of small text), in rows


def _captions(
    form: forms.Form,
    step: Step,
    sup: str,
    prev_t: int,
    medium: _Medium,
    first: bool,
    proj: bool,
) -> dict[str, str]:
    """Sentences that read the numbers of a step, by gate and state (see
    :func:`_lstm_captions`, :func:`_gated_captions`); with a batch, of example 1."""
    if form.carries_c:
        captions = _lstm_captions(step, sup, prev_t, medium, first, proj)
    else:
        captions = _gated_captions(form, step, sup, prev_t, medium, first)
    if step.x.shape[0] > 1:
        captions = {key: f"Example~1: {text}" for key, text in captions.items()}
    return captions


def _gated_captions(
    form: forms.Form, step: Step, sup: str, prev_t: int, medium: _Medium, first: bool
) -> dict[str, str]:
    """The GRU's and the RNN's sentences: "$z_{1,2} = 0.71$: $h_{1,2}$ keeps 71 % of
    $h_{0,2}$ and takes the rest from $n_{1,2}$"; the unit of h that changes most; with
    ReLU, how many units it cuts to zero."""
    decimals = medium.decimals
    t = step.t

    def sym(name: str, j: int, when: int = t) -> str:
        return f"{name}{sup}_{{{when},{j + 1}}}"

    def said(name: str, j: int, value: float, when: int = t, style: numbers.Style = "fixed") -> str:
        return f"${sym(name, j, when)} = {numbers.format_number(value, style, decimals)}$"

    captions: dict[str, str] = {}
    acts = {k: step.gates[k].act[0] for k in form.keys}
    shares = {
        "r": "{p} of the hidden part $W_{{hn}} h_{{t-1}} + b_{{hn}}$ enters ${n}$",
        "z": "${h}$ keeps {p} of ${prev}$ and takes the rest from ${n}$",
    }
    for k, text in shares.items():
        if k not in acts:
            continue
        a = acts[k]
        hi, lo = int(np.argmax(a)), int(np.argmin(a))
        sentence = f"{said(k, hi, a[hi])}: " + text.format(
            p=numbers.percent(a[hi]), n=sym("n", hi), h=sym("h", hi), prev=sym("h", hi, prev_t)
        )
        if lo != hi:
            sentence += f"; {said(k, lo, a[lo])}: only {numbers.percent(a[lo])}"
        captions[k] = sentence + "."
    if "n" in acts:
        a = acts["n"]
        words = []
        for j in dict.fromkeys((int(np.argmax(a)), int(np.argmin(a)))):
            way = "up" if a[j] > 0 else "down" if a[j] < 0 else "nowhere"
            words.append(f"{said('n', j, a[j])} pulls ${sym('h', j)}$ {way}")
        captions["n"] = ", ".join(words) + " (as far as $1 - z_t$ lets it)."
    change = np.abs(step.h[0] - step.h_prev[0])
    j = int(np.argmax(change))
    before = said("h", j, step.h_prev[0, j], prev_t, "written" if first else "fixed")
    moved = f"The state changes most in unit~{j + 1}: {before} becomes {said('h', j, step.h[0, j])}"
    key = "hidden" if "hidden" in form.states else form.keys[-1]
    captions[key] = moved + "."
    if form.gates[-1].act_fn == forms.RELU:
        zero = int(np.sum(step.h[0] == 0.0))
        captions[key] = (
            f"{moved}; {zero} of {step.h.shape[1]} units are $0$ "
            "(ReLU cuts a negative pre-activation to zero)."
        )
    return captions


def _lstm_captions(
    step: Step, sup: str, prev_t: int, medium: _Medium, first: bool, proj: bool
) -> dict[str, str]:
    """Sentences that read the numbers of a step, by gate (``i``, ``f``, ``g``, ``o``) and
    for the ``cell`` and the ``hidden`` state: "$f_{1,1} = 0.3828$: about 38 % of $c_{0,1}$
    is kept". Each gate names its largest and its smallest entry (units numbered from 1);
    the cell, the unit that changes most; the hidden state, its largest entry. With a
    batch, they read example 1. The numbers are the ones the derivation shows."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None
    decimals = medium.decimals
    t = step.t

    def sym(name: str, j: int, when: int = t) -> str:
        return f"{name}{sup}_{{{when},{j + 1}}}"

    def said(name: str, j: int, value: float, when: int = t, style: numbers.Style = "fixed") -> str:
        return f"${sym(name, j, when)} = {numbers.format_number(value, style, decimals)}$"

    act = {k: step.gates[k].act[0] for k in GATES}
    out_name = "m" if proj else "h"
    shares = {
        "f": ("about {p} of ${c}$ is kept", "c", prev_t),
        "i": ("{p} of the candidate ${c}$ is written into the cell", "g", t),
        "o": ("{p} of $\\tanh({c})$ reaches ${m}$", "c", t),
    }
    captions: dict[str, str] = {}
    for k in GATES:
        a = act[k]
        hi, lo = int(np.argmax(a)), int(np.argmin(a))
        if k == "g":
            words = []
            for j in dict.fromkeys((hi, lo)):
                way = "up" if a[j] > 0 else "down" if a[j] < 0 else "nowhere"
                words.append(f"{said('g', j, a[j])} pushes ${sym('c', j)}$ {way}")
            captions[k] = ", ".join(words) + " (as far as the input gate lets it)."
            continue
        text, other, when = shares[k]
        sentence = f"{said(k, hi, a[hi])}: " + text.format(
            p=numbers.percent(a[hi]), c=sym(other, hi, when), m=sym(out_name, hi)
        )
        if lo != hi:  # the same words, whatever the share (no "only" for 69 %)
            sentence += f"; {said(k, lo, a[lo])}: " + text.format(
                p=numbers.percent(a[lo]), c=sym(other, lo, when), m=sym(out_name, lo)
            )
        captions[k] = sentence + "."
    change = np.abs(step.c[0] - step.c_prev[0])
    j = int(np.argmax(change))
    before = said("c", j, step.c_prev[0, j], prev_t, "written" if first else "fixed")
    captions["cell"] = (
        f"The cell changes most in unit~{j + 1}: {before} becomes {said('c', j, step.c[0, j])}."
    )
    out = step.m[0] if proj else step.h[0]
    j = int(np.argmax(np.abs(out)))
    captions["hidden"] = (
        f"{said(out_name, j, out[j])}: the output gate lets {numbers.percent(act['o'][j])} of "
        f"$\\tanh({sym('c', j)}) = {numbers.fixed(step.tanh_c[0, j], decimals)}$ through"
        + ("; the projection then maps $m_t$ to $h_t$." if proj else ".")
    )
    return captions


#: The lines of a gate's derivation in each notation (after the symbolic one).
NOTATION_LINES = {
    "pytorch": ("symbolic", "ih", "hh", "result"),
    "textbook": ("symbolic", "affine", "result"),
    "row-vector": ("symbolic", "affine", "result"),
}


def _flow(
    segments: Sequence[tuple[str, float, int, bool]], line_em: float, indent: float
) -> tuple[dict[str, bool], float]:
    """Fill a derivation line greedily: ``segments`` are (name, width in em, matrix rows,
    may break before it), in order; the first one includes the left-hand side, ``indent``
    wide, where the lines after a break start. A break goes before a segment that would
    make its line too wide. Returns where the breaks are (by segment name) and the
    height."""
    breaks: dict[str, bool] = {}
    width, rows, height = 0.0, 0, 0.0
    for n, (name, em, seg_rows, breakable) in enumerate(segments):
        breaks[name] = bool(n) and breakable and width + em > line_em
        if breaks[name]:
            height += rows + LINE
            width, rows = indent + 2.0 + em, seg_rows
        else:
            width, rows = width + em, max(rows, seg_rows)
    return breaks, height + rows + LINE


def _affine_gate(
    notation: str,
    k: str,
    sup: str,
    sup_em: float,
    step: Step,
    medium: _Medium,
    blocks: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None],
    styles: tuple[numbers.Style, numbers.Style],
    stacked: dict[str, Any],
) -> dict[str, Any]:
    """A gate in the textbook notation, ``sigma(W_k [h_{t-1}; x_t] + b_k)`` (Olah), or the
    row-vector one, ``sigma(x_t W_xk + h_{t-1} W_hk + b_k)`` (d2l): the symbols, the
    numbers, where the two lines break and their heights. ``W_k`` is ``[W_hk  W_ik]``,
    ``W_xk`` and ``W_hk`` are PyTorch's blocks transposed, ``b_k = b_ik + b_hk``."""
    w_ih, w_hh, b_ih, b_hh = blocks
    x_style, state_style = styles
    gv = step.gates[k]
    line_em = medium.layout.line_em
    bias = (
        None
        if b_ih is None
        # bias: single has b_ih only
        else (b_ih if b_hh is None else numbers.decimal_sum(b_ih, b_hh))
    )
    rows = medium.rows(gv.pre)
    max_rows = medium.layout.max_rows
    own_row = False
    entry: dict[str, Any] = {"b_sym": f"b_{{{k}}}{sup}" if bias is not None else "", "b": ""}
    if notation == "textbook":
        lhs = 8 + 2 * sup_em
        w = np.hstack([w_hh, w_ih])
        entry.update(W_sym=f"W_{{{k}}}{sup}", W=medium.weight_blocks([w_hh, w_ih]))
        if bias is not None:
            entry["b"] = medium.weights(bias)
        # one aligned block for the whole step (Step.latex()): the long left-hand side
        # W_k [h; x] + b_k gets a row of its own, or it would widen every line
        own_row = medium.one_block
        lhs = 3 + sup_em if own_row else lhs
        segments = [
            ("W", lhs + 2 * own_row + medium.weights_em(w), min(w.shape[0], max_rows), False),
            ("product", stacked["v_em"] + 1, stacked["v_rows"], not medium.layout.shrinks),
        ]
    else:
        wx, wh = w_ih.T, w_hh.T
        lhs = 12 + 3 * sup_em
        entry.update(
            Wx_sym=f"W_{{x{k}}}{sup}",
            Wh_sym=f"W_{{h{k}}}{sup}",
            Wx=medium.weights(wx),
            Wh=medium.weights(wh),
        )
        if bias is not None:
            bias = bias.reshape(1, -1)
            entry["b"] = medium.weights(bias)
        if medium.layout.shrinks:
            segments = [
                (
                    "x",
                    lhs + medium.em(step.x, x_style) + medium.weights_em(wx),
                    max(medium.rows(step.x), min(wx.shape[0], max_rows)),
                    False,
                ),
                (
                    "terms",
                    medium.em(step.h_prev, state_style) + medium.weights_em(wh) + 2,
                    max(medium.rows(step.h_prev), min(wh.shape[0], max_rows)),
                    True,
                ),
            ]
        else:
            lhs, segments, own_row = _row_affine(lhs, sup_em, step, medium, (wx, wh, bias), styles)
    if bias is not None:
        segments.append(("bias", medium.weights_em(bias) + 2, min(bias.shape[0], max_rows), True))
    segments.append(("affine", medium.em(gv.pre) + 2, rows, True))
    breaks, affine_h = _flow(segments, line_em, lhs)
    for name in ("bias", "product", "terms", "x_product", "h_product"):
        breaks.setdefault(name, False)
    breaks["lhs"] = own_row
    if own_row:
        affine_h += SYMBOLIC
    result_breaks, result_h = _flow(
        [
            ("pre", medium.em(gv.pre) + 9 + sup_em, rows, False),
            ("act", medium.em(gv.act) + 2, rows, True),
        ],
        line_em,
        3 + sup_em if notation == "textbook" or breaks["lhs"] or medium.layout.shrinks else lhs,
    )
    entry.update(
        lines=NOTATION_LINES[notation],
        breaks={**breaks, **result_breaks},
        heights=[("affine", affine_h), ("result", result_h)],
    )
    return entry


def _row_affine(
    lhs: float,
    sup_em: float,
    step: Step,
    medium: _Medium,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    styles: tuple[numbers.Style, numbers.Style],
) -> tuple[float, list[tuple[str, float, int, bool]], bool]:
    r"""The row-vector notation's affine line ``x_t W_xk + h_{t-1} W_hk + b_k = [x] [W_xk] +
    [h] [W_hk] + [b] = [pre]`` in a medium that breaks lines: breakable also inside the
    products (``\qquad \cdot [W]``, as the column notation breaks inside ``W x``), and
    with its long left-hand side on a row of its own (``lhs``) when a factor would not fit
    beside it, or when one aligned block holds every line of the step (``Step.latex()``):
    the indent of its rows, its segments (:func:`_flow`) up to the bias, and whether the
    left-hand side has its own row."""
    wx, wh, bias = arrays
    x_style, state_style = styles
    max_rows = medium.layout.max_rows
    factors = [
        medium.em(step.x, x_style),
        medium.weights_em(wx),
        medium.em(step.h_prev, state_style),
        medium.weights_em(wh),
        medium.em(step.c if step.c is not None else step.h),  # a state vector's width
        *([medium.weights_em(bias)] if bias is not None else []),
    ]
    own = medium.one_block or lhs + 3 + max(factors) > medium.layout.line_em
    # its own row: the rows start with "\quad" after the gate's symbol (f_t, 1 em)
    indent = 3 + sup_em if own else lhs
    # a product's factor goes beside the other, or after "\qquad \cdot" (_flow adds 2 em)
    segments = [
        ("x", indent + 2 + factors[0], medium.rows(step.x), False),
        ("x_product", 0.5 + factors[1], min(wx.shape[0], max_rows), True),
        ("terms", 2 + factors[2], medium.rows(step.h_prev), True),
        ("h_product", 0.5 + factors[3], min(wh.shape[0], max_rows), True),
    ]
    return indent, segments, own


Exercise = Literal["sheet", "answers"]


def build(
    trace: Trace,
    report: CheckReport | None,
    *,
    slides: bool,
    exact: Trace | None = None,
    exercise: Exercise | None = None,
    parts: bool = False,
) -> dict[str, Any]:
    """The whole template context for one medium (slides, the article, or with ``parts``
    the fragments of ``parts/``, whose lines fit any article's text).

    ``trace`` is what the document shows: with ``render.carry: displayed`` the trace
    computed from the rounded values, and ``exact`` the exact one (for the drift between
    them). ``exercise``: the exercise sheet (the ``render.exercise`` quantities blank, no
    captions) or its answer key (those quantities boxed).
    """
    ex = trace.example
    cfg = ex.config
    marks: dict[str, numbers.Mark] = {}
    if exercise is not None:
        marks = dict.fromkeys(ex.render.exercise, "blank" if exercise == "sheet" else "answer")
    medium = _Medium(
        ex.render.decimals,
        SLIDES if slides else ARTICLE,
        row_vectors=ex.render.notation == "row-vector",
        marks=marks,
        captions=ex.render.captions and exercise != "sheet",
    )
    medium.layout = layout(ex.render, slides, parts)
    medium.paper_boxes = bool(marks) and not slides
    form = forms.of(ex)
    derived = [s for s in trace.steps if ex.render.derives(s.layer, s.t)]
    steps = [step_context(trace, s, medium, n) for n, s in enumerate(derived)]
    drawn = ex.render.diagram and form.diagram
    if drawn:
        pictured = _Medium(
            medium.decimals,
            replace(medium.layout, max_rows=min(medium.layout.max_rows, DIAGRAM_ROWS[slides])),
            marks=marks,
        )
        for step, step_ctx in zip(derived, steps, strict=True):
            step_ctx["diagram"] = _diagram_values(step, step_ctx["first"], pictured)
    for step, step_ctx in zip(derived, steps, strict=True):
        if medium.layout is ARTICLE_FULL and max(cfg.input_size, cfg.hidden_size) > FULL_ROWS:
            _one_line(step_ctx)
        expansion.add(trace, step, step_ctx, medium)
        if slides and ex.render.reveal:
            reveal.add(trace, step, step_ctx, medium)
    title = ex.title if ex.title is not None else f"{form.title} forward pass: {printable(ex.stem)}"
    layers = f"{cfg.num_layers} layer" + ("s" if cfg.num_layers > 1 else "")
    summary = (
        f"input size {cfg.input_size}, hidden size {cfg.hidden_size}, {layers}"
        + (", bidirectional" if cfg.bidirectional else "")
        + (f", projection to {cfg.proj_size}" if cfg.proj_size else "")
        + ("" if cfg.bias is True else ", one bias per gate" if cfg.bias else ", no bias")
        + (", ReLU" if form.gates[0].act_fn == forms.RELU else "")
        + (f", batch of {ex.batch}" if ex.batched else "")
        + f", {ex.steps} step"
        + ("s" if ex.steps > 1 else "")
    )
    check = None
    if report is not None:
        check = {
            "device": escape(report.device),
            "dtype": escape(report.dtype),
            "torch": escape(report.torch_version),
            "max_abs_err": numbers.scientific(report.max_abs_err),
            "atol": numbers.scientific(report.atol),
            "passed": report.passed,
        }
    pictures = _pictures(ex.render, ex.steps, ex.batch if ex.batched else 0, drawn)
    return {
        "needs": needs_comment(pictures["needs"]),
        "part_needs": needs_comment(tuple(dict.fromkeys((*PART_NEEDS, *pictures["packages"])))),
        "cell_kind": form.kind,  # not "cell": derivation.tex.j2 has a macro of that name
        "cell_title": form.title,
        "torch_class": form.torch_class,
        "gate_order": form.order,
        "carries_c": form.carries_c,
        "activation": form.gates[-1].act_fn,
        "diagram_omitted": ex.render.diagram and not form.diagram,
        "results": _results(trace, medium),
        "sequence": _sequence(trace, steps, medium),
        "title": escape(title),
        "title_text": title,  # as written, for media that escape it their own way
        "title_comment": comment(title),
        "source": comment(printable(ex.file)),
        "source_name": Path(ex.file).name,
        "summary": escape(summary),
        "decimals": ex.render.decimals,
        # the slides' body and note sizes (render.text_size)
        "text_size": dict(
            zip(("body", "note"), measure.SLIDE_SIZES[ex.render.text_size], strict=True)
        ),
        "bias": cfg.bias,
        "single_bias": cfg.single_bias,
        "batched": ex.batched,
        "batch": ex.batch,
        "num_steps": ex.steps,
        "num_layers": cfg.num_layers,
        "hidden_size": cfg.hidden_size,
        "network": network_diagram(cfg, ex.steps),
        "network_rows": cfg.num_layers * (cfg.num_directions + 1) + 1,
        "out_size": cfg.out_size,
        "bidirectional": cfg.bidirectional,
        "proj": cfg.proj_size > 0,
        "h0_given": ex.h0_given,
        "c0_given": ex.c0_given,
        "steps": steps,
        "check": check,
        "slides": slides,
        "reveal": slides and ex.render.reveal,
        "article_full": not slides and ex.render.article_full,
        "article_packages": (
            ("graphicx",) if (not slides and ex.render.article_full) or pictures["packages"] else ()
        )
        + pictures["packages"],
        "deck_packages": pictures["packages"],
        "diagram": pictures["diagram"],
        "plots": plots.build(trace, ex.render.decimals, medium.layout.max_rows)
        if ex.render.plots
        else [],
        "notation": ex.render.notation,
        "row_vectors": medium.row_vectors,
        "carry": _carry(trace, exact),
        "exercise": _exercise(ex.render.exercise, exercise, form),
    }


def _pictures(render: RenderOptions, steps: int, batch: int, drawn: bool) -> dict[str, Any]:
    """What ``render.diagram`` (where the cell has a drawing: ``drawn``) and
    ``render.plots`` add: the packages the documents load and list in their ``% needs:``
    lines, and the diagram's spacing; with a ``batch`` (0: none), the note that the
    diagram shows its example 1."""
    packages = (("tikz",) if drawn else ()) + (("pgfplots",) if render.plots and steps > 1 else ())
    return {
        "needs": (*NEEDS, *packages),
        "packages": packages,
        "diagram": {
            "gap": DIAGRAM_GAP_MM,
            "batch_note": f"example~1 of {batch} in the batch" if batch else "",
        }
        if drawn
        else None,
    }


#: The diagram shows at most this many rows of a vector, on slides and in the article
#: (fewer where ``max_rows`` says so; the middle ones elided as in the matrices): taller
#: vectors would shrink the picture below 8 pt on a slide.
DIAGRAM_ROWS = {True: 4, False: 8}


def _diagram_values(step: Step, first: bool, medium: _Medium) -> dict[str, Any]:
    """The values on the diagram's wires, always column vectors, printed as in the
    derivation: inputs and initial states as written, the rest with the document's
    decimals. With a batch, example 1 only (as the plots): a column per example would
    shrink the picture below 8 pt on a slide."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None

    def one(array: np.ndarray) -> np.ndarray:
        return array[:1] if array.ndim == 2 else array

    def state(array: np.ndarray, kind: str) -> str:
        return medium.given(one(array)) if first else medium.value(one(array), kind)

    x = one(step.x)
    return {
        "x": medium.given(x) if step.layer == 0 else medium.value(x, "h"),
        "h_prev": state(step.h_prev, "h"),
        "c_prev": state(step.c_prev, "c"),
        "act": {k: medium.value(one(step.gates[k].act), k) for k in GATES},
        "c": medium.value(one(step.c), "c"),
        "tanh_c": medium.value(one(step.tanh_c), "c"),
        "h": medium.value(one(step.h), "h"),
    }


#: Room between two columns of values in the diagram (mm): their wires run there.
DIAGRAM_GAP_MM = 2.5


def _carry(shown: Trace, exact: Trace | None) -> dict[str, str] | None:
    """With ``render.carry: displayed``: the largest |shown - exact| of h and of c over every
    step, as math (the document states how far the rounding drifts)."""
    if exact is None or shown.example.render.carry != "displayed":
        return None
    pairs = list(zip(shown.steps, exact.steps, strict=True))
    return {
        name: numbers.scientific(
            max(float(np.max(np.abs(getattr(a, name) - getattr(b, name)))) for a, b in pairs)
        )
        for name in forms.of(shown.example).state_names
    }


#: How an exercise sheet names what it asks for.
_QUANTITY_TEXT = {
    "ih": "$W_{ik} x_t + b_{ik}$",
    "hh": "$W_{hk} h_{t-1} + b_{hk}$",
    "pre": "the pre-activations",
    "dy": "$\\mathrm{d}\\hat y_t$",
    "dpre": "the deltas $\\delta_{k,t}$",
    "grads": "the gradients of the weights and of the initial state",
}


def _exercise(
    quantities: Sequence[str], exercise: Exercise | None, form: forms.Form
) -> dict[str, Any] | None:
    """What the exercise sheet asks for, in words (``$f_t$, $c_t$ and $h_t$``)."""
    if exercise is None:
        return None
    # Gradients (the backward exercise) are named d + the quantity, or grads.
    gradients = [q for q in quantities if q.startswith("d") or q == "grads"]
    forward = [q for q in quantities if q not in gradients]

    def listed(chosen: Sequence[str]) -> str:
        names = [
            _QUANTITY_TEXT.get(q, f"$\\mathrm{{d}}{q[1:]}_t$" if q in gradients else f"${q}_t$")
            for q in chosen
        ]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    text = listed(forward) if forward else ""
    if gradients:
        back = listed(gradients)
        text = f"{text} and, in the backward pass, {back}" if forward else f"{back} (backward pass)"
    return {"mode": exercise, "quantities": text, "backward": bool(gradients)}


TIME_LABEL_EM = 4.5  # width of a label like [h_1 \cdots h_T], in ems
SUP_EM = 2.0  # extra width of its superscripts, such as (1) and an arrow
EXAMPLE_EM = 6.0  # width of "example 1:" before a label


def _time_label(name: str, sup: str, ts: Sequence[int], rows: bool = False) -> str:
    r"""``h_{2}``, ``\left[h_{1}\; h_{2}\right]`` or ``\left[h_{1} \cdots h_{5}\right]``;
    with ``rows`` (one row per step), the same stacked in a ``bmatrix``."""
    if len(ts) == 1:
        return f"{name}{sup}_{{{ts[0]}}}"
    if rows:
        sep = " \\\\ " if len(ts) == 2 else " \\\\ \\vdots \\\\ "
        return (
            f"\\begin{{bmatrix}} {name}{sup}_{{{ts[0]}}}{sep}{name}{sup}_{{{ts[-1]}}} "
            f"\\end{{bmatrix}}"
        )
    sep = "\\;" if len(ts) == 2 else " \\cdots "
    return f"\\left[{name}{sup}_{{{ts[0]}}}{sep}{name}{sup}_{{{ts[-1]}}}\\right]"


NO_TAG = ("", 0.0)


def _example_tag(batched: bool, b: int) -> tuple[str, float]:
    return (f"\\text{{example {b + 1}: }}", EXAMPLE_EM) if batched else ("", 0.0)


def _entry(
    label: str,
    columns: np.ndarray,
    medium: _Medium,
    label_em: float,
    mid: str = "",
    mid_em: float = 0.0,
    kind: str = "",
) -> dict[str, Any]:
    """One ``label = mid = value`` of a results row; ``columns`` (k, n) shows as n x k
    (as k x n with row vectors); ``kind`` names the quantity for an exercise's marks."""
    beside = label_em + mid_em + 2.0
    return {
        "label": label,
        "mid": mid,
        "value": medium.value(columns, kind, beside),
        "em": beside + medium.em(columns, beside=beside),
        "rows": medium.rows(columns),
    }


def _over_steps(
    name: str,
    steps: Sequence[Step],
    b: int,
    sup: str,
    medium: _Medium,
    tag: tuple[str, float] = ("", 0.0),
) -> dict[str, Any]:
    """``[h_t1 ... h_tk]`` (``name`` is ``h`` or ``c``) of example ``b``: a column per step."""
    columns = np.stack([getattr(s, name)[b] for s in steps])
    return _entry(
        tag[0] + _time_label(name, sup, [s.t for s in steps], medium.row_vectors),
        columns,
        medium,
        TIME_LABEL_EM + (SUP_EM if sup else 0.0) + tag[1],
        kind=name,
    )


def _rows(groups: list[list[dict[str, Any]]], medium: _Medium) -> list[dict[str, Any]]:
    """Each group of entries on one row, if that fits: the rows of an aligned block share
    their columns, so the widest entry of each column counts. Else one entry per row."""
    columns = max(len(group) for group in groups)
    width = sum(max(g[k]["em"] for g in groups if len(g) > k) + 2.0 for k in range(columns))
    if width > medium.layout.line_em:
        groups = [[entry] for group in groups for entry in group]
    return [{"entries": group, "height": max(e["rows"] for e in group) + LINE} for group in groups]


def _pack_rows(rows: list[dict[str, Any]], budget: float) -> list[Frame]:
    """Rows into frames of at most ``budget`` rows of height (at least one row each)."""
    frames = _pack([(str(k), r["height"]) for k, r in enumerate(rows)], budget)
    return [Frame.of([rows[int(k)] for k in frame], frame.tall) for frame in frames]


def summary_context(trace: Trace, run: Sequence[Step], medium: _Medium) -> dict[str, Any]:
    """Consecutive steps of one layer and direction that are not derived in full, in brief:
    the states they carry on, ``[h_a ... h_b]`` and ``[c_a ... c_b]``, one column per step
    (a row of them per example). The gates of every step are in values.json."""
    ex = trace.example
    cfg = ex.config
    ordered = sorted(run, key=lambda s: s.t)
    sup = _sup(ordered[0], cfg.num_layers, cfg.bidirectional)
    ts = [s.t for s in ordered]
    span = f"step {ts[0]}" if len(ts) == 1 else f"steps {ts[0]}--{ts[-1]}"
    title = ", ".join([*_where(ordered[0].layer, ordered[0].direction, cfg), span])
    groups = []
    states = forms.of(ex).state_names
    for b in range(ex.batch):
        tag = _example_tag(ex.batched, b)
        groups.append(
            [
                _over_steps(name, ordered, b, sup, medium, tag if name == "h" else NO_TAG)
                for name in states
            ]
        )
    return {
        "title": title[0].upper() + title[1:],
        "span": span,
        "count": len(ts),
        "frames": _pack_rows(_rows(groups, medium), medium.layout.frame_rows - 2 * SYMBOLIC),
    }


def _sequence(trace: Trace, steps: list[dict[str, Any]], medium: _Medium) -> list[dict[str, Any]]:
    """Derived steps and summaries of the others, in the order torch computes them."""
    by_key = {(s["layer"], s["direction"], s["t"]): s for s in steps}
    sequence: list[dict[str, Any]] = []
    run: list[Step] = []

    def flush() -> None:
        if run:
            sequence.append(
                {"kind": "summary", "summary": summary_context(trace, list(run), medium)}
            )
            run.clear()

    for step in trace.steps:
        derived = by_key.get(step.key)
        if derived is not None:
            flush()
            sequence.append({"kind": "step", "step": derived})
            continue
        if run and (run[-1].layer, run[-1].direction) != (step.layer, step.direction):
            flush()
        run.append(step)
    flush()
    return sequence


def _concatenation(
    trace: Trace, layer: int, b: int, medium: _Medium, tag: tuple[str, float]
) -> dict[str, Any]:
    r"""A bidirectional layer's output over time: ``[h^\rightarrow_t; h^\leftarrow_t]``
    stacked, one column per step; the next layer's input, or torch's ``output``."""
    ex = trace.example
    cfg = ex.config
    ts: list[int | None] = list(range(1, ex.steps + 1))
    if len(ts) > 2:
        ts = [1, None, ex.steps]

    def symbols(direction: Direction) -> str:
        sup = _sup(trace.step(layer, direction, 1), cfg.num_layers, True)
        return " & ".join("\\cdots" if t is None else f"h{sup}_{{{t}}}" for t in ts)

    mid = numbers.ruled_matrix(
        f"{symbols('forward')} \\\\ \\hline {symbols('reverse')}", "c" * len(ts)
    )
    if layer == cfg.num_layers - 1:
        label = "\\text{output}"
    else:
        label = _time_label(
            f"x^{{({layer + 1})}}", "", list(range(1, ex.steps + 1)), medium.row_vectors
        )
    # The two directions as two blocks of one matrix, mirroring the symbols in ``mid``.
    halves = np.split(trace.layer_outputs[layer][:, b], 2, axis=-1)
    if medium.row_vectors:  # one row per step: [H-> H<-] side by side
        sups = [_sup(trace.step(layer, d, 1), cfg.num_layers, True) for d in ("forward", "reverse")]
        rows = " \\\\ ".join(
            " & ".join("\\vdots" if t is None else f"h{sup}_{{{t}}}" for sup in sups) for t in ts
        )
        entry = _entry(
            tag[0] + label,
            halves[0],
            medium,
            TIME_LABEL_EM + SUP_EM + tag[1],
            mid=f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}",
            mid_em=8.0,
            kind="h",
        )
        beside = TIME_LABEL_EM + SUP_EM + tag[1] + 8.0 + 2.0
        entry["value"] = medium.blocks(halves, "h", beside)
        entry["em"] += medium.em(halves[1], beside=beside) + 0.5
        return entry
    entry = _entry(
        tag[0] + label,
        halves[0],
        medium,
        TIME_LABEL_EM + SUP_EM + tag[1],
        mid=mid,
        mid_em=3.5 * len(ts) + 1,
        kind="h",
    )
    entry["value"] = medium.blocks(halves, "h")
    entry["rows"] = 2 * entry["rows"] + 0.5
    return entry


def network_diagram(cfg: LstmConfig, steps: int) -> str:
    r"""The unrolled network as an ``array`` of symbols, layer 0 at the bottom above x_t.

    One row of states per layer and direction (the reverse row above the forward one),
    horizontal arrows for the state carried from step to step (from h_0 on the left, or
    from h_{T+1} on the right for the reverse direction), vertical arrows for what each
    layer reads. More than four steps show as 1, 2, ..., T.
    """
    ts: list[int | None] = list(range(1, steps + 1)) if steps <= 4 else [1, 2, None, steps]
    width = 2 * len(ts) + 3  # initial state, arrow, then a node and an arrow per step, end
    rows: list[list[str]] = []
    for layer in reversed(range(cfg.num_layers)):
        for direction in reversed(directions_of(cfg.bidirectional)):
            parts = [f"({layer})"] if cfg.num_layers > 1 else []
            if cfg.bidirectional:
                parts.append("\\rightarrow" if direction == "forward" else "\\leftarrow")
            sup = f"^{{{''.join(parts)}}}" if parts else ""
            arrow = "\\rightarrow" if direction == "forward" else "\\leftarrow"
            row = [f"h{sup}_{{0}}" if direction == "forward" else "", arrow]
            for t in ts:
                row += ["\\cdots" if t is None else f"h{sup}_{{{t}}}", arrow]
            if direction == "forward":
                row[-1:] = ["", ""]
            else:
                row[1] = ""
                row.append(f"h{sup}_{{{steps + 1}}}")
            rows.append(row)
        rows.append(["", "", *(c for t in ts for c in ("" if t is None else "\\uparrow", "")), ""])
    rows.append(
        ["", "", *(c for t in ts for c in ("\\cdots" if t is None else f"x_{{{t}}}", "")), ""]
    )
    assert all(len(row) == width for row in rows)
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{array}}{{{'c' * width}}} {body} \\end{{array}}"


def _results(trace: Trace, medium: _Medium) -> list[dict[str, Any]]:
    """The result blocks, split into frames: h_t and c_t over time for every layer,
    direction and example; a bidirectional layer's output, the concatenation; then the
    final states h_n, c_n in torch's order. No over-time block for one step of one
    layer and direction, where the step and the final states already show everything."""
    ex = trace.example
    cfg = ex.config
    directions = directions_of(cfg.bidirectional)
    states = forms.of(ex).state_names
    blocks: list[dict[str, Any]] = []
    if ex.steps > 1 or cfg.num_layers > 1 or cfg.bidirectional:
        groups = []
        for layer in range(cfg.num_layers):
            for b in range(ex.batch):
                tag = _example_tag(ex.batched, b)
                for direction in directions:
                    steps = sorted(
                        (s for s in trace.steps if s.layer == layer and s.direction == direction),
                        key=lambda s: s.t,
                    )
                    sup = _sup(steps[0], cfg.num_layers, cfg.bidirectional)
                    groups.append(
                        [
                            _over_steps(name, steps, b, sup, medium, tag if name == "h" else NO_TAG)
                            for name in states
                        ]
                    )
        blocks.append(
            {
                "kind": "over_time",
                "title": " and ".join(f"${name}_t$" for name in states) + " over time",
                "rows": _rows(groups, medium),
            }
        )
    if cfg.bidirectional:
        groups = [
            [_concatenation(trace, layer, b, medium, _example_tag(ex.batched, b))]
            for layer in range(cfg.num_layers)
            for b in range(ex.batch)
        ]
        title = "each layer's output" if cfg.num_layers > 1 else "the output"
        blocks.append(
            {
                "kind": "outputs",
                "title": f"{title}, both directions stacked",
                "rows": _rows(groups, medium),
            }
        )
    groups = []
    for k, (layer, direction) in enumerate(
        (layer, d) for layer in range(cfg.num_layers) for d in directions
    ):
        last = trace.step(layer, direction, ex.steps if direction == "forward" else 1)
        sup = _sup(last, cfg.num_layers, cfg.bidirectional)
        index = f"[{k}]" if len(directions) * cfg.num_layers > 1 else ""
        finals = {"h": trace.h_n, "c": trace.h_n if trace.c_n is None else trace.c_n}
        groups.append(
            [
                _entry(
                    f"{name}_n{index}",
                    finals[name][k],
                    medium,
                    4,
                    mid=f"{name}{sup}_{{{last.t}}}",
                    mid_em=3,
                    kind=name,
                )
                for name in states
            ]
        )
    title = "final states $h_n$ and $c_n$" if len(states) > 1 else "final state $h_n$"
    blocks.append({"kind": "final", "title": title, "rows": _rows(groups, medium)})
    frames = []
    for block in blocks:
        # The intro heads the first frame; the cross-check note ends the last one.
        budget = medium.layout.frame_rows - SYMBOLIC * (3 if block is blocks[-1] else 1)
        chunks = _pack_rows(block["rows"], budget)
        for n, chunk in enumerate(chunks):
            frames.append({**block, "rows": chunk, "continued": n > 0, "tall": chunk.tall})
    return frames


def parts(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One fragment per derivation piece: the cell drawn (with ``render.diagram``), inputs,
    each gate (and its rows written out, with ``render.expand``), the cell and the hidden
    state; with ``render.plots``, the values over time of each layer and direction."""
    pieces = []
    for s in ctx["steps"]:
        if ctx["diagram"]:
            pieces.append(
                {
                    "id": f"{s['id']}-diagram",
                    "kind": "diagram",
                    "step": s,
                    "gate": None,
                    "caption": f"{s['title']}: the cell"
                    + (f", example 1 of {ctx['batch']} in the batch" if ctx["batched"] else ""),
                }
            )
        pieces.append(
            {
                "id": f"{s['id']}-inputs",
                "kind": "inputs",
                "step": s,
                "gate": None,
                "caption": f"{s['title']}: inputs",
            }
        )
        for g in s["gates"]:
            pieces.append(
                {
                    "id": f"{s['id']}-{g['key']}",
                    "kind": "gate",
                    "step": s,
                    "gate": g,
                    "caption": f"{s['title']}: {g['name']}",
                }
            )
            if g["expansion"] is not None:
                pieces.append(
                    {
                        "id": f"{s['id']}-{g['key']}-rows",
                        "kind": "rows",
                        "step": s,
                        "gate": g,
                        "caption": f"{s['title']}: {g['name']}, row by row",
                    }
                )
        states = [line for frame in s["state_frames"] for line in frame]
        for kind, short, name in (("cell", "c", "cell state"), ("hidden", "h", "hidden state")):
            if kind in states:
                pieces.append(
                    {
                        "id": f"{s['id']}-{short}",
                        "kind": kind,
                        "step": s,
                        "gate": None,
                        "caption": f"{s['title']}: {name}",
                    }
                )
    for p in ctx["plots"]:
        pieces.append(
            {
                "id": p["id"],
                "kind": "plots",
                "step": None,
                "gate": None,
                "plots": p,
                "caption": p["title"],
            }
        )
    return pieces
