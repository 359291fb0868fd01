"""``lstm-tex render`` end to end: the files SPEC.md lists, values.json, and LaTeX that compiles."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.validate import spec
from tests.conftest import BUNDLED, EXAMPLES, compile_tex, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"


def render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


def test_render_writes_every_file_of_the_spec(out: Path) -> None:
    folder = render(NOTEBOOK, out)
    stem = NOTEBOOK.stem
    for name in (f"{stem}.tex", f"{stem}-slides.tex", "frames.tex", "values.json"):
        assert (folder / name).is_file(), name
    parts = sorted(p.name for p in (folder / "parts").glob("*.tex"))
    assert parts == sorted(
        f"l0-forward-t1-{piece}.tex" for piece in ("inputs", "i", "f", "g", "o", "c", "h")
    )
    for part in (folder / "parts").glob("*.tex"):
        header = part.read_text().split("\\begingroup")[0].splitlines()
        assert [line for line in header if line.startswith("% needs:")] == [
            r"% needs: \usepackage{amsmath}",
            r"% needs: \usepackage{graphicx}",
        ]
    assert r"% needs: \usepackage{amsmath}" in (folder / "frames.tex").read_text()
    assert not list(out.glob(".*")), "no staging folders left behind"


def test_values_json_layout_and_full_precision(out: Path) -> None:
    folder = render(NOTEBOOK, out)
    values = json.loads((folder / "values.json").read_text())
    assert values["cell"] == "lstm"  # SPEC: always present, also for an LSTM
    assert values["lstm"] == {
        "input_size": 2,
        "hidden_size": 4,
        "num_layers": 1,
        "bias": True,
        "bidirectional": False,
        "proj_size": 0,
        "batch_first": False,
    }
    (step,) = values["steps"]
    assert (step["layer"], step["direction"], step["t"]) == (0, "forward", 1)
    assert step["x"] == [0.5, 0.1]
    assert step["h_prev"] == [-0.5, 0.18, 0.11, -0.06]
    assert set(step["gates"]) == {"i", "f", "g", "o"}
    for gate in step["gates"].values():
        assert set(gate) == {"ih", "hh", "pre", "act"}
        np.testing.assert_allclose(np.add(gate["ih"], gate["hh"]), gate["pre"], atol=1e-15)
    trace = engine.forward(spec.load(NOTEBOOK))
    assert step["h"] == trace.steps[0].h[0].tolist()  # full precision, not rounded
    assert np.shape(values["output"]) == (1, 4)
    assert np.shape(values["h_n"]) == (1, 4) and np.shape(values["c_n"]) == (1, 4)
    check = values["check"]
    assert check["device"] == "cpu" and check["dtype"] == "float64" and check["passed"]
    assert check["atol"] == 1e-10 and check["max_abs_err"] <= 1e-10
    assert check["torch"].startswith("2.")


def test_no_check_writes_null_check_and_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from lstm_tex.cli import main\n"
        f"try:\n    main(['render', {str(NOTEBOOK)!r}, '--out', {str(tmp_path)!r}, "
        "'--no-check'])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    values = json.loads((tmp_path / NOTEBOOK.stem / "values.json").read_text())
    assert values["check"] is None


def test_sequence_carries_state_and_says_so(out: Path) -> None:
    example = EXAMPLES / "short-sequence.yaml"
    folder = render(example, out)
    values = json.loads((folder / "values.json").read_text())
    steps = values["steps"]
    assert [s["t"] for s in steps] == [1, 2, 3]
    for before, after in itertools.pairwise(steps):
        assert after["h_prev"] == before["h"] and after["c_prev"] == before["c"]
    assert values["output"] == [s["h"] for s in steps]
    article = (folder / f"{example.stem}.tex").read_text()
    assert "carried over from step~1" in article and "carried over from step~2" in article


def test_title_is_escaped_and_math_is_not(out: Path, tmp_path: Path) -> None:
    text = NOTEBOOK.read_text().replace(
        "title: One LSTM step, number by number",
        r'title: "50% of $x_1 & #2 {a} ~b^c \\input{/etc/passwd} \\write18{rm}"',
    )
    example = tmp_path / "special.yaml"
    example.write_text(text)
    folder = render(example, out, "--no-check")
    article = (folder / "special.tex").read_text()
    title = next(line for line in article.splitlines() if line.startswith(r"\title"))
    assert r"50\%" in title and r"\$x\_1 \&" in title and r"\#2" in title
    assert r"\input{" not in title and r"\write18{" not in title
    assert r"\begin{bmatrix}" in article  # math untouched
    compiled = compile_tex(folder / "special.tex", draft=True)
    assert compiled.ok, compiled.errors


def test_device_auto_falls_back_to_cpu(out: Path) -> None:
    folder = render(NOTEBOOK, out, "--device", "auto")
    values = json.loads((folder / "values.json").read_text())
    assert values["check"]["device"] in ("cpu", "cuda", "mps")


def test_check_command_prints_table() -> None:
    result = run_cli("check", NOTEBOOK)
    assert result.exit_code == 0, result.output
    for quantity in ("ih", "hh", "pre", "c", "h", "output"):
        assert quantity in result.output
    assert "passed" in result.output


@pytest.mark.latex
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_bundled_examples_compile_without_overfull_boxes(example: Path, out: Path) -> None:
    folder = render(example, out, "--no-check")
    # the deck first and with its PDF: the same document as tests/test_readable.py's deck
    # at 10 pt (the same files in its folder), so that it is compiled once (compile_tex)
    for name in (f"{example.stem}-slides.tex", f"{example.stem}.tex"):
        compiled = compile_tex(folder / name)
        assert compiled.ok, (name, compiled.errors)
        assert compiled.overfull_hbox == 0, (name, compiled.overfull_hbox)
        assert compiled.overfull_vbox == 0, (name, compiled.overfull_vbox)
    _assert_numbered_pages(folder / f"{example.stem}.pdf")
    # frames.tex and the parts in lecturers' documents: tests/test_hosts.py


@pytest.mark.latex
def test_wide_matrices_compile(out: Path, tmp_path: Path) -> None:
    """Input size 12 > amsmath's 10 columns, in both the article and the deck."""
    rng = np.random.default_rng(3)
    hidden, n_in = 2, 12
    example = tmp_path / "wide.yaml"
    example.write_text(
        json.dumps(
            {
                "weights": {
                    "weight_ih_l0": np.round(rng.uniform(-1, 1, (4 * hidden, n_in)), 2).tolist(),
                    "weight_hh_l0": np.round(rng.uniform(-1, 1, (4 * hidden, hidden)), 2).tolist(),
                    "bias_ih_l0": np.round(rng.uniform(-1, 1, 4 * hidden), 2).tolist(),
                    "bias_hh_l0": np.round(rng.uniform(-1, 1, 4 * hidden), 2).tolist(),
                },
                "x": np.round(rng.uniform(-1, 1, (11, n_in)), 2).tolist(),
            }
        )
    )
    folder = render(example, out, "--no-check")
    for name in ("wide.tex", "wide-slides.tex"):
        compiled = compile_tex(folder / name, draft=True)
        assert compiled.ok, (name, compiled.errors)
    assert "MaxMatrixCols" in (folder / "wide.tex").read_text()


