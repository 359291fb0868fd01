"""What is wrong with a YAML file, in words a lecturer can act on: a character YAML does
not allow, a syntax error (with the line where the construct started), a duplicate key
(and where it was first written), a tag that is not allowed or does not fit its value, a
whole number too long to convert."""

from __future__ import annotations

import re
import sys
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # ruamel is imported where it is used: not at all on the fast path
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.nodes import Node

from lstm_tex.errors import InputError
from lstm_tex.read.document import PathPart, format_path

_CORE = "tag:yaml.org,2002:"
#: Tags that only say what a plain value already is (``!!str 3`` is the text "3").
PLAIN_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
)


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


def unprintable_error(text: str, file: str) -> InputError | None:
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


def too_long_number(text: str, file: str) -> InputError | None:
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


def syntax_error(exc: MarkedYAMLError, file: str) -> InputError:
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


def first_key_line(text: str, mapping_mark: Any, key: str) -> int | None:
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


def tag_error(text: str, file: str) -> InputError | None:
    """Explain a failed construction: the first tag that is not allowed, or else the
    first value that does not fit the tag written on it (``!!int abc``)."""
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    nodes = _nodes(text)
    tags = {id(n): str(getattr(n.tag, "value", n.tag)) for n in nodes}
    resolver = VersionedResolver()
    exotic = [n for n in nodes if tags[id(n)] not in PLAIN_TAGS]
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
                tag_message(tag)
                if found is exotic
                else (f"invalid YAML: {node.value!r} is not a valid {_short(tag)}")
            )
            return InputError(message, file=file, line=node.start_mark.line + 1)
    return None


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def tag_message(tag: str) -> str:
    return (
        f"the YAML tag {_short(tag)} is not allowed: an example holds only numbers, "
        "text, true/false, lists and mappings"
    )


def duplicate_key(exc: DuplicateKeyError) -> str:
    problem = exc.problem or ""
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start + 1 : end] if 0 <= start < end else "?"
