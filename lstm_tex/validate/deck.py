"""``render.deck``, the Beamer deck the slides are laid out for (a lecturer's own: its
theme, aspect ratio and class font size), from the file or from ``--theme``, ``--aspect``
and ``--font-size``; and ``--text-size``, the slides' text size in it."""

from __future__ import annotations

from typing import Any

from lstm_tex.errors import InputError
from lstm_tex.latex.decks import FONT_SIZES, THEMES, Deck
from lstm_tex.read import document
from lstm_tex.validate.messages import HINTS, or_list, suggest
from lstm_tex.validate.model import TEXT_SIZES
from lstm_tex.validate.structs import DeckSection


def deck_option(theme: str, aspect: str, font_size: int = 11) -> Deck:
    """``render.deck``: a theme whose frame is in the table of
    :mod:`lstm_tex.latex.deck_frames` (the aspect and font size are checked before, by
    the schema or the flag); raises :class:`ValueError` listing those themes."""
    if theme not in THEMES:
        close = suggest(theme, THEMES)
        hint = f" ({close.removeprefix('; ')})" if close.startswith("; did") else ""
        raise ValueError(
            f"expected a Beamer theme whose frame lstm-tex has measured, found {theme!r}"
            f"{hint}; the measured themes: {', '.join(THEMES)} (benchmarks/decks.py)"
        )
    return Deck(theme, "4:3" if aspect == "4:3" else "16:9", font_size)


def file_deck(doc: document.Document, section: DeckSection) -> Deck:
    """The file's ``render.deck`` (validated by the schema but for its theme)."""
    try:
        return deck_option(section.theme, section.aspect, section.font_size)
    except ValueError as exc:
        raise doc.error(("render", "deck", "theme"), str(exc)) from None


def frame_flags(given: Deck, flags: dict[str, Any]) -> dict[str, Any]:
    """``--text-size``, and ``--theme``, ``--aspect`` and ``--font-size`` over the file's
    ``render.deck`` (``given``): the render options they change. Raises
    :class:`InputError` naming the flag."""
    changes: dict[str, Any] = {}
    text_size, font_size = flags.get("text_size"), flags.get("font_size")
    if text_size is not None:
        if text_size not in TEXT_SIZES:
            raise InputError(
                f"expected {or_list([str(s) for s in TEXT_SIZES])}, "
                f"found {text_size}" + HINTS[("render", "text_size")],
                field="--text-size",
            )
        changes["text_size"] = text_size
    aspect, theme = flags.get("aspect"), flags.get("theme")
    if aspect not in (None, "16:9", "4:3"):
        raise InputError(f"expected 16:9 or 4:3, found {aspect!r}", field="--aspect")
    if font_size not in (None, *FONT_SIZES):
        raise InputError(
            f"expected {or_list([str(s) for s in FONT_SIZES])}, found {font_size}"
            + HINTS[("render", "deck", "font_size")],
            field="--font-size",
        )
    if (theme, aspect, font_size) != (None, None, None):
        try:
            changes["deck"] = deck_option(
                theme or given.theme, aspect or given.aspect, font_size or given.font_size
            )
        except ValueError as exc:
            raise InputError(str(exc), field="--theme") from None
    return changes
