"""Nothing lost, nothing run, no traceback (issue 19), at the command line.

Each kind of break found by an adversarial run has a test here: the exit status, the
one-line message, no traceback, and every file either byte for byte as before or
cleaned up.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import Result

from lstm_tex.output import atomic
from tests.conftest import EXAMPLES, ROOT, compile_tex, run_cli

EXAMPLE = EXAMPLES / "notebook-step.yaml"
BASE = EXAMPLE.read_text(encoding="utf-8")
#: Template loops of 10^10 steps, and how a render stops them (latex.templates.MAX_LOOP_STEPS).
LOOPS = "\\BLOCK{for a in range(100000)}\\BLOCK{for b in range(100000)}.\\BLOCK{endfor}"
STOPPED = "the loops of this render took more than 2,000,000 steps, too many for a template"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def one_line_error(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code`` with one ``lstm-tex:`` line holding every fragment, no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("lstm-tex: ")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """An example written by ``lstm-tex init``, as a lecturer would keep it."""
    path = tmp_path / "k.yaml"
    assert run_cli("init", path).exit_code == 0
    return path


@pytest.fixture
def saved_lstm(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "lstm.pt"
    torch.save(torch.nn.LSTM(2, 3).state_dict(), path)
    return path


# ---------------------------------------------------------------- atomic files


UNDECODABLE = "\udcdcbung"  # what Python makes of the bytes b"\xdcbung" on the command line


def test_init_force_with_a_title_that_is_not_utf8_keeps_the_file(made: Path) -> None:
    before = made.read_bytes()
    result = run_cli("init", made, "--force", "--title", UNDECODABLE)
    one_line_error(result, 2, "--title: expected UTF-8 text, found the byte 0xdc")
    assert made.read_bytes() == before
    assert hidden(made.parent) == []


def test_import_force_with_a_title_that_is_not_utf8_keeps_the_file(
    made: Path, saved_lstm: Path
) -> None:
    before = made.read_bytes()
    result = run_cli("import", saved_lstm, "-o", made, "--force", "--title", UNDECODABLE)
    one_line_error(result, 2, "--title: expected UTF-8 text, found the byte 0xdc")
    assert made.read_bytes() == before


@pytest.mark.parametrize("command", ["init", "import"])
@pytest.mark.parametrize(
    ("failure", "code", "fragment"),
    [
        (
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            2,
            "cannot write: no space left on device",
        ),
        (OSError(errno.EIO, os.strerror(errno.EIO)), 2, "cannot write: input/output error"),
        (KeyboardInterrupt(), 130, "interrupted (Ctrl-C)"),
    ],
    ids=["disk-full", "io-error", "ctrl-c"],
)
def test_a_failing_write_keeps_the_previous_file(
    made: Path,
    saved_lstm: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    failure: BaseException,
    code: int,
    fragment: str,
) -> None:
    """The write fails half-way (after the bytes, before they are safe on disk)."""
    before = made.read_bytes()

    def fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    args = (
        ("init", made, "--force", "--seed", "3")
        if command == "init"
        else ("import", saved_lstm, "-o", made, "--force")
    )
    result = run_cli(*args)
    one_line_error(result, code, fragment)
    assert made.read_bytes() == before
    assert hidden(made.parent) == [], "a temporary file was left behind"


def test_written_files_and_folders_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert run_cli("init", tmp_path / "a.yaml").exit_code == 0
        assert (
            run_cli(
                "render", tmp_path / "a.yaml", "--out", tmp_path / "out", "--no-check"
            ).exit_code
            == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "out" / "a").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "out" / "a" / "parts").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "out" / "a" / "values.json").stat().st_mode) == 0o640


def test_overwriting_keeps_the_mode_of_the_file(made: Path) -> None:
    made.chmod(0o600)
    assert run_cli("init", made, "--force", "--seed", "4").exit_code == 0
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


# ---------------------------------------------------------------- templates


@pytest.fixture
def previous(tmp_path: Path) -> Iterator[tuple[Path, dict[str, bytes]]]:
    out = tmp_path / "out"
    assert run_cli("render", EXAMPLE, "--out", out, "--no-check").exit_code == 0
    yield out, snapshot(out / EXAMPLE.stem)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("\\VAR{1/0}", "ZeroDivisionError: division by zero"),
        ("\\VAR{title + 1}", "TypeError: can only concatenate str"),
        ("\\BLOCK{macro m(n)}\\VAR{m(n)}\\BLOCK{endmacro}\\VAR{m(1)}", "recursion too deep"),
        (
            "\\VAR{cycler.__init__.__globals__.os.popen('touch PROOF').read()}",
            "access to attribute '__init__' of 'type' object is unsafe",
        ),
        ("\\VAR{''.__class__.__mro__[1].__subclasses__()}", "is unsafe"),
        ("\\VAR{joiner.__init__.__globals__['__builtins__']}", "is unsafe"),
        (
            "\\BLOCK{set r = range(100000)}\\BLOCK{for a in r}\\BLOCK{for b in r}"
            "\\BLOCK{endfor}\\BLOCK{endfor}",
            STOPPED,
        ),
        (
            "\\BLOCK{for a in 'x' * 99999}\\BLOCK{for b in 'x' * 99999}\\BLOCK{endfor}"
            "\\BLOCK{endfor}",
            STOPPED,
        ),
    ],
    ids=[
        "zero-division",
        "type-error",
        "recursion",
        "sandbox-cycler",
        "sandbox-mro",
        "sandbox-joiner",
        "loops-one-range-twice",
        "loops-nested-strings",
    ],
)
def test_template_runtime_errors_exit_2_with_template_and_line(
    tmp_path: Path,
    previous: tuple[Path, dict[str, bytes]],
    body: str,
    fragment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, before = previous
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "part.tex.j2").write_text(f"% line 1\n% line 2\n{body}\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--templates", templates)
    one_line_error(result, 2, "part.tex.j2:3: template error: ", fragment)
    assert not (tmp_path / "PROOF").exists(), "a template ran a shell command"
    assert snapshot(out / EXAMPLE.stem) == before
    assert hidden(out) == []


def test_endless_template_loops_stop_with_exit_2(
    tmp_path: Path, previous: tuple[Path, dict[str, bytes]]
) -> None:
    """Nested loops over range(100000) (10^10 steps, hours) stop once a render's loops
    took MAX_LOOP_STEPS steps in all: exit 2 naming the template and the line. In a
    separate process with a time limit, so that a loop that is not stopped fails the test
    instead of hanging it (test_template_runtime_errors_... has two more such loops)."""
    body = LOOPS + "\\BLOCK{endfor}"
    out, before = previous
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "part.tex.j2").write_text(f"% line 1\n% line 2\n{body}\n")
    run = subprocess.run(
        [
            *(sys.executable, "-m", "lstm_tex.cli", "render", str(EXAMPLE), "--out", str(out)),
            *("--no-check", "--templates", str(templates)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"part.tex.j2:3: template error: {STOPPED}" in run.stderr, run.stderr
    assert snapshot(out / EXAMPLE.stem) == before
    assert hidden(out) == []


def test_a_template_that_is_not_utf8(
    tmp_path: Path, previous: tuple[Path, dict[str, bytes]]
) -> None:
    out, before = previous
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "part.tex.j2").write_bytes(b"% line 1\n\xdcbung\n")
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--templates", templates)
    one_line_error(
        result, 2, "part.tex.j2:2: template error: expected UTF-8 text, found the byte 0xdc"
    )
    assert snapshot(out / EXAMPLE.stem) == before


def test_ordinary_latex_comments_in_a_template_stay_latex(tmp_path: Path, out: Path) -> None:
    """``%%`` and ``%#`` start ordinary LaTeX comments, never Jinja line statements."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "part.tex.j2").write_text(
        "%% a lecturer's comment\n%# another one\n%%if x\n\\VAR{part.id}\n"
    )
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--templates", templates)
    assert result.exit_code == 0, result.output
    text = (out / EXAMPLE.stem / "parts" / "l0-forward-t1-f.tex").read_text()
    assert text == "%% a lecturer's comment\n%# another one\n%%if x\nl0-forward-t1-f\n"


