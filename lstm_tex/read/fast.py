"""The fast path of reading an example file: libyaml (PyYAML's C parser) reads a plain
file to the same data as ruamel's round-trip parse, in a fraction of the time; anything
it cannot be sure of goes to the round-trip parse (:func:`lstm_tex.read.loader.parse`)."""

from __future__ import annotations

import re
from typing import Any

from lstm_tex.read.document import MAX_DEPTH, MAX_NODES

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
