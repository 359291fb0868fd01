"""The standalone deck's colour cache (lstm_tex/latex/tex.py COLOUR_CACHE, issue 17):
Beamer's colours worked out once instead of at every use change no colour on any page."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_tex.latex import tex
from tests.conftest import DATA, compile_tex, run_cli

pytestmark = pytest.mark.latex


def test_the_colour_cache_changes_no_colour(tmp_path: Path) -> None:
    """The tiny example's revealed deck (overlays in colour, Beamer's structure colours,
    the frame title's blue!50!black) with and without the cache: every character and
    rectangle is drawn in the same place in the same colour, on the same pages."""
    import pdfplumber

    result = run_cli(
        "render", DATA / "tiny.yaml", "--out", tmp_path / "out", "--no-check", "--reveal"
    )
    assert result.exit_code == 0, result.output
    deck = (tmp_path / "out" / "tiny" / "tiny-slides.tex").read_text()
    assert tex.COLOUR_CACHE in deck
    drawn = {}
    for side, text in (("cached", deck), ("plain", deck.replace(tex.COLOUR_CACHE, "", 1))):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "deck.tex").write_text(text)
        compiled = compile_tex(folder / "deck.tex")
        assert compiled.ok, compiled.errors[:5]
        with pdfplumber.open(folder / "deck.pdf") as pdf:
            drawn[side] = [
                [
                    (o.get("text"), round(o["x0"], 2), round(o["top"], 2), o["non_stroking_color"])
                    for o in (*page.chars, *page.rects)
                ]
                for page in pdf.pages
            ]
    assert len(drawn["cached"]) > 5
    colours = {o[3] for page in drawn["cached"] for o in page}
    assert len(colours) >= 3, colours  # black, the frame title's blue, a reveal colour
    assert drawn["cached"] == drawn["plain"]
