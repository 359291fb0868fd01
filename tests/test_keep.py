"""Your files in ``out/<stem>/`` are never lost (new-user report 2, finding 1): a render
carries every file lstm-tex does not write into the new folder, byte for byte with its
modification time, inside the same all-or-nothing swap; a folder that is neither empty nor
an earlier output exits 2 and is left alone."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from lstm_tex.latex import pdf
from lstm_tex.output import atomic, keep
from tests.conftest import EXAMPLES, run_cli

EXAMPLE = EXAMPLES / "notebook-step.yaml"
STEM = EXAMPLE.stem


def render(out: Path, *flags: str) -> Any:
    return run_cli("render", EXAMPLE, "--out", out, "--no-check", *flags)


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def earlier(out: Path) -> Path:
    """An earlier output with a lecturer's deck next to ``frames.tex``, dated 2020."""
    assert render(out).exit_code == 0
    deck = out / STEM / "my-deck.tex"
    deck.write_text("\\documentclass{beamer}\\begin{document}\\input{frames.tex}\\end{document}\n")
    os.utime(deck, ns=(1_577_836_800_000_000_000,) * 2)
    return out / STEM


def test_a_folder_of_yours_that_is_not_an_output_is_refused_and_kept(out: Path) -> None:
    (out / STEM).mkdir(parents=True)
    (out / STEM / "notes.md").write_text("my notes\n")
    result = render(out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{out / STEM}: --out: is a folder that is neither empty nor an earlier" in (
        result.output
    )
    assert "expected an empty folder or one with values.json, found notes.md" in result.output
    assert [p.name for p in (out / STEM).iterdir()] == ["notes.md"]
    assert (out / STEM / "notes.md").read_text() == "my notes\n"
    assert [p.name for p in out.iterdir()] == [STEM]


def test_your_deck_next_to_frames_survives_a_rerender(out: Path, earlier: Path) -> None:
    before = tree(earlier)["my-deck.tex"]
    result = render(out)
    assert result.exit_code == 0, result.output
    assert f"kept 1 file of yours in {earlier}: my-deck.tex" in result.stderr
    assert tree(earlier)["my-deck.tex"] == before
    assert [p.name for p in out.iterdir()] == [STEM]  # no staging folder left


def test_the_message_names_your_documents_before_their_byproducts(tmp_path: Path) -> None:
    compiled = [f"my-deck{suffix}" for suffix in (".aux", ".log", ".nav", ".pdf", ".tex")]
    assert keep.summary(tmp_path, [*compiled, "notes.md"]) == (
        f"kept 6 files of yours in {tmp_path}: my-deck.pdf, my-deck.tex, notes.md, "
        "my-deck.aux and 2 more"
    )


def test_your_folders_and_links_survive_and_stale_outputs_do_not(out: Path, earlier: Path) -> None:
    (earlier / "figures" / "old").mkdir(parents=True)
    (earlier / "figures" / "old" / "cell.png").write_bytes(b"\x89PNG mine")
    (earlier / "parts" / "README").write_text("which part goes where\n")
    (earlier / "slides-link").symlink_to("my-deck.tex")
    stale = [
        "parts/l0-forward-t9-h.tex",  # a part no longer written
        f"{STEM}.aux",  # compiled by hand
        f"{STEM}.pdf",
        f"{STEM}-slides.synctex.gz",
        f"{STEM}-answers.tex",  # an earlier --exercise
        f"{STEM}-3.png",  # an earlier --png
        f"{STEM}.html",
        "katex/katex.min.js",
    ]
    for rel in stale:
        (earlier / rel).parent.mkdir(exist_ok=True)
        (earlier / rel).write_text("from an earlier render\n")
    mine = {rel: v for rel, v in tree(earlier).items() if "/old/" in rel or "README" in rel}
    result = render(out)
    assert result.exit_code == 0, result.output
    after = tree(earlier)
    assert {rel: after[rel] for rel in mine} == mine
    assert os.readlink(earlier / "slides-link") == "my-deck.tex"
    assert not [rel for rel in stale if (earlier / rel).exists()]
    assert "kept 4 files of yours" in result.stderr
    assert "figures/, my-deck.tex, parts/README, slides-link" in result.stderr


