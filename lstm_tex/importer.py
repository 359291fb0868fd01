"""``lstm-tex import``: an example file from the weights of a saved ``nn.LSTM``.

The file is read with ``torch.load(..., weights_only=True)``: tensors and plain
containers only, never arbitrary pickled objects; a file that needs more (a whole
pickled module, a custom class) is refused with exit status 2. The LSTM is found
in the ``state_dict`` by its key names (``<prefix>weight_ih_l0`` and friends), also
inside a checkpoint dict under ``state_dict``, ``model_state_dict`` or ``model``.

Weights are written as the shortest decimals that read back as the same float32
(float64 for a float64 model), or rounded to ``decimals`` digits. x, h0 and c0 come
from JSON lists, or are zeros. torch is imported here only, when a file is read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lstm_tex import spec
from lstm_tex.errors import InputError
from lstm_tex.init import yaml_text

_LSTM_KEY = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l\d+(_reverse)?")
_ANCHOR = "weight_ih_l0"
#: Keys of a checkpoint dict that may hold the model's state_dict, tried in this order.
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


@dataclass(frozen=True)
class ImportOptions:
    """What ``lstm-tex import`` was asked to do (its flags); lists are JSON text."""

    prefix: str | None = None
    decimals: int | None = None
    x: str | None = None
    h0: str | None = None
    c0: str | None = None
    steps: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class Imported:
    """The example file's text and what was found in the model file."""

    text: str
    prefix: str
    example: spec.Example
    dtype: str


def import_model(path: str | Path, options: ImportOptions = ImportOptions()) -> Imported:
    """Read ``path`` safely, pick the LSTM's weights and write an example file's text."""
    path = Path(path)
    if options.decimals is not None and not 0 <= options.decimals <= 12:
        raise InputError(f"expected 0 to 12 digits, found {options.decimals}",
                         field="--decimals")
    if options.steps is not None and options.steps < 1:
        raise InputError(f"expected at least 1 step, found {options.steps}", field="--steps")
    if options.steps is not None and options.x is not None:
        raise InputError("give either --x (the inputs) or --steps (that many zero inputs), "
                         "not both", field="--steps")
    state = state_dict(load(path), str(path))
    prefix = find_prefix(state, options.prefix, str(path))
    weights, dtype = _weights(state, prefix, str(path))
    config = _config(weights, str(path))
    steps = options.steps or 1
    zeros_x = [0.0] * config.input_size
    rows = config.num_layers * config.num_directions
    data: dict[str, Any] = {
        "title": options.title if options.title is not None else (
            f"Imported from {path.name}" + (f" ({prefix.rstrip('.')})" if prefix else "")),
        "lstm": _lstm_section(config),
        "weights": {k: v.tolist() for k, v in weights.items()},
        "x": _json_list(options.x, "--x") if options.x is not None else (
            zeros_x if steps == 1 else [zeros_x] * steps),
        "h0": _json_list(options.h0, "--h0") if options.h0 is not None else _zeros(
            rows, config.out_size),
        "c0": _json_list(options.c0, "--c0") if options.c0 is not None else _zeros(
            rows, config.hidden_size),
    }
    example = _validated(data, path)
    given = [flag for flag, v in (("--x", options.x), ("--h0", options.h0),
                                  ("--c0", options.c0)) if v is not None]
    zeros = [name for name in ("x", "h0", "c0") if f"--{name}" not in given]
    how = (f"rounded to {options.decimals} decimals" if options.decimals is not None else
           f"the shortest decimals that read back as the same {dtype}")
    header = [
        f"Imported by: lstm-tex import {path.name}" + (f" --prefix {prefix}" if prefix else ""),
        f"The {dtype} weights of the nn.LSTM at key prefix {prefix or '(none)'!r} of "
        f"{path.name},",
        f"{how}.",
    ]
    if zeros:
        header.append(f"{', '.join(zeros)}: zeros; edit them (x: one row per step).")
    text = yaml_text(data, header=header, decimals=options.decimals,
                     single=dtype != "float64",
                     notes={"weights": "torch.nn.LSTM(...).state_dict() names"})
    return Imported(text=text, prefix=prefix, example=example, dtype=dtype)


