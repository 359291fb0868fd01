"""Write files and ``<out>/<stem>/`` atomically: stage, then swap in with one rename.

A failed run (bad input, failed check, LaTeX error, a crash or Ctrl-C while writing)
leaves the previous file or folder exactly as it was and no staging file behind.

* :func:`write_file` writes one file (``init``, ``import``): a temporary file next
  to it, then :func:`os.replace`.
* :func:`write_tree` writes a whole output folder: a staging folder
  ``.<stem>.new-*`` next to it, then a swap through ``.<stem>.old-*``. The swap runs
  under a lock on the ``out`` folder, so two renders of the same stem at once both
  succeed (the last one wins). Each staging folder is locked by the process that
  writes it; a folder whose process died is a leftover, and the next run removes it
  and, if the kill came between the two renames of a swap, puts the previous output
  back in place (:func:`recover`). Your own files in the previous output are carried
  into the staging folder before the swap (:mod:`lstm_tex.output.keep`); a folder that
  is neither empty nor an earlier output is refused (:func:`check_target`).

Files and folders follow the umask, as files made with ``open()`` and ``mkdir`` do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from lstm_tex.errors import InputError, printable
from lstm_tex.output import keep

try:  # POSIX; elsewhere concurrent renders of one stem are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def file_stem(stem: str) -> str:
    """The name of the files inside ``out/<stem>/`` (``<name>.tex``, ``<name>-slides.tex``):
    ``stem`` reduced to ASCII letters, digits, ``.``, ``_`` and ``-``, so that pdflatex
    and latexmk take it on any system. Accents are dropped (``Übung`` -> ``Ubung``),
    every other run of characters (spaces, ``~ % \\ { } # $``, bytes that are not UTF-8,
    other scripts) becomes one ``-``; a name with nothing left is ``example``."""
    text = os.fsencode(stem).decode("utf-8", "replace")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip(".-")
    return safe or "example"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _follow_umask(path: Path, mode: int) -> None:
    os.chmod(path, mode & ~_umask())


def check_out(out: Path) -> None:
    """Fail early (exit 2) when ``out`` cannot become a writable folder; create nothing."""
    for part in (out, *out.parents):
        if part.exists():
            if not part.is_dir():
                raise InputError(
                    f"cannot write the output folder: {printable(part)} is a file, not a folder",
                    field="--out",
                    file=printable(out),
                )
            if not os.access(part, os.W_OK | os.X_OK):
                raise InputError(
                    "cannot write the output folder: permission denied",
                    field="--out",
                    file=printable(out),
                )
            return


def writable_folder(out: Path) -> Path:
    """Create ``out`` if needed and make sure files can be created in it (else exit 2)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".lstm-tex-probe-"):
            pass
    except OSError as exc:
        raise _unwritable("the output folder", out, exc) from None
    return out


def _unwritable(what: str, path: Path, exc: OSError) -> InputError:
    """The exit-2 error for ``what`` (at ``path``) that could not be written."""
    return InputError(
        f"cannot write {what}: {_reason(path, exc)}", field="--out", file=printable(path)
    )