def test_a_link_to_an_earlier_output_keeps_your_files(out: Path, tmp_path: Path) -> None:
    site = tmp_path / "site" / "step"
    assert render(tmp_path / "site").exit_code == 0
    (tmp_path / "site" / STEM).rename(site)
    (site / "notes.md").write_text("mine\n")
    out.mkdir()
    (out / STEM).symlink_to(site)
    assert render(out).exit_code == 0
    assert (out / STEM).is_symlink()
    assert (site / "notes.md").read_text() == "mine\n"


@pytest.mark.parametrize(
    "exc", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()], ids=["io-error", "ctrl-c"]
)
def test_a_failing_swap_keeps_the_earlier_output_and_your_files(
    out: Path, earlier: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    before = tree(earlier)
    real = os.replace
    carried: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        if Path(src).name.startswith(f".{STEM}.new-"):
            carried.extend(p.name for p in Path(src).iterdir())
            raise exc
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(type(exc) if isinstance(exc, KeyboardInterrupt) else atomic.InputError):
        atomic.write_tree(out, STEM, {"values.json": "{}\n", "frames.tex": "new\n"})
    assert "my-deck.tex" in carried, "your file was not carried into the new folder"
    assert tree(earlier) == before
    assert [p.name for p in out.iterdir()] == [STEM]


@pytest.mark.parametrize(
    "exc",
    [OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), KeyboardInterrupt()],
    ids=["disk-full", "ctrl-c"],
)
def test_a_file_that_cannot_be_carried_changes_nothing(
    out: Path, earlier: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    """Another file system (no hard link) and then a full disk or Ctrl-C while copying."""
    (earlier / "zz-notes.md").write_text("notes\n")
    before = tree(earlier)
    copies: list[str] = []

    def no_link(src: Any, dst: Any, **_: Any) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    def copy2(src: Any, dst: Any, **_: Any) -> None:
        copies.append(Path(src).name)
        if len(copies) == 2:
            raise exc
        Path(dst).write_bytes(Path(src).read_bytes())

    monkeypatch.setattr(keep.os, "link", no_link)
    monkeypatch.setattr(keep.shutil, "copy2", copy2)
    if isinstance(exc, OSError):
        result = render(out)
        assert result.exit_code == 2, result.output
        assert "cannot keep your file zz-notes.md in the new output: no space left" in (
            result.output
        )
    else:
        with pytest.raises(KeyboardInterrupt):
            atomic.write_tree(out, STEM, {"values.json": "{}\n"})
    assert copies == ["my-deck.tex", "zz-notes.md"]
    assert tree(earlier) == before
    assert [p.name for p in out.iterdir()] == [STEM]


def test_a_fifo_cannot_be_carried_and_changes_nothing(out: Path, earlier: Path) -> None:
    os.mkfifo(earlier / "pipe")
    before = tree(earlier)
    result = render(out)
    assert result.exit_code == 2, result.output
    assert "cannot keep your file pipe in the new output: pipe is not a file" in result.output
    assert tree(earlier) == before
    assert (earlier / "pipe").exists()


def test_every_name_a_render_writes_is_known_as_generated(out: Path) -> None:
    """The names :func:`keep.generated` knows are those the writers use: a render with
    every format and an exercise writes no name that it would keep as yours."""
    result = render(out, "--html", "--markdown", "--exercise", "h")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (out / STEM).iterdir())
    assert len(written) == 12, written
    assert [name for name in written if not keep.generated(name, STEM)] == []
    assert set(pdf.AUX_SUFFIXES) <= set(keep.BYPRODUCTS)
    assert keep.yours(out / STEM, STEM) == []
    assert not keep.generated("my-deck.tex", STEM)
    assert not keep.generated(f"{STEM}-notes.pdf", STEM)
