r"""The backward pass's matrices: a line's matrices as :class:`Piece` objects, made by
:class:`Show` for one medium, elided on slides to the room of their line (issue 12)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lstm_tex.document import matrices, measure, numbers, rowfit
from lstm_tex.document.backward_notes import note_rows
from lstm_tex.document.medium import Medium, matrix_em, shown_entries
from lstm_tex.validate.model import ELISION_MIN


@dataclass(frozen=True)
class Piece:
    """One matrix of a line: its LaTeX, estimated width (em) and rows."""

    tex: str
    em: float
    rows: int


class Show:
    """Turns arrays into :class:`Piece` objects for one medium (slides or article).

    ``kinds``: the exercise quantity (``dh``, ``dpre``, ...) of each array of the backward
    pass, by identity, so that every line that shows one of them blanks it (or boxes it,
    in the answer key) as the medium's marks say."""

    def __init__(self, medium: Medium, kinds: dict[int, str] | None = None) -> None:
        self.medium = medium
        #: Slides: lines are packed by their height in rows of the text (issue 12).
        self.slides = medium.layout.shrinks
        self.limit = medium.layout.line_em
        #: The text size (pt) the layout is for: matrices' heights depend on it.
        self.size = medium.layout.size
        #: The frame's text width, as a share of the default deck's (render.deck).
        self.width = medium.layout.deck.width
        self.kinds = kinds or {}
        #: Off slides, a line taller than this (matrix rows) may break across pages
        #: (``Line.page_breaks``); the builder sets the page of its medium.
        self.page_rows = math.inf
        #: By weight (:func:`weight_key`), the columns its products ``W^\top v`` showed
        #: (:meth:`product`), and the most each may show: where they differed between
        #: steps, the fewest (:meth:`settle`).
        self.shown: dict[bytes, set[int]] = {}
        self.most: dict[bytes, int] = {}
        #: The forward pass's computed values the backward lines use, by identity: their
        #: quantity (``h``, ``c``, a gate), name and name transposed. Where an exercise
        #: sheet leaves that quantity blank (``blanks``) they are written by name, never
        #: by their numbers (newuser2 #2: the loss printed every blank h_t, do_t = dh_t *
        #: tanh(c_t) the blank c_t's tanh).
        self.forward: dict[int, tuple[str, str, str]] = {}
        self.blanks: frozenset[str] = frozenset()

    def blank_name(self, array: np.ndarray, transposed: bool = False) -> str | None:
        """The name of a forward value whose quantity the exercise leaves blank."""
        known = self.forward.get(id(array))
        if known is None or known[0] not in self.blanks:
            return None
        return known[2] if transposed else known[1]

    def named_piece(self, name: str) -> Piece:
        return Piece(name, measure.tex_em(name), 1)

    def derived(self, array: np.ndarray, sources: Sequence[np.ndarray], name: str) -> Piece:
        """``array``, computed from the forward values ``sources`` (``1 - f_t``), or its
        ``name`` where one of them is blank on the exercise sheet."""
        if any(self.blank_name(a) is not None for a in sources):
            return self.named_piece(name)
        return self.value(array)

    def note_rows(self, note: str) -> float:
        """The rows of text ``note`` takes on a slide (:func:`note_rows`)."""
        return note_rows(note, self.size, self.width)

    def value(self, array: np.ndarray, kind: str = "", slots: int | None = None) -> Piece:
        """A computed (B, n) array as an n x B matrix (one column per example), rounded;
        ``slots``: its rows elided to that many (the columns of the matrix it multiplies)."""
        m = self.medium
        if (name := self.blank_name(array)) is not None:
            return self.named_piece(name)
        kind = kind or self.kinds.get(id(array), "")
        if slots is None or slots >= min(array.shape[-1], m.layout.max_rows):
            return Piece(m.value(array, kind), m.em(array), m.rows(array))
        matrix = array.T if array.ndim == 2 else array
        tex = matrices.bmatrix(
            matrix,
            style="fixed",
            decimals=m.decimals,
            max_rows=slots,
            max_cols=m.layout.max_cols,
            marks=m.marks.get(kind, ""),
        )
        # at least as wide as all its rows: fewer may take a power of ten (10^{-4}) they lack
        em = max(m.em(array), m.em(array, rows=slots))
        return Piece(tex, em, min(slots, len(matrices.keep(matrix.shape[0], slots))))

    def used(self, piece: Piece, name: object) -> Piece:
        """``piece`` where it is used after the line that derives it: on an exercise
        sheet that leaves it blank, its ``name`` (the student's own answer, derived above)
        instead of the same boxes again (issue 12: each delta was asked five times); the
        answer key alike, so that it is the sheet with its boxes filled."""
        boxed = matrices.BLANK in piece.tex or matrices.ANSWER in piece.tex
        if not isinstance(name, str) or not name or not boxed:
            return piece
        return Piece(name, measure.tex_em(name), 1)

    def operand(self, array: np.ndarray, name: str, kind: str = "") -> Piece:
        """A computed value used again (:meth:`used`) under its ``name``."""
        return self.used(self.value(array, kind), name)

    def given(self, array: np.ndarray) -> Piece:
        """A (B, n) input as an n x B matrix, its numbers as written in the example."""
        m = self.medium
        return Piece(m.given(array), m.em(array, "written"), m.rows(array))

    def state(self, array: np.ndarray, given: bool) -> Piece:
        return self.given(array) if given else self.value(array)

    def transposed(self, matrix: np.ndarray) -> Piece:
        """A weight block transposed, its numbers as written."""
        m = self.medium
        return Piece(
            m.weights(matrix.T), m.weights_em(matrix.T), min(matrix.shape[1], m.layout.max_rows)
        )

    def product(
        self, matrix: np.ndarray, vector: np.ndarray, room: float | None
    ) -> tuple[Piece, Piece]:
        """``matrix`` (as written, already transposed where it is) times a computed (B, n)
        ``vector``: on slides (``room``: the ems the two have on their line) the matrix's
        columns are elided to fit, and the vector's rows with them, so that the line is
        not scaled down (issue 12), to no more than :meth:`settle` allows the matrix; else as
        :meth:`transposed` and :meth:`value` show them."""
        m = self.medium
        n = matrix.shape[1]
        if room is None or matrix.ndim != 2:
            return self._weights(matrix), self.value(vector)
        widest = numbers.widest(
            shown_entries(matrix, m.layout.max_rows, m.layout.max_cols), "written", m.decimals
        )
        key = weight_key(matrix)
        slots = min(n, m.layout.max_cols, self.most.get(key, n))
        while slots > ELISION_MIN and (
            measure.elided_matrix_em(widest, n, slots, m.layout.size)
            + self.value(vector, slots=slots).em
            > room
        ):
            slots -= 1
        self.shown.setdefault(key, set()).add(slots)
        w_tex = matrices.bmatrix(
            matrix, style="written", max_rows=m.layout.max_rows, max_cols=slots
        )
        w_em = measure.elided_matrix_em(widest, n, slots, m.layout.size)
        rows = min(matrix.shape[0], m.layout.max_rows)
        return Piece(w_tex, w_em, rows), self.value(vector, slots=slots)

    def settle(self) -> bool:
        """Whether a weight's products showed different columns at different steps (the
        room of a line differs with its left-hand side, dh_0 = W^T delta_1, and with its
        vector's and result's numbers): then each such weight may show no more than the
        fewest, the room of its widest step, and the steps are to be built again (issue
        12: W_ih^T delta showed 3 of 8 columns at one step, 4 at the other). What was
        shown is forgotten."""
        uneven = {key: min(counts) for key, counts in self.shown.items() if len(counts) > 1}
        self.most.update(uneven)
        self.shown.clear()
        return bool(uneven)

    def _weights(self, matrix: np.ndarray) -> Piece:
        m = self.medium
        return Piece(
            m.weights(matrix), m.weights_em(matrix), min(matrix.shape[0], m.layout.max_rows)
        )

    def as_is(
        self,
        array: np.ndarray,
        given: bool | Sequence[bool] = False,
        kind: str = "",
        cols: int | None = None,
        rows: int | None = None,
    ) -> Piece:
        """A matrix shown as it is stored: a gradient of a weight, or (B, n) rows x^T;
        ``given``: its numbers as written in the example (per row: a stacked
        ``[h_0^T; h_1^T]`` shows h_0 as given and h_1 as computed, as the forward frames
        do); ``kind``: its exercise quantity (``grads``); ``cols``, ``rows``: elided to
        that many (slides: to the room of its line)."""
        m = self.medium
        if given is False and (name := self.blank_name(array, True)) is not None:
            return self.named_piece(name)
        flags = [given] * array.shape[0] if isinstance(given, bool) else list(given)
        styles: list[numbers.Style] = ["written" if g else "fixed" for g in flags]
        mark = m.marks.get(kind, "")
        matrix = array.reshape(array.shape[0], -1)
        slots = m.layout.max_cols if cols is None else min(cols, m.layout.max_cols)
        height = m.layout.max_rows if rows is None else min(rows, m.layout.max_rows)
        tex = matrices.bmatrix(
            array,
            style=styles[0] if len(set(styles)) == 1 else styles,
            decimals=m.decimals,
            max_rows=height,
            max_cols=slots,
            marks=mark,
        )
        # rows of both styles: as wide as the wider of their estimates (a column aligns
        # them on the point, padded to the longer decimals)
        scale = not mark and set(styles) == {"fixed"}  # as bmatrix takes a power of ten
        em = max(
            self._em(
                matrix[[n for n, s in enumerate(styles) if s == style]], style, cols, scale, height
            )
            for style in set(styles)
        )
        if mark:
            em += m.box_em(array, "fixed" if "fixed" in styles else "written") * min(
                matrix.shape[1], slots
            )
        return Piece(tex, em, min(array.shape[0], height))

    def _em(
        self,
        matrix: np.ndarray,
        style: numbers.Style,
        cols: int | None,
        scale: bool = True,
        height: int | None = None,
    ) -> float:
        """The width of ``matrix`` (2-D) in one style, its columns elided to ``cols``;
        ``scale``: with the power of ten of tiny computed values that :func:`matrices.bmatrix`
        finds among the entries it shows (``height``: its rows elided to that many)."""
        m = self.medium
        slots = m.layout.max_cols if cols is None else min(cols, m.layout.max_cols)
        shown = shown_entries(matrix, height or m.layout.max_rows, slots)
        exponent = (
            numbers.shared_exponent(shown, m.decimals) if scale and style == "fixed" else None
        )
        power = measure.DIGIT_EM * numbers.power_width(exponent)
        if exponent is not None:
            matrix = numbers.mantissas(matrix, exponent)
        if style == "fixed" and numbers.has_small(matrix, m.decimals):
            # column by column: a value that would round to zero widens only its own
            # column (its digits, or its exponent, lined up)
            size = m.layout.size
            columns = matrices.shown(matrix.shape[1], slots)
            rows = matrices.shown(matrix.shape[0], m.layout.max_rows)
            em = sum(
                measure.column_em(numbers.widest(matrix[rows, k], style, m.decimals), size)
                for k in columns
            )
            if len(columns) < matrix.shape[1]:
                em += measure.DOTS_COLUMN_EM + measure.COLUMN_GAP_EM * (measure.fixed_em(size) - 1)
            return em + measure.BRACKETS_EM * measure.fixed_em(size) + power
        if cols is None or slots >= matrix.shape[1]:
            if matrix.shape[0] == 1 and exponent is None and matrix.shape[1] <= slots:
                return self._row_em(matrix, style)  # [x_t^T]: column by column
            return matrix_em(matrix, m.decimals, style, m.layout, scale=False) + power
        widest = numbers.widest(shown_entries(matrix, m.layout.max_rows, slots), style, m.decimals)
        return measure.elided_matrix_em(widest, matrix.shape[1], slots, m.layout.size) + power

    def _row_em(self, row: np.ndarray, style: numbers.Style) -> float:
        """A whole row vector (``[x_t^T]``, ``[h_{t-1}^T]``) as TeX sets it, column by
        column (:func:`rowfit.column_widths`): each column as wide as its own number, not
        as the widest with a minus sign (a bidirectional deck's dW sum broke onto a second
        row, 0.6 em over by that count, and took a third frame 34 % full; issue 12)."""
        size = self.medium.layout.size
        gap = measure.COLUMN_GAP_EM * measure.fixed_em(size)
        widths = rowfit.column_widths([(row, style)], self.medium.decimals, 1)
        return sum(w + gap for w in widths) + measure.BRACKETS_EM * measure.fixed_em(size)

    def columns(
        self,
        arrays: Sequence[tuple[np.ndarray, bool | Sequence[bool], str]],
        room: float,
        fit: int | None = None,
        rows: int | None = None,
    ) -> list[Piece]:
        """Matrices with the same columns (a product's right factor and its result, or a
        weight, its gradient and the new weight), each ``(array, given, kind)``, elided
        to the same columns: as many as let the first ``fit`` (all) fit ``room`` ems
        together (at least :data:`ELISION_MIN`); ``rows``: their rows elided so."""
        slots = self.slots(arrays, room, fit, rows)
        return [self.as_is(a, g, kind, cols=slots, rows=rows) for a, g, kind in arrays]

    def page_slots(
        self, rows: Sequence[tuple[tuple[np.ndarray, bool | Sequence[bool], str], float]]
    ) -> int | None:
        """In the article (and parts/: a medium that is not scaled down), the column slots
        of matrices with the same columns that each sit on a row of their own, ``(array,
        given, kind)`` with the ems ``room`` beside it: as many as let every one fit its
        row, as :meth:`slots` counts them with the medium's line width (the article's
        dW and SGD lines at hidden 16 ran 14 em past the page, sweep #8); ``None`` where
        they all fit with ``max_cols`` columns, or on slides (scaled to fit)."""
        if self.slides:
            return None
        n = rows[0][0][0].reshape(rows[0][0][0].shape[0], -1).shape[1]
        slots = min(self.slots([array], room) for array, room in rows)
        return None if slots >= min(n, self.medium.layout.max_cols) else slots

    def slots(
        self,
        arrays: Sequence[tuple[np.ndarray, bool | Sequence[bool], str]],
        room: float,
        fit: int | None = None,
        rows: int | None = None,
    ) -> int:
        """The column slots :meth:`columns` shows (the number of columns when all fit)."""
        n = arrays[0][0].reshape(arrays[0][0].shape[0], -1).shape[1]
        slots = min(n, self.medium.layout.max_cols)
        while slots > ELISION_MIN:
            pieces = [self.as_is(a, g, kind, cols=slots, rows=rows) for a, g, kind in arrays]
            if sum(p.em for p in pieces[:fit]) <= room:
                break
            slots -= 1
        return slots


def weight_key(matrix: np.ndarray) -> bytes:
    """What identifies a weight matrix at every step it is used in: its numbers and shape."""
    return repr(matrix.shape).encode() + np.ascontiguousarray(matrix).tobytes()
