"""A parsed example file: its plain data, the line of every key and item (for messages),
the field paths that name them, and how large a file may be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lstm_tex.errors import InputError

#: The most bytes of YAML text read (the pure-Python parser takes about 20 s per MiB).
MAX_FILE_BYTES = 256 * 1024
#: The most values of a document, aliases (*name) expanded.
MAX_NODES = 1_000_000
#: The deepest nesting of lists and mappings.
MAX_DEPTH = 32

PathPart = str | int


@dataclass(frozen=True)
class Document:
    """A parsed example file: ``data`` is plain dicts/lists/scalars.

    ``tree`` is ruamel's round-trip tree, which knows the line of every key and item. A
    file read by the fast path (:func:`lstm_tex.read.fast.fast_parse`) has none until a
    message needs a line: then ``text`` is parsed again, once.
    """

    file: str
    data: Any
    tree: Any = None
    text: str | None = field(default=None, repr=False, compare=False)

    def _located(self) -> Any:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        if self.tree is None and self.text is not None:
            try:
                tree = YAML(typ="rt", pure=True).load(self.text)
            except (YAMLError, ValueError, TypeError, RecursionError):
                tree = None
            object.__setattr__(self, "tree", tree)
            object.__setattr__(self, "text", None)
        return self.tree

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """1-based line of the deepest part of ``path`` that the file shows."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = self._located()
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
        if line is None and isinstance(self._located(), CommentedMap) and not path:
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
