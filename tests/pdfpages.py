"""The objects of a PDF's pages as pdfplumber gives them, read with pypdfium2 (C) instead
of pdfminer (pure Python): about 40 times less CPU on a deck, which ``tests/measure.py``
reads several dozen of.

What is read is what the measures use: every character (its text, font size and box,
grouped into words by pdfplumber's own ``WordExtractor``), and every painted path, as
pdfminer classifies it (a line, an axis-aligned rectangle, or else a curve; one object
per subpath, a curve's box spanning its end points). The same numbers as pdfplumber's,
with one difference: pdfium keeps a font's glyph widths as whole thousandths of an em, so
a character's x position may differ from pdfplumber's by up to a few hundredths of a
point along a line (``python -m tests.pdfpages PDF...`` compares the two readings).
"""

from __future__ import annotations

import ctypes
import itertools
import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium
from pdfplumber.utils.text import LIGATURES, WordExtractor

#: pdfplumber's word grouping as tests/measure.py asked it of ``extract_words``.
WORDS = WordExtractor(extra_attrs=["size", "descent"], use_text_flow=False)

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Page:
    """One page: its size in bp, its characters and its painted paths (``chars``,
    ``lines``, ``rects``, ``curves``: dicts with pdfplumber's keys, y from the top)."""

    width: float
    height: float
    chars: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    rects: list[dict[str, Any]]
    curves: list[dict[str, Any]]

    def words(self) -> list[dict[str, Any]]:
        """The words of the page as pdfplumber's ``WordExtractor`` groups them (``WORDS``):
        its algorithm, spelt out for upright text (1.6 times as fast), nearly all of it."""
        found: list[dict[str, Any]] = []
        for key, group in itertools.groupby(self.chars, key=_RUN):
            run = list(group)
            found += _upright_words(run) if key[0] else WORDS.extract_words(run)
        return found


_RUN = operator.itemgetter("upright", "size", "descent")


