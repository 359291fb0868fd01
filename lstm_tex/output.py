"""Write ``<out>/<stem>/`` atomically: stage everything, then swap the folder in.

A failed run (bad input, failed check, LaTeX error, a crash while writing) leaves
the previous folder exactly as it was and no staging folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from lstm_tex.errors import InputError


def writable_folder(out: Path) -> Path:
    """Create ``out`` if needed and make sure files can be created in it (else exit 2)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".lstm-tex-probe-"):
            pass
    except OSError as exc:
        raise InputError(f"cannot write the output folder: {_reason(out, exc)}",
                         field="--out", file=str(out)) from None
    return out


def _reason(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be written, in words: a file in the way, or the OS's reason."""
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            return f"{part} is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def write_tree(out: Path, stem: str, files: Mapping[str, str | bytes],
               finish: Callable[[Path], None] | None = None) -> Path:
    """Write ``files`` (relative path -> content) as ``out/stem/``, all or nothing.

    ``finish(staging)`` runs after the files are staged (e.g. to compile PDFs) and
    may raise; the swap happens only if it succeeds.
    """
    writable_folder(out)
    target = out / stem
    if target.exists() and not target.is_dir():
        raise InputError("exists and is not a folder; move it away to write the output here",
                         field="--out", file=str(target))
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}.new-", dir=out))
    old: Path | None = None
    try:
        for rel, content in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
        if finish is not None:
            finish(staging)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{stem}.old-", dir=out))
            os.replace(target, old / stem)
        try:
            os.replace(staging, target)
        except BaseException:  # even on Ctrl-C, put the previous output back
            if old is not None:
                os.replace(old / stem, target)
            raise
    except OSError as exc:
        raise InputError(f"cannot write the output: {_reason(target, exc)}", field="--out",
                         file=str(target)) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target