def _reason(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be written, in words: a file in the way, or the OS's reason."""
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            return f"{printable(part)} is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return (exc.strerror or str(exc)).lower()


def usable_stem(stem: str, file: str) -> None:
    """Refuse a stem that cannot name a folder of its own (``.``, ``..``, empty)."""
    if stem in ("", ".", "..") or "/" in stem or "\0" in stem:
        raise InputError(
            f"the file name gives the output folder name {printable(stem)!r}, "
            "which cannot name a folder; rename the example file (for "
            "example to lstm.yaml)",
            file=printable(file),
        )


# ---------------------------------------------------------------- one file


def write_file(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` atomically: the previous file stays byte for byte on
    any failure, and no temporary file is left behind. Text is written as UTF-8; text
    that cannot be (lone surrogates from undecodable command-line bytes) is refused
    before anything is touched."""
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
    except UnicodeEncodeError as exc:
        raise InputError(
            f"cannot write: text that is not valid UTF-8 ({exc.reason})", file=printable(path)
        ) from None
    if path.is_symlink():  # write the file the link points to, and keep the link
        path = Path(os.path.realpath(path))
    folder = path.parent
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        if folder != Path():
            folder.mkdir(parents=True, exist_ok=True)
        _remove_dead_temporaries(path)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.new-", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write: {_reason(folder, exc)}", file=printable(path)) from None
    try:
        if fcntl is not None:  # marks the temporary file as live for other runs
            fcntl.flock(handle, fcntl.LOCK_EX)
        with os.fdopen(handle, "wb") as stream:  # renamed while open: still locked
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write: {_reason(folder, exc)}", file=printable(path)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return path


def _remove_dead_temporaries(path: Path) -> None:
    """Remove ``.<name>.new-*`` files that a killed run of :func:`write_file` left next to
    ``path``; a live run holds a lock on its file, which is left alone."""
    prefix = f".{path.name}.new-"
    try:
        found = [
            p
            for p in path.parent.iterdir()
            if p.name.startswith(prefix) and p.is_file() and not p.is_symlink()
        ]
    except OSError:
        return
    for leftover in found:
        with contextlib.suppress(OSError):
            fd = os.open(leftover, os.O_RDONLY)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                leftover.unlink()
            except BlockingIOError:
                pass
            finally:
                os.close(fd)


# ---------------------------------------------------------------- a whole folder


@contextlib.contextmanager
def _locked(folder: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``folder`` (True), or yield False when ``wait`` is
    False and another process holds it. Released when the process dies."""
    if fcntl is None:  # pragma: no cover - Windows
        yield True
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _leftovers(out: Path, stem: str, kind: str) -> list[Path]:
    prefix = f".{stem}.{kind}-"
    try:
        return sorted(
            p
            for p in out.iterdir()
            if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()
        )
    except OSError:
        return []


def recover(out: Path, stem: str) -> None:
    """Clean up after a run that was killed: put a previous output that was moved aside
    (``.<stem>.old-*/<stem>``) back when ``out/<stem>`` is missing, and remove staging
    folders whose writer is gone. Staging folders of a live run are left alone."""
    if not out.is_dir():
        return
    with _locked(out):
        target = out / stem
        for old in _leftovers(out, stem, "old"):
            with _locked(old, wait=False) as free:
                if not free:
                    continue
                kept = old / stem
                if not target.exists() and not target.is_symlink() and kept.is_dir():
                    with contextlib.suppress(OSError):
                        os.replace(kept, target)
                shutil.rmtree(old, ignore_errors=True)
        for new in _leftovers(out, stem, "new"):
            with _locked(new, wait=False) as free:
                if free:
                    shutil.rmtree(new, ignore_errors=True)


def followed(out: Path, stem: str) -> tuple[Path, str]:
    """Where ``out/stem`` really is: a symbolic link to a folder is followed, so that the
    output replaces the folder it points to and the link stays. Only a folder that is empty
    or holds an earlier output (its ``values.json``) is replaced that way; a link to any
    other folder (``out`` itself, a parent, a folder of other files) exits 2."""
    target = out / stem
    if not (target.is_symlink() and target.is_dir()):
        return out, stem
    real = target.resolve()
    here = out.resolve()
    if real == here or real in here.parents or not keep.is_output(real):
        raise InputError(
            f"is a symbolic link to {printable(os.readlink(target))}, a folder that is "
            "neither empty nor an earlier lstm-tex output (no values.json), and the output "
            "replaces the folder it is written to; point the link to an empty folder (or "
            "an earlier output), or remove the link",
            field="--out",
            file=printable(target),
        )
    return real.parent, real.name


def check_target(out: Path, stem: str) -> None:
    """Refuse (exit 2) when ``out/stem`` is taken by something that is not a folder, is a
    folder that is neither empty nor an earlier output (your files: the output must not be
    written into them), or is a link to one (:func:`followed`)."""
    out, stem = followed(out, stem)
    target = out / stem
    if target.is_symlink() and not target.exists():
        raise InputError(
            f"is a symbolic link to {printable(os.readlink(target))}, which does "
            "not exist; remove the link (or make it point to a folder) to "
            "write the output here",
            field="--out",
            file=printable(target),
        )
    if target.exists() and not target.is_dir():
        raise InputError(
            "exists and is not a folder; move it away to write the output here",
            field="--out",
            file=printable(target),
        )
    if target.is_dir() and not keep.is_output(target):
        raise InputError(
            "is a folder that is neither empty nor an earlier lstm-tex output (expected an "
            f"empty folder or one with values.json, found {keep.listing(target)}); the "
            "output would replace it, so move your files away or choose another --out",
            field="--out",
            file=printable(target),
        )


def write_tree(
    out: Path,
    stem: str,
    files: Mapping[str, str | bytes | Callable[[BinaryIO], None]],
    finish: Callable[[Path], None] | None = None,
    kept: list[str] | None = None,
) -> Path:
    """Write ``files`` (relative path -> content) as ``out/stem/``, all or nothing; where
    ``out/stem`` is a link to a folder, into that folder (:func:`followed`). A content
    that is a function writes the file itself, given it open (values.json, streamed).

    ``finish(staging)`` runs after the files are staged (e.g. to compile PDFs) and
    may raise; the swap happens only if it succeeds. Your files in an earlier output
    (those lstm-tex does not write: :mod:`lstm_tex.output.keep`) are carried into the new
    folder before the swap and their paths added to ``kept``.
    """
    name = file_stem(stem)
    encoded = _encoded(files, out / stem)
    shown = out / stem
    out, stem = followed(out, stem)
    writable_folder(out)
    recover(out, stem)
    check_target(out, stem)
    target = out / stem
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{stem}.new-", dir=out))
    except OSError as exc:
        raise InputError(
            f"cannot write the output: {_reason(out, exc)}", field="--out", file=printable(target)
        ) from None
    old: Path | None = None
    carried: list[str] = []
    try:
        with _locked(staging):
            _follow_umask(staging, 0o777)
            _stage(staging, encoded)
            if finish is not None:
                finish(staging)
            with _locked(out):
                check_target(out, stem)
                if target.exists():
                    carried = keep.carry(target, staging, name)
                    old = Path(tempfile.mkdtemp(prefix=f".{stem}.old-", dir=out))
                    os.replace(target, old / stem)
                try:
                    os.replace(staging, target)
                except BaseException:  # even on Ctrl-C, put the previous output back
                    if old is not None:
                        os.replace(old / stem, target)
                    raise
                if kept is not None:
                    kept.extend(carried)
    except OSError as exc:
        raise _unwritable("the output", target, exc) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return shown


def _encoded(
    files: Mapping[str, str | bytes | Callable[[BinaryIO], None]], target: Path
) -> dict[str, bytes | Callable[[BinaryIO], None]]:
    """The files' texts as UTF-8, before anything is written."""
    try:
        return {rel: c.encode("utf-8") if isinstance(c, str) else c for rel, c in files.items()}
    except UnicodeEncodeError as exc:
        raise InputError(
            f"cannot write the output: text that is not valid UTF-8 ({exc.reason})",
            file=printable(target),
        ) from None


def _stage(staging: Path, files: Mapping[str, bytes | Callable[[BinaryIO], None]]) -> None:
    """Write ``files`` under ``staging`` (a function writes its file itself, given it open)."""
    for rel, content in files.items():
        path = staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            with path.open("wb") as stream:
                content(stream)
        else:
            path.write_bytes(content)
