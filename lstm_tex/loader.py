"""Read an example file: YAML text -> plain Python data plus a line locator.

ruamel.yaml's round-trip loader is used because it rejects duplicate keys and
remembers where every key and list item was written; it never constructs Python
objects (tags such as ``!!python/object`` are refused here). Aliases are allowed,
but the expanded document is bounded, so an alias bomb stops with an error
instead of filling memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lstm_tex.errors import InputError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 32

PathPart = str | int


@dataclass(frozen=True)
class Document:
    """A parsed example file: ``data`` is plain dicts/lists/scalars."""

    file: str
    data: Any
    tree: Any

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """1-based line of the deepest part of ``path`` that the file shows."""
        node = self.tree
        line: int | None = None
        for part in path:
            try:
                if isinstance(node, CommentedMap) and part in node:
                    line = node.lc.key(part)[0] + 1
                    node = node[part]
                elif isinstance(node, CommentedSeq) and isinstance(part, int):
                    if not 0 <= part < len(node):
                        break
                    line = node.lc.item(part)[0] + 1
                    node = node[part]
                else:
                    break
            except (KeyError, IndexError, TypeError, AttributeError):
                break
        if line is None and isinstance(self.tree, CommentedMap) and not path:
            return 1
        return line

    def error(self, path: Sequence[PathPart], message: str) -> InputError:
        """An :class:`InputError` for ``path`` in this file, with its line when known."""
        return InputError(
            message, file=self.file, field=format_path(path) or None, line=self.line_of(path)
        )


def format_path(path: Sequence[PathPart]) -> str:
    """``("weights", "weight_ih_l0", 3, 1)`` -> ``weights.weight_ih_l0[3][1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def read(path: str | Path) -> Document:
    """Read and parse ``path``; raise :class:`InputError` for anything unreadable."""
    file = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size} bytes, more than the {MAX_FILE_BYTES} an example may have",
                file=file,
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a .yaml file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})", file=file
        ) from None
    return parse(text, file)


def parse(text: str, file: str = "<string>") -> Document:
    """Parse YAML ``text`` (named ``file`` in messages) into a :class:`Document`."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = _duplicate_key(exc)
        raise InputError(
            f"duplicate key {key!r}" + (f" (first written on line {exc.context_mark.line + 1})"
                                        if exc.context_mark else ""),
            file=file,
            line=line,
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputError(f"invalid YAML: {problem}", file=file, line=line) from None
    except (YAMLError, RecursionError, ValueError) as exc:
        raise InputError(f"invalid YAML: {exc}", file=file) from None
    if tree is None:
        raise InputError("the file is empty, expected a mapping with weights and x", file=file)
    budget = [MAX_NODES]
    data = _plain(tree, (), file, budget, Document(file, None, tree))
    return Document(file=file, data=data, tree=tree)


def _duplicate_key(exc: DuplicateKeyError) -> str:
    problem = exc.problem or ""
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start + 1 : end] if 0 <= start < end else "?"


def _plain(node: Any, path: tuple[PathPart, ...], file: str, budget: list[int],
           doc: Document) -> Any:
    """Copy the round-trip tree into plain Python values, refusing anything exotic."""
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(
            f"the document expands to more than {MAX_NODES} values (aliases?)", file=file
        )
    if len(path) > MAX_DEPTH:
        raise doc.error(path, f"nested more than {MAX_DEPTH} levels deep")
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and not str(tag).startswith("tag:yaml.org,2002:"):
        raise doc.error(path, f"YAML tag {tag} is not allowed (plain values only)")
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                raise doc.error(path, f"keys must be text, found {type(key).__name__} {key!r}")
            out[key] = _plain(value, (*path, key), file, budget, doc)
        return out
    if isinstance(node, list):
        return [_plain(v, (*path, i), file, budget, doc) for i, v in enumerate(node)]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    raise doc.error(path, f"expected a number, text, list or mapping, found {_describe(node)}")


def _describe(value: Any) -> str:
    name = type(value).__name__
    return {"TimeStamp": "a date", "datetime": "a date", "date": "a date"}.get(name, name)
