"""Issue 19: what a new user meets on the command line (exit codes and messages)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import EXAMPLES, ROOT, have_pdflatex, run_cli

STEP = EXAMPLES / "notebook-step.yaml"


@pytest.fixture
def broken_torch(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``import torch`` fails, as a broken install does."""
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text('raise ImportError("libtorch is gone")\n')
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(ROOT)])}


def _cli(env: dict[str, str], *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lstm_tex.cli", *map(str, args)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_torch_that_fails_to_import_exits_2_with_one_line(
    tmp_path: Path, broken_torch: dict[str, str]
) -> None:
    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(2, 3).state_dict(), tmp_path / "some.pt")
    (tmp_path / "ref.yaml").write_text(
        "title: ref\nlstm: {input_size: 2, hidden_size: 3}\nweights: some.pt\nx: [0.5, 0.1]\n"
    )
    cross = (
        "the cross-check needs torch, which failed to import: libtorch is gone "
        "(use --no-check to skip it)"
    )
    reading = "reading a PyTorch file needs torch, which failed to import: libtorch is gone"
    cases = [
        (("render", STEP, "--out", tmp_path / "o"), f"{STEP}: {cross}"),
        (("check", STEP), f"{STEP}: {cross}"),
        (("import", "some.pt", "-o", "-"), f"some.pt: {reading}"),
        (
            ("render", "ref.yaml", "--no-check", "--out", tmp_path / "o"),
            f"ref.yaml:3: weights: some.pt: {reading}",
        ),
    ]
    for args, message in cases:
        done = _cli(broken_torch, *args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lstm-tex: {message}"), (args, lines)
        assert done.stdout == ""
    assert not (tmp_path / "o").exists()
    # --no-check of inline weights never needs torch
    done = _cli(broken_torch, "render", STEP, "--no-check", "--out", tmp_path / "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_two_files_with_the_same_stem_are_refused_before_writing(tmp_path: Path) -> None:
    for folder, example in (("A", "notebook-step.yaml"), ("B", "stacked.yaml")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ex.yaml").write_text((EXAMPLES / example).read_text())
    first, second, out = tmp_path / "A" / "ex.yaml", tmp_path / "B" / "ex.yaml", tmp_path / "o"
    result = run_cli("render", first, second, "--out", out, "--no-check")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"lstm-tex: {first} and {second} have the same stem 'ex', so both would be written "
        f"to {out / 'ex'}/ and the second would replace the first; rename one of them, or "
        "render them in separate runs with different --out folders\n"
    )
    assert not out.exists()
    # the same file twice is one file, rendered once
    result = run_cli(
        "render", first, tmp_path / "A" / ".." / "A" / "ex.yaml", "--out", out, "--no-check"
    )
    assert result.exit_code == 0 and result.stdout.count("->") == 1, result.output


def test_revealed_captions_come_with_the_last_line_they_read(tmp_path: Path) -> None:
    """--reveal --captions: a caption is uncovered with the values it reads (the result of
    its line), never on the first slide, before the numbers."""
    for example, pdf in (("stacked", False), ("notebook-step", have_pdflatex())):
        args = ["render", EXAMPLES / f"{example}.yaml", "--reveal", "--captions", "--no-check"]
        result = run_cli(*args, "--out", tmp_path, *(["--pdf"] if pdf else []))
        assert result.exit_code == 0, result.output
        captioned = 0
        for frame in (tmp_path / example / "frames.tex").read_text().split("\\begin{frame}"):
            captions = [int(n) for n in re.findall(r"\\footnotesize \\uncover<(\d+)->\{", frame)]
            shown = [int(n) for n in re.findall(r"\\uncover<(\d+)->", frame)]
            assert "\\footnotesize $" not in frame or not shown  # no caption left visible
            if captions:
                captioned += len(captions)
                assert captions[-1] == max(shown) and min(captions) > 1, frame
        assert captioned >= 6  # four gates, c and h of a step at least
        if pdf:
            assert (tmp_path / example / f"{example}-slides.pdf").stat().st_size > 0


@pytest.mark.parametrize(
    "backward,message",
    [
        (
            "backward:\n  target: [1.0e300, 0, 0, 0]\n",
            ":32: backward.target: the backward pass overflows float64 (loss is not finite): "
            "the target is too large",
        ),
        (
            "backward:\n  target: [1.0e150, 0, 0, 0]\n  lr: 1.0e200\n",
            ":33: backward.lr: the SGD step overflows float64 (weights.weight_ih_l0 is not "
            "finite): lr times the gradients is too large for the weights; use a smaller lr",
        ),
    ],
    ids=["target", "lr"],
)
def test_an_overflowing_backward_pass_names_its_cause(
    tmp_path: Path, backward: str, message: str
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(STEP.read_text() + backward)
    result = run_cli("render", path, "--no-check", "--out", tmp_path / "o")
    assert result.exit_code == 2 and not (tmp_path / "o").exists()
    assert result.stderr.startswith(f"lstm-tex: {path}{message}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_check_of_several_files_titles_each_table_with_its_file() -> None:
    files = [EXAMPLES / "backward-sequence.yaml", STEP]
    result = run_cli("check", *files)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for path in files:
        forward = [line for line in lines if line.startswith(f"{path}: forward pass vs torch")]
        assert len(forward) == 1 and forward[0].endswith(", float64, atol 1e-10"), lines
    backward = f"{files[0]}: backward pass vs torch"
    assert sum(line.startswith(backward) for line in lines) == 1
    assert not any(line.rstrip().endswith(",") for line in lines)
    # the summary shows each path in full, never cut with an ellipsis
    assert "…" not in result.stdout
    assert sum(str(path) in result.stdout.replace("│", "").replace("\n", "") for path in files)


def test_a_batch_prints_each_failure_on_stderr_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "a-file-name-long-enough-to-wrap-in-any-summary-table-column-bad.yaml"
    bad.write_text(STEP.read_text() + "backward:\n  target: [1.0e300, 0, 0, 0]\n")
    good = tmp_path / "good.yaml"
    good.write_text(STEP.read_text())
    result = run_cli("render", bad, good, "--no-check", "--out", tmp_path / "o")
    assert result.exit_code == 2
    # one line per failure (the progress bar, transient, may leave an empty line)
    assert [line for line in result.stderr.splitlines() if line] == [
        f"lstm-tex: {bad}:32: backward.target: the backward pass overflows float64 (loss is "
        "not finite): the target is too large for a worked example (the loss squares output "
        "- target); scale it down"
    ]
    assert "overflows" not in result.stdout and "bad input (message on stderr)" in result.stdout
    assert (tmp_path / "o" / "good" / "frames.tex").exists()


def test_import_says_no_key_prefix_and_the_shape(tmp_path: Path) -> None:
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 4, num_layers=2, bidirectional=True, proj_size=3)
    torch.save(lstm.state_dict(), tmp_path / "bi.pt")
    result = run_cli("import", tmp_path / "bi.pt", "-o", tmp_path / "bi.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"wrote {tmp_path / 'bi.yaml'}: the nn.LSTM (no key prefix) of {tmp_path / 'bi.pt'} "
        "(input size 2, hidden size 4, 2 layers, bidirectional, proj_size 3, float32); "
    ), result.stdout
    assert "(none)" not in result.stdout
    # the YAML's header reads the same (it said "at key prefix '(none)'")
    header = (tmp_path / "bi.yaml").read_text().split("\ntitle:", 1)[0]
    assert "# The float32 weights of the nn.LSTM (no key prefix) in " in header, header
    assert "(none)" not in header


@pytest.mark.skipif(not have_pdflatex(), reason="needs pdflatex")
def test_render_pdf_counts_the_files_it_wrote(tmp_path: Path) -> None:
    result = run_cli("render", STEP, "--pdf", "--no-check", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    written = [p for p in (tmp_path / "notebook-step").rglob("*") if p.is_file()]
    assert sum(p.suffix == ".pdf" for p in written) == 2
    assert f"({len(written)} files, not checked)" in result.stdout, result.stdout
