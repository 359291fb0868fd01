"""What a worked example refuses to compute: more derived steps than a lecture can hold
(unless the file chose them), and results that overflow float64. Both are input errors,
naming the field of the file to change and its line."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from lstm_tex.compute.trace import Trace
from lstm_tex.errors import InputError
from lstm_tex.read import loader
from lstm_tex.validate import model


def require_finite(
    result: object,
    example: model.Example,
    what: str,
    field: str = "weights",
    why: str = "the weights and inputs are too large for a worked example; scale them down",
) -> None:
    """Raise an :class:`InputError` naming ``field`` (and its line) when ``result`` (an
    array, a number or a record of them) holds a number that is not finite: ``what``
    overflowed float64, and ``why`` says what to change."""
    where = _non_finite(result, "")
    if where is not None:
        raise InputError(
            f"{what} overflows float64 ({where.lstrip('.')} is not finite): {why}",
            file=example.file,
            field=field,
            line=line_of(example, field) if field != "weights" else None,
        )


def _non_finite(value: object, path: str) -> str | None:
    """Path of the first non-finite number in a trace-like record, or None."""
    if isinstance(value, np.ndarray):
        return None if np.isfinite(value).all() else path
    if isinstance(value, float):
        return None if np.isfinite(value) else path
    if isinstance(value, (model.Example, Trace)) and path:
        return None  # checked on its own
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found = _non_finite(getattr(value, f.name), f"{path}.{f.name}")
            if found:
                return found
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, (tuple, list)):
        for n, item in enumerate(value):
            found = _non_finite(item, f"{path}[{n}]")
            if found:
                return found
    return None


def bounded(example: model.Example) -> None:
    """Refuse to derive more than :data:`model.MAX_DERIVED` steps unless the file chose
    them (``render.steps`` or ``render.layers``, ``all`` included)."""
    cfg, options = example.config, example.render
    derived = example.steps * cfg.num_layers * cfg.num_directions
    if options.chosen or derived <= model.MAX_DERIVED:
        return
    runs = f"{example.steps} steps" + (
        f" x {cfg.num_layers * cfg.num_directions} layers and directions"
        if derived != example.steps
        else ""
    )
    raise InputError(
        f"{runs} would all be derived in full, about {7 * derived + 4:,} files; more than "
        f"{model.MAX_DERIVED} derived steps need a choice: add render: {{steps: [1, 2, "
        f"{example.steps}]}} to derive those (the others are summarised), or render: "
        "{steps: all} to derive every one",
        file=example.file,
        field="x",
        line=line_of(example, "x"),
    )


def line_of(example: model.Example, key: str) -> int | None:
    """The line of ``key`` (dotted) in the example's file, or None when it has none."""
    try:
        return loader.read(example.file).line_of(key.split("."))
    except (InputError, OSError):
        return None
