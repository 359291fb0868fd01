"""The tests' preamble formats (tests/texformat.py): a preamble that a format cannot carry
gets none, so a document fails through its format only where it fails on its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import texformat
from tests.conftest import HOSTS, compile_tex

pytestmark = pytest.mark.latex


@pytest.mark.parametrize(
    ("host", "format_made"), [("beamer-warsaw", False), ("beamer-madrid", True)]
)
def test_a_preamble_that_makes_pdf_forms_gets_no_format(
    tmp_path: Path, host: str, format_made: bool
) -> None:
    """Beamer's Warsaw theme makes its shadings as PDF forms in the preamble; through a
    format holding them, pdfTeX stopped at \\begin{document} with "This can't happen
    (flushing)" (the fresh-clone CI of stop 22). Such a preamble is compiled on its own;
    Madrid's, which makes none, goes through a format. Both compile."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    shutil.copy(HOSTS / f"{host}.tex", tmp_path)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(
        "\\begin{frame}{A frame}\\[ \\begin{bmatrix} 1 & -1 \\end{bmatrix} \\]\\end{frame}\n"
    )
    tex = tmp_path / f"{host}.tex"
    assert (texformat.through_format(tex, 180) is not None) == format_made
    compiled = compile_tex(tex, draft=True)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
