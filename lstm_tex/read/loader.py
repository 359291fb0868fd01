"""Read an example file: YAML text -> plain Python data plus a line locator.

ruamel.yaml's round-trip loader is used because it rejects duplicate keys and
remembers where every key and list item was written; it never constructs Python
objects (tags such as ``!!python/object`` are refused here). Aliases are allowed,
but the expanded document is bounded, so an alias bomb stops with an error
instead of filling memory. The YAML text is bounded too: the pure-Python parser
takes about 20 seconds per MiB of dense numbers; large weights stay in their model
file (``weights: model.pt``), which has no size limit.
"""

from __future__ import annotations

import datetime
import functools
import re
import warnings
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from lstm_tex.errors import InputError, printable
from lstm_tex.read import fast, problems
from lstm_tex.read.document import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    Document,
    PathPart,
    format_path,
)

#: Flow lists or mappings opened 4 * MAX_DEPTH times in a row: refused before parsing.
_DEEP_FLOW = re.compile(r"[\[{](?:\s*[\[{]){" + str(4 * MAX_DEPTH) + "}")


def read(path: str | Path) -> Document:
    """Read and parse ``path``; raise :class:`InputError` for anything unreadable."""
    file = printable(path)
    try:
        # Read one byte past the limit rather than trusting stat(): pipes and
        # devices such as /dev/zero report size 0.
        with Path(path).open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a .yaml file", file=file) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InputError(f"cannot read the file: {reason}", file=file) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(file)
    encoding = _wide_encoding(raw)
    if encoding is not None:
        raise InputError(
            f"the file is {encoding} text, expected UTF-8 (save it as UTF-8)", file=file
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x} (save the file as UTF-8)",
            file=file,
            line=line,
        ) from None
    return parse(text, file)


def _wide_encoding(raw: bytes) -> str | None:
    """``UTF-16``/``UTF-32`` (with the byte order and whether a BOM says so) when ``raw``
    looks like that, else None. Without a BOM, text in these encodings is mostly ASCII
    with NUL bytes in fixed positions."""
    boms = [
        (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
        (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
        (b"\xff\xfe", "UTF-16 (little-endian)"),
        (b"\xfe\xff", "UTF-16 (big-endian)"),
    ]
    for bom, name in boms:
        if raw.startswith(bom):
            return name
    head = raw[:4096]
    if len(head) < 4 or head.count(0) * 3 < len(head):
        return None
    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        for order, place in (("little-endian", 0), ("big-endian", width - 1)):
            cut = len(head) - len(head) % width
            units = [head[k : k + width] for k in range(0, cut, width)]
            if sum(u[place] != 0 and u.count(0) == width - 1 for u in units) * 4 >= len(units) * 3:
                return f"{name} ({order}, no byte order mark)"
    return None


def _too_big(file: str) -> InputError:
    return InputError(
        f"the YAML text is larger than {MAX_FILE_BYTES // 1024} KiB, the most "
        "lstm-tex parses (YAML takes about 20 s per MiB to read): keep large "
        "weights in the model file and name it, weights: model.pt (lstm-tex "
        "import does this), or pass NumPy arrays to lstm_tex.Example",
        file=file,
    )


def parse(text: str, file: str = "<string>") -> Document:
    """Parse YAML ``text`` (named ``file`` in messages) into a :class:`Document`."""
    _refuse_before_parsing(text, file)
    data = fast.fast_parse(text)
    if data is not fast.SLOW:
        return Document(file=file, data=data, text=text)
    tree = _round_trip(text, file)
    if tree is None:
        raise InputError("the file is empty, expected a mapping with weights and x", file=file)
    budget = [MAX_NODES]
    data = _plain(tree, (), file, budget, Document(file, None, tree))
    return Document(file=file, data=data, tree=tree)


def _refuse_before_parsing(text: str, file: str) -> None:
    """Text too long, a character YAML refuses, or flow nesting so deep that the parser
    would take seconds to fail."""
    if len(text) > MAX_FILE_BYTES:
        raise _too_big(file)
    bad = problems.unprintable_error(text, file)
    if bad is not None:
        raise bad
    deep = _DEEP_FLOW.search(text)
    if deep is not None:
        raise InputError(
            f"invalid YAML: nested too deeply (an example needs at most {MAX_DEPTH} levels)",
            file=file,
            line=text.count("\n", 0, deep.start()) + 1,
        )


def _round_trip(text: str, file: str) -> Any:
    """ruamel's round-trip tree of ``text`` (None for an empty file); every way it fails
    becomes one message with the line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        with warnings.catch_warnings():  # a reused anchor is valid YAML: the last one wins
            warnings.simplefilter("ignore", YAMLWarning)
            return yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = problems.duplicate_key(exc)
        first = problems.first_key_line(text, exc.context_mark, key)
        raise InputError(
            f"duplicate key {key!r}" + (f" (first written on line {first})" if first else ""),
            file=file,
            line=line,
        ) from None
    except ConstructorError as exc:
        raise problems.tag_error(text, file) or problems.syntax_error(exc, file) from None
    except MarkedYAMLError as exc:
        raise problems.syntax_error(exc, file) from None
    except RecursionError:
        raise InputError(
            f"invalid YAML: nested too deeply (an example needs at most {MAX_DEPTH} levels)",
            file=file,
        ) from None
    except (
        YAMLError,
        ValueError,
        TypeError,
        OverflowError,
        AttributeError,
        KeyError,
        IndexError,
    ) as exc:
        # ruamel's constructors fail this way on tags applied to the wrong kind of value
        # (``!!set 3``, ``!!int abc``), and on whole numbers too long to convert.
        raise (
            problems.tag_error(text, file)
            or problems.too_long_number(text, file)
            or InputError(f"invalid YAML: a value cannot be read ({exc})", file=file)
        ) from None


@functools.cache
def _round_trip_types() -> tuple[Any, Any]:
    """ruamel's mapping and tagged-scalar classes (imported once, off the fast path)."""
    from ruamel.yaml.comments import CommentedMap, TaggedScalar

    return CommentedMap, TaggedScalar


def _plain(
    node: Any, path: tuple[PathPart, ...], file: str, budget: list[int], doc: Document
) -> Any:
    """Copy the round-trip tree into plain Python values, refusing anything exotic."""
    CommentedMap, TaggedScalar = _round_trip_types()
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(
            f"too big: with its aliases (*name) expanded, the document has more than "
            f"{MAX_NODES} values",
            file=file,
        )
    if len(path) > MAX_DEPTH:
        raise doc.error(path, f"nested more than {MAX_DEPTH} levels deep")
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and str(tag) not in problems.PLAIN_TAGS:
        raise doc.error(path, problems.tag_message(str(tag)))
    if isinstance(node, TaggedScalar):  # ``!!str 3``
        return str(node.value)
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                line = node.lc.key(key)[0] + 1 if isinstance(node, CommentedMap) else None
                shown = _describe(list(key) if isinstance(key, tuple) else key)
                raise InputError(
                    f"keys must be names such as weights or x, found {shown}",
                    file=file,
                    field=format_path(path) or None,
                    line=line or doc.line_of(path),
                )
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
    """Words for a value that has no place in an example (a key or an exotic value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, tuple):
        return "a pair or tuple (!!pairs)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, AbstractSet):
        return "a set (!!set)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (bytes, bytearray)):
        return "binary data (!!binary)"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value}); write it in quotes to use it as text"
    return type(value).__name__