def _upright_words(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``WORDS.iter_extract_tuples`` for one run of upright characters of one size: lines
    by their tops (a top within 3 bp of the previous one's), each read left to right,
    a word ending at a space, a gap over 3 bp, a step back or a top 3 bp away."""
    line_of: dict[float, int] = {}
    line, last = -1, -math.inf
    for top in sorted({c["top"] for c in chars}):
        line += top > last + 3
        line_of[top], last = line, top
    words: list[list[dict[str, Any]]] = []
    by_line = sorted(chars, key=lambda c: line_of[c["top"]])
    for _, line in itertools.groupby(by_line, key=lambda c: line_of[c["top"]]):
        word: list[dict[str, Any]] = []
        for c in sorted(line, key=operator.itemgetter("x0")):
            if c["text"].isspace() or c["text"] == "":
                words += [word] * bool(word) + [[c]] * (c["text"] == "")
                word = []
            elif word and (
                c["x0"] < word[-1]["x0"]
                or c["x0"] > word[-1]["x1"] + 3
                or abs(c["top"] - word[-1]["top"]) > 3
            ):
                words.append(word)
                word = [c]
            else:
                word.append(c)
        words += [word] * bool(word)
    return [_merged(word) for word in words]


def _merged(chars: list[dict[str, Any]]) -> dict[str, Any]:
    """``WORDS.merge_chars``."""
    x0, x1 = min(c["x0"] for c in chars), max(c["x1"] for c in chars)
    top, bottom = min(c["top"] for c in chars), max(c["bottom"] for c in chars)
    first = chars[0]
    return {
        "text": "".join(LIGATURES.get(c["text"], c["text"]) for c in chars),
        "x0": x0,
        "x1": x1,
        "top": top,
        "doctop": top + (first["doctop"] - first["top"]),
        "bottom": bottom,
        "upright": first["upright"],
        "height": bottom - top,
        "width": x1 - x0,
        "direction": "ltr",
        "size": first["size"],
        "descent": first["descent"],
    }


def pages(pdf: Path) -> list[Page]:
    """Every page of ``pdf``."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [_page(document[n]) for n in range(len(document))]
    finally:
        document.close()


def _page(page: pypdfium2.PdfPage) -> Page:
    width, height = page.get_size()
    text = page.get_textpage()
    paths: dict[str, list[dict[str, Any]]] = {"line": [], "rect": [], "curve": []}
    for obj, matrix in _paths(page.raw, pdfium.FPDFPage_CountObjects, pdfium.FPDFPage_GetObject):
        for kind, found in _painted(obj, matrix, height):
            paths[kind].append(found)
    chars = list(_chars(text.raw, height))
    text.close()
    page.close()
    return Page(width, height, chars, paths["line"], paths["rect"], paths["curve"])


def _chars(text: Any, height: float) -> Iterator[dict[str, Any]]:
    """The characters of a page as pdfminer makes them: a glyph's box spans its advance
    width and, up from its font's descent below the baseline, its font size; a glyph
    that maps to no Unicode is ``(cid:N)``; a ligature is one character."""
    matrix, box, tf, width = (
        pdfium.FS_MATRIX(),
        pdfium.FS_RECTF(),
        ctypes.c_float(),
        ctypes.c_float(),
    )
    x, y, descent = ctypes.c_double(), ctypes.c_double(), ctypes.c_float()
    last: dict[str, Any] | None = None
    for k in range(pdfium.FPDFText_CountChars(text)):
        if pdfium.FPDFText_IsGenerated(text, k):  # a space or line end pdfium inferred
            continue
        code = pdfium.FPDFText_GetUnicode(text, k)
        pdfium.FPDFText_GetCharOrigin(text, k, x, y)
        if last is not None and (x.value, y.value) == last["origin"]:
            last["text"] += chr(code)  # a ligature's next letter: the same glyph, whose
            last["x1"] = max(last["x1"], last["loose"])  # width no letter's is
            continue
        if last is not None:
            yield last
        pdfium.FPDFText_GetMatrix(text, k, matrix)
        pdfium.FPDFText_GetLooseCharBox(text, k, box)
        obj = pdfium.FPDFText_GetTextObject(text, k)
        pdfium.FPDFTextObj_GetFontSize(obj, tf)
        font = pdfium.FPDFTextObj_GetFont(obj)
        pdfium.FPDFFont_GetDescent(font, tf.value, descent)
        size = tf.value * abs(matrix.d)
        bottom = height - (y.value + descent.value * matrix.d)
        right = box.right  # where pdfium cannot map the character back to its glyph
        if pdfium.FPDFFont_GetGlyphWidth(font, code, tf.value, width) and width.value > 0:
            right = x.value + width.value * matrix.a
        last = {
            "text": f"(cid:{code})" if pdfium.FPDFText_HasUnicodeMapError(text, k) else chr(code),
            "x0": x.value,
            "x1": right,
            "top": bottom - size,
            "bottom": bottom,
            "doctop": bottom - size,
            "upright": matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0,
            "size": size,
            "descent": round(descent.value, 4),
            "origin": (x.value, y.value),
            "loose": box.right,
        }
    if last is not None:
        yield last


def _paths(owner: Any, count: Any, get: Any, outer: Matrix = IDENTITY) -> Iterator[Any]:
    """(path object, its matrix to the page) of every path, inside forms too."""
    for k in range(count(owner)):
        obj = get(owner, k)
        kind = pdfium.FPDFPageObj_GetType(obj)
        if kind not in (pdfium.FPDF_PAGEOBJ_PATH, pdfium.FPDF_PAGEOBJ_FORM):
            continue
        m = pdfium.FS_MATRIX()
        pdfium.FPDFPageObj_GetMatrix(obj, m)
        matrix = _times((m.a, m.b, m.c, m.d, m.e, m.f), outer)
        if kind == pdfium.FPDF_PAGEOBJ_PATH:
            yield obj, matrix
        else:
            yield from _paths(
                obj, pdfium.FPDFFormObj_CountObjects, pdfium.FPDFFormObj_GetObject, matrix
            )


def _times(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _painted(obj: Any, matrix: Matrix, height: float) -> Iterator[tuple[str, dict[str, Any]]]:
    """The subpaths of a path object as pdfminer paints them: (kind, object)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium.FPDFPath_GetDrawMode(obj, fill, stroke):
        return
    width = ctypes.c_float()
    pdfium.FPDFPageObj_GetStrokeWidth(obj, width)
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[tuple[str, list[tuple[float, float]]]] = []
    bezier = 0
    for k in range(pdfium.FPDFPath_CountSegments(obj)):
        segment = pdfium.FPDFPath_GetPathSegment(obj, k)
        kind = pdfium.FPDFPathSegment_GetType(segment)
        pdfium.FPDFPathSegment_GetPoint(segment, x, y)
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        if kind == pdfium.FPDF_SEGMENT_MOVETO:
            subpaths.append(("m", [point]))
            bezier = 0
        elif kind == pdfium.FPDF_SEGMENT_BEZIERTO:  # two control points, then the end
            bezier += 1
            if bezier % 3:
                continue
            subpaths[-1] = (subpaths[-1][0] + "c", [*subpaths[-1][1], point])
        else:
            subpaths[-1] = (subpaths[-1][0] + "l", [*subpaths[-1][1], point])
        if pdfium.FPDFPathSegment_GetClose(segment):
            shape, points = subpaths[-1]
            subpaths[-1] = (shape + "h", [*points, points[0]])
    for shape, points in subpaths:
        found = _classified(shape, points)
        if found is not None:
            kind, pts = found
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            yield (
                kind,
                {
                    "object_type": kind,
                    "x0": min(xs),
                    "x1": max(xs),
                    "top": height - max(ys),
                    "bottom": height - min(ys),
                    "width": max(xs) - min(xs),
                    "height": max(ys) - min(ys),
                    "linewidth": width.value,
                    "fill": bool(fill.value),
                    "stroke": bool(stroke.value),
                },
            )


def _classified(shape: str, pts: list[tuple[float, float]]) -> tuple[str, list[Any]] | None:
    """pdfminer's ``PDFLayoutAnalyzer.paint_path`` for one subpath: (kind, its points)."""
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape, pts = shape[:-2] + "h", pts[:-1]
    if shape in ("mlh", "ml"):
        return "line", pts[:2]
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if pts[0] == pts[4] and square:
            return "rect", [pts[0], pts[2]]
    return "curve", pts
