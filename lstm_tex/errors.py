"""The exceptions lstm-tex raises on purpose, each mapped to one exit status.

The CLI turns any of these into one line on stderr and ``SystemExit(exit_code)``;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
from types import ModuleType


def printable(text: str | os.PathLike[str]) -> str:
    """``text`` (a path, a message) as text that can always be printed and encoded: bytes
    of a file name that are not UTF-8 become ``\\xNN``."""
    raw = text if isinstance(text, str) else os.fspath(text)
    try:
        return os.fsencode(raw).decode("utf-8", "backslashreplace")
    except UnicodeError:
        return raw.encode("utf-8", "backslashreplace").decode("utf-8")


def import_torch(needed_for: str, hint: str, *, file: str | None = None) -> ModuleType:
    """``import torch``, or an :class:`InputError` (exit 2) saying what needed it when torch
    is missing or fails to load (a broken install raises ImportError, OSError, ...)."""
    try:
        import torch
    except Exception as exc:  # any failure inside torch's own __init__
        reason = printable(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise InputError(
            f"{needed_for} needs torch, which failed to import: {reason} ({hint})", file=file
        ) from None
    return torch


class LstmTexError(Exception):
    """Base class: a failure the user can act on. ``exit_code`` is the CLI's status."""

    exit_code = 2


class InputError(LstmTexError):
    """Raised for bad input or usage: an unreadable or invalid example file, impossible
    shapes, an unavailable device, an unwritable output folder, a broken template."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.line = line
        super().__init__(self.format())

    def format(self) -> str:
        """``file:line: field: message`` with the parts that are known."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class CheckFailed(LstmTexError):
    """Raised when the NumPy trace and torch disagree beyond the tolerance."""

    exit_code = 1

    def __init__(self, message: str, report: object = None) -> None:
        self.report = report
        super().__init__(message)


class LatexFailed(LstmTexError):
    """Raised when ``--pdf`` compilation fails; ``errors`` are ``file:line: message``."""

    exit_code = 3

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("LaTeX compilation failed:\n  " + "\n  ".join(errors))


class InputErrors(InputError):
    """Several input problems found at once (one line each, the first ``SHOWN`` of them)."""

    SHOWN = 10

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, file=first.file, field=first.field, line=first.line)

    def format(self) -> str:
        lines = [e.format() for e in self.errors[: self.SHOWN]]
        if len(self.errors) > self.SHOWN:
            lines.append(f"... and {len(self.errors) - self.SHOWN} more problems")
        return "\n".join(lines)
