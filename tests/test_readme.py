"""The README's commands are the ones that work, and every command is documented."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import msgspec

from lstm_tex.cli import main
from lstm_tex.validate import structs
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


def test_commands_section_lists_every_option() -> None:
    """The synopsis of "## Commands" shows every option of every command (a short form such
    as ``-o FILE`` will do), and the list below it describes every ``render`` option."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    _, synopsis, described = section.split("```", 2)
    usage = dict(re.findall(r"^lstm-tex (\w+)(.*(?:\n {5,}.*)*)", synopsis, re.M))
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            opts = [*param.opts, *getattr(param, "secondary_opts", [])]
            if not any(opt.startswith("--") and opt != "--help" for opt in opts):
                continue
            shown = [o for o in opts if re.search(rf"[\[|] ?{re.escape(o)}[\] |]", usage[name])]
            assert shown, (name, opts)
            if name == "render":
                assert any(f"`{o}" in described for o in opts), opts


def test_example_file_reference_lists_text_size() -> None:
    """The key reference of "## The example file" has render.text_size with its sizes."""
    section = README.split("## The example file", 1)[1].split("\n## ", 1)[0]
    render = section.split("\nrender:\n", 1)[1].split("\nbackward:", 1)[0]
    assert re.search(r"^  text_size: 10 +# .*9, 10 \(default\) or 11$", render, re.M)


def test_example_file_reference_lists_every_key() -> None:
    """The key reference of "## The example file" names every key the schema takes: each
    section's fields under that section (``lstm:``'s also stand for ``gru:`` and ``rnn:``,
    which the reference names, with nn.RNN's ``nonlinearity``)."""
    section = README.split("## The example file", 1)[1].split("\n## ", 1)[0]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    top = re.findall(r"^(\w+):", block, re.M)
    fields = msgspec.structs.fields(structs.ExampleSection)
    missing = [f.name for f in fields if f.name not in {*top, "gru", "rnn"}]
    assert not missing, missing
    for name, kind in [
        ("lstm", structs.LstmSection),
        ("check", structs.CheckSection),
        ("render", structs.RenderSection),
        ("backward", structs.BackwardSection),
    ]:
        body = re.split(r"\n(?=\w)", block.split(f"\n{name}:", 1)[1], maxsplit=1)[0]
        keys = re.findall(r"^  (\w+):", body, re.M)
        missing = [f.name for f in msgspec.structs.fields(kind) if f.name not in keys]
        assert not missing, (name, missing)
    for name, kind in [("gru", structs.GruSection), ("rnn", structs.RnnSection)]:
        assert f"{name}:" in block, name
        extra = {f.name for f in msgspec.structs.fields(kind)} - {
            f.name for f in msgspec.structs.fields(structs.LstmSection)
        }
        assert all(f"{key}:" in block for key in extra), (name, extra)


def test_readme_picture_exists() -> None:
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / image).is_file(), image
