"""Minus signs are signs (issue 11), measured on the PDF: in a padded matrix column the
sign used to follow a \\phantom, so TeX spaced it as a subtraction ("1 − 1 0.001"). Here
every minus of lstm-tex's matrices, written-out sums and parts sits against its digit,
as in ``$-1$``, while a subtraction keeps its space."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lstm_tex.document import matrices
from tests.conftest import EXAMPLES, compile_tex, run_cli

pdfplumber = pytest.importorskip("pdfplumber")

pytestmark = pytest.mark.latex

#: A binary minus has a medium space (4/18 em, 2.2 pt at 10 pt) on each side; a sign none.
SIGN_GAP_PT = 0.3


def _gaps(pdf: Path) -> list[tuple[int, float]]:
    """(page, gap in pt) of every minus glyph followed by a digit, on every page."""
    found = []
    with pdfplumber.open(pdf) as doc:
        for n, page in enumerate(doc.pages):
            chars = page.chars
            for c, after in itertools.pairwise(chars):
                if (
                    c["text"] == "\u2212"
                    and after["text"].isdigit()
                    and abs(after["top"] - c["top"]) < 3
                ):
                    found.append((n, float(after["x0"] - c["x1"])))
    return found


def test_minus_in_matrices_and_parts_is_a_sign(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    result = run_cli(
        "render", EXAMPLES / "notebook-step.yaml", "--out", folder, "--no-check", "--expand", "i"
    )
    assert result.exit_code == 0, result.output
    parts = sorted((folder / "notebook-step" / "parts").glob("*.tex"))
    shown = [
        matrices.bmatrix([10.0, -1.0, 0.001], style="written"),
        matrices.bmatrix([[1.0, -1.0, 0.001], [-12.5, 3.0, -0.25]], style="written"),
        matrices.bmatrix([0.1234, -0.5, -12.0], decimals=4),
        matrices.bmatrix([1e300, -2.5, -1e-7], style="written"),
        matrices.bmatrix([[-0.5, 10.0]], style="written", marks="answer"),
    ]
    doc = tmp_path / "minus.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
        "\\providecommand{\\lstmanswer}[1]{\\fbox{$#1$}}\n\\begin{document}\n"
        + "".join(f"\\[ {m} \\]\n" for m in shown)
        + "".join(f"\\input{{{p.as_posix()}}}\n" for p in parts)
        + "\\newpage\n\\[ 1 - 1 \\qquad x - 0.5 \\]\n\\end{document}\n"
    )
    compiled = compile_tex(doc)
    assert compiled.ok, compiled.errors
    gaps = _gaps(doc.with_suffix(".pdf"))
    last = max(page for page, _ in gaps)
    binary = [g for page, g in gaps if page == last]
    signs = [g for page, g in gaps if page != last]
    assert len(binary) == 2 and all(1.5 < g < 3.0 for g in binary), binary  # subtractions
    assert len(signs) > 20
    assert max(signs) < SIGN_GAP_PT, sorted(signs)[-5:]
