"""``--pdf`` runs pdflatex once where a second pass would change nothing, twice where it
would (a reference), and a watch session keeps the auxiliary files (issue 17)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pylatex import Document, NoEscape

from lstm_tex import pipeline
from lstm_tex.latex import pdf
from tests.conftest import EXAMPLES, compile_tex

NOTEBOOK = EXAMPLES / "notebook-step.yaml"


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file name of every pdflatex pass that lstm-tex runs."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    seen: list[str] = []
    real = subprocess.run

    def run(command: list[str], **kwargs: Any) -> Any:
        if Path(command[0]).name == "pdflatex":
            seen.append(command[-1])
        return real(command, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "run", run)
    return seen


def text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.latex
def test_one_pass_gives_what_two_give(passes: list[str], tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path / "out"
    pipeline.render(NOTEBOOK, pipeline.RenderOptions(out=out, check=False, pdf=True))
    stem = NOTEBOOK.stem
    # The article needs one pass. The deck has a \section per step (issue 12), which Beamer
    # writes to its .nav and .out files (navigation, PDF bookmarks): its second pass does
    # change something, and is taken.
    assert sorted(passes) == sorted([f"{stem}.tex", f"{stem}-slides.tex", f"{stem}-slides.tex"])
    folder = out / stem
    assert not [p for p in folder.iterdir() if p.suffix in (*pdf.AUX_SUFFIXES, ".log")]
    for name in (f"{stem}.tex", f"{stem}-slides.tex"):
        again = tmp_path / "again"
        again.mkdir(exist_ok=True)
        for f in folder.glob("*.tex"):
            shutil.copy(f, again / f.name)
        compiled = compile_tex(again / name, runs=2)
        assert compiled.ok, compiled.errors
        assert text(folder / name.replace(".tex", ".pdf")) == text(
            again / name.replace(".tex", ".pdf")
        )


@pytest.mark.latex
def test_a_reference_gets_its_second_pass(passes: list[str], tmp_path: Path) -> None:
    doc = Document(documentclass="article", page_numbers=False)
    doc.append(NoEscape(r"\section{One}\label{one} See section~\ref{one}: marker."))
    compiled = pdf.compile_pdf(doc, tmp_path / "ref.tex")
    assert passes == ["ref.tex", "ref.tex"]
    if shutil.which("pdftotext") is not None:
        assert "See section 1: marker." in text(compiled)


@pytest.mark.latex
def test_a_table_of_contents_gets_its_second_pass(passes: list[str], tmp_path: Path) -> None:
    doc = Document(documentclass="article", page_numbers=False)
    doc.append(NoEscape(r"\tableofcontents\section{Alpha}\section{Beta}"))
    pdf.compile_pdf(doc, tmp_path / "toc.tex")
    assert passes == ["toc.tex", "toc.tex"]


@pytest.mark.latex
def test_watch_keeps_the_auxiliary_files(passes: list[str], tmp_path: Path) -> None:
    """Two renders in one process (what ``--watch`` does on a save): the second starts
    from the first one's auxiliary files, one pass per document."""
    out = tmp_path / "out"
    options = pipeline.RenderOptions(out=out, check=False, pdf=True)
    pipeline.render(NOTEBOOK, options)
    kept = {
        key: dict(value)
        for key, value in pipeline.AUX_FILES.items()
        if key[0] == str(out.resolve())
    }
    assert {key[2] for key in kept} == {f"{NOTEBOOK.stem}.tex", f"{NOTEBOOK.stem}-slides.tex"}
    assert all(".aux" in files for files in kept.values())
    written: list[str] = []
    real = pdf.compile_pdf

    def compile_pdf(doc: Document, tex_path: Path, aux: dict[str, bytes] | None = None) -> Path:
        assert aux == kept[(str(out.resolve()), NOTEBOOK.stem, tex_path.name)]
        written.append(tex_path.name)
        return real(doc, tex_path, aux)

    passes.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "compile_pdf", compile_pdf)
        pipeline.render(NOTEBOOK, options)
    assert sorted(written) == sorted(passes) and len(passes) == 2
    assert not [p for p in (out / NOTEBOOK.stem).iterdir() if p.suffix == ".aux"]
