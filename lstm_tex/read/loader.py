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
import sys
import warnings
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # ruamel is imported where it is used: not at all on the fast path
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.nodes import Node

from lstm_tex.errors import InputError, printable

MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 32

_CORE = "tag:yaml.org,2002:"
#: Tags that only say what a plain value already is (``!!str 3`` is the text "3").
_PLAIN_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
)

PathPart = str | int
#: Flow lists or mappings opened 4 * MAX_DEPTH times in a row: refused before parsing.
_DEEP_FLOW = re.compile(r"[\[{](?:\s*[\[{]){" + str(4 * MAX_DEPTH) + "}")


@dataclass(frozen=True)
class Document:
    """A parsed example file: ``data`` is plain dicts/lists/scalars.

    ``tree`` is ruamel's round-trip tree, which knows the line of every key and item. A
    file read by the fast path (:func:`fast_parse`) has none until a message needs a line:
    then ``text`` is parsed again, once.
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


#: What YAML refuses in a file (its printable set), as Python reads ruamel's rule.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_CONTROL_NAMES = {
    0: "NUL",
    0x7F: "DEL",
    0x1B: "ESC",
    0x08: "BACKSPACE",
    0x0C: "FORM FEED",
    0x0B: "VERTICAL TAB",
}


def unprintable(text: str) -> tuple[str, int] | None:
    """The first character an example file may not hold (YAML's rule: control characters
    but tab and line breaks, DEL, ...) and its index, or None."""
    found = _NOT_PRINTABLE.search(text)
    return None if found is None else (found.group(), found.start())


def _unprintable(text: str, file: str) -> InputError | None:
    """Line and column of the first character YAML does not allow (a NUL byte, DEL, other
    control characters), in words the user can act on."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    char = found.group()
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    name = _CONTROL_NAMES.get(
        ord(char), "a control character" if ord(char) < 0xA0 else "a character that is not allowed"
    )
    name = name if name.startswith("a ") else f"the {name} character"
    return InputError(
        f"{name} (U+{ord(char):04X}) at column {column}; an example file holds "
        "plain text only: delete it (is this the right file?)",
        file=file,
        line=line,
    )


