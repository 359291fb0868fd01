r"""How many lines a backward frame's note takes on a slide, counted as pdflatex sets it
(issue 12): the packer of :mod:`lstm_tex.document.backward_lines` keeps that many rows of
the frame for it."""

from __future__ import annotations

import math
import re
from typing import Any

from lstm_tex.document.measure import slide_line_em, strip_commands, tex_em

# a note 0.95 a line of text (rows of the text) and 0.35 below it, measured with pdflatex
NOTE_ROW = 0.95
NOTE_SKIP = 0.35
#: A character of a note's text, in ems of the text size (a note is set at it, on the
#: frame's full width): fitted with pdflatex on the 229 notes of the backward decks at 9,
#: 10 and 11 pt (LSTM, GRU, RNN, 1 and 2 layers), the note's maths counted as
#: :func:`~lstm_tex.document.measure.tex_em` does, so that no note's lines are counted
#: fewer than pdflatex sets, and 4 of the 229 one more (issue 12: 80 characters a line,
#: its maths' commands counted, counted 3 lines for most notes that take 2).
NOTE_CHAR_EM = 0.42

_MATH = re.compile(r"\$(.*?)\$")
_TEXT_COMMAND = re.compile(r"\\[a-zA-Z]+|[{}]")


def note_em(note: str) -> float:
    """The width of a note on one line, in ems of the text size: its text by the
    character (:data:`NOTE_CHAR_EM`), its maths as :func:`tex_em` sets it."""
    maths = sum(tex_em(m) for m in _MATH.findall(note))
    text = _TEXT_COMMAND.sub("", strip_commands(_MATH.sub("", note))).replace("~", " ")
    return NOTE_CHAR_EM * len(text) + maths


def note_lines(note: str, size: float = 10, width: float = 1.0) -> int:
    """The lines of text a note takes on a slide at ``size`` pt (the text size) whose text
    is ``width`` times as wide as the default deck's (render.deck)."""
    return math.ceil(note_em(note) / (slide_line_em(size) * width)) if note.strip() else 0


def note_rows(note: str, size: float = 10, width: float = 1.0) -> float:
    """The rows of text a frame's note takes on a slide at ``size`` pt (``width``: as
    :func:`note_lines`), with the space below it."""
    lines = note_lines(note, size, width)
    return NOTE_ROW * lines + NOTE_SKIP if lines else 0.0


#: A frame's note where a bias's sum over the steps, a product with a column of ones, is
#: on a later frame than its group's note, which said what the bold 1 is (issue 12).
ONES_NOTE = "$\\mathbf{1}$ is a column of ones: times it, the deltas' columns add up."


def ones_notes(group: dict[str, Any], room: float | None, rows: float) -> None:
    """On slides (``room``: the rows a frame holds), each frame's note as
    ``group["notes"]``: the group's on its first frame, and :data:`ONES_NOTE` (``rows``
    rows of text) on the first frame that shows a bold 1 (a column of ones) if that is a
    later one and has room."""
    frames = group["frames"]
    notes = [group["note"]] + [""] * (len(frames) - 1)
    for n, frame in enumerate(frames):
        if not any(_has_ones(q) for q in frame):
            continue
        if n and room is not None and frame.used + rows <= room:
            notes[n] = ONES_NOTE
        break
    group["notes"] = notes


def _has_ones(q: Any) -> bool:
    return "\\mathbf{1}" in str(q.symbolic.get("expansion", "")) or any(
        "\\mathbf{1}" in t.right for t in q.terms
    )
