r"""How a backward group's lines share frames on slides, after the packer has cut them by
height (:func:`~lstm_tex.document.frames.pack_lines`): lines that share an aligned block's
left column too wide for them (:func:`part_columns`) go in blocks of their own, on the same
frame where they fit (:func:`rejoin`), and a group's last frame takes lines from the one
before it rather than stay nearly empty (:func:`balance`) (issue 12)."""

from __future__ import annotations

from itertools import pairwise

from lstm_tex.document.frames import Frame
from lstm_tex.document.line import Line
from lstm_tex.document.measure import tex_em


def column_em(lines: list[Line]) -> float:
    """The width of an ``align*`` block's left column: its widest left-hand side (ems)."""
    return max((tex_em(str(q.symbolic.get("lhs") or "")) for q in lines), default=0.0)


#: On slides, the line kinds whose width estimate :func:`part_columns` holds to a frame's
#: shared left column: a sum's is up to 3.4 em over what pdflatex sets (dW_ir beside
#: db_ir = db_hr, 46.5 em estimated, fits a 9 pt frame: 43.1 em measured), which would cut
#: frames that fit; its left-hand side still widens the column of the lines beside it.
SHARED_COLUMN_KINDS = frozenset({"apply", "plus_product"})


def part_columns(
    frames: list[Frame], limit: float, trusted: frozenset[str] | None = None
) -> list[Frame]:
    """In the article, each frame is one ``align*``: every line's right-hand side starts
    after the block's widest left-hand side, not after its own. A line that would then
    run past ``limit`` (ems) starts a block of its own (a GRU's long
    ``W^T delta + z . dh`` beside the sum of its terms overflowed the page by 15 pt);
    ``trusted``: the only line kinds held so (all if ``None``)."""
    out: list[Frame] = []
    for frame in frames:
        block = Frame.of([], frame.tall)
        for q in frame:
            trial = [*block, q]
            col = column_em(trial)
            if block and any(
                p.width - tex_em(str(p.symbolic.get("lhs") or "")) + col > limit
                for p in trial
                if trusted is None or p.kind in trusted
            ):
                out.append(block)
                block = Frame.of([], frame.tall)
            block.append(q)
        out.append(block)
    return out


#: What a frame's aligned block adds below it where another follows on the same frame
#: (``\lstmblockskip`` in backward-frames.tex.j2), beyond the gap between two lines of
#: one block, in rows of the text.
BLOCK_GAP = 0.3


class Blocks(Frame):
    """A frame whose lines are set as several aligned blocks, one below the other: a new
    block starts at each of ``cuts`` (positions in the frame)."""

    cuts: tuple[int, ...] = ()

    def blocks(self) -> list[list[Line]]:
        """The frame's lines, block by block."""
        bounds = [0, *self.cuts, len(self)]
        return [list(self[a:b]) for a, b in pairwise(bounds)]


def rejoin(
    frames: list[Frame],
    heights: dict[int, float],
    room: float,
    text_em: float,
) -> list[Frame]:
    """On slides, each frame of ``frames`` cut where its lines share a left column too wide
    for them (:func:`part_columns`), its parts kept on the frame as blocks of their own
    where they fit ``room`` rows with :data:`BLOCK_GAP` between them: "back to the initial
    state" of a GRU at 11 pt put dh_0 on a frame of its own, 14 % full, and the line above
    it on one 54 % full (issue 12). ``heights``: each line's rows, by ``id``; each frame's
    ``used`` is set."""
    out: list[Frame] = []
    for frame in frames:
        parts = part_columns([frame], text_em, trusted=SHARED_COLUMN_KINDS)
        for part in parts:
            part.used = sum(heights[id(q)] for q in part)
        if len(parts) > 1 and frame.used + BLOCK_GAP * (len(parts) - 1) <= room:
            joined = Blocks(q for part in parts for q in part)
            joined.tall = frame.tall
            joined.used = sum(part.used for part in parts) + BLOCK_GAP * (len(parts) - 1)
            sizes = [len(part) for part in parts]
            joined.cuts = tuple(sum(sizes[: n + 1]) for n in range(len(sizes) - 1))
            parts = [joined]
        out += parts
    return out


#: A frame but the last of its group keeps at least this share of a frame's rows when
#: :func:`balance` takes lines from it: the PDF measures a frame's fill on its whole body,
#: about a tenth taller than the rows packed (at 9 pt a frame left with 0.5 measured 0.49).
KEEP_FILL = 0.6


def balance(frames: list[Frame], heights: dict[int, float], room: float) -> None:
    """On slides, a group's last frame less than half full takes lines from the frame
    before it while that one stays full enough (:data:`KEEP_FILL`) and the last one fits
    (issue 12: at 11 pt the SGD step of a hidden-2 deck left one bias alone on a frame,
    13 % full). ``heights``: each line's rows with what goes with it, by ``id``. Frames
    set as several blocks (:func:`rejoin`) keep their lines."""
    while len(frames) >= 2 and len(frames[-2]) >= 2:
        before, last = frames[-2], frames[-1]
        if isinstance(before, Blocks) or isinstance(last, Blocks):
            return
        move = heights[id(before[-1])]
        if (
            last.used >= room / 2
            or last.used + move > room
            or before.used - move < KEEP_FILL * room
        ):
            return
        last.insert(0, before.pop())
        before.used, last.used = before.used - move, last.used + move
