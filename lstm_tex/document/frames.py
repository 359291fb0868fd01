"""Lines into frames: the one packer of every derivation.

A derivation is a list of lines (:class:`~lstm_tex.document.line.Line` records), each
with an estimated height (in matrix rows, :func:`~lstm_tex.document.measure.line_height`)
and, where it matters, an estimated width (in ems). :func:`pack` (:func:`pack_lines` for
Line records) fills frames (slides) or display blocks (the article) with them greedily:
the forward pass's gates, inputs, states and results, the rows of an expansion, and the
backward pass's groups all go through it. :func:`flow` says where a line breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from lstm_tex.document.line import Line
from lstm_tex.document.measure import BREAK_EM, LINE, SYMBOLIC, line_height

__all__ = [
    "GAINS",
    "LINE",
    "SYMBOLIC",
    "TALL",
    "VDOTS_ROWS",
    "Frame",
    "dotted_rows",
    "flow",
    "line_height",
    "pack",
    "pack_lines",
    "set_rows",
]


#: A frame is shrunk when its estimate exceeds this share of the budget. The budget is
#: calibrated on the default theme; a themed 16:9 deck (Madrid: a taller title bar, a
#: footline) holds a little less, and taller matrices (render.max_rows) more than their
#: estimate says.
TALL = 0.95

#: A matrix elided in its rows (a ``\vdots`` row) is taller than its rows of numbers say:
#: amsmath's ``\vdots`` is set in points, 6.4 pt above an 8-row matrix of ``\small``
#: (0.53 of its 12 pt rows), 7.1 pt at ``\footnotesize`` (0.64 of 11 pt), 5.4 pt at
#: ``\normalsize`` (0.40 of 13.6 pt), measured with pdflatex in Beamer.
VDOTS_ROWS = 0.65

#: The packer counts :data:`LINE` (1.4 rows) under each line of matrices; as Beamer sets an
#: aligned block (``\\[1ex]`` and ``\jot`` between lines) it is 0.6 row, measured on the
#: bundled decks' fills: frames of 3 lines of 2, 3 and 4-row matrices under a symbolic line
#: (estimated 11.8, 14.8 and 17.8 rows) fill 46, 62 and 77 % of 19.5 rows. Frames that share
#: one count their lines as set (:func:`set_rows`), still 2 to 3 rows on the safe side.
SET_SLACK = 0.8
#: Each gap between the lines of an aligned block is 4.3 pt less at ``\small`` without its
#: ``[1ex]`` (0.36 of its 12 pt rows; 0.35 at 9 and 11 pt), and 6.3 pt (0.53) less with
#: ``\jot`` 1 pt as well (a frame's ``tight``): counted as these many rows, by setting.
GAINS = {"closer": 0.3, "tight": 0.45}

T = TypeVar("T")


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


def pack(
    lines: Sequence[tuple[T, float]],
    budget: float,
    first: tuple[T, float] | None = None,
    *,
    widths: Sequence[float] | None = None,
    text_em: float | None = None,
) -> list[Frame]:
    """Fill frames greedily with ``lines`` (each with its height), at least one line each.

    ``first`` (a symbolic line and its height) heads every frame. With ``widths`` and
    ``text_em`` (the backward pass on slides), a frame wider than ``text_em`` is shrunk to
    fit (``\\lstmfit``), and its height with it: the packing counts on that.
    """
    head = [first[0]] if first else []
    start = first[1] if first else 0.0
    frames: list[Frame] = []
    current: list[Any] = list(head)
    used, widest = start, 0.0
    for n, (line, line_h) in enumerate(lines):
        width = widths[n] if widths is not None else 0.0
        wider, taller = max(widest, width), used + line_h
        scale = min(1.0, text_em / wider) if text_em and wider else 1.0
        if len(current) > len(head) and taller * scale > budget:
            frames.append(Frame.of(current, used > budget * TALL, used))
            current, wider, taller = list(head), width, start + line_h
        current.append(line)
        widest, used = wider, taller
    frames.append(Frame.of(current, used > budget * TALL, used))
    return frames


def pack_lines(
    lines: Sequence[Line],
    budget: float,
    first: Line | None = None,
    *,
    text_em: float | None = None,
    extra: Sequence[float] = (),
) -> list[Frame]:
    """:func:`pack` for :class:`~lstm_tex.document.line.Line` records, by their heights
    (and, with ``text_em``, their widths); ``extra``: rows a line takes besides its own
    (a caption read after it), by position. A line too tall for a frame of its own goes
    on over the next frames, cut where it breaks (:meth:`Line.pieces`): split, not
    shrunk (issue 12); its extra rows go with its last piece."""
    head = first.height if first is not None else 0.0
    cut: list[tuple[Line, float]] = []
    for n, line in enumerate(lines):
        more = extra[n] if n < len(extra) else 0.0
        pieces = line.pieces(budget - head - more)
        cut += [(p, p.height + (more if p.closes else 0.0)) for p in pieces]
    return pack(
        cut,
        budget,
        None if first is None else (first, first.height),
        widths=[line.width for line, _ in cut] if text_em is not None else None,
        text_em=text_em,
    )


def set_rows(frame: Frame, heights: Sequence[float]) -> float:
    """The rows ``frame`` takes as Beamer sets it, ``heights`` those of its lines (or
    rows) as packed: :data:`SET_SLACK` less for each line of matrices."""
    return frame.used - SET_SLACK * sum(h >= 1.0 + LINE for h in heights)


def dotted_rows(lines: Sequence[Line]) -> float:
    """The rows that the ``\\vdots`` of ``lines`` add to their estimated heights
    (:data:`VDOTS_ROWS` for each row of a line with a matrix elided in its rows: a GRU's
    candidate at hidden 16, its result on two rows, was shrunk to 9.84 pt); a left-hand
    side on a row of its own has none."""
    return VDOTS_ROWS * sum(
        line.rows - line.broken("lhs")
        for line in lines
        if any("\\vdots" in text for text in (*line.numbers.values(), line.result))
    )


def flow(
    segments: Sequence[tuple[str, float, int, bool]], line_em: float, indent: float
) -> tuple[dict[str, bool], float]:
    """Fill a derivation line greedily: ``segments`` are (name, width in em, matrix rows,
    may break before it), in order; the first one includes the left-hand side, ``indent``
    wide, where the lines after a break start. A break goes before a segment that would
    make its line too wide. Returns where the breaks are (by segment name) and the
    height."""
    breaks: dict[str, bool] = {}
    width, rows, line_h = 0.0, 0, 0.0
    for n, (name, em, seg_rows, breakable) in enumerate(segments):
        breaks[name] = bool(n) and breakable and width + em > line_em
        if breaks[name]:
            line_h += rows + LINE
            width, rows = indent + BREAK_EM + em, seg_rows
        else:
            width, rows = width + em, max(rows, seg_rows)
    return breaks, line_h + rows + LINE
