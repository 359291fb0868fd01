r"""The one formatter of the numbers of a medium (its limits: :mod:`.layouts`):
:class:`Medium` turns arrays into ``bmatrix`` strings, elided to the medium's
rows and columns, and estimates their widths (with :mod:`lstm_tex.document.measure`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lstm_tex.document import matrices, measure, numbers
from lstm_tex.document.layouts import (
    ARTICLE,
    ARTICLE_FULL,
    FULL_ROWS,
    GATE_EXTRA_ROWS,
    NO_ELISION,
    PARTS,
    SLIDES,
    Layout,
    layout,
    matrix_em,
    shown_entries,
    slides_layout,
)
from lstm_tex.document.rowfit import ROW_LINE_EM, column_widths, paired_slots, row_slots
from lstm_tex.validate.model import ELISION_MIN

#: The media's limits, from :mod:`lstm_tex.document.layouts`, with the one formatter.
__all__ = [
    "ARTICLE",
    "ARTICLE_FULL",
    "FULL_ROWS",
    "GATE_EXTRA_ROWS",
    "NO_ELISION",
    "PARTS",
    "SLIDES",
    "Layout",
    "Medium",
    "layout",
    "matrix_em",
    "shown_entries",
    "slides_layout",
]


BOX_EM = 0.3  # extra width of a number in an exercise box (\lstmblank, \lstmanswer)
#: On paper (the article's exercise sheet and answer key) a box is this many times as wide
#: as the number it stands for, room for a handwritten one (issue 12; exercise.tex.j2).
PAPER_BOX_SCALE = 1.5
#: ... with 0.6 mm on each side, so that a box does not stand against its matrix's bracket
#: (issue 12): 1.2 mm in ems of a 10 pt article (exercise.tex.j2's \lstmbox).
PAPER_BOX_SIDES_EM = 0.35

#: Up to this ``max_cols`` (the default), a slide's weight matrix shows no more columns than
#: fit its line at full size; a larger ``max_cols`` (or ``article_full``) asks for more
#: columns, and the line is scaled to fit instead.
FIT_COLS = 8

WEIGHT_LABEL_EM = 12.0  # width of a label such as W_{hi} h_{0} + b_{hi} = (with marks)


@dataclass(eq=False)
class Medium:
    """Formats the numbers of one medium with its limits.

    ``row_vectors``: vectors are rows and a batch is one row per example (the row-vector
    notation); else columns, one per example. ``marks``: what an exercise sheet does with
    the values of each quantity (``ih``, ..., ``i``, ``c``, ``h``): blank them or box
    them as answers. ``captions``: whether derivations get sentences that read them.
    """

    decimals: int
    layout: Layout
    row_vectors: bool = field(default=False, kw_only=True)
    marks: dict[str, matrices.Mark] = field(default_factory=dict, kw_only=True)
    captions: bool = field(default=False, kw_only=True)
    #: Every line of a step in one aligned block (``Step.latex()``): a long left-hand
    #: side would widen all of them.
    one_block: bool = field(default=False, init=False)
    row_cap: int | None = field(default=None, init=False)
    #: Exercise boxes :data:`PAPER_BOX_SCALE` times as wide as their number (the
    #: article), else :data:`BOX_EM` wider (slides).
    paper_boxes: bool = field(default=False, init=False)
    # Weights are shown again at every step: each one is formatted once, by content.
    _weights: dict[tuple[str, tuple[int, ...], bytes, Any], Any] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.marks = dict(self.marks)  # a copy: the caller's marks stay theirs

    def value(
        self,
        array: np.ndarray,
        kind: str = "",
        beside: float = 0.0,
        rows: int | None = None,
        cols: int | None = None,
    ) -> str:
        """A computed value; ``kind`` names the quantity for an exercise's marks; ``beside``:
        the ems of what shares its line (:meth:`row_cols`); ``rows`` (``cols``): its rows
        (columns) elided to that many slots, those shown of the factor it pairs with
        (:meth:`vector`; :meth:`given` likewise)."""
        matrix = self._as_matrix(array)
        return matrices.bmatrix(
            matrix,
            style="fixed",
            decimals=self.decimals,
            max_rows=rows or self.layout.max_rows,
            max_cols=cols or self.row_cols(matrix, "fixed", beside),
            marks=self.marks.get(kind, ""),
        )

    def vector(
        self, array: np.ndarray, style: numbers.Style, kind: str = "", entries: int | None = None
    ) -> str:
        """A vector (as written with ``style`` "written", else computed) with its entries
        elided to ``entries`` slots: its rows, or its columns with row vectors."""
        rows, cols = (None, entries) if self.row_vectors else (entries, None)
        if style == "written":
            return self.given(array, rows=rows, cols=cols)
        return self.value(array, kind, rows=rows, cols=cols)

    def entries(self, array: np.ndarray, style: numbers.Style, alone: bool = False) -> int:
        """The slots of a vector's entries as :meth:`vector` shows them by default: its rows
        (``max_rows``) or, with row vectors, its columns (:meth:`row_cols`; ``alone``: on
        a row of its own, not paired entry by entry with the step's other vectors)."""
        if not self.row_vectors:
            return self.layout.max_rows
        return self.row_cols(self._as_matrix(array), style, alone=alone)

    def lone(self, array: np.ndarray, style: numbers.Style, kind: str) -> tuple[str, float]:
        """A vector on a row of its own (a step's inputs x, h_{t-1}, c_{t-1}), as many of
        its entries as fit (:meth:`entries`), and its width in ems: the inputs' frame has
        the room for all 8 of a hidden-8 h_0 that the step's gates elide to 6 (issue 12)."""
        entries = self.entries(array, style, alone=True)
        cols = entries if self.row_vectors else None
        return self.vector(array, style, kind, entries), self.em(array, style, kind=kind, cols=cols)

    def row_cols(
        self, matrix: np.ndarray, style: numbers.Style, beside: float = 0.0, alone: bool = False
    ) -> int:
        """Columns shown of a vector: ``max_cols``; with row vectors in a medium that breaks
        lines (the article, the parts, ``Step.latex()``), no more than fit a line of their
        own (:data:`ROW_LINE_EM`), since a row cannot be broken: within a step, the same
        columns for every vector (:meth:`rows_of_step`), so that ``[f] \\odot [c]`` pairs
        the numbers it shows, unless ``alone`` (a step's inputs x, h_{t-1}, c_{t-1} on rows
        of their own, and as a product's factor, whose matrix pairs with them; issue 12).
        ``beside``: the ems of what shares its line where known (a results row's ``[h_1
        \\cdots h_T] =``; on slides, else :data:`ROW_LINE_EM`, at the least that)."""
        if matrix.ndim < 2 or not self.row_vectors:
            return self.layout.max_cols
        if self.row_cap is not None and not alone:
            return self.row_cap
        if not self.breaks_rows:
            return self.layout.max_cols
        if self.layout.shrinks:  # what shares its line, where known (a results row's label)
            room = self.layout.line_em - (beside or ROW_LINE_EM)
            return self._row_slots(self._column_widths([(matrix, style)]), room)
        return self._row_fit(*self._row_widths([(matrix, style)]), beside)

    @property
    def breaks_rows(self) -> bool:
        """Row vectors elided to fit a line, their lines broken between factors: not on
        slides with more ``max_cols`` than the default (scaled; at hidden 8, 5.6 pt)."""
        return self.row_vectors and (not self.layout.shrinks or self.layout.max_cols <= FIT_COLS)

    def _row_widths(
        self, arrays: Sequence[tuple[np.ndarray, numbers.Style]]
    ) -> tuple[float, float]:
        """The widest number of row vectors (with their styles; of the entries they show)
        and the widest power of ten before one (``10^{-4}``, in ems): with one and, on an
        exercise sheet (whose boxes take none), without."""
        rows, cols = self.layout.max_rows, self.layout.max_cols
        found = [
            numbers.matrix_widths(shown_entries(a, rows, cols), style, self.decimals, scale)
            for a, style in arrays
            for scale in {True, not self.marks}
        ]
        return max(w for w, _ in found), measure.DIGIT_EM * max(p for _, p in found)

    def _row_fit(self, widest: float, power: float = 0.0, beside: float = 0.0) -> int:
        # a minus sign counted (measure.MINUS_EM): 8 columns of -0.4551 ran 11 pt past an
        # article's text once the operator beside them was measured (issue 12)
        column = measure.column_em(widest, self.layout.size)
        if self.marks:  # an exercise box around any number (an over-estimate, as em())
            column += BOX_EM
            if self.paper_boxes:
                column += (PAPER_BOX_SCALE - 1.0) * measure.DIGIT_EM * widest
                column += PAPER_BOX_SIDES_EM
        fit = int((self.layout.line_em - max(ROW_LINE_EM, beside) - power) / column)
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def _column_widths(self, arrays: Sequence[tuple[np.ndarray, numbers.Style]]) -> list[float]:
        return column_widths(arrays, self.decimals, self.layout.max_rows)

    def _row_slots(self, columns: Sequence[float], room: float) -> int:
        """:func:`rowfit.row_slots` in this medium (an exercise box around any number)."""
        extra = BOX_EM if self.marks else 0.0
        return row_slots(columns, room, self.layout.max_cols, self.layout.size, extra)

    def rows_of_step(
        self, given: Sequence[np.ndarray], computed: Sequence[np.ndarray], beside: float = 0.0
    ) -> None:
        """Fix the columns of the row vectors of one step (:meth:`row_cols`) from the widest
        number among them (``given`` ones as written, else as computed values; ``beside``:
        the most that shares a line with one, where a line breaks), or lift the fix. They
        are the rows and columns of its weight matrices too (:meth:`weights`), so no more
        than ``max_rows``: each entry of ``x`` pairs with a row of ``W_xk``, each column
        of ``W_xk`` with one of the result (issue 12)."""
        self.row_cap = None
        if not self.row_vectors or not (given or computed):
            return
        styled: list[tuple[np.ndarray, numbers.Style]] = [(a, "written") for a in given]
        styled += [(a, "fixed") for a in computed]
        arrays = [(a.reshape(-1, a.shape[-1]), style) for a, style in styled]
        if not self.breaks_rows:  # slides asked for more columns: scaled, not elided
            cap = self.layout.max_cols
        elif self.layout.shrinks:  # slides: column by column, those of the most columns
            n = max(a.shape[-1] for a, _ in arrays)
            widths = self._column_widths([(a, s) for a, s in arrays if a.shape[-1] == n])
            cap = self._row_slots(widths, self.layout.line_em - ROW_LINE_EM)
        else:
            cap = self._row_fit(*self._row_widths(arrays), beside)
        self.row_cap = paired_slots(cap, self.layout.max_rows)

    def blocks(self, arrays: Sequence[np.ndarray], kind: str = "", beside: float = 0.0) -> str:
        """Computed values as blocks of one matrix with a rule between them: stacked (a
        bidirectional output, ``[h->; h<-]``), or side by side with row vectors (each block
        elided on its own, together no wider than :meth:`row_cols` allows)."""
        blocks = [self._as_matrix(a) for a in arrays]
        axis = 1 if self.row_vectors else 0
        sizes = [b.shape[axis] for b in blocks]
        whole = np.concatenate(blocks, axis=axis)
        cols = self.layout.max_cols
        if self.breaks_rows:
            cols = max(ELISION_MIN, self.row_cols(whole, "fixed", beside) // len(blocks))
        return matrices.bmatrix(
            whole,
            style="fixed",
            decimals=self.decimals,
            max_rows=self.layout.max_rows,
            max_cols=cols,
            marks=self.marks.get(kind, ""),
            blocks=None if self.row_vectors else sizes,
            column_blocks=sizes if self.row_vectors else None,
        )

    def given(self, array: np.ndarray, rows: int | None = None, cols: int | None = None) -> str:
        """A value as written (an input, the initial state), elided as :meth:`value`."""
        matrix = self._as_matrix(array)
        return matrices.bmatrix(
            matrix,
            style="written",
            max_rows=rows or self.layout.max_rows,
            max_cols=cols or self.row_cols(matrix, "written"),
        )

    def _as_matrix(self, array: np.ndarray) -> np.ndarray:
        # (B, n) batch rows become n x B: one column per example (unless rows are wanted).
        return array.T if array.ndim == 2 and not self.row_vectors else array

    def weight_cols(self, array: np.ndarray, room: float | None = None) -> int:
        """Columns of a weight matrix shown: ``max_cols``, and no more than fit ``room`` ems
        (on slides: what its line leaves for it at full size, so that the line is elided
        rather than scaled down) or, in a medium that breaks lines (the article), the line
        beside the label ``W x + b =``; no more than ``max_rows`` either, since the vector
        it multiplies shows its rows as many entries (:meth:`vector`). With row vectors,
        those of the step's results (:meth:`rows_of_step`), which its columns pair with."""
        if array.ndim == 2 and self.row_vectors and self.row_cap is not None:
            return self.row_cap
        if array.ndim == 2 and not self.row_vectors:
            return paired_slots(self._weight_fit(array, room), self.layout.max_rows)
        return self._weight_fit(array, room)

    def _weight_rows(self, array: np.ndarray) -> int:
        """The rows shown of a weight matrix: ``max_rows``; with row vectors, those of the
        vector it multiplies from the left, the step's (:meth:`rows_of_step`)."""
        if array.ndim == 2 and self.row_vectors and self.row_cap is not None:
            return self.row_cap
        return self.layout.max_rows

    def _weight_fit(self, array: np.ndarray, room: float | None) -> int:
        if array.ndim < 2 or (
            self.layout.shrinks and (room is None or self.layout.max_cols > FIT_COLS)
        ):
            return self.layout.max_cols
        if room is None:
            room = self.layout.line_em - WEIGHT_LABEL_EM
        shown = shown_entries(array, self.layout.max_rows, self.layout.max_cols)
        widest = numbers.widest(shown, "written", self.decimals)
        if self.layout.shrinks:  # a slide: as many columns as fit, counting the dots
            return measure.fit_columns(
                widest, array.shape[1], room, ELISION_MIN, self.layout.max_cols, self.layout.size
            )
        fit = int((room - measure.BRACKETS_EM) / measure.column_em(widest))
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def weights(
        self,
        array: np.ndarray,
        room: float | None = None,
        rows: int | None = None,
        cols: int | None = None,
    ) -> str:
        """A weight matrix (or bias vector) as written, not transposed; ``room``: the ems
        its line leaves for it (:meth:`weight_cols`); ``rows`` (``cols``): its rows
        (columns) elided to the slots shown of the factor they pair with, or of the result
        whose rows (columns) a sum's terms show (issue 12)."""
        key = ("tex", array.shape, array.tobytes(), (room, rows, cols, self.row_cap))
        if key not in self._weights:
            self._weights[key] = matrices.bmatrix(
                array,
                style="written",
                max_rows=rows or self._weight_rows(array),
                max_cols=cols or self.weight_cols(array, room),
            )
        text: str = self._weights[key]
        return text

    def em(
        self,
        array: np.ndarray,
        style: numbers.Style = "fixed",
        beside: float = 0.0,
        kind: str | None = None,
        cols: int | None = None,
        rows: int | None = None,
    ) -> float:
        """The width of a value (``kind``: the quantity, as :meth:`value` takes it) in ems,
        with an exercise's boxes where it has them: values given as written never do, a
        value of a known ``kind`` only if that quantity is blanked or boxed; one of no
        known kind is counted with boxes whenever the sheet has any (an over-estimate:
        counted for every matrix of a sheet, it broke lines early; issue 12). ``cols``
        (``rows``): its columns (rows) elided to that many slots (:meth:`value`)."""
        matrix = self._as_matrix(array)
        layout = replace(self.layout, max_cols=cols or self.row_cols(matrix, style, beside))
        if rows is not None:
            layout = replace(layout, max_rows=rows)
        boxed = style != "written" and (self.marks.get(kind, "") if kind is not None else True)
        # a sheet's boxes take no power of ten (those of no known kind: either)
        scales = {True, False} if kind is None and self.marks else {not self.marks.get(kind or "")}
        em = max(matrix_em(matrix, self.decimals, style, layout, s) for s in scales)
        if self.marks and boxed:
            em += self.box_em(matrix, style) * min(
                matrix.reshape(matrix.shape[0], -1).shape[1], self.layout.max_cols
            )
        return em

    def box_em(self, matrix: np.ndarray, style: numbers.Style = "fixed") -> float:
        """What an exercise box adds to each column of ``matrix``, in ems."""
        if not self.paper_boxes:
            return BOX_EM
        a = matrix.reshape(matrix.shape[0], -1)
        shown = shown_entries(a, self.layout.max_rows, self.layout.max_cols)
        widest = numbers.widest(shown, style, self.decimals)
        return BOX_EM + PAPER_BOX_SIDES_EM + (PAPER_BOX_SCALE - 1.0) * measure.DIGIT_EM * widest

    def weights_em(
        self,
        array: np.ndarray,
        room: float | None = None,
        rows: int | None = None,
        cols: int | None = None,
    ) -> float:
        """The width of :meth:`weights` (the same arguments) in ems."""
        key = ("em", array.shape, array.tobytes(), (room, rows, cols, self.row_cap))
        if key not in self._weights:
            matrix = array.reshape(array.shape[0], -1)
            cols = cols or self.weight_cols(array, room)
            max_rows = rows or self._weight_rows(array)
            if self.layout.shrinks and cols < matrix.shape[1]:
                # as weight_cols counted it (the dots column as itself), or the line that
                # W was elided to fit is taken for too wide and broken (issue 12)
                widest = numbers.widest(
                    shown_entries(matrix, max_rows, cols), "written", self.decimals
                )
                self._weights[key] = measure.elided_matrix_em(
                    widest, matrix.shape[1], cols, self.layout.size
                )
            else:
                layout = replace(self.layout, max_rows=max_rows, max_cols=cols)
                self._weights[key] = matrix_em(matrix, self.decimals, "written", layout)
        em: float = self._weights[key]
        return em

    def rows(self, array: np.ndarray) -> int:
        n = int(self._as_matrix(array).shape[0])
        return min(n, self.layout.max_rows)
