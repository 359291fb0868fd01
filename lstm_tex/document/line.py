r"""One displayed line of a derivation: the record every pass builds and the packer reads.

A :class:`Line` is what a template sets as one equation (a few rows of an ``aligned``
block where it breaks): its symbolic part, its numbers (finished ``bmatrix`` strings),
its result, where it breaks, and how wide (ems) and tall (matrix rows) it is estimated
to be. The forward pass's gate and state lines, the rows of an expansion and the
backward pass's lines are all Lines; :func:`lstm_tex.document.frames.pack_lines` puts
them into frames, and a reveal is overlay numbers keyed by :attr:`Line.kind` on the same
lines, never a second copy of them. Nothing here knows LaTeX beyond the strings it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import MappingProxyType
from typing import Any

from lstm_tex.document import measure


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping if isinstance(mapping, MappingProxyType) else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Term:
    r"""One term of a sum on a line, ``left right`` (a product such as ``W x``, or one
    factor and what follows it): ``newline`` breaks the line before it, ``inside``
    between its two factors (the next row goes on with ``\qquad \cdot``)."""

    left: str
    right: str = ""
    newline: bool = False
    inside: bool = False


@dataclass(frozen=True)
class Line:
    """One displayed line: ``kind`` (which equation: ``ih``, ``result``, ``cell``, ``row``,
    the backward pass's ``matvec``, ...; a template and a reveal pick it by that),
    ``symbolic`` (its symbols by name: ``lhs``, ...), ``numbers`` (its matrices as LaTeX
    by name), ``result`` (the LaTeX after the last ``=``), ``terms`` (a sum written out),
    ``breaks`` (where it breaks, by name: ``True`` starts a new row there), ``width``
    (ems: its widest row as set, after its breaks, in every pass: what the packer shrinks
    a frame by; :func:`widest` works it out from a line's pieces), ``height`` (matrix
    rows, every row and the spacing) and ``page_breaks``: in the article, the line is
    taller than a page, so a page may break before an operator that goes on with it
    ("+ term", "- eta [dW]"); every other line keeps its rows on one page."""

    kind: str
    symbolic: Mapping[str, Any] = field(default_factory=_empty)
    numbers: Mapping[str, str] = field(default_factory=_empty)
    result: str = ""
    terms: tuple[Term, ...] = ()
    breaks: Mapping[str, bool] = field(default_factory=_empty)
    width: float = 0.0
    height: float = 0.0
    page_breaks: bool = False

    def __post_init__(self) -> None:
        for name in ("symbolic", "numbers", "breaks"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def broken(self, name: str) -> bool:
        """Whether the line breaks at ``name`` (a name it does not have: no)."""
        return bool(self.breaks.get(name, False))

    @property
    def rows(self) -> int:
        """How many rows the line is set on: one, and one more per break."""
        return (
            1
            + sum(bool(b) for b in self.breaks.values())
            + sum(t.newline + t.inside for t in self.terms)
        )

    def with_symbols(self, symbols: Mapping[str, Any]) -> Line:
        """The same line with ``symbols`` added to its symbolic part (what its equation
        reads besides its numbers: a gate's symbols and activation, the step's x_t, ...)."""
        return replace(self, symbolic={**self.symbolic, **symbols})

    @property
    def closes(self) -> bool:
        """Whether the line ends here: not a piece cut before its end (:meth:`pieces`),
        which a caption reading its result would not follow."""
        return "upto" not in self.symbolic

    def pieces(self, room: float) -> tuple[Line, ...]:
        """The line cut where it breaks before one of its :data:`CUTS` into lines of at most
        ``room`` (matrix rows) each where it can be: a line too tall for a frame goes on
        over the next (issue 12: a GRU candidate's result of five 8-row vectors, broken
        onto two rows, was scaled down to the width of one). Each piece after the first
        repeats the left-hand side (``n_t = \\tanh(pre) = act``); ``symbolic`` says at
        which break a piece starts (``resumes``) and ends (``upto``). A line that fits,
        or that has no such break, is itself."""
        cuts = CUTS.get(self.kind, ())
        if self.kind == "affine" and "product" not in self.symbolic:
            cuts = ()  # a piece resumes at the bias after the product in symbols
        if self.height <= room or not cuts or any(t.newline or t.inside for t in self.terms):
            return (self,)
        # its rows of matrices, as broken_height counts them
        per_row = (self.height - measure.LINE - measure.ROW_GAP * (self.rows - 1)) / self.rows
        names = list(self.breaks)
        starts: list[int] = []  # where each piece after the first starts (a break's index)
        rows = 1
        for n, name in enumerate(names):
            if not self.breaks[name]:
                continue
            if name in cuts and broken_height(per_row, rows + 1) > room:
                starts.append(n)
                rows = 1
            else:
                rows += 1
        if not starts:
            return (self,)
        bounds = [-1, *starts, len(names)]  # each piece's breaks lie strictly between
        found = []
        for k, (a, b) in enumerate(pairwise(bounds)):
            breaks = {name: self.breaks[name] and a < n < b for n, name in enumerate(names)}
            marks = {"resumes": names[a]} if k else {}
            if b < len(names):
                marks["upto"] = names[b]
            found.append(
                replace(
                    self,
                    symbolic={**self.symbolic, **marks},
                    breaks=breaks,
                    height=broken_height(per_row, 1 + sum(breaks.values())),
                )
            )
        return tuple(found)

    def unbroken(self) -> Line:
        """The same line on one row (``render.article_full`` scales it down whole)."""
        terms = tuple(replace(t, newline=False, inside=False) for t in self.terms)
        return replace(self, breaks=dict.fromkeys(self.breaks, False), terms=terms)

    def paged(self, page_rows: float) -> Line:
        """The same line, which a page may break inside (``page_breaks``) where it is taller
        than ``page_rows`` (matrix rows): in the parts, where one equation taller than a
        host's page had no row a page could break after (a batch of 3, hidden 16 and
        ``max_rows`` 16: 70 to 225 pt past a 10 pt article's page)."""
        return replace(self, page_breaks=self.height > page_rows)


#: Where a line of each kind may be cut to go on over the next frame (:meth:`Line.pieces`),
#: among its breaks: a gate's result before ``= \sigma(pre)`` or ``= act``, a product
#: ``W v + b`` before its result, the textbook's affine line also before its bias
#: (``W_k [h; x]`` of 8-row matrices on one frame, ``+ b_k = pre`` on the next).
CUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"result": ("pre", "act"), "ih": ("result",), "hh": ("result",), "affine": ("bias", "result")}
)


