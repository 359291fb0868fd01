"""Finding templates: from a checkout, from an installed wheel, and --templates overrides;
what the wheel ships (templates, KaTeX, every module of every stage folder, py.typed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lstm_tex.latex import templates
from tests.conftest import EXAMPLES, ROOT, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"


def test_checkout_finds_top_level_templates() -> None:
    dirs = templates.template_dirs()
    assert dirs == [ROOT / "templates"]


def test_override_comes_first(tmp_path: Path) -> None:
    assert templates.template_dirs(tmp_path)[0] == tmp_path


def test_installed_layout_finds_packaged_templates(tmp_path: Path) -> None:
    """A copy of the package with templates inside it (as the wheel installs it)."""
    site = tmp_path / "site"
    shutil.copytree(
        ROOT / "lstm_tex", site / "lstm_tex", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "templates", site / "lstm_tex" / "templates")
    code = (
        "import lstm_tex.latex.templates as t; d = t.template_dirs(); "
        "print(d[0].relative_to(t.PACKAGE_DIR))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": ""},
        check=True,
    )
    assert done.stdout.strip() == "templates"


def test_wheel_ships_the_templates(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("lstm_tex/templates/")}
    assert shipped == {p.name for p in (ROOT / "templates").iterdir() if p.is_file()}
    katex = {n for n in names if n.startswith("lstm_tex/assets/katex/")}
    assert {
        "lstm_tex/assets/katex/katex.min.js",
        "lstm_tex/assets/katex/LICENSE",
        "lstm_tex/assets/katex/fonts/KaTeX_Main-Regular.woff2",
    } <= katex
    assert "lstm_tex/py.typed" in names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lstm_tex").rglob("*.py")}
    assert modules <= set(names), sorted(modules - set(names))


def test_override_one_template_file(tmp_path: Path) -> None:
    """A lecturer changes one file; the others still come from the package."""
    custom = tmp_path / "mine"
    custom.mkdir()
    text = (ROOT / "templates" / "frames.tex.j2").read_text()
    custom.joinpath("frames.tex.j2").write_text(
        text.replace(
            r"\begin{frame}[t]{The \VAR{cell_title} cell}", r"\begin{frame}[t]{Our LSTM, again}"
        )
    )
    result = run_cli(
        "render", NOTEBOOK, "--out", tmp_path / "out", "--no-check", "--templates", custom
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / NOTEBOOK.stem
    assert "Our LSTM, again" in (folder / "frames.tex").read_text()
    assert "The LSTM cell" not in (folder / "frames.tex").read_text()
    assert r"\section*{Step 1}" in (folder / f"{NOTEBOOK.stem}.tex").read_text()
