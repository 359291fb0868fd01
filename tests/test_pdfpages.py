"""tests/pdfpages.py (pypdfium2) reads a deck as pdfplumber did: the measures of
tests/measure.py agree on a compiled bundled deck."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from tests import measure, pdfpages
from tests.conftest import EXAMPLES, compiled_deck


class _Plumbed:
    """A pdfplumber page with the attributes of :class:`tests.pdfpages.Page`."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.width, self.height = float(page.width), float(page.height)
        self.chars, self.lines = page.chars, page.lines
        self.rects, self.curves = page.rects, page.curves

    def words(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.page.extract_words(
            extra_attrs=["size"], use_text_flow=False
        )
        return found


@pytest.mark.latex
def test_the_measures_read_with_pdfium_agree_with_pdfplumber(tmp_path: Path) -> None:
    """Every number pdfplumber finds is found at the same size, with the same text; the
    others are numbers pdfplumber took as one word with a bracket piece beside them (its
    word grouping follows float noise in the font size); every frame fills the same; the
    words are those of pdfplumber's WordExtractor given the same characters."""
    pdf = compiled_deck(EXAMPLES / "notebook-step.yaml", tmp_path / "out", 10)
    with pdfplumber.open(pdf) as doc:
        plumbed = measure.read(_Plumbed(page) for page in doc.pages)  # type: ignore[arg-type]
    pages = pdfpages.pages(pdf)
    for page in pages:  # the upright words spelt out: pdfplumber's WordExtractor's
        assert page.words() == pdfpages.WORDS.extract_words(page.chars)
    read = measure.read(pages)
    assert len(read) == len(plumbed) > 5
    old = collections.Counter((n.page, n.text, n.size) for n in measure.numbers_in(plumbed))
    new = collections.Counter((n.page, n.text, n.size) for n in measure.numbers_in(read))
    assert old - new == collections.Counter()
    assert new.total() >= old.total() > 100
    for page, text, _ in new - old:
        glued = [w["text"] for w in plumbed[page - 1].words if text in w["text"]]
        assert glued, (page, text)

    def rounded(fills: list[measure.Fill]) -> list[tuple[Any, ...]]:
        return [(f.page, f.title, f.continued, round(f.fill, 3), round(f.above, 3)) for f in fills]

    assert rounded(measure.fills_in(read)) == rounded(measure.fills_in(plumbed))
    assert [f.last_of_group for f in measure.fills_in(read)] == [
        f.last_of_group for f in measure.fills_in(plumbed)
    ]
