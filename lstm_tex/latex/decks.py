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

from lstm_tex.latex.deck_frames import FRAMES, SIZED

Aspect = Literal["16:9", "4:3"]
#: The class font sizes a deck may have (``\\documentclass[10pt]{beamer}``; Beamer's
#: default is 11 pt), whose frames :mod:`~lstm_tex.latex.deck_frames` measured.
FontSize = Literal[10, 11, 12]
FONT_SIZES: tuple[int, ...] = (10, 11, 12)
#: Beamer's size commands by class font size: the size (pt) each sets, at the
#: ``\\baselineskip`` of :data:`BASELINES` (the same in every class; beamer's size*.clo).
BEAMER_SIZES: dict[int, dict[float, str]] = {
    10: {8: "\\footnotesize", 9: "\\small", 10: "\\normalsize", 12: "\\large"},
    11: {9: "\\footnotesize", 10: "\\small", 10.95: "\\normalsize", 12: "\\large"},
    12: {10: "\\footnotesize", 10.95: "\\small", 12: "\\normalsize", 14.4: "\\large"},
}
BASELINES = {8: 9.5, 9: 11.0, 10: 12.0, 10.95: 13.6, 12: 14.5}
#: ``render.text_size`` (pt) -> the sizes (pt) of a slide's body and of its notes and
#: captions: one step smaller, never below 8 pt (11 pt is LaTeX's 10.95).
TEXT_PT = {9: (9, 9), 10: (10, 9), 11: (10.95, 10)}
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
    font_size: int = 11  # the class's (FONT_SIZES)

    @property
    def frame(self) -> tuple[float, float]:
        """The frame's text width and body height, in pt, at the class font size."""
        if self.font_size == 11:
            return FRAMES[self.theme, self.aspect]
        return SIZED[self.theme, self.aspect, self.font_size]

    @property
    def text_pt(self) -> float:
        """The frame's text width (``\\textwidth``), in pt."""
        return self.frame[0]

    @property
    def body_pt(self) -> float:
        """The frame's body: ``\\textheight`` less the frame title (one line), in pt."""
        return self.frame[1]

    def sizes(self, text_size: int) -> tuple[str, str]:
        """The commands that set a slide's body and its notes at ``text_size`` (pt) in
        this class: Beamer's size command of that size (``\\small`` for 10 pt at 11 pt),
        or where the class has none (11 pt at 10 pt) ``\\fontsize`` at the baseline
        that command has in another class, which the layout counts."""
        commands = BEAMER_SIZES[self.font_size]
        return tuple(  # type: ignore[return-value]
            commands.get(pt) or f"\\fontsize{{{pt}}}{{{BASELINES[pt]}}}\\selectfont"
            for pt in TEXT_PT[text_size]
        )

    @property
    def width(self) -> float:
        """The text width as a share of the default deck's (1.0 for it, exactly)."""
        return self.text_pt / DEFAULT.text_pt

    @property
    def height(self) -> float:
        """The body's height as a share of the default deck's (1.0 for it, exactly)."""
        return self.body_pt / DEFAULT.body_pt


DEFAULT = Deck()
