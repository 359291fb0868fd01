"""Your files in an earlier output: what ``render`` keeps when it replaces ``out/<stem>/``.

An output folder holds the names lstm-tex writes (:func:`generated`): the documents
``<name>.tex``, ``<name>-slides.tex``, ``<name>-exercise.tex``, ``<name>-answers.tex``,
``<name>-exercise-slides.tex`` with their PDFs, PNG pages and LaTeX by-products
(``.aux``, ``.log``, ...: what compiling one of them by hand leaves), ``frames.tex``,
``values.json``, ``<name>.html``, ``<name>.md``, ``<name>-slides.qmd``, ``katex/`` and the
``.tex`` files in ``parts/``. Everything else in an earlier output (your own deck next to
``frames.tex``, notes, a folder of figures, ``parts/README``) is yours: :func:`carry` puts
it into the new folder before the swap, as hard links where it can (the same bytes, the
same modification time, no copy), so that a failure at any point leaves it where it was.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from lstm_tex.errors import InputError, printable

#: What follows ``<name>`` in the documents' names (``latex/documents.py``), ``.tex`` left out.
DOCUMENTS = ("", "-slides", "-exercise", "-answers", "-exercise-slides")
#: The web pages' names after ``<name>`` (``output/web.py``).
PAGES = (".html", ".md", "-slides.qmd")
#: Files and folders of fixed names: ``frames.tex``, ``values.json``, ``parts/``, ``katex/``.
FIXED = ("frames.tex", "values.json", "parts", "katex")
#: What compiling a document leaves next to it (``--pdf``, ``latexmk``, an editor's build).
BYPRODUCTS = (
    ".pdf",
    ".aux",
    ".log",
    ".nav",
    ".snm",
    ".toc",
    ".out",
    ".vrb",
    ".fls",
    ".fdb_latexmk",
    ".synctex.gz",
    ".synctex",
    ".bbl",
    ".blg",
    ".dvi",
    ".xdv",
)


def generated(entry: str, name: str) -> bool:
    """Whether ``entry`` (a name at the top of an output folder) is one lstm-tex writes in
    some mode for documents named ``name`` (:func:`lstm_tex.output.atomic.file_stem`)."""
    if entry in FIXED or entry in {name + page for page in PAGES}:
        return True
    for doc in (name + suffix for suffix in DOCUMENTS):
        if entry == doc + ".tex" or re.fullmatch(re.escape(doc) + r"-\d+\.png", entry):
            return True
        if entry.startswith(doc + ".") and entry[len(doc) :] in BYPRODUCTS:
            return True
    return False


def is_output(folder: Path) -> bool:
    """Whether ``folder`` may be replaced by an output: it is empty or holds an earlier
    output (its ``values.json``)."""
    try:
        return not any(folder.iterdir()) or (folder / "values.json").is_file()
    except OSError:
        return False


def yours(folder: Path, name: str) -> list[str]:
    """The paths in the earlier output ``folder`` that lstm-tex does not write (sorted):
    whole entries at the top, and entries of ``parts/`` that are not ``.tex`` files."""
    found: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == "parts" and entry.is_dir(follow_symlinks=False):
            found += [
                f"parts/{part.name}"
                for part in sorted(os.scandir(entry.path), key=lambda e: e.name)
                if not (part.name.endswith(".tex") and part.is_file(follow_symlinks=False))
            ]
        elif not generated(entry.name, name):
            found.append(entry.name)
    return found


def carry(old: Path, new: Path, name: str) -> list[str]:
    """Put your files of the earlier output ``old`` into the staged output ``new`` (those
    this render writes itself excepted); the paths carried. A file that cannot be carried
    exits 2 naming it; ``old`` is never changed."""
    carried = []
    for rel in yours(old, name):
        if os.path.lexists(new / rel):
            continue
        try:
            (new / rel).parent.mkdir(exist_ok=True)
            _copy(old / rel, new / rel)
        except OSError as exc:
            raise InputError(
                f"cannot keep your file {printable(rel)} in the new output: "
                f"{(exc.strerror or str(exc)).lower()}; move it out of the folder to render",
                field="--out",
                file=printable(old),
            ) from None
        carried.append(rel)
    return carried


def _copy(src: Path, dst: Path) -> None:
    """``src`` as ``dst``: a link as a link, a folder file by file, a file as a hard link
    (a copy with its times where links cannot be made: another file system)."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
        stat = src.lstat()
        if os.utime in os.supports_follow_symlinks:
            os.utime(dst, ns=(stat.st_atime_ns, stat.st_mtime_ns), follow_symlinks=False)
    elif src.is_dir():
        dst.mkdir()
        for child in sorted(src.iterdir()):
            _copy(child, dst / child.name)
        shutil.copystat(src, dst)
    elif src.is_file():
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    else:
        raise OSError(f"{printable(src.name)} is not a file, a folder or a link")


def summary(folder: Path, carried: list[str], shown: int = 4) -> str:
    """``kept 1 file of yours in lecture/step: notes.md`` (folders end in ``/``; what
    compiling your documents left, ``.aux``, ``.log``, ..., after the rest)."""

    def byproduct(rel: str) -> bool:
        return any(rel.endswith(suffix) for suffix in BYPRODUCTS if suffix != ".pdf")

    ordered = sorted(carried, key=lambda rel: (byproduct(rel), rel))
    names = [rel + "/" * (folder / rel).is_dir() for rel in ordered]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    count = f"{len(names)} file{'s' * (len(names) != 1)}"
    return f"kept {count} of yours in {printable(folder)}: {', '.join(names[:shown])}{more}"


def listing(folder: Path, shown: int = 4) -> str:
    """``notes.md, figures`` (the first few names in ``folder``), for a message."""
    try:
        names = sorted(printable(p.name) for p in folder.iterdir())
    except OSError as exc:
        return f"a folder that cannot be read ({(exc.strerror or str(exc)).lower()})"
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