# ---------------------------------------------------------------- file names


def test_a_batch_with_a_name_that_is_not_utf8_goes_on(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("ex")
    folder.mkdir()
    (folder / "good.yaml").write_text(BASE)
    Path(os.fsdecode(b"ex/\xfc.yaml")).write_text(BASE)
    (folder / "zbad.yaml").write_text("x: [1\n")
    out = Path("out")
    result = run_cli("render", folder, "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "\\xfc.yaml" in result.output and "zbad.yaml" in result.output, result.output
    assert (out / "good" / "good.tex").is_file()
    assert (Path(os.fsdecode(bytes(out) + b"/\xfc")) / "example.tex").is_file()
    assert not (out / "zbad").exists()


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("Übung 3", "Ubung-3"),
        ("a~b%c\\d{e}f", "a-b-c-d-e-f"),
        ("日本", "example"),
        ("x$#^&_y", "x-_y"),
        ("notebook-step", "notebook-step"),
        (".hidden", "hidden"),
    ],
)
def test_file_names_inside_the_folder_are_normalised(stem: str, name: str) -> None:
    assert atomic.file_stem(stem) == name


@pytest.mark.latex
def test_odd_stems_compile_with_pdf_and_by_hand(tmp_path: Path, out: Path) -> None:
    """The folder keeps the file's stem; the files in it get the normalised name."""
    example = tmp_path / "Übung ~%\\{}#.yaml"
    example.write_text(BASE)
    result = run_cli("render", example, "--out", out, "--no-check", "--pdf")
    assert result.exit_code == 0, result.output
    folder = out / "Übung ~%\\{}#"
    assert sorted(p.name for p in folder.iterdir()) == [
        "Ubung-slides.pdf",
        "Ubung-slides.tex",
        "Ubung.pdf",
        "Ubung.tex",
        "frames.tex",
        "parts",
        "values.json",
    ]
    by_hand = compile_tex(folder / "Ubung.tex", draft=True)
    assert by_hand.ok, by_hand.errors