@pytest.mark.latex
def test_pdf_flag_compiles_and_reports_latex_errors(out: Path, tmp_path: Path) -> None:
    folder = render(NOTEBOOK, out, "--no-check", "--pdf")
    assert (folder / f"{NOTEBOOK.stem}.pdf").is_file()
    assert (folder / f"{NOTEBOOK.stem}-slides.pdf").is_file()
    assert not list(folder.glob("*.log")) and not list(folder.glob("*.aux"))

    broken = tmp_path / "broken"
    broken.mkdir()
    text = (NOTEBOOK.parents[1] / "templates" / "frames.tex.j2").read_text()
    broken.joinpath("frames.tex.j2").write_text(
        text.replace(
            r"\begin{frame}[t]{The \VAR{cell_title} cell}",
            "\\begin{frame}[t]{The \\VAR{cell_title} cell}\\nosuchmacro",
        )
    )
    assert "nosuchmacro" in broken.joinpath("frames.tex.j2").read_text()
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    result = run_cli("render", NOTEBOOK, "--out", out, "--no-check", "--pdf", "--templates", broken)
    assert result.exit_code == 3
    assert f"{NOTEBOOK.stem}-slides.tex:" in result.output
    assert "Undefined control sequence." in result.output
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before, "a failed --pdf run must leave the previous output intact"


def _assert_numbered_pages(pdf: Path) -> None:
    """Every article page after the first ends with its page number (the foot line)."""
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    pages = done.stdout.split("\f")
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if number > 1 and lines:
            assert lines[-1] == str(number), (pdf.name, number, lines[-1])
