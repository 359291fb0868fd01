"""Atomic output (issue 8): a crash while writing leaves the previous ``out/<stem>/``
byte for byte and no staging folder (``.<stem>.new-*``, ``.<stem>.old-*``) behind."""

from __future__ import annotations

import errno
import os
import pathlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lstm_tex.output import atomic
from tests.conftest import EXAMPLES, run_cli

EXAMPLE = EXAMPLES / "notebook-step.yaml"
STEM = EXAMPLE.stem


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def render(out: Path) -> Any:
    return run_cli("render", EXAMPLE, "--out", out, "--no-check")


@pytest.fixture
def previous(out: Path) -> dict[str, bytes]:
    """A real earlier run's output, made to differ from what the next run writes."""
    assert render(out).exit_code == 0
    (out / STEM / "values.json").write_text('{"previous": true}\n')
    return snapshot(out / STEM)


def assert_untouched(out: Path, before: dict[str, bytes] | None) -> None:
    if before is None:
        assert not (out / STEM).exists()
    else:
        assert snapshot(out / STEM) == before
    assert sorted(p.name for p in out.iterdir()) == ([STEM] if before is not None else [])


def failing_staged_writes(after: int, exc: BaseException) -> Callable[..., Any]:
    """``Path.write_bytes`` that raises ``exc`` on the staged file number ``after + 1``."""
    real = pathlib.Path.write_bytes
    count = [0]

    def write_bytes(self: Path, *args: Any, **kwargs: Any) -> int:
        if f".{STEM}.new-" in str(self):
            count[0] += 1
            if count[0] > after:
                raise exc
        return real(self, *args, **kwargs)

    return write_bytes


@pytest.mark.parametrize("has_previous", [True, False], ids=["previous", "first-run"])
def test_disk_full_while_staging(
    out: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, has_previous: bool
) -> None:
    before = request.getfixturevalue("previous") if has_previous else None
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(pathlib.Path, "write_bytes", failing_staged_writes(3, full))
    result = render(out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "--out: cannot write the output: no space left on device" in result.output
    assert_untouched(out, before if has_previous else None)


@pytest.mark.parametrize("exc", [RuntimeError("a bug"), KeyboardInterrupt()], ids=["bug", "ctrl-c"])
def test_crash_while_staging(
    out: Path, previous: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    monkeypatch.setattr(pathlib.Path, "write_bytes", failing_staged_writes(2, exc))
    with pytest.raises(type(exc)):
        atomic.write_tree(
            out, STEM, {"a.tex": "a", "b.tex": "b", "parts/c.tex": "c", "values.json": "{}"}
        )
    assert_untouched(out, previous)


@pytest.mark.parametrize(
    "exc", [OSError(errno.EIO, "I/O error"), KeyboardInterrupt()], ids=["io-error", "ctrl-c"]
)
def test_crash_during_the_swap(
    out: Path, previous: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    """The old folder is already moved aside when the new one fails to move in."""
    real = os.replace
    moved: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        moved.append(Path(src).name)
        if Path(src).name.startswith(f".{STEM}.new-"):
            raise exc
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    files = {"values.json": "{}\n", "parts/x.tex": "x\n"}
    if isinstance(exc, OSError):
        with pytest.raises(atomic.InputError, match="cannot write the output: i/o error"):
            atomic.write_tree(out, STEM, files)
    else:
        with pytest.raises(KeyboardInterrupt):
            atomic.write_tree(out, STEM, files)
    assert moved[0] == STEM, "the swap was not reached"
    assert_untouched(out, previous)


def test_failing_finish_step_keeps_previous(out: Path, previous: dict[str, bytes]) -> None:
    def finish(staging: Path) -> None:
        (staging / "half.pdf").write_bytes(b"%PDF-")
        raise atomic.InputError("LaTeX is missing")

    with pytest.raises(atomic.InputError):
        atomic.write_tree(out, STEM, {"values.json": "{}\n"}, finish)
    assert_untouched(out, previous)


def test_success_replaces_the_whole_folder(out: Path, previous: dict[str, bytes]) -> None:
    """Every name lstm-tex writes is replaced or removed (your own files are kept:
    tests/test_keep.py)."""
    (out / STEM / f"{STEM}-answers.tex").write_text("from an older version\n")
    assert render(out).exit_code == 0
    after = snapshot(out / STEM)
    assert f"{STEM}-answers.tex" not in after
    assert after["values.json"] != previous["values.json"]
    assert sorted(p.name for p in out.iterdir()) == [STEM]