# ---------------------------------------------------------------- import and flags


def test_sparse_and_meta_tensors(tmp_path: Path) -> None:
    state = torch.nn.LSTM(2, 3).state_dict()
    cases = {
        "sparse": (
            {k: v.to_sparse() for k, v in state.items()},
            "weight_ih_l0: expected a dense tensor, found a sparse_coo tensor",
        ),
        "meta": (
            {k: torch.empty(v.shape, device="meta") for k, v in state.items()},
            "weight_ih_l0: expected a tensor with values, found a meta tensor",
        ),
    }
    for name, (saved, fragment) in cases.items():
        path = tmp_path / f"{name}.pt"
        torch.save(saved, path)
        result = run_cli("import", path, "-o", tmp_path / f"{name}.yaml")
        one_line_error(result, 2, f"{name}.pt: {fragment}")
        assert not (tmp_path / f"{name}.yaml").exists()


@pytest.mark.parametrize(
    ("flag", "value", "fragment"),
    [
        (
            "--x",
            "[" + "1" * 5000 + ", 0.5]",
            "--x: expected numbers such as 0.5, found a number written with 5000 characters",
        ),
        ("--h0", "[" + "9" * 400 + ".5e1, 0, 0]", "--h0: expected numbers such as 0.5"),
        (
            "--x",
            "[" * 20000 + "]" * 20000,
            "--x: expected a JSON list at most 8 levels deep, found one nested 20000 deep",
        ),
        ("--c0", "[1e999, 0, 0]", "--c0: expected finite numbers, found 1e999 (too large"),
        ("--x", "[NaN, 0.5]", "--x: expected finite numbers, found NaN"),
        (
            "--x",
            "[[1, 2],",
            "--x: expected a JSON list such as [0.5, 0.1], found '[[1, 2],' "
            "(Expecting value at character 9)",
        ),
        ("--x", "\udcff", "--x: expected UTF-8 text, found the byte 0xff"),
    ],
    ids=["5000-digits", "long-float", "20000-deep", "overflow", "nan", "cut", "not-utf8"],
)
def test_bad_flag_values_exit_2_with_one_line(
    tmp_path: Path, saved_lstm: Path, flag: str, value: str, fragment: str
) -> None:
    target = tmp_path / "k.yaml"
    target.write_text("previous\n")
    result = run_cli("import", saved_lstm, "-o", target, "--force", flag, value)
    one_line_error(result, 2, fragment)
    assert target.read_text() == "previous\n"


