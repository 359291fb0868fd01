"""Example files as compact, readable YAML: the text ``init`` and ``import`` write.

One flow list per matrix, wrapped near :data:`WIDTH` columns; numbers as the fewest
decimals that read back as the same value (:func:`number_text`). No torch here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Lines of flow lists wrap near this many characters.
WIDTH = 92
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf"}


def number_text(
    value: float, decimals: int | None = None, *, single: bool = False, dtype: str | None = None
) -> str:
    """A YAML number: ``decimals`` digits with trailing zeros trimmed (``0.50`` -> ``0.5``),
    else the shortest decimal that reads back as the same value of ``dtype`` (float64,
    float32, float16 or bfloat16; ``single`` is float32)."""
    if decimals is not None:
        text = f"{round(float(value), decimals):.{decimals}f}".rstrip("0")
        text = text + "0" if text.endswith(".") else text
    elif dtype == "bfloat16":
        text = _shortest_bfloat16(float(value))
    else:
        name = dtype or ("float32" if single else "float64")
        number: np.floating[Any] = (
            np.float16(value)
            if name == "float16"
            else np.float32(value)
            if name == "float32"
            else np.float64(value)
        )
        text = np.format_float_positional(number, unique=True, trim="0")
    return "0.0" if float(text) == 0.0 else text


def to_bfloat16(value: float) -> float:
    """``value`` rounded to bfloat16 as torch and ml_dtypes do it: to float32, then to
    the nearest bfloat16 (ties to even)."""
    bits = int(np.array(value, dtype=np.float32).view(np.uint32))
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000) & 0xFFFFFFFF
    return float(np.array(bits, dtype=np.uint32).view(np.float32))


def _shortest_bfloat16(value: float) -> str:
    """The fewest significant digits that read back (via :func:`to_bfloat16`) as ``value``."""
    target = to_bfloat16(value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if to_bfloat16(candidate) == target:
            return np.format_float_positional(candidate, unique=True, trim="0")
    return np.format_float_positional(np.float32(value), unique=True, trim="0")


def _flow(value: Any, decimals: int | None, dtype: str) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v, decimals, dtype) for v in value) + "]"
    return number_text(value, decimals, dtype=dtype)


def _wrapped(key: str, value: Any, indent: int, decimals: int | None, dtype: str) -> str:
    """``key: [...]`` as a flow list, wrapped so that lines stay near :data:`WIDTH`."""
    head = " " * indent + f"{key}: "
    if not isinstance(value, (list, tuple)):
        return head + _flow(value, decimals, dtype)
    items = [_flow(v, decimals, dtype) for v in value]
    pad = " " * (len(head) + 1)
    lines: list[str] = []
    line = head + "["
    for n, item in enumerate(items):
        piece = item + ("]" if n == len(items) - 1 else ",")
        if line not in (head + "[", pad) and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = pad + piece
        else:
            line = line + ("" if line in (head + "[", pad) else " ") + piece
    lines.append(line)
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:-]*", text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def yaml_text(
    example: Mapping[str, Any],
    *,
    header: Sequence[str] = (),
    notes: Mapping[str, str] | None = None,
    decimals: int | None = None,
    single: bool = False,
    dtype: str | None = None,
) -> str:
    """An example mapping as YAML: comment ``header`` lines, then the keys in order.

    Sections (``lstm``, ``check``, ...) are block mappings of scalars and flow lists
    (``backward.target``); ``weights`` is a
    mapping of flow lists (or a checkpoint reference: a file name, or ``file`` and
    ``prefix``); ``x``, ``h0``, ``c0`` are flow lists. ``notes`` become end-of-line
    comments on top-level keys. Numbers go through :func:`number_text`: the weights as
    the shortest decimals of ``dtype`` (``single``: float32), the rest of float64.
    """
    notes = notes or {}
    weights_dtype = dtype or ("float32" if single else "float64")
    lines = [f"# {h}".rstrip() for h in header]
    for key, value in example.items():
        note = f"  # {notes[key]}" if key in notes else ""
        if key == "weights" and isinstance(value, Mapping) and "file" not in value:
            lines.append(f"weights:{note}")
            lines.extend(_wrapped(name, w, 2, decimals, weights_dtype) for name, w in value.items())
        elif isinstance(value, Mapping):
            lines.append(f"{key}:{note}")
            lines.extend(
                _wrapped(k, v, 2, None, "float64")
                if isinstance(v, (list, tuple))
                else f"  {k}: {_scalar(v)}"
                for k, v in value.items()
            )
        elif isinstance(value, (list, tuple)):
            lines.append(
                _wrapped(
                    key,
                    value,
                    0,
                    decimals,
                    weights_dtype if single and dtype is None else "float64",
                )
                + note
            )
        else:
            lines.append(f"{key}: {_scalar(value)}{note}")
    return "\n".join(lines) + "\n"
