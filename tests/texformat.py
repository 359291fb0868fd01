r"""Preamble formats for the tests' pdflatex runs (issue 17).

A Beamer preamble (the class, its theme, lmodern, amsmath; TikZ and pgfplots for the
pictures) costs 0.7 to 1.2 s of CPU before the first frame, and the suite compiles a few
hundred documents that share a dozen preambles. ``compile_tex`` (tests/conftest.py)
therefore runs a document through a format: its preamble up to the last line that loads
the class, a package or a theme is processed once per test process, by
``pdflatex -ini "&pdflatex"`` ending in ``\dump``; each document then starts from that
format and reads the rest of its own file (the rest of the preamble, the body) from a copy
whose first lines are blank, so that ``-file-line-error`` names the document's own line
numbers. The document's folder stays the working folder and its name the job name:
``\input``, the ``.aux``, ``.nav`` and ``.log`` files are where they would be.

What the tests see does not change: ``Compiled.log`` is the format's log (the preamble's
messages) followed by the document's. A format is used only where its build succeeded,
read nothing outside the TeX installation and made no PDF form (pdfTeX cannot carry one
through \dump: Beamer's Warsaw theme makes its shadings so); otherwise the document is
compiled on its own, as before. ``LSTM_TEX_TEX_FORMATS=0`` turns formats off; ``=check``
compiles every document both ways and fails a test where the two disagree (errors,
Overfull and Underfull boxes, warnings, pages).

With pytest-xdist the workers share their formats and results: ``share`` (called by the
controller, or the one process without xdist) makes a folder for the run, named in
``LSTM_TEX_TESTS_SHARED`` for the workers; a format or a document's result is made by
the first worker that needs it, under a file lock, and read by the others (a session
fixture that runs on both workers compiles its documents once).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

ENV = "LSTM_TEX_TEX_FORMATS"
#: The folder the processes of one test run share (formats, results), set by ``share``.
SHARED = "LSTM_TEX_TESTS_SHARED"
#: A line that loads code: the class, a package, a theme. The format holds the preamble up
#: to the last such line; what follows (titles, colours, \newcommand) is read per document.
LOADS = re.compile(
    r"^\s*\\(documentclass|usepackage|RequirePackage|use(?:color|font|inner|outer)?theme)\b"
)


@dataclass(frozen=True)
class Split:
    """A document as a format (``prefix``) and what each run reads after it (``rest``,
    starting with as many blank lines as ``prefix`` has, so line numbers stay)."""

    prefix: str
    rest: str


def split(text: str) -> Split | None:
    """The format-able part of ``text``'s preamble, or None (no class loaded before
    ``\\begin{document}``)."""
    lines = text.splitlines(keepends=True)
    last = None
    for n, line in enumerate(lines):
        if line.lstrip().startswith("\\begin{document}"):
            break
        if LOADS.match(line):
            last = n
    else:
        return None
    if last is None or not lines[0].lstrip().startswith(("%", "\\documentclass")):
        return None
    prefix = "".join(lines[: last + 1])
    if "\\documentclass" not in prefix:
        return None
    return Split(prefix, "\n" * (last + 1) + "".join(lines[last + 1 :]))


def _tex_roots() -> tuple[str, ...]:
    """The TeX installation's trees (kpathsea's ``$TEXMF``): a format may read files from
    these only."""
    done = subprocess.run(
        ["kpsewhich", "--expand-braces=$TEXMF"], capture_output=True, text=True, check=False
    )
    trees = {os.path.realpath(p.lstrip("!")) for p in done.stdout.strip().split(os.pathsep) if p}
    return tuple(sorted(t.rstrip("/") + "/" for t in trees if t.startswith("/")))


def share() -> Callable[[], None]:
    """Make the run's shared folder (for the workers this process starts, which inherit
    the environment); returns what removes it at the end of the run. A process started
    within a run (a worker, a nested pytest) keeps the folder it was given."""
    if os.environ.get(SHARED):
        return lambda: None
    folder = tempfile.mkdtemp(prefix="lstm-tex-tests-")
    os.environ[SHARED] = folder

    def remove() -> None:
        os.environ.pop(SHARED, None)
        shutil.rmtree(folder, ignore_errors=True)

    return remove


def shared(name: str) -> Path | None:
    """A folder shared by the processes of this test run, or None (no run folder: a
    test module used on its own)."""
    root = os.environ.get(SHARED)
    if not root or not Path(root).is_dir():
        return None
    folder = Path(root) / name
    folder.mkdir(exist_ok=True)
    return folder


class Formats:
    """The formats of one test run, each built on first use by one of its processes (under
    a file lock in the run's shared folder), or of this process alone."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.built: dict[str, tuple[Path, str] | None] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.lock = threading.Lock()
        self.roots: tuple[str, ...] | None = None
        self.runs = 0

    def _folder(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="lstm-tex-formats-"))
            atexit.register(shutil.rmtree, self.folder, True)
        return self.folder

    def private(self, name: str) -> Path:
        """A folder of this process's own (removed at exit)."""
        with self.lock:
            return self._folder() / name

    def get(self, prefix: str, timeout: int) -> tuple[Path, str] | None:
        """(the format file, the preamble's log), or None where no format can be used."""
        key = hashlib.sha256(prefix.encode()).hexdigest()[:16]
        with self.lock:
            folder = shared("formats") or self._folder()
            lock = self.locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.built:
                with FileLock(folder / f"{key}.lock"):
                    self.built[key] = self._made(folder, key, prefix, timeout)
            return self.built[key]

    def _made(self, folder: Path, key: str, prefix: str, timeout: int) -> tuple[Path, str] | None:
        """The format of ``key``, as another process made it or built now."""
        made = folder / f"{key}.json"
        if made.exists():
            STATS["formats_shared"] += 1
            log = json.loads(made.read_text())
            return None if log is None else (folder / f"{key}.fmt", log)
        built = self._build(folder, key, prefix, timeout)
        made.write_text(json.dumps(None if built is None else built[1]))
        return built

    def _build(self, folder: Path, key: str, prefix: str, timeout: int) -> tuple[Path, str] | None:
        source = folder / f"{key}.tex"
        # pdfTeX cannot carry a form XObject made before \dump into the documents (Beamer's
        # Warsaw theme makes its shadings as forms in the preamble: "This can't happen
        # (flushing)" at \begin{document} through the format): the count is logged, and such
        # a preamble gets no format.
        count = f"\\immediate\\write16{{{_XFORMS}\\the\\pdflastxform}}"
        source.write_text(f"{prefix}\n{count}\n\\dump\n")
        done = subprocess.run(
            [
                "pdflatex",
                "-ini",
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-file-line-error",
                "-recorder",
                f"-jobname={key}",
                "&pdflatex",
                source.name,
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        fmt = folder / f"{key}.fmt"
        if done.returncode != 0 or not fmt.exists():
            return None
        if self.roots is None:
            self.roots = _tex_roots()
        for line in (folder / f"{key}.fls").read_text(errors="replace").splitlines():
            if line.startswith("INPUT "):
                path = os.path.realpath(os.path.join(folder, line[6:]))
                if path != str(source.resolve()) and not path.startswith(self.roots):
                    return None  # the preamble reads a file of the test's: no format
        log = (folder / f"{key}.log").read_text(errors="replace")
        forms = re.search(f"^{_XFORMS}(\\d+)$", log, flags=re.M)
        if forms is None or forms[1] != "0":
            STATS["no_format"] += 1
            return None
        STATS["formats"] += 1
        # the preamble's messages: from the class on, without the banner and \dump's report
        start = log.find(f"({key}.tex")
        return fmt, log[start if start >= 0 else 0 : forms.start()]


#: The line a format's build logs before \dump: how many form XObjects its preamble made.
_XFORMS = "lstm-tex format: form XObjects "

FORMATS = Formats()


def mode() -> str:
    """``on`` (the default), ``0`` (off) or ``check`` (both ways, compared)."""
    return os.environ.get(ENV, "on")


def command(tex: Path, draft: bool, fmt: Path | None, source: Path | None) -> list[str]:
    """The pdflatex command line for ``tex``, run in its folder; with a format, the job
    keeps ``tex``'s name and reads ``source`` (the document after the format's part)."""
    flags = [
        "pdflatex",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        *(["-draftmode"] if draft else []),
    ]
    if fmt is None or source is None:
        return [*flags, tex.name]
    return [*flags, f"-fmt={fmt.with_suffix('')}", f"-jobname={tex.stem}", str(source)]


def through_format(tex: Path, timeout: int) -> tuple[Path, Path, str] | None:
    """(format, the rest to read, the preamble's log) for ``tex``, or None."""
    if mode() == "0":
        return None
    parts = split(tex.read_text(errors="replace"))
    if parts is None:
        return None
    built = FORMATS.get(parts.prefix, timeout)
    if built is None:
        return None
    fmt, preamble_log = built
    with FORMATS.lock:
        FORMATS.runs += 1
        runs = FORMATS.runs
    rest = FORMATS.private(f"run-{runs}") / tex.name
    rest.parent.mkdir(parents=True)
    STATS["through_format"] += 1
    rest.write_text(parts.rest)
    return fmt, rest, preamble_log


#: What a run through a format and a run on its own must agree on.
_MESSAGES = re.compile(
    r"^(?:.*?:\d+: .*|! .*|(?:Overfull|Underfull) \\[hv]box.*|.*Warning:.*|Output written on .*)$",
    re.M,
)


def messages(log: str) -> list[str]:
    """A log's errors, box messages, warnings and page count, without file names."""
    found = [re.sub(r"^\S*?\.tex:(\d+):", r"\1:", m) for m in _MESSAGES.findall(log)]
    return [re.sub(r"Output written on \S+ \((\d+ pages?).*", r"\1", m) for m in found]


def snapshot(folder: Path) -> dict[str, bytes]:
    """The files of ``folder`` (not its subfolders), to compile a document twice from the
    same state (``check``)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def restore(folder: Path, files: dict[str, bytes]) -> None:
    for p in folder.iterdir():
        if p.is_file() and p.name not in files:
            p.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)


#: What this process's compiles did (written into the CPU profile's totals).
STATS = {
    "compiles": 0,
    "reused": 0,
    "reused_shared": 0,
    "formats": 0,
    "formats_shared": 0,
    "no_format": 0,
    "through_format": 0,
}


class Results:
    """Each document compiled once per test run: a result is reused where the same
    document (its text and every file in its folder, auxiliary files included) is
    compiled again with the same flags, in this process or another of the run; the
    outputs (``.pdf``, ``.nav``, ``.log``...) are copied into the new folder as pdflatex
    would have written them."""

    def __init__(self) -> None:
        self.done: dict[str, tuple[dict[str, Any], Path]] = {}
        self.lock = threading.Lock()

    @staticmethod
    def key(tex: Path, runs: int, draft: bool) -> str | None:
        """The document's identity, or None where it may read files outside its folder
        by a relative path (``../``)."""
        if b"../" in tex.read_bytes():
            return None
        digest = hashlib.sha256(f"{runs} {draft} {tex.name}".encode())
        for path in sorted(tex.parent.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(tex.parent)).encode() + b"\0")
                data = path.read_bytes()
                if path.suffix == ".tex":
                    data = _PROVENANCE.sub(b"%", data)
                digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def claim(self, key: str) -> contextlib.AbstractContextManager[object]:
        """Held while a document is looked up, compiled and put: another process of the
        run that compiles the same document waits for this one's result."""
        folder = shared("results")
        return FileLock(folder / f"{key}.lock") if folder else contextlib.nullcontext()

    def get(self, key: str, tex: Path) -> dict[str, Any] | None:
        with self.lock:
            found = self.done.get(key)
        if found is None:
            folder = shared("results")
            if folder is None or not (folder / key / RESULT).exists():
                return None
            found = (json.loads((folder / key / RESULT).read_text()), folder / key)
            STATS["reused_shared"] += 1
        result, outputs = found
        for path in outputs.iterdir():
            if path.name != RESULT:
                shutil.copy2(path, tex.parent / path.name)
        STATS["reused"] += 1
        return result

    def put(self, key: str, tex: Path, result: dict[str, Any]) -> None:
        folder = shared("results")
        outputs = (folder or FORMATS.private("results")) / key
        partial = outputs.with_name(f"{key}.partial-{os.getpid()}-{threading.get_ident()}")
        partial.mkdir(parents=True)
        for path in tex.parent.glob(f"{glob_escape(tex.stem)}.*"):
            if path.is_file() and path.suffix != ".tex":
                shutil.copy2(path, partial / path.name)
        (partial / RESULT).write_text(json.dumps(result))
        if outputs.exists():  # the same document, compiled by another thread meanwhile
            shutil.rmtree(partial)
        else:
            partial.rename(outputs)
        with self.lock:
            self.done[key] = (result, outputs)


#: The comment naming the example a generated file comes from (``% from /tmp/.../a.yaml``,
#: templates/part.tex.j2, frames.tex.j2): a whole line of comment, which TeX skips, and
#: the one thing that differs between two workers' renders of an example made in a test.
_PROVENANCE = re.compile(rb"^% (?:generated )?from [^\n]*$", re.M)

#: A stored result's own file, beside the document's outputs.
RESULT = "lstm-tex-result.json"


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


RESULTS = Results()
