"""Arrays and shapes: nested lists of numbers into read-only float64 arrays, checked.

Each problem becomes an :class:`~lstm_tex.errors.InputError` naming the field path, the line
and what was expected versus found.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from lstm_tex.read import document
from lstm_tex.validate.messages import counted, described, found_shape, shape_text
from lstm_tex.validate.model import BackwardSpec, LstmConfig
from lstm_tex.validate.structs import BackwardSection


def read_array(doc: document.Document, path: tuple[Any, ...], value: Any) -> np.ndarray:
    """A rectangular float64 array from nested lists of finite numbers.

    The size expected at each depth is the one most lists there have, so a ragged
    row is reported where it differs from the others, not where it first differs.
    """
    shape, like = _shape_of(doc, path, value)
    flat: list[float] = []
    _flatten(doc, value, path, shape, like, flat)
    array = np.array(flat, dtype=np.float64).reshape(shape)
    array.setflags(write=False)
    return array


def _shape_of(
    doc: document.Document, path: tuple[Any, ...], value: Any
) -> tuple[list[int], list[tuple[Any, ...]]]:
    """The shape most lists agree on, and a list of the expected size per depth."""
    shape: list[int] = []
    like: list[tuple[Any, ...]] = []
    level: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while True:
        lists = [(node, where) for node, where in level if isinstance(node, list)]
        if 2 * len(lists) <= len(level):  # mostly numbers: the last depth
            return shape, like
        size = Counter(len(node) for node, _ in lists).most_common(1)[0][0]
        if size == 0:
            where = next(where for node, where in lists if not node)
            raise doc.error(where, "expected numbers, found an empty list")
        shape.append(size)
        like.append(next(where for node, where in lists if len(node) == size))
        level = [(item, (*where, k)) for node, where in lists for k, item in enumerate(node)]


def _flatten(
    doc: document.Document,
    node: Any,
    where: tuple[Any, ...],
    shape: list[int],
    like: list[tuple[Any, ...]],
    flat: list[float],
    depth: int = 0,
) -> None:
    """Append the numbers of ``node`` to ``flat``, raising where it is not ``shape``."""
    if depth == len(shape):
        flat.append(_number(doc, node, where, bool(shape)))
        return
    size = shape[depth]
    if not isinstance(node, list):
        raise doc.error(
            where,
            f"expected a list of {counted(size, 'number')} like "
            f"{document.format_path(like[depth])}, found {described(node)}",
        )
    if len(node) != size:
        raise doc.error(
            where,
            f"ragged: expected {counted(size, 'entry', 'entries')} "
            f"like {document.format_path(like[depth])}, found {len(node)}",
        )
    for k, item in enumerate(node):
        _flatten(doc, item, (*where, k), shape, like, flat, depth + 1)


def _number(doc: document.Document, node: Any, where: tuple[Any, ...], nested: bool) -> float:
    """One finite number (a whole number too large for a float is refused too)."""
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        what = "a number" if nested else "a list of numbers"
        raise doc.error(where, f"expected {what}, found {described(node)}")
    try:
        number = float(node)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = (
            f"{node!r}"
            if isinstance(node, float)
            else (f"a whole number of {len(str(abs(node)))} digits")
        )
        raise doc.error(where, f"expected a finite number, found {shown}")
    return number


def inputs(doc: document.Document, value: Any, config: LstmConfig) -> tuple[np.ndarray, bool, bool]:
    """``x`` as (T, batch, input), read-only; whether it was batched and one step only."""
    x = read_array(doc, ("x",), value)
    n_in = config.input_size
    if x.ndim == 1:
        if x.shape[0] != n_in:
            raise doc.error(
                ("x",),
                f"expected {n_in} numbers (input_size) for one step, "
                f"or a list of steps [[...], ...]; found {x.shape[0]}",
            )
        return _frozen(x.reshape(1, 1, n_in)), False, True
    if x.ndim == 2:
        if x.shape[1] != n_in:
            raise doc.error(
                ("x",), f"expected steps of {n_in} numbers (input_size), found {x.shape[1]}"
            )
        return _frozen(x.reshape(x.shape[0], 1, n_in)), False, False
    layout = "(batch, T, input)" if config.batch_first else "(T, batch, input)"
    if x.ndim != 3:
        raise doc.error(
            ("x",), f"expected (input,), (T, input) or {layout}, found {found_shape(x.shape)}"
        )
    if x.shape[2] != n_in:
        raise doc.error(
            ("x",),
            f"expected shape {layout.replace('input', str(n_in))}"
            f"{', batch_first' if config.batch_first else ''}, "
            f"found {shape_text(x.shape)}",
        )
    # batch_first: (batch, T, input) as written, (T, batch, input) inside.
    return _frozen(x.transpose(1, 0, 2) if config.batch_first else x), True, False


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def expect_shape(
    doc: document.Document,
    path: tuple[Any, ...],
    array: np.ndarray,
    shape: tuple[int, ...],
    why: str | tuple[str, ...],
) -> None:
    """Raise unless ``array`` has ``shape``; ``why`` explains it, whole or per axis."""
    if array.shape == shape:
        return
    if isinstance(why, tuple):
        if len(shape) == 2 and array.ndim == 2 and len(why) == 2:
            diffs = [k for k in range(2) if array.shape[k] != shape[k]]
            if len(diffs) == 1:
                axis = diffs[0]
                raise doc.error(
                    path,
                    f"expected {shape[axis]} {('rows', 'columns')[axis]} "
                    f"({why[axis]}), got {array.shape[axis]}",
                )
        why = why[0] if len(why) == 1 else f"rows: {why[0]}; columns: {why[1]}"
    if array.ndim != len(shape):
        found = found_shape(array.shape)
    else:
        diffs = [k for k in range(len(shape)) if array.shape[k] != shape[k]]
        if len(shape) == 2 and diffs == [1]:
            raise doc.error(path, f"expected {shape[1]} columns ({why}), got {array.shape[1]}")
        if len(shape) == 2 and diffs == [0]:
            raise doc.error(path, f"expected {shape[0]} rows ({why}), got {array.shape[0]}")
        found = f"shape {shape_text(array.shape)}"
    raise doc.error(path, f"expected shape {shape_text(shape)} ({why}), found {found}")


def finite_array(doc: document.Document, path: tuple[Any, ...], value: np.ndarray) -> np.ndarray:
    """A float64, read-only copy of an array given through the API; finite numbers only."""
    if not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
        raise doc.error(path, f"expected an array of real numbers, found dtype {value.dtype}")
    array = np.array(value, dtype=np.float64)
    if not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise doc.error(
            (*path, *bad), f"expected a finite number, found {array[bad] if bad else array}"
        )
    array.setflags(write=False)
    return array


def initial_state(
    doc: document.Document,
    name: str,
    value: Any,
    layers_dirs: int,
    batch: int,
    size: int,
    batched: bool,
) -> tuple[np.ndarray, bool]:
    if value is None:
        zeros = np.zeros((layers_dirs, batch, size))
        zeros.setflags(write=False)
        return zeros, False
    state = read_array(doc, (name,), value)
    what = _state_size_name(name, doc)
    if batched:
        expect_shape(
            doc,
            (name,),
            state,
            (layers_dirs, batch, size),
            f"layers x directions {layers_dirs}, batch {batch}, {what} {size}",
        )
        out = state
    elif state.ndim == 1 and layers_dirs == 1:
        if state.shape[0] != size:
            raise doc.error(
                (name,),
                f"expected {size} numbers ({_state_size_name(name, doc)}), found {state.shape[0]}",
            )
        out = state.reshape(1, 1, size)
    else:
        expect_shape(
            doc,
            (name,),
            state,
            (layers_dirs, size),
            f"one vector of {size} per layer and direction, {layers_dirs} in all",
        )
        out = state.reshape(layers_dirs, 1, size)
    out = np.ascontiguousarray(out)
    out.setflags(write=False)
    return out, True


def _state_size_name(name: str, doc: document.Document) -> str:
    lstm = doc.data.get("lstm") if isinstance(doc.data, dict) else None
    weights = doc.data.get("weights") if isinstance(doc.data, dict) else None
    projected = (isinstance(lstm, dict) and lstm.get("proj_size")) or (
        isinstance(weights, dict) and "weight_hr_l0" in weights
    )
    if name == "h0" and projected:
        return "proj_size"
    return "hidden_size"


def backward_spec(
    doc: document.Document,
    section: BackwardSection,
    steps: int,
    batch: int,
    width: int,
    batched: bool,
    batch_first: bool = False,
) -> BackwardSpec:
    target = read_array(doc, ("backward", "target"), section.target)
    batch_first = batch_first and batched
    full = (
        ((batch, steps, width) if batch_first else (steps, batch, width))
        if batched
        else (steps, width)
    )
    last = (batch, width) if batched else (width,)
    canonical: np.ndarray
    if target.shape == full:
        canonical = (
            target.transpose(1, 0, 2) if batch_first else target.reshape(steps, batch, width)
        )
        last_only = False
    elif target.shape == last:
        canonical, last_only = target.reshape(batch, width), True
    else:
        raise doc.error(
            ("backward", "target"),
            f"expected the shape of output {shape_text(full)} or of its last "
            f"step {shape_text(last)}, found {shape_text(target.shape)}",
        )
    canonical = np.ascontiguousarray(canonical)
    canonical.setflags(write=False)
    return BackwardSpec(
        target=canonical, last_step_only=last_only, loss=section.loss, lr=section.lr
    )