def load(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU; every failure is an InputError."""
    import pickle

    import torch

    file = str(path)
    if path.is_dir():
        raise InputError("is a folder, expected a file saved with torch.save", file=file)
    if not path.exists():
        raise InputError("no such file", file=file)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        garbage = re.search(r"Unsupported operand \S+", str(exc))
        if "Weights only load failed" not in str(exc) or garbage:
            reason = garbage.group(0) if garbage else str(exc).splitlines()[0]
            raise InputError(f"not a file torch.load can read ({reason})", file=file) from None
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        raise InputError(
            f"needs arbitrary Python objects{what} to load, and lstm-tex only reads tensors "
            "and plain containers (torch.load with weights_only=True), so that a file can "
            "never run code; save the state_dict instead: "
            "torch.save(model.state_dict(), 'model.pt')", file=file) from None
    except Exception as exc:  # torch.load raises many types for a file it cannot parse
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a file torch.load can read ({type(exc).__name__}: "
                         f"{reason})", file=file) from None


def state_dict(obj: Any, file: str) -> Mapping[str, Any]:
    """The mapping of names to tensors: ``obj`` itself, or a checkpoint's model entry."""
    for _ in range(3):
        if not isinstance(obj, Mapping):
            break
        if any(isinstance(k, str) and k.endswith(_ANCHOR) for k in obj):
            return obj
        inner = next((obj[k] for k in CHECKPOINT_KEYS if isinstance(obj.get(k), Mapping)),
                     None)
        if inner is None:
            shown = ", ".join(repr(k) for k in list(obj)[:12])
            raise InputError(f"no nn.LSTM weights found: no key ends in {_ANCHOR!r}, and "
                             f"no {' / '.join(CHECKPOINT_KEYS)} entry holds them (keys: "
                             f"{shown})", file=file)
        obj = inner
    raise InputError(f"expected a state_dict (a mapping of names to tensors), found "
                     f"{type(obj).__name__}", file=file)


def find_prefix(state: Mapping[str, Any], prefix: str | None, file: str) -> str:
    """The key prefix of the LSTM: ``prefix`` (a missing final dot is added) or the only one.

    Raises :class:`InputError` naming every LSTM in the file when the choice is unclear.
    """
    found = sorted(k[: -len(_ANCHOR)] for k in state
                   if isinstance(k, str) and k.endswith(_ANCHOR))
    listing = ", ".join(repr(p) for p in found)
    if prefix is not None:
        for candidate in (prefix, prefix + "."):
            if candidate in found:
                return candidate
        raise InputError(f"no nn.LSTM at prefix {prefix!r} (no key {prefix + _ANCHOR!r}); "
                         f"LSTMs in this file are at: {listing}", field="--prefix",
                         file=file)
    if len(found) > 1:
        raise InputError(f"holds {len(found)} LSTMs, at prefixes {listing}; choose one "
                         "with --prefix", field="--prefix", file=file)
    return found[0]


def _weights(state: Mapping[str, Any], prefix: str, file: str
             ) -> tuple[dict[str, np.ndarray], str]:
    weights: dict[str, np.ndarray] = {}
    dtypes = set()
    for key, value in state.items():
        name = key[len(prefix):] if isinstance(key, str) and key.startswith(prefix) else ""
        if not _LSTM_KEY.fullmatch(name):
            continue
        weights[name] = _dense(value, key, file)
        dtypes.add(str(value.dtype).removeprefix("torch."))
    dtype = "float64" if dtypes == {"float64"} else "float32"
    return weights, dtype


def _dense(value: Any, key: str, file: str) -> np.ndarray:
    """A saved weight as a float64 array; tensors without plain values are refused."""
    import torch

    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise InputError(f"expected a floating-point tensor, found "
                         f"{getattr(value, 'dtype', type(value).__name__)}",
                         field=key, file=file)
    if value.is_meta:
        raise InputError("expected a tensor with values, found a meta tensor (a shape "
                         "without data); save the model after its weights are loaded",
                         field=key, file=file)
    if value.layout != torch.strided:
        layout = str(value.layout).removeprefix("torch.")
        raise InputError(f"expected a dense tensor, found a {layout} tensor; save "
                         "{k: v.to_dense() for k, v in model.state_dict().items()}",
                         field=key, file=file)
    try:
        return value.detach().to("cpu", torch.float64).numpy()
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read this tensor's values ({reason})", field=key,
                         file=file) from None


