"""The Beamer frame that the slides are laid out for (``render.deck``): its theme and
aspect ratio, and from :data:`~lstm_tex.latex.deck_frames.FRAMES` the width of its text
and the height of its body below the frame title, as pdflatex sets them.

The layout (how many columns of a matrix a line shows, where a line breaks, what goes on
which frame) was calibrated in the default theme's 16:9 frame; another frame scales the
room it counts on by :attr:`Deck.width` and :attr:`Deck.height`, so that a lecturer who
``\\input``s frames.tex into a Madrid 4:3 deck gets lines that fit it at the text size,
where ``\\lstmfit`` and ``[shrink]`` had scaled the numbers of a frame laid out for a
wider, taller one down to 8.8 pt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lstm_tex.latex.deck_frames import FRAMES

Aspect = Literal["16:9", "4:3"]
#: Beamer's class option for each aspect ratio (4:3 is Beamer's default page, 128 x 96 mm).
ASPECT_OPTIONS: dict[str, tuple[str, ...]] = {"16:9": ("aspectratio=169",), "4:3": ()}
#: The themes with a measured frame, in the order of the table (the default first).
THEMES = tuple(dict.fromkeys(theme for theme, _ in FRAMES))


@dataclass(frozen=True)
class Deck:
    """A deck's theme (``\\usetheme``) and aspect ratio; the default is lstm-tex's own
    deck, the default theme at 16:9, which the layout's constants were measured in."""

    theme: str = "default"
    aspect: Aspect = "16:9"

    @property
    def text_pt(self) -> float:
        """The frame's text width (``\\textwidth``), in pt."""
        return FRAMES[self.theme, self.aspect][0]

    @property
    def body_pt(self) -> float:
        """The frame's body: ``\\textheight`` less the frame title (one line), in pt."""
        return FRAMES[self.theme, self.aspect][1]

    @property
    def width(self) -> float:
        """The text width as a share of the default deck's (1.0 for it, exactly)."""
        return self.text_pt / DEFAULT.text_pt

    @property
    def height(self) -> float:
        """The body's height as a share of the default deck's (1.0 for it, exactly)."""
        return self.body_pt / DEFAULT.body_pt


DEFAULT = Deck()
