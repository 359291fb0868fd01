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

__all__ = ["LINE", "SYMBOLIC", "TALL", "Frame", "flow", "line_height", "pack", "pack_lines"]


#: A frame is shrunk when its estimate exceeds this share of the budget. The budget is
#: calibrated on the default theme; a themed 16:9 deck (Madrid: a taller title bar, a
#: footline) holds a little less, and taller matrices (render.max_rows) more than their
#: estimate says.
TALL = 0.95

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
    (a caption read after it), by position."""
    heights = [line.height + (extra[n] if n < len(extra) else 0.0) for n, line in enumerate(lines)]
    return pack(
        list(zip(lines, heights, strict=True)),
        budget,
        None if first is None else (first, first.height),
        widths=[line.width for line in lines] if text_em is not None else None,
        text_em=text_em,
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
