"""The README's commands are the ones that work, and every command is documented."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from lstm_tex.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_exactly_two_commands() -> None:
    commands = quick_start()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "lstm-tex render examples/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start()[1] in ci


def test_readme_render_command_works(tmp_path: Path) -> None:
    """Run the README's render command (its lstm-tex part; the install is CI's job)."""
    command = quick_start()[0].split("&&")[-1].strip()
    args = shlex.split(command)
    assert args[0] == "lstm-tex"
    example = ROOT / args[2]
    done = subprocess.run(
        [*args[:2], str(example), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / example.stem
    assert (folder / "values.json").is_file()
    assert (folder / f"{example.stem}-slides.tex").is_file()


def test_every_command_and_option_is_documented() -> None:
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        assert f"lstm-tex {name}" in README, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"{name} {opt}"


def test_readme_picture_exists() -> None:
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / image).is_file(), image
