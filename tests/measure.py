"""Measures of a compiled deck, read from its PDF (``tests/pdfpages.py``: pdfplumber's
objects, read with pypdfium2): the font size of every number on every page, and how much
of each frame its content fills (issue 12).

A *number* is a value with decimals as the derivations print it (``0.2930``, ``−0.47``,
``-1.5``); indices and exponents (``h_0``, ``10^{-16}``) are not numbers here. Sizes are
in TeX points (a PDF has big points: 72.27 pt = 72 bp).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import pdfpages

PT_PER_BP = 72.27 / 72
MM_PER_BP = 25.4 / 72
NUMBER = re.compile(r"^[−-]?\d+\.\d+$")
#: A frame title is set larger than anything in a frame body (\Large in Beamer's default).
TITLE_SIZE_PT = 13.0


@dataclass(frozen=True)
class Number:
    page: int  # from 1
    text: str
    size: float  # pt
    box: tuple[float, float, float, float]  # x0, top, x1, bottom in bp


@dataclass(frozen=True)
class Fill:
    """One frame, measured on its last page (the one with every overlay uncovered)."""

    page: int  # from 1
    title: str  # without " (continued)"
    continued: bool
    fill: float  # share of the body's height that the content spans, top to bottom
    above: float  # share of the body's height left blank above the content
    last_of_group: bool = False


@dataclass(frozen=True)
class _Page:
    """What the measures read of one page, read once per PDF (a deck is measured by
    several functions)."""

    width: float
    height: float
    words: list[dict[str, Any]]  # with their font size
    extents: list[tuple[float, float]]  # (top, bottom) of every char, line, rect and curve
    rects: list[tuple[float, float]]  # (width, height) of every rectangle, in bp
    rules: list[dict[str, float]]


@functools.cache
def _read(pdf: Path) -> tuple[_Page, ...]:
    """Every page of ``pdf``, read once per PDF and test process."""
    return read(pdfpages.pages(pdf))


def read(pages: Iterable[pdfpages.Page]) -> tuple[_Page, ...]:
    """What the measures use of ``pages`` (tests/pdfpages.py's, or an object with the
    same attributes: tests/test_pdfpages.py gives pdfplumber's pages)."""
    return tuple(
        _Page(
            page.width,
            page.height,
            page.words(),
            [
                (o["top"], o["bottom"])
                for o in (*page.chars, *page.lines, *page.rects, *page.curves)
            ],
            [(r["width"], r["height"]) for r in page.rects],
            _rules(page),
        )
        for page in pages
    )


@functools.cache
def numbers(pdf: Path) -> list[Number]:
    """Every number on every page of ``pdf`` with its font size."""
    return numbers_in(_read(pdf))


def numbers_in(pages: tuple[_Page, ...]) -> list[Number]:
    """Every number of ``pages`` (:func:`read`) with its font size."""
    found = []
    for n, page in enumerate(pages, start=1):
        for w in page.words:
            if NUMBER.match(w["text"]):
                found.append(
                    Number(
                        n,
                        w["text"],
                        round(w["size"] * PT_PER_BP, 2),
                        (w["x0"], w["top"], w["x1"], w["bottom"]),
                    )
                )
    return found


#: Beamer's frame number at the end of a footline: "23" or "23 / 40" (issue 12).
FRAME_NUMBER = re.compile(r"(\d+)(?:\s*/\s*\d+)?$")


def frame_number(foot: str) -> int | None:
    """The frame number that ends the footline text ``foot`` (``None`` if there is none)."""
    found = FRAME_NUMBER.search(foot.strip())
    return int(found.group(1)) if found else None


def _frame_pages(pages: tuple[_Page, ...]) -> Iterator[tuple[int, _Page, str]]:
    """(page number, page, frame title) of the last page of every frame after the title page.
    Pages of one frame (overlays) share its frame number in the footline; where the footline
    has none, its title and footline (so consecutive "(continued)" frames of a deck without
    frame numbers read as one frame)."""
    previous: tuple[str, str] | int | None = None
    kept: tuple[int, _Page, str] | None = None
    for n, page in enumerate(pages, start=1):
        if n == 1:
            continue
        words = page.words
        title = " ".join(
            w["text"]
            for w in words
            if w["size"] * PT_PER_BP >= TITLE_SIZE_PT and w["top"] < 0.2 * page.height
        )
        foot = " ".join(w["text"] for w in words if w["top"] > 0.93 * page.height)
        number = frame_number(foot)
        key: tuple[str, str] | int = (title, foot) if number is None else number
        if kept is not None and key != previous:
            yield kept
        previous, kept = key, (n, page, title)
    if kept is not None:
        yield kept


@functools.cache
def fills(pdf: Path) -> list[Fill]:
    """How much of each frame's body (between the frame title and the footline) its content
    spans; the last frame of a group (a title and its "(continued)" frames) is marked."""
    return fills_in(_read(pdf))


def fills_in(pages: tuple[_Page, ...]) -> list[Fill]:
    """:func:`fills` of ``pages`` (:func:`read`)."""
    measured = []
    for n, page, title in _frame_pages(pages):
        words = page.words
        heads = [w for w in words if w["top"] < 0.2 * page.height and w["size"] >= 12]
        top = max((w["bottom"] for w in heads), default=0.0)
        feet = [w for w in words if w["top"] > 0.93 * page.height]
        bottom = min((w["top"] for w in feet), default=page.height)
        body = [
            (upper, lower)
            for upper, lower in page.extents
            if upper >= top - 0.5 and lower <= bottom + 0.5
        ]
        if not body:
            continue
        first = min(t for t, _ in body)
        last = max(b for _, b in body)
        height = bottom - top
        base = title.replace(" (continued)", "")
        measured.append(
            Fill(n, base, base != title, (last - first) / height, (first - top) / height)
        )
    return [
        Fill(
            f.page,
            f.title,
            f.continued,
            f.fill,
            f.above,
            k + 1 == len(measured)
            or not measured[k + 1].continued
            or measured[k + 1].title != f.title,
        )
        for k, f in enumerate(measured)
    ]


def boxes(pdf: Path, min_mm: float = 2.0) -> list[tuple[int, float, float]]:
    """The answer boxes of an exercise sheet: (page, width, height) in mm of every
    rectangle drawn with four rules (\\fbox) at least ``min_mm`` on each side."""
    found = []
    for n, page in enumerate(_read(pdf), start=1):
        for width, height in page.rects:
            w, h = width * MM_PER_BP, height * MM_PER_BP
            if w >= min_mm and h >= min_mm:
                found.append((n, round(w, 2), round(h, 2)))
    return found


@dataclass(frozen=True)
class Framed:
    """A box drawn by ``\\fbox`` (two horizontal rules and two vertical ones), in mm from
    the page's top left corner, and the number set in it (``""`` if none)."""

    page: int  # from 1
    x0: float
    top: float
    x1: float
    bottom: float
    number: str = ""
    number_mm: float = 0.0  # the width of that number

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _near(a: float, b: float) -> bool:
    return abs(a - b) < 0.5


def _rules(page: pdfpages.Page) -> list[dict[str, float]]:
    """The rules of a page with their thickness, as filled rectangles (pdfTeX draws a rule
    as a filled rectangle or as a stroked line, which is read as its centre)."""
    found = []
    for r in (*page.rects, *page.lines):
        x0, x1, top, bottom = r["x0"], r["x1"], r["top"], r["bottom"]
        if r["object_type"] == "line":
            half = r.get("linewidth", 0.4) / 2
            if bottom - top < x1 - x0:
                top, bottom = top - half, bottom + half
            else:
                x0, x1 = x0 - half, x1 + half
        if min(x1 - x0, bottom - top) < 1.0:
            found.append(
                {
                    "x0": x0,
                    "x1": x1,
                    "top": top,
                    "bottom": bottom,
                    "width": x1 - x0,
                    "height": bottom - top,
                }
            )
    return found


@functools.cache
def framed(pdf: Path) -> list[Framed]:
    """Every ``\\fbox`` of ``pdf``: a pair of horizontal rules of the same extent joined
    by vertical rules at both ends (TeX draws an ``\\fbox`` as four filled rules), with
    the number inside it, if any."""
    found = []
    for n, (page_words, rules) in enumerate(_page_text(pdf), start=1):
        across = sorted((r for r in rules if r["width"] >= 1.0), key=lambda r: r["top"])
        down = [r for r in rules if r["height"] >= 1.0]
        words = [w for w in page_words if NUMBER.match(w["text"])]
        for k, upper in enumerate(across):
            lower = next(
                (
                    r
                    for r in across[k + 1 :]
                    if _near(r["x0"], upper["x0"]) and _near(r["x1"], upper["x1"])
                ),
                None,
            )
            if lower is None:
                continue
            sides = [
                r
                for r in down
                if _near(r["top"], upper["bottom"]) and _near(r["bottom"], lower["top"])
            ]
            left = any(_near(r["x0"], upper["x0"]) for r in sides)
            right = any(_near(r["x1"], upper["x1"]) for r in sides)
            if not (left and right):
                continue
            inside = [
                w
                for w in words
                if upper["x0"] < w["x0"] and w["x1"] < upper["x1"]
                if upper["top"] < (w["top"] + w["bottom"]) / 2 < lower["bottom"]
            ]
            found.append(
                Framed(
                    n,
                    upper["x0"] * MM_PER_BP,
                    upper["top"] * MM_PER_BP,
                    upper["x1"] * MM_PER_BP,
                    lower["bottom"] * MM_PER_BP,
                    inside[0]["text"] if len(inside) == 1 else "",
                    (inside[0]["x1"] - inside[0]["x0"]) * MM_PER_BP if len(inside) == 1 else 0,
                )
            )
    return found


def _page_text(pdf: Path) -> tuple[tuple[list[dict[str, Any]], list[dict[str, float]]], ...]:
    """The words and the rules of every page, read once per PDF."""
    return tuple((page.words, page.rules) for page in _read(pdf))


def rules(pdf: Path, page: int) -> list[tuple[float, float, float]]:
    """The horizontal rules of a page (``\\rule``, underlines): (x0, x1, top) in mm."""
    return [
        (r["x0"] * MM_PER_BP, r["x1"] * MM_PER_BP, r["top"] * MM_PER_BP)
        for r in _page_text(pdf)[page - 1][1]
        if r["width"] >= 1.0
    ]


def vertical_rules(pdf: Path, page: int) -> list[tuple[float, float, float]]:
    """The vertical rules of a page, each run of touching segments joined (an ``array``'s
    ``|`` is drawn row by row): (x, top, bottom) in mm, top to bottom."""
    down = sorted(
        ((r["x0"] + r["x1"]) / 2, r["top"], r["bottom"])
        for r in _page_text(pdf)[page - 1][1]
        if r["height"] >= 1.0 and r["width"] < 1.0
    )
    joined: list[tuple[float, float, float]] = []
    for x, top, bottom in down:
        if joined and _near(joined[-1][0], x) and top <= joined[-1][2] + 0.5:
            joined[-1] = (joined[-1][0], joined[-1][1], max(joined[-1][2], bottom))
        else:
            joined.append((x, top, bottom))
    return [(x * MM_PER_BP, top * MM_PER_BP, bottom * MM_PER_BP) for x, top, bottom in joined]


def words(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """The words of a page: (text, x0, top) in mm."""
    return [
        (w["text"], w["x0"] * MM_PER_BP, w["top"] * MM_PER_BP) for w in _page_text(pdf)[page - 1][0]
    ]
