"""The JSON lists of numbers given on the command line (``import --x``, ``--h0``,
``--c0``): parsed with every number finite, refused in one line (exit 2) naming the flag
when they are not JSON, nested too deep, or hold numbers too long to be inputs."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from lstm_tex.errors import InputError

#: Deepest nesting of a --x/--h0/--c0 list (a batch of sequences is 3 deep).
MAX_JSON_DEPTH = 8
#: Longest number in a --x/--h0/--c0 list, in characters.
MAX_NUMBER_CHARS = 100


def json_list(text: str, flag: str) -> list[Any]:
    """A command-line JSON list of numbers, refused with one line (exit 2) when it is not
    JSON, nested too deep or holds numbers too long to be weights or inputs."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    depth = max(_depths(text), default=0)
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"expected a JSON list at most {MAX_JSON_DEPTH} levels deep, found "
            f"one nested {depth} deep",
            field=flag,
        )
    longest = max((len(m) for m in re.findall(r"[-+0-9.eE]+", text)), default=0)
    if longest > MAX_NUMBER_CHARS:
        raise InputError(
            f"expected numbers such as 0.5, found a number written with "
            f"{longest} characters (at most {MAX_NUMBER_CHARS})",
            field=flag,
        )

    def finite(number: str) -> float:
        if not math.isfinite(float(number)):
            raise _NotFinite(number)
        return float(number)

    try:
        value = json.loads(text, parse_float=finite, parse_constant=finite)
    except _NotFinite as exc:
        found = exc.args[0]
        why = "" if found in ("NaN", "Infinity", "-Infinity") else " (too large for a float64)"
        raise InputError(f"expected finite numbers, found {found}{why}", field=flag) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"expected a JSON list such as [0.5, 0.1], found {shown!r} "
            f"({exc.msg} at character {exc.pos + 1})",
            field=flag,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(
            f"expected a JSON list such as [0.5, 0.1], found {shown!r} "
            f"({str(exc).splitlines()[0][:80]})",
            field=flag,
        ) from None
    if not isinstance(value, list):
        raise InputError(f"expected a JSON list such as [0.5, 0.1], found {shown!r}", field=flag)
    return value


class _NotFinite(ValueError):
    """A JSON number that is NaN or infinite (or becomes infinite as a float64)."""


def _depths(text: str) -> list[int]:
    """Nesting depth of the brackets of ``text`` at each bracket (strings are skipped)."""
    depth, found, in_string, escaped = 0, [], False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            found.append(depth)
        elif char in "]}":
            depth -= 1
    return found
