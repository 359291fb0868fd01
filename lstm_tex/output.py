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
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".lstm-tex-probe-", delete=True)
        probe.close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot write the output folder: {reason}", field="--out",
                         file=str(out)) from None
    return out


def write_tree(out: Path, stem: str, files: Mapping[str, str | bytes],
               finish: Callable[[Path], None] | None = None) -> Path:
    """Write ``files`` (relative path -> content) as ``out/stem/``, all or nothing.

    ``finish(staging)`` runs after the files are staged (e.g. to compile PDFs) and
    may raise; the swap happens only if it succeeds.
    """
    writable_folder(out)
    target = out / stem
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
        except OSError:
            if old is not None:
                os.replace(old / stem, target)
            raise
    except OSError as exc:
        raise InputError(f"cannot write the output: {exc.strerror or exc}", field="--out",
                         file=str(target)) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target
