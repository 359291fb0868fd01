"""Helpers for the presentation tests: render with ``render:`` options, compile every
document, and read where the words of a PDF are (pdftotext -bbox)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lstm_tex.read import loader
from tests.conftest import compile_tex, lecturer_deck, run_cli


def with_render(example: Path, folder: Path, **render: Any) -> Path:
    """A copy of ``example`` in ``folder`` with ``render`` merged into its ``render:``."""
    data = loader.read(example).data
    data["render"] = {**data.get("render", {}), **render}
    copy = folder / example.name
    folder.mkdir(parents=True, exist_ok=True)
    copy.write_text(json.dumps(data))
    return copy


def render(example: Path, out: Path, *flags: str) -> Path:
    """``lstm-tex render EXAMPLE --out OUT --no-check FLAGS``; the output folder."""
    result = run_cli("render", example, "--out", out, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # xMin, yMin, xMax, yMax in pt, y downwards


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: tuple[Word, ...]


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
    r'yMax="([\d.-]+)">(.*?)</word>'
)


def pages(pdf: Path) -> list[Page]:
    """Every page of ``pdf`` with its visible words and their boxes."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return [
        Page(
            float(w),
            float(h),
            tuple(
                Word(
                    m.group(5),
                    (float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))),
                )
                for m in _WORD.finditer(body)
            ),
        )
        for w, h, body in _PAGE.findall(done.stdout)
    ]


def frame_pages(nav: Path) -> list[tuple[int, int]]:
    """The first and last page of every frame, from Beamer's ``.nav`` file."""
    return [
        (int(a), int(b))
        for a, b in re.findall(r"\\beamer@framepages \{(\d+)\}\{(\d+)\}", nav.read_text())
    ]


def assert_on_the_pages(pdf: Path) -> None:
    """No word of ``pdf`` runs off its page (Beamer's ``[shrink]`` hides an overflow from
    the log, so the log alone cannot tell)."""
    for n, page in enumerate(pages(pdf), start=1):
        for word in page.words:
            assert word.box[3] <= page.height + 0.01, (pdf.name, n, word)
            assert word.box[2] <= page.width + 0.01, (pdf.name, n, word)


def assert_compiles_cleanly(
    folder: Path, *, article: bool = True, lecturer: tuple[str, ...] = ("", "aspectratio=169")
) -> None:
    """The article, the deck and ``frames.tex`` in a lecturer's themed deck (4:3 and
    16:9 by default) compile with no error, no Overfull box and nothing off a page."""
    stem = folder.name
    decks = [
        folder / f"{stem}-slides.tex",
        *(lecturer_deck(folder, folder / "frames.tex", aspect) for aspect in lecturer),
    ]
    for tex in [folder / f"{stem}.tex"] * article + decks:
        compiled = compile_tex(tex, draft=tex not in decks)  # the decks' PDFs are read below
        assert compiled.ok, (tex.name, compiled.errors)
        assert compiled.overfull_hbox == 0, (tex.name, "Overfull \\hbox")
        assert compiled.overfull_vbox == 0, (tex.name, "Overfull \\vbox")
    for tex in decks:
        assert_on_the_pages(tex.with_suffix(".pdf"))