def test_ctrl_c_exits_130_saying_interrupted(
    tmp_path: Path,
    out: Path,
    previous: tuple[Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, before = previous
    from lstm_tex.document import context

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(context, "build", interrupted)
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check")
    one_line_error(result, 130, "interrupted (Ctrl-C)")
    assert snapshot(out / EXAMPLE.stem) == before
    assert hidden(out) == []


# ---------------------------------------------------------------- leftovers and the swap


def leftovers(out: Path, stem: str = EXAMPLE.stem) -> None:
    """What a render killed while staging, and one killed mid-swap, leave behind."""
    staging = out / f".{stem}.new-killed"
    (staging / "parts").mkdir(parents=True)
    (staging / "parts" / "half.tex").write_text("% half\n")
    aside = out / f".{stem}.old-killed" / stem
    aside.mkdir(parents=True)
    (aside / "values.json").write_text('{"previous": true}\n')


def test_the_next_run_removes_leftovers_and_renders(tmp_path: Path, out: Path) -> None:
    out.mkdir()
    leftovers(out)
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [EXAMPLE.stem]
    assert (out / EXAMPLE.stem / f"{EXAMPLE.stem}.tex").is_file()


def test_a_half_done_swap_is_put_back_even_by_a_failing_run(tmp_path: Path, out: Path) -> None:
    """Killed between the two renames: out/<stem> is missing, the previous output sits in
    .<stem>.old-*; the next run (here one with bad input) puts it back."""
    out.mkdir()
    leftovers(out)
    bad = tmp_path / f"{EXAMPLE.stem}.yaml"
    bad.write_text("x: [1\n")
    result = run_cli("render", bad, "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in out.iterdir()) == [EXAMPLE.stem]
    assert snapshot(out / EXAMPLE.stem) == {"values.json": b'{"previous": true}\n'}


def test_a_live_staging_folder_is_left_alone(tmp_path: Path, out: Path) -> None:
    """Another process still writing its staging folder (it holds its lock)."""
    import subprocess
    import sys

    live = out / f".{EXAMPLE.stem}.new-live"
    live.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], "
            "os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); "
            "time.sleep(60)",
            str(live),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = run_cli("render", EXAMPLE, "--out", out, "--no-check")
        assert result.exit_code == 0, result.output
        assert live.is_dir()
    finally:
        holder.kill()
        holder.wait()
    assert run_cli("render", EXAMPLE, "--out", out, "--no-check").exit_code == 0
    assert not live.exists(), "a leftover of a dead process stayed"


def test_renders_of_the_same_stem_at_once_all_succeed(tmp_path: Path, out: Path) -> None:
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "lstm_tex.cli",
        "render",
        str(EXAMPLE),
        "--out",
        str(out),
        "--no-check",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(4)
    ]
    for run in runs:
        text, _ = run.communicate(timeout=300)
        assert run.returncode == 0, text
    assert sorted(p.name for p in out.iterdir()) == [EXAMPLE.stem]
    assert (out / EXAMPLE.stem / f"{EXAMPLE.stem}.tex").is_file()


def test_a_dangling_symlink_at_the_output_folder(tmp_path: Path, out: Path) -> None:
    out.mkdir()
    (out / EXAMPLE.stem).symlink_to(tmp_path / "gone")
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check")
    one_line_error(
        result,
        2,
        f"{EXAMPLE.stem}: --out: is a symbolic link to ",
        "which does not exist; remove the link",
    )
    assert (out / EXAMPLE.stem).is_symlink() and hidden(out) == []


def test_a_symlink_to_a_folder_is_followed_and_kept(tmp_path: Path, out: Path) -> None:
    """A lecturer's link out/<stem> -> a folder of the course site: the output goes into
    that folder, twice (the second run replaces the first), and the link stays a link (it
    was replaced by a plain folder)."""
    site = tmp_path / "site" / "lecture-3"
    site.mkdir(parents=True)
    out.mkdir()
    link = out / EXAMPLE.stem
    link.symlink_to(site, target_is_directory=True)
    for title in ("first", "second"):
        example = tmp_path / EXAMPLE.name
        example.write_text(BASE.replace("title: ", f"title: {title} ", 1), encoding="utf-8")
        result = run_cli("render", example, "--out", out, "--no-check")
        assert result.exit_code == 0, result.output
        assert link.is_symlink() and link.resolve() == site.resolve()
        assert (site / "values.json").is_file()
        assert title in (site / f"{EXAMPLE.stem}.tex").read_text(encoding="utf-8")
        assert hidden(out) == [] and hidden(site.parent) == []
    assert sorted(p.name for p in out.iterdir()) == [EXAMPLE.stem]


@pytest.mark.parametrize("where", ["other files", "the out folder", "a parent"])
def test_a_symlink_to_a_folder_that_is_not_an_output_is_refused(
    tmp_path: Path, out: Path, where: str
) -> None:
    """A link to a folder the output would wrongly replace (one with other files in it,
    ``--out`` itself, a folder above it) exits 2 naming the link; nothing changes."""
    out.mkdir()
    folder = {"other files": tmp_path / "notes", "the out folder": out, "a parent": tmp_path}[where]
    folder.mkdir(exist_ok=True)
    (folder / "keep.txt").write_text("mine\n")
    link = out / EXAMPLE.stem
    link.symlink_to(folder, target_is_directory=True)
    before = snapshot(tmp_path)
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check")
    one_line_error(
        result,
        2,
        f"{EXAMPLE.stem}: --out: is a symbolic link to ",
        "neither empty nor an earlier lstm-tex output",
        "or remove the link",
    )
    assert link.is_symlink() and snapshot(tmp_path) == before


@pytest.mark.parametrize(("name", "stem"), [("..yaml", "."), ("...yaml", "..")])
def test_stems_dot_and_dot_dot(tmp_path: Path, out: Path, name: str, stem: str) -> None:
    example = tmp_path / name
    example.write_text(BASE)
    result = run_cli("render", example, "--out", out, "--no-check")
    one_line_error(
        result,
        2,
        f"{name}: the file name gives the output folder name "
        f"'{stem}', which cannot name a folder; rename the example file",
    )
    assert not out.exists()


def test_bad_input_creates_no_output_folders(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: [1\n")
    result = run_cli("render", bad, "--out", tmp_path / "new" / "deep" / "dir", "--no-check")
    one_line_error(result, 2, "bad.yaml:2: invalid YAML")
    assert not (tmp_path / "new").exists()


def test_many_steps_ask_for_render_steps(tmp_path: Path, out: Path) -> None:
    from lstm_tex.validate import model

    steps = model.MAX_DERIVED + 1
    many = tmp_path / "many.yaml"
    many.write_text(BASE.replace("x: [0.5, 0.1]", "x: " + str([[0.5, 0.1]] * steps)))
    result = run_cli("render", many, "--out", out, "--no-check")
    one_line_error(
        result,
        2,
        f"many.yaml:{BASE[: BASE.index('x: [')].count(chr(10)) + 1}: x: "
        f"{steps} steps would all be derived in full, about "
        f"{7 * steps + 4:,} files",
        f"render: {{steps: [1, 2, {steps}]}}",
    )
    assert not out.exists()
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(many.read_text().replace("render:\n", "render:\n  steps: [1, 2]\n"))
    assert run_cli("render", chosen, "--out", out, "--no-check").exit_code == 0


# ---------------------------------------------------------------- a full disk under --pdf


def test_disk_full_while_compiling(
    tmp_path: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    previous: tuple[Path, dict[str, bytes]],
) -> None:
    """latexmk fails and the file system has nothing left (simulated: works anywhere)."""
    import shutil
    import subprocess

    from lstm_tex.latex import pdf

    out, before = previous

    def latexmk(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 12, stdout="Latexmk: Errors\n")

    monkeypatch.setattr(pdf.subprocess, "run", latexmk)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        pdf.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 0)
    )  # type: ignore[attr-defined]
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--pdf")
    one_line_error(
        result,
        2,
        f"--out: cannot write the output: no space left on device (while compiling {EXAMPLE.stem}",
    )
    assert snapshot(out / EXAMPLE.stem) == before and hidden(out) == []


@pytest.mark.latex
def test_disk_full_while_compiling_on_a_real_small_disk(tmp_path: Path) -> None:
    """A 400 KiB tmpfs (needs root and mount; skipped elsewhere)."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        result = run_cli("render", EXAMPLE, "--out", disk / "out", "--no-check", "--pdf")
        one_line_error(result, 2, "no space left on device")
        assert sorted(p.name for p in (disk / "out").iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_init_removes_the_temporary_file_of_a_killed_run(made: Path) -> None:
    dead = made.parent / f".{made.name}.new-killed"
    dead.write_text("half a file")
    assert run_cli("init", made, "--force", "--seed", "5").exit_code == 0
    assert hidden(made.parent) == []


@pytest.mark.parametrize("title", ["a\x7fb", "tab\x1bescape", "nul\x00", "c1\x9b"])
def test_control_characters_in_a_title_flag(made: Path, title: str) -> None:
    before = made.read_bytes()
    result = run_cli("init", made, "--force", "--title", title)
    one_line_error(result, 2, "--title: expected text without control characters, found U+")
    assert made.read_bytes() == before


def test_template_and_output_folders_whose_names_are_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    templates, out = Path(os.fsdecode(b"t\xff")), Path(os.fsdecode(b"o\xfe"))
    templates.mkdir()
    (templates / "part.tex.j2").write_text("% mine\n\\VAR{part.id}\n")
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--templates", templates)
    assert result.exit_code == 0, result.output
    assert "o\\xfe/notebook-step/" in result.output
    assert (out / EXAMPLE.stem / "parts" / "l0-forward-t1-f.tex").read_text() == (
        "% mine\nl0-forward-t1-f\n"
    )
    (templates / "part.tex.j2").write_text("% mine\n\\VAR{1/0}\n")
    result = run_cli("render", EXAMPLE, "--out", out, "--no-check", "--templates", templates)
    one_line_error(result, 2, "t\\xff/part.tex.j2:2: template error: ZeroDivisionError")


def test_overwriting_through_a_symlink_keeps_the_link(made: Path) -> None:
    link = made.parent / "link.yaml"
    link.symlink_to(made.name)
    assert run_cli("init", link, "--force", "--seed", "6").exit_code == 0
    assert link.is_symlink() and "--seed 6" in made.read_text()


def test_init_refuses_sizes_whose_file_could_not_be_read(tmp_path: Path) -> None:
    result = run_cli(
        "init", tmp_path / "big.yaml", "--input-size", "64", "--hidden-size", "64", "--layers", "4"
    )
    one_line_error(
        result,
        2,
        "--hidden-size: --input-size 64, --hidden-size 64, --layers 4 "
        "and --steps 1 make 133,696 numbers",
        "more than an example file may hold (256 KiB); choose smaller sizes",
    )
    assert not (tmp_path / "big.yaml").exists()
    largest = run_cli(
        "init",
        tmp_path / "ok.yaml",
        "--input-size",
        "20",
        "--hidden-size",
        "20",
        "--layers",
        "4",
        "--decimals",
        "4",
    )
    assert largest.exit_code == 0, largest.output


def test_import_of_odd_file_names_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model file whose name is not UTF-8, and an LSTM whose key prefix holds a line
    break: the example's header stays comments, its title one line."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    state = {f"enc\nweights: {{}}\n#.{k}": v for k, v in torch.nn.LSTM(2, 3).state_dict().items()}
    odd = Path(os.fsdecode(b"\xfc.pt"))
    torch.save(state, odd)
    result = run_cli("import", odd, "-o", "out.yaml")
    assert result.exit_code == 0, result.output
    text = Path("out.yaml").read_text()
    header = text.split("\ntitle:", 1)[0].splitlines()
    assert header and all(line.startswith("# ") for line in header), header
    assert "\\xfc.pt" in text and text.count("\ntitle:") == 1
    assert run_cli("render", "out.yaml", "--out", "o", "--no-check").exit_code == 0