def _config(weights: Mapping[str, np.ndarray], file: str) -> spec.LstmConfig:
    """Infer the LSTM's shape through the example validator (weights only, dummy x)."""
    w_ih = weights[_ANCHOR]
    probe = {"weights": {k: v.tolist() for k, v in weights.items()},
             "x": [0.0] * int(w_ih.shape[1])}
    try:
        return spec.from_mapping(probe, name=file).config
    except InputError as exc:
        raise InputError(exc.message, file=file, field=exc.field) from None


def _lstm_section(config: spec.LstmConfig) -> dict[str, Any]:
    section: dict[str, Any] = {"input_size": config.input_size,
                               "hidden_size": config.hidden_size,
                               "num_layers": config.num_layers}
    defaults = spec.LstmConfig(input_size=1, hidden_size=1)
    for name in ("bias", "bidirectional", "proj_size"):
        if getattr(config, name) != getattr(defaults, name):
            section[name] = getattr(config, name)
    return section


def _zeros(rows: int, size: int) -> list[Any]:
    return [0.0] * size if rows == 1 else [[0.0] * size for _ in range(rows)]


#: Deepest nesting of a --x/--h0/--c0 list (a batch of sequences is 3 deep).
MAX_JSON_DEPTH = 8
#: Longest number in a --x/--h0/--c0 list, in characters.
MAX_NUMBER_CHARS = 100


def _json_list(text: str, flag: str) -> list[Any]:
    """A command-line JSON list of numbers, refused with one line (exit 2) when it is not
    JSON, nested too deep or holds numbers too long to be weights or inputs."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    depth = max(_depths(text), default=0)
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"expected a JSON list at most {MAX_JSON_DEPTH} levels deep, found "
                         f"one nested {depth} deep", field=flag)
    longest = max((len(m) for m in re.findall(r"[-+0-9.eE]+", text)), default=0)
    if longest > MAX_NUMBER_CHARS:
        raise InputError(f"expected numbers such as 0.5, found a number written with "
                         f"{longest} characters (at most {MAX_NUMBER_CHARS})", field=flag)
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
        raise InputError(f"expected a JSON list such as [0.5, 0.1], found {shown!r} "
                         f"({exc.msg} at character {exc.pos + 1})", field=flag) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"expected a JSON list such as [0.5, 0.1], found {shown!r} "
                         f"({str(exc).splitlines()[0][:80]})", field=flag) from None
    if not isinstance(value, list):
        raise InputError(f"expected a JSON list such as [0.5, 0.1], found {shown!r}",
                         field=flag)
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


def _validated(data: Mapping[str, Any], path: Path) -> spec.Example:
    """Validate the example as it will be written; x/h0/c0 problems name their flag."""
    try:
        return spec.from_mapping(data, name=str(path))
    except InputError as exc:
        field = exc.field or ""
        for name in ("x", "h0", "c0"):
            if field == name or field.startswith((name + "[", name + ".")):
                field = "--" + field
        raise InputError(exc.message, file=str(path), field=field or None) from None
