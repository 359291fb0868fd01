"""Many files at once (summary table, worst exit status), check --json, --pdf and --png."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lstm_tex.latex import pdf
from tests.conftest import EXAMPLES, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
SEQUENCE = EXAMPLES / "short-sequence.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps table cells to the terminal; keep file names on one line."""
    monkeypatch.setenv("COLUMNS", "250")


def good(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    shutil.copy(NOTEBOOK, path)
    return path


def bad(folder: Path, name: str = "bad") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(NOTEBOOK.read_text().replace("x: [0.5, 0.1]", "x: [0.5]"))
    return path


def disagreeing(folder: Path, name: str = "strict") -> Path:
    """Valid, but float32 torch cannot meet atol 1e-15: the check fails (exit 1)."""
    path = folder / f"{name}.yaml"
    path.write_text(
        NOTEBOOK.read_text().replace(
            "  device: cpu", "  device: cpu\n  dtype: float32\n  atol: 1.0e-15"
        )
    )
    return path


def summary_row(output: str, name: str) -> str:
    rows = [line for line in output.splitlines() if f"{name}.yaml" in line]
    assert rows, f"{name}.yaml missing from the summary:\n{output}"
    return rows[0]


def test_one_bad_among_good_ones(tmp_path: Path, out: Path) -> None:
    files = [good(tmp_path, "first"), bad(tmp_path), good(tmp_path, "last")]
    result = run_cli("render", *files, "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for name in ("first", "last"):
        assert (out / name / "values.json").is_file(), name
        assert "ok" in summary_row(result.stdout, name)
    row = summary_row(result.stdout, "bad")
    assert "exit 2" in row and "expected 2 numbers" in result.output
    assert not (out / "bad").exists()


def test_exit_status_is_the_worst_outcome(tmp_path: Path, out: Path) -> None:
    failing = [good(tmp_path, "fine"), disagreeing(tmp_path)]
    result = run_cli("render", *failing, "--out", out)
    assert result.exit_code == 1, result.output
    assert "exit 1" in summary_row(result.stdout, "strict")
    assert (out / "fine" / "values.json").is_file() and not (out / "strict").exists()
    result = run_cli("render", *failing, bad(tmp_path), "--out", out)
    assert result.exit_code == 2, result.output
    assert "exit 1" in summary_row(result.stdout, "strict")
    assert "exit 2" in summary_row(result.stdout, "bad")


def test_a_folder_stands_for_its_examples(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "lecture"
    folder.mkdir()
    good(folder, "a")
    good(folder, "b")
    bad(folder, "c")
    result = run_cli("render", folder, "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a", "b"]
    assert "exit 2" in summary_row(result.stdout, "c")


def test_check_json_for_one_file() -> None:
    result = run_cli("check", NOTEBOOK, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["file"] == str(NOTEBOOK) and report["passed"] is True
    assert report["exit_code"] == 0 and report["max_abs_err"] <= report["atol"] == 1e-10
    assert set(report["errors"]) >= {"ih", "hh", "pre", "i", "f", "g", "o", "c", "h"}


def test_check_json_for_several_files_keeps_the_exit_status(tmp_path: Path) -> None:
    files = [good(tmp_path, "fine"), disagreeing(tmp_path), bad(tmp_path)]
    result = run_cli("check", *files, "--json")
    assert result.exit_code == 2
    reports = json.loads(result.stdout)
    assert [r["exit_code"] for r in reports] == [0, 1, 2]
    assert [r["passed"] for r in reports] == [True, False, False]
    assert "errors" in reports[1] and "disagrees" in reports[1]["error"]
    assert "expected 2 numbers" in reports[2]["error"]
    assert "expected 2 numbers" in result.stderr  # the message a person reads, too


def need(program: str) -> None:
    if shutil.which(program) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is missing on CI; .ci/run must install it")
        pytest.skip(f"{program} is not installed")


@pytest.mark.latex
def test_pdf_and_png_pages(out: Path) -> None:
    need("latexmk")
    need("pdftoppm")
    result = run_cli("render", NOTEBOOK, "--out", out, "--no-check", "--png")
    assert result.exit_code == 0, result.output
    folder = out / "notebook-step"
    assert (folder / "notebook-step.pdf").is_file()
    assert (folder / "notebook-step-slides.pdf").is_file()
    article = sorted(folder.glob("notebook-step-[0-9]*.png"))
    slides = sorted(folder.glob("notebook-step-slides-*.png"))
    assert article and len(slides) > 3, sorted(p.name for p in folder.iterdir())
    for page in (*article, *slides):
        assert page.read_bytes()[:8] == PNG_MAGIC
    from PIL import Image

    with Image.open(slides[0]) as image:  # 16:9 deck at 150 dpi
        assert image.width > 900 and abs(image.width / image.height - 16 / 9) < 0.02
    assert not [p for p in folder.iterdir() if p.suffix in (".log", ".aux", ".fls")]


def test_png_without_pdftoppm_is_exit_2(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(
        pdf.shutil, "which", lambda name, *a, **k: None if name == "pdftoppm" else real(name)
    )
    result = run_cli("render", NOTEBOOK, "--out", out, "--png")
    assert result.exit_code == 2
    assert "pdftoppm is not installed" in result.output and "--png" in result.output
    assert not (out / "notebook-step").exists()


def test_every_command_has_help_with_examples() -> None:
    from lstm_tex.cli import main

    assert "Examples:" in run_cli("--help").output
    for name in main.commands:  # type: ignore[attr-defined]
        result = run_cli(name, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output and f"lstm-tex {name} " in result.output, name
