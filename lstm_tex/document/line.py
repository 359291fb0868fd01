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
    a frame by; :func:`widest` works it out from a line's pieces) and ``height`` (matrix
    rows, every row and the spacing)."""

    kind: str
    symbolic: Mapping[str, Any] = field(default_factory=_empty)
    numbers: Mapping[str, str] = field(default_factory=_empty)
    result: str = ""
    terms: tuple[Term, ...] = ()
    breaks: Mapping[str, bool] = field(default_factory=_empty)
    width: float = 0.0
    height: float = 0.0

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

    def unbroken(self) -> Line:
        """The same line on one row (``render.article_full`` scales it down whole)."""
        terms = tuple(replace(t, newline=False, inside=False) for t in self.terms)
        return replace(self, breaks=dict.fromkeys(self.breaks, False), terms=terms)


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