def _too_long_number(text: str, file: str) -> InputError | None:
    """A plain scalar that is a whole number with more digits than Python converts,
    with its field path and line (ruamel's message names neither)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError, YAMLWarning
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    limit = sys.get_int_max_str_digits() or 0
    if not limit:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", YAMLWarning)
            root = YAML(typ="rt", pure=True).compose(text)
    except (YAMLError, RecursionError, ValueError):
        return None
    todo: list[tuple[Any, tuple[PathPart, ...]]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        if isinstance(node, MappingNode):
            todo.extend((v, (*path, str(k.value))) for k, v in reversed(node.value))
        elif isinstance(node, SequenceNode):
            todo.extend((v, (*path, n)) for n, v in reversed(list(enumerate(node.value))))
        elif isinstance(node, ScalarNode) and node.style is None:
            digits = sum(c.isdigit() for c in node.value)
            if digits > limit and re.fullmatch(r"[-+]?[0-9_]+", node.value):
                return InputError(
                    f"expected a number that fits a float64, found a whole "
                    f"number written with {digits} digits",
                    file=file,
                    field=format_path(path) or None,
                    line=node.start_mark.line + 1,
                )
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
    if len(text) > MAX_FILE_BYTES:
        raise _too_big(file)
    bad = _unprintable(text, file)
    if bad is not None:
        raise bad
    deep = _DEEP_FLOW.search(text)
    if deep is not None:  # found before parsing: the parser would take seconds to fail
        raise InputError(
            f"invalid YAML: nested too deeply (an example needs at most {MAX_DEPTH} levels)",
            file=file,
            line=text.count("\n", 0, deep.start()) + 1,
        )
    fast = fast_parse(text)
    if fast is not SLOW:
        return Document(file=file, data=fast, text=text)
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        with warnings.catch_warnings():  # a reused anchor is valid YAML: the last one wins
            warnings.simplefilter("ignore", YAMLWarning)
            tree = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = _duplicate_key(exc)
        first = _first_key_line(text, exc.context_mark, key)
        raise InputError(
            f"duplicate key {key!r}" + (f" (first written on line {first})" if first else ""),
            file=file,
            line=line,
        ) from None
    except ConstructorError as exc:
        raise _tag_error(text, file) or _syntax_error(exc, file) from None
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
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
            _tag_error(text, file)
            or _too_long_number(text, file)
            or InputError(f"invalid YAML: a value cannot be read ({exc})", file=file)
        ) from None
    if tree is None:
        raise InputError("the file is empty, expected a mapping with weights and x", file=file)
    budget = [MAX_NODES]
    data = _plain(tree, (), file, budget, Document(file, None, tree))
    return Document(file=file, data=data, tree=tree)


# ---------------------------------------------------------------- the fast path

#: What :func:`fast_parse` gives back when the round-trip parse must decide.
SLOW: Any = object()
#: A tag (``!``), an escape in a double-quoted string (``\/`` is YAML 1.2 only), a tab or
#: a carriage return (libyaml and ruamel differ on some tabs), or a directive (``%YAML
#: 1.1``) anywhere, even in a comment: the round-trip path reads the file.
_RARE = re.compile(r"[!\\\t\r]|^%", re.M)
#: Plain scalars converted here, with the values of ruamel's YAML 1.2 resolver.
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_WORDS: dict[str, Any] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}


def fast_parse(text: str) -> Any:
    """The plain data of ``text`` by libyaml (PyYAML's C parser), or :data:`SLOW`.

    ruamel's pure-Python round-trip parse is most of a warm re-render (issue 17). The
    data is the same (tests/test_loader_fast.py): this path gives up, and the round-trip
    path reads the file (with its messages), on anything but plain mappings, lists,
    quoted text and plain scalars it converts exactly as ruamel's YAML 1.2 resolver does
    (whole numbers without a sign or leading zero, decimals with a point, true/false,
    null, and words that cannot be a number); on a duplicate key, a tag, an alias, a
    merge key, a directive, a block scalar or any parse error.
    """
    if _RARE.search(text):
        return SLOW
    try:
        import yaml

        loader: Any = getattr(yaml, "CSafeLoader", None)
        if loader is None:
            return SLOW
        root = yaml.compose(text, Loader=loader)
    except Exception:  # any parse error: the round-trip path explains it
        return SLOW
    if root is None:
        return SLOW
    budget = [MAX_NODES]
    try:
        return _fast_value(root, 0, budget, set())
    except _Slow:
        return SLOW


class _Slow(Exception):
    pass


def _fast_value(node: Any, depth: int, budget: list[int], seen: set[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH or id(node) in seen:  # seen: an alias (*name)
        raise _Slow
    seen.add(id(node))
    kind = node.id
    if kind == "scalar":
        return _fast_scalar(node)
    if kind == "sequence":
        return [_fast_value(item, depth + 1, budget, seen) for item in node.value]
    if kind != "mapping":
        raise _Slow
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.id != "scalar":
            raise _Slow
        key = _fast_value(key_node, depth + 1, budget, seen)
        if not isinstance(key, str) or key in out:
            raise _Slow
        out[key] = _fast_value(value_node, depth + 1, budget, seen)
    return out


def _fast_scalar(node: Any) -> Any:
    value: str = node.value
    if node.style in ("'", '"'):
        return value
    if node.style:  # block scalars | and > (a plain scalar's style is None or "")
        raise _Slow
    if value in _WORDS:
        return _WORDS[value]
    first = value[0]
    if first in "+-.0123456789":
        try:
            if _INT.fullmatch(value):
                return int(value)
            if _FLOAT.fullmatch(value):
                return float(value)
        except ValueError:  # a whole number too long to convert
            raise _Slow from None
        raise _Slow
    if first in "@`=?:|>,[]{}#'\"<&*!%":
        raise _Slow
    return value


def _syntax_error(exc: MarkedYAMLError, file: str) -> InputError:
    """``file:line: invalid YAML: problem (while ... that starts on line n)``."""
    problem, context = str(exc.problem or "").strip(), str(exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    if context.startswith("while ") and exc.context_mark is not None:
        start = exc.context_mark.line + 1
        problem += f" ({context}" + (f" that starts on line {start})" if start != line else ")")
    elif context:
        problem = f"{context}, {problem}" if problem else context
    if "'\\t'" in problem:
        problem += "; indent with spaces, not tabs"
    elif "<block end>" in problem or "<block mapping start>" in problem:
        problem += "; check the indentation"
    return InputError(f"invalid YAML: {problem or 'cannot parse'}", file=file, line=line)


def _nodes(text: str) -> list[Node]:
    """Every node of the composed (not constructed) document, each once; [] if none."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError, YAMLWarning
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", YAMLWarning)
            root = YAML(typ="rt", pure=True).compose(text)
    except (YAMLError, RecursionError, ValueError):
        return []
    todo, seen, found = [root], set(), []
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        if isinstance(node, MappingNode):
            todo.extend(n for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            todo.extend(node.value)
    return found


def _first_key_line(text: str, mapping_mark: Any, key: str) -> int | None:
    """Line of the first ``key`` in the mapping that starts at ``mapping_mark``."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    if mapping_mark is None:
        return None
    for node in _nodes(text):
        mark = node.start_mark
        if isinstance(node, MappingNode) and (mark.line, mark.column) == (
            mapping_mark.line,
            mapping_mark.column,
        ):
            for k, _ in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    return int(k.start_mark.line) + 1
    return None


def _tag_error(text: str, file: str) -> InputError | None:
    """Explain a failed construction: the first tag that is not allowed, or else the
    first value that does not fit the tag written on it (``!!int abc``)."""
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    nodes = _nodes(text)
    tags = {id(n): str(getattr(n.tag, "value", n.tag)) for n in nodes}
    resolver = VersionedResolver()
    exotic = [n for n in nodes if tags[id(n)] not in _PLAIN_TAGS]
    misfit = [
        n
        for n in nodes
        if isinstance(n, ScalarNode)
        and tags[id(n)] != _CORE + "str"
        and tags[id(n)] != resolver.resolve(ScalarNode, n.value, (True, False))
    ]
    for found in (exotic, misfit):
        if found:
            node = min(found, key=lambda n: (n.start_mark.line, n.start_mark.column))
            tag = tags[id(node)]
            message = (
                _tag_message(tag)
                if found is exotic
                else (f"invalid YAML: {node.value!r} is not a valid {_short(tag)}")
            )
            return InputError(message, file=file, line=node.start_mark.line + 1)
    return None


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _tag_message(tag: str) -> str:
    return (
        f"the YAML tag {_short(tag)} is not allowed: an example holds only numbers, "
        "text, true/false, lists and mappings"
    )


def _duplicate_key(exc: DuplicateKeyError) -> str:
    problem = exc.problem or ""
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start + 1 : end] if 0 <= start < end else "?"


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
    if tag is not None and str(tag) not in _PLAIN_TAGS:
        raise doc.error(path, _tag_message(str(tag)))
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