#: A page of a part's host (a 12 pt article, the shortest of the default articles: 548.5 pt
#: less its skips, rows of 14.5 pt), in matrix rows: a line taller than this may break
#: across pages (``Line.page_breaks``).
PAGE_ROWS = 34.0


def broken_height(rows: float, count: int) -> float:
    """The height (matrix rows) of a line set on ``count`` rows of ``rows``-row matrices:
    :data:`measure.ROW_GAP` between its rows (``\\jot`` and ``\\lineskip``, no 1ex),
    :data:`measure.LINE` after the last, as :func:`measure.rows_height` counts rows of row
    vectors. Each row counted :data:`measure.LINE`: an 11 pt g_t of 3-row matrices, its
    result on two rows, took a frame more and left two half empty; 0.4 set a 2-layer
    hidden-8 W_ii x + b (its result on a row of its own) at the usual spacing, shrunk to
    9.76 pt (issue 12)."""
    return rows * count + measure.LINE + measure.ROW_GAP * (count - 1)


def symbolic(kind: str = "symbolic", **symbols: Any) -> Line:
    """A line without matrices (a gate's symbolic line heading its frames, a zero)."""
    return Line(kind, symbolic=symbols, height=measure.SYMBOLIC)


def widest(pieces: Iterable[tuple[float, bool]], indent: float) -> float:
    """The widest row of a line set from ``pieces`` (ems, and whether a row breaks before
    it), in order: the first row holds the left-hand side with the first piece, a row after
    a break starts ``indent`` ems in with an operator (:data:`measure.BREAK_EM`), as
    :func:`lstm_tex.document.frames.flow` fills them."""
    rows = [0.0]
    for n, (em, broken) in enumerate(pieces):
        if n and broken:
            rows.append(indent + measure.BREAK_EM)
        rows[-1] += em
    return max(rows)
