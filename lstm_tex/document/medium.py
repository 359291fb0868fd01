r"""The limits of a medium (slides, the article, the parts) and the one formatter of its
numbers: :class:`Medium` turns arrays into ``bmatrix`` strings, elided to the medium's
rows and columns, and estimates their widths (with :mod:`lstm_tex.document.measure`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lstm_tex.document import matrices, measure, numbers
from lstm_tex.latex.decks import DEFAULT, Deck
from lstm_tex.validate.model import ELISION_MIN, RenderOptions


@dataclass(frozen=True)
class Layout:
    """Size limits of one medium (slides or article), in ems of the body font."""

    line_em: float
    max_rows: int
    max_cols: int
    frame_rows: float
    shrinks: bool = False  # a line too wide is scaled down (\lstmfit), not broken inside W x
    #: The size (pt) that the ems are of, for what TeX sets in points (measure.fixed_em):
    #: the slides' ``render.text_size``; 10 elsewhere, as the widths were calibrated.
    size: float = measure.SLIDE_TEXT_PT
    deck: Deck = DEFAULT  # the Beamer frame the slides are for (render.deck)


#: The default deck's text is 140 mm wide: 39.8 em of \small (10 pt) math (issue 12).
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


def slides_layout(size: int, deck: Deck = DEFAULT) -> Layout:
    """:data:`SLIDES` at text ``size`` (pt) in ``deck``'s frame (``render.deck``): a line holds
    fewer ems of a larger size or a narrower frame, so more is elided or split, not shrunk."""
    return replace(
        SLIDES,
        line_em=measure.slide_line_em(size) * deck.width - 0.3,
        frame_rows=SLIDES.frame_rows * measure.SLIDE_TEXT_PT / size * deck.height,
        size=size,
        deck=deck,
    )


def layout(render: RenderOptions, slides: bool, parts: bool = False) -> Layout:
    """The limits of a medium under the ``render:`` options: ``max_rows``/``max_cols`` on
    slides and in the parts, ``text_size`` on slides, ``article_full`` in the article."""
    if parts:
        return replace(PARTS, max_rows=render.max_rows, max_cols=render.max_cols)
    if slides:
        made = slides_layout(render.text_size, render.deck)
        return replace(made, max_rows=render.max_rows, max_cols=render.max_cols)
    return ARTICLE_FULL if render.article_full else ARTICLE


def matrix_em(array: np.ndarray, decimals: int, style: numbers.Style, layout: Layout) -> float:
    """Estimated width of a bmatrix in ems (digits are half an em wide)."""
    a = array.reshape(array.shape[0], -1)
    cols = min(a.shape[1], layout.max_cols)
    widest = numbers.widest(shown_entries(a, layout.max_rows, layout.max_cols), style, decimals)
    return measure.matrix_em(widest, cols, layout.size)


def shown_entries(a: np.ndarray, max_rows: int, max_cols: int) -> np.ndarray:
    """The entries of matrix ``a`` that an elided bmatrix can show (all when it fits):
    widths are measured on them, not on the thousands of numbers elided away."""
    if a.ndim < 2 or (a.shape[0] <= max_rows and a.shape[1] <= max_cols):
        return a
    rows = [r for r in matrices.keep(a.shape[0], max_rows) if r is not None]
    cols = [c for c in matrices.keep(a.shape[1], max_cols) if c is not None]
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
    _weights: dict[tuple[str, tuple[int, ...], bytes, float | None], Any] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.marks = dict(self.marks)  # a copy: the caller's marks stay theirs

    def value(
        self, array: np.ndarray, kind: str = "", beside: float = 0.0, rows: int | None = None
    ) -> str:
        """A computed value; ``kind`` names the quantity for an exercise's marks; ``beside``:
        the ems of what shares its line (:meth:`row_cols`); ``rows``: its rows elided to that
        many, the columns shown of the matrix it multiplies (:meth:`given` likewise)."""
        matrix = self._as_matrix(array)
        return matrices.bmatrix(
            matrix,
            style="fixed",
            decimals=self.decimals,
            max_rows=rows or self.layout.max_rows,
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
        if not self.breaks_rows or matrix.ndim < 2:
            return self.layout.max_cols
        if self.row_cap is not None:
            return self.row_cap
        if self.layout.shrinks:
            room = self.layout.line_em - max(ROW_LINE_EM, beside)
            return self._row_slots(self._column_widths([(matrix, style)]), room)
        shown = shown_entries(matrix, self.layout.max_rows, self.layout.max_cols)
        return self._row_fit(numbers.widest(shown, style, self.decimals), beside)

    @property
    def breaks_rows(self) -> bool:
        """Row vectors elided to fit a line, their lines broken between factors: not on
        slides with more ``max_cols`` than the default (scaled; at hidden 8, 5.6 pt)."""
        return self.row_vectors and (not self.layout.shrinks or self.layout.max_cols <= FIT_COLS)

    def _row_fit(self, widest: float, beside: float = 0.0) -> int:
        # a minus sign counted (measure.MINUS_EM): 8 columns of -0.4551 ran 11 pt past an
        # article's text once the operator beside them was measured (issue 12)
        column = measure.column_em(widest, self.layout.size)
        if self.marks:  # an exercise box around any number (an over-estimate, as em())
            column += BOX_EM
            if self.paper_boxes:
                column += (PAPER_BOX_SCALE - 1.0) * measure.DIGIT_EM * widest
        fit = int((self.layout.line_em - max(ROW_LINE_EM, beside)) / column)
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def _column_widths(self, arrays: Sequence[tuple[np.ndarray, numbers.Style]]) -> list[float]:
        """The ems of each column of ``arrays`` (row vectors with their styles, as many
        columns each) as a ``bmatrix`` aligns it: sign, digits and point as set."""
        rows = self.layout.max_rows
        widths = []
        for k in range(arrays[0][0].shape[-1]):
            parts = [
                numbers.split(numbers.format_number(float(v), style, self.decimals))
                for a, style in arrays
                for v in a[:rows, k]
            ]
            if any(exponent is not None for *_, exponent in parts):  # as measure counts it
                texts = [(a[:rows, k], style) for a, style in arrays]
                widest = max(numbers.widest(v, style, self.decimals) for v, style in texts)
                widths.append(measure.DIGIT_EM * widest + measure.MINUS_EM)
                continue
            negative = any(n for n, *_ in parts)
            whole = max(w for _, w, _, _ in parts)
            frac = max(f for _, _, f, _ in parts)
            widths.append(
                measure.MINUS_WIDTH_EM * negative
                + measure.DIGIT_EM * (whole + frac)
                + measure.POINT_WIDTH_EM * bool(frac)
            )
        return widths

    def _row_slots(self, columns: Sequence[float], room: float) -> int:
        """On slides, the most column slots of row vectors whose columns are ``columns``
        ems wide (:meth:`_column_widths`) that fit ``room`` ems: column by column, as TeX
        sets them (each counted as wide as the widest of all, the results' rows of 8
        columns that fit a frame were elided to 6; issue 12)."""
        size = self.layout.size
        gap = measure.COLUMN_GAP_EM * measure.fixed_em(size)
        extra = BOX_EM if self.marks else 0.0  # an exercise box around any number
        n = len(columns)
        for slots in range(min(n, self.layout.max_cols), ELISION_MIN, -1):
            shown = matrices.shown(n, slots)
            em = sum(columns[k] + gap + extra for k in shown)
            em += measure.BRACKETS_EM * measure.fixed_em(size)
            if len(shown) < n:  # the column of \cdots (as measure.elided_matrix_em)
                em += measure.DOTS_COLUMN_EM + gap - measure.COLUMN_GAP_EM
            if em <= room:
                return slots
        return ELISION_MIN

    def rows_of_step(
        self, given: Sequence[np.ndarray], computed: Sequence[np.ndarray], beside: float = 0.0
    ) -> None:
        """Fix the columns of the row vectors of one step (:meth:`row_cols`) from the widest
        number among them (``given`` ones as written, else as computed values; ``beside``:
        the most that shares a line with one, where a line breaks), or lift the fix."""
        self.row_cap = None
        if not self.breaks_rows or not (given or computed):
            return
        if self.layout.shrinks:  # slides: column by column, those of the most columns
            styled: list[tuple[np.ndarray, numbers.Style]] = [(a, "written") for a in given]
            styled += [(a, "fixed") for a in computed]
            arrays = [(a.reshape(-1, a.shape[-1]), style) for a, style in styled]
            n = max(a.shape[-1] for a, _ in arrays)
            widths = self._column_widths([(a, s) for a, s in arrays if a.shape[-1] == n])
            self.row_cap = self._row_slots(widths, self.layout.line_em - ROW_LINE_EM)
            return
        rows, cols = self.layout.max_rows, self.layout.max_cols
        widest = max(
            [
                *(
                    numbers.widest(shown_entries(a, rows, cols), "written", self.decimals)
                    for a in given
                ),
                *(
                    numbers.widest(shown_entries(a, rows, cols), "fixed", self.decimals)
                    for a in computed
                ),
            ]
        )
        self.row_cap = self._row_fit(widest, beside)

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

    def given(self, array: np.ndarray, rows: int | None = None) -> str:
        matrix = self._as_matrix(array)
        return matrices.bmatrix(
            matrix,
            style="written",
            max_rows=rows or self.layout.max_rows,
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
        shown = shown_entries(array, self.layout.max_rows, self.layout.max_cols)
        widest = numbers.widest(shown, "written", self.decimals)
        if self.layout.shrinks:  # a slide: as many columns as fit, counting the dots
            return measure.fit_columns(
                widest, array.shape[1], room, ELISION_MIN, self.layout.max_cols, self.layout.size
            )
        fit = int((room - measure.BRACKETS_EM) / measure.column_em(widest))
        return max(ELISION_MIN, min(self.layout.max_cols, fit))

    def weights(self, array: np.ndarray, room: float | None = None) -> str:
        """A weight matrix (or bias vector) as written, not transposed; ``room``: the ems
        its line leaves for it (:meth:`weight_cols`)."""
        key = ("tex", array.shape, array.tobytes(), room)
        if key not in self._weights:
            self._weights[key] = matrices.bmatrix(
                array,
                style="written",
                max_rows=self.layout.max_rows,
                max_cols=self.weight_cols(array, room),
            )
        text: str = self._weights[key]
        return text

    def em(
        self,
        array: np.ndarray,
        style: numbers.Style = "fixed",
        beside: float = 0.0,
        kind: str | None = None,
    ) -> float:
        """The width of a value (``kind``: the quantity, as :meth:`value` takes it) in ems,
        with an exercise's boxes where it has them: values given as written never do, a
        value of a known ``kind`` only if that quantity is blanked or boxed; one of no
        known kind is counted with boxes whenever the sheet has any (an over-estimate:
        counted for every matrix of a sheet, it broke lines early; issue 12)."""
        matrix = self._as_matrix(array)
        layout = replace(self.layout, max_cols=self.row_cols(matrix, style, beside))
        em = matrix_em(matrix, self.decimals, style, layout)
        boxed = style != "written" and (self.marks.get(kind, "") if kind is not None else True)
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
                    shown_entries(matrix, self.layout.max_rows, cols), "written", self.decimals
                )
                self._weights[key] = measure.elided_matrix_em(
                    widest, matrix.shape[1], cols, self.layout.size
                )
            else:
                self._weights[key] = matrix_em(
                    matrix, self.decimals, "written", replace(self.layout, max_cols=cols)
                )
        em: float = self._weights[key]
        return em

    def rows(self, array: np.ndarray) -> int:
        n = int(self._as_matrix(array).shape[0])
        return min(n, self.layout.max_rows)
