"""Compiling: pdflatex on a written document (as many passes as its auxiliary files
need), its failures as ``file:line: message`` lines, and the PNG pages of ``--png``."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from lstm_tex.errors import InputError, LatexFailed, printable

if TYPE_CHECKING:
    from pylatex import Document

_TEX_LINE_VAR = "max_print_line"  # TeX wraps its log at this many characters
_ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+\.tex):(?P<line>\d+): (?P<msg>.+)$", re.M)


#: What pdflatex writes for the next pass to read; an empty file reads as no file.
AUX_SUFFIXES = (".aux", ".nav", ".out", ".snm", ".toc", ".vrb")
#: Log lines that ask for another pass: LaTeX's labels and references (``\\ref``, page
#: counts), rerunfilecheck's outlines (only when the ``.out`` file says anything).
_RERUN = re.compile(
    r"Label\(s\) may have changed|There were undefined references|"
    r"Rerun to get cross-references|Please rerun|Rerun LaTeX"
)
#: At most this many pdflatex passes for one document.
MAX_PASSES = 4


def _aux_files(folder: Path, stem: str) -> dict[str, bytes]:
    """The auxiliary files of ``stem`` in ``folder`` that say anything (by suffix)."""
    found = {}
    for suffix in AUX_SUFFIXES:
        with contextlib.suppress(OSError):
            data = (folder / (stem + suffix)).read_bytes()
            if data.strip():
                found[suffix] = data
    return found


def compile_pdf(doc: Document, tex_path: Path, aux: dict[str, bytes] | None = None) -> Path:
    """Compile ``doc`` (written to ``tex_path`` unless it is there already) to ``.pdf``
    next to it with pdflatex, run inside that folder on the bare file name, so that no
    character of the folders above reaches TeX. Raise :class:`LatexFailed` with
    ``file:line: message`` lines, or :class:`InputError` when the disk is full or no
    compiler is installed.

    One pass, and another only while the log asks for one (labels, references) or a pass
    changed an auxiliary file that it read: one that was there before it (an empty file
    counts as none), the ``.out`` outlines, or the ``.toc`` of a ``\\tableofcontents``.
    The second pass of a fresh article or deck changes nothing and is skipped (issue 17).
    ``aux``, when given, holds the auxiliary files of an earlier compilation of the same
    document (put in place first) and receives the new ones: a watch session keeps them
    from one render to the next."""
    folder, stem = tex_path.parent, tex_path.stem
    if not tex_path.exists():
        tex_path.write_text(doc.dumps() + "\n", encoding="utf-8")
    source = tex_path.read_text(encoding="utf-8", errors="replace")
    command = [
        _pdflatex(),
        "-file-line-error",
        "-halt-on-error",
        "-interaction=nonstopmode",
        tex_path.name,
    ]
    # The auxiliary files are what the compiler adds: <stem>.html and <stem>.md stay.
    existing = set(folder.glob(stem + ".*"))
    try:
        for suffix, data in (aux or {}).items():
            (folder / (stem + suffix)).write_bytes(data)
        final = _passes(command, tex_path, "\\tableofcontents" in source)
        if aux is not None:
            aux.clear()
            aux.update(final)
    finally:
        for leftover in set(folder.glob(stem + ".*")) - existing:
            if leftover.suffix != ".pdf":
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return tex_path.with_suffix(".pdf")


def _pdflatex() -> str:
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise InputError(
            "no LaTeX compiler found (pdflatex); install TeX Live (see README) or leave out --pdf",
            field="--pdf",
        )
    return pdflatex


def _passes(command: list[str], tex_path: Path, toc: bool) -> dict[str, bytes]:
    """Run ``command`` until a pass changes no auxiliary file it read and the log asks
    for no other (see :func:`compile_pdf`); the auxiliary files after the last pass."""
    folder, stem = tex_path.parent, tex_path.stem
    log = folder / f"{stem}.log"
    before = _aux_files(folder, stem)
    for n in range(MAX_PASSES):
        _one_pass(command, tex_path, log)
        after = _aux_files(folder, stem)
        asked = ""
        with contextlib.suppress(OSError):
            asked = log.read_text(errors="replace")
        read = set(before) | {".out"}
        if toc:
            read.add(".toc")
        changed = [k for k in read if before.get(k) != after.get(k)]
        before = after
        if not changed and (n > 0 or not _RERUN.search(asked)):
            break  # a pass more would read the same files, or cannot help
    return before


def _one_pass(command: list[str], tex_path: Path, log: Path) -> None:
    """One pdflatex pass; a failure raises (a full disk as an input error)."""
    folder = tex_path.parent
    done = subprocess.run(
        command,
        cwd=folder,
        # Unwrapped log lines, so that "file:line: message" stays on one line.
        env={**os.environ, _TEX_LINE_VAR: "10000"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    if done.returncode != 0:
        if disk_full(folder, log, done.stdout):
            raise InputError(
                "cannot write the output: no space left on device "
                f"(while compiling {tex_path.name})",
                field="--out",
                file=printable(folder.parent),
            )
        raise LatexFailed(latex_errors(log, done.stdout))


#: Free space below which a failed compilation is blamed on a full disk.
DISK_RESERVE = 1 << 20


def disk_full(folder: Path, log: Path, output: str = "") -> bool:
    """Whether a failed compilation in ``folder`` ran out of disk space: the log or the
    output says so, or the file system has (almost) nothing left."""
    text = output
    with contextlib.suppress(OSError):
        text += log.read_text(errors="replace")
    if "No space left on device" in text or "I can't write on file" in text:
        return True
    try:
        return shutil.disk_usage(folder).free < DISK_RESERVE
    except OSError:
        return False


def latex_errors(log_path: Path, output: str = "") -> list[str]:
    """The ``file:line: message`` lines of a LaTeX log (first ones first)."""
    text = ""
    with contextlib.suppress(OSError):
        text = log_path.read_text(errors="replace")
    found = []
    for m in _ERROR_LINE.finditer(text or output):
        file = Path(m.group("file")).name
        message = m.group("msg").strip()
        if not message.startswith("==>"):
            found.append(f"{file}:{m.group('line')}: {message}")
    if not found:
        bang = [ln[2:].strip() for ln in (text or output).splitlines() if ln.startswith("! ")]
        found = [f"{log_path.with_suffix('.tex').name}: {b}" for b in bang] or [
            f"{log_path.with_suffix('.tex').name}: LaTeX failed (see {log_path.name})"
        ]
    return found[:10]


#: Resolution of the PNG pages that ``--png`` writes.
PNG_DPI = 150


def pdftoppm() -> str:
    """The ``pdftoppm`` program (poppler) that ``--png`` needs; InputError when missing."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise InputError(
            "pdftoppm is not installed; install poppler-utils (Debian, Ubuntu) "
            "or poppler (Homebrew), or leave out --png",
            field="--png",
        )
    return exe


def pdf_to_png(pdf: Path, dpi: int = PNG_DPI) -> list[Path]:
    """Every page of ``pdf`` as ``<stem>-<page>.png`` next to it (pdftoppm numbers pages
    from 1, zero-padded to the width of the page count)."""
    done = subprocess.run(
        [pdftoppm(), "-png", "-r", str(dpi), pdf.name, pdf.stem],
        cwd=pdf.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise LatexFailed([f"{pdf.name}: pdftoppm failed: {reason}"])
    page = re.compile(re.escape(pdf.stem) + r"-\d+\.png")
    return sorted(p for p in pdf.parent.iterdir() if page.fullmatch(p.name))
