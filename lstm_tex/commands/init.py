"""``lstm-tex init``: a ready-to-render example file with "nice" numbers.

The numbers are drawn from a seeded :class:`random.Random` (whose ``random()``
sequence Python keeps stable across versions), quantised to ``decimals`` digits,
so one seed always gives the same file, byte for byte. A draw is kept only when
every gate pre-activation of the forward pass (run by :mod:`lstm_tex.compute.engine`, the
same code that renders it) stays within :data:`PRE_LIMIT`, so that sigma and tanh
show values well away from 0 and 1 on every slide.

:func:`yaml_text` writes an example mapping as compact, readable YAML (one flow
list per matrix, wrapped); :mod:`lstm_tex.commands.importer` uses it too. No torch here.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lstm_tex.commands.options import LIMITS
from lstm_tex.compute import engine
from lstm_tex.compute.cells import Cell, Kind, Nonlinearity, cell_of
from lstm_tex.errors import InputError, printable
from lstm_tex.output import atomic
from lstm_tex.read.document import MAX_FILE_BYTES
from lstm_tex.validate import spec

#: Largest |pre-activation| allowed at any step: sigma(2.5) = 0.92, tanh(2.5) = 0.987.
PRE_LIMIT = 2.5
#: Smallest largest-|pre-activation| wanted, so that the gates are not all about 0.5.
PRE_SPREAD = 0.75
MAX_ATTEMPTS = 400
WIDTH = 92
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf"}


@dataclass(frozen=True)
class InitOptions:
    """The shape and the numbers' style of a generated example (``lstm-tex init`` flags)."""

    input_size: int = 2
    hidden_size: int = 4
    steps: int = 1
    layers: int = 1
    seed: int = 0
    decimals: int = 2
    title: str | None = None
    bias: bool | Literal["single"] = True  # single: one bias per gate (bias_ih only)
    cell: Kind = "lstm"  # nn.LSTM, nn.GRU or nn.RNN
    nonlinearity: Nonlinearity = "tanh"  # an RNN's

    @property
    def description(self) -> Cell:
        """The cell of the generated network."""
        return cell_of(self.cell, self.nonlinearity)

    def command(self) -> str:
        """The ``lstm-tex init`` command line that makes this file again."""
        line = (
            f"lstm-tex init --input-size {self.input_size} --hidden-size "
            f"{self.hidden_size} --steps {self.steps} --layers {self.layers} "
            f"--seed {self.seed} --decimals {self.decimals}"
        )
        if self.bias is not True:
            line += f" --bias {str(self.bias).lower()}"
        if self.cell != "lstm":
            line += f" --cell {self.cell}"
        if self.cell == "rnn" and self.nonlinearity != "tanh":
            line += f" --nonlinearity {self.nonlinearity}"
        return line + (" --title ..." if self.title is not None else "")


def generate(options: InitOptions = InitOptions()) -> str:
    """The YAML text of a random example with nice numbers; the same for the same options."""
    _check_options(options)
    rng = random.Random(options.seed)
    out_fan = options.input_size + options.hidden_size + 2
    deep_fan = options.hidden_size * 2 + 2
    scale = min(0.5, 1.3 / math.sqrt(max(out_fan, deep_fan if options.layers > 1 else 0)))
    for attempt in range(MAX_ATTEMPTS):
        data = _draw(rng, options, scale)
        largest = _largest_pre(data)
        want_spread = attempt < MAX_ATTEMPTS // 2
        if largest <= PRE_LIMIT and (largest >= PRE_SPREAD or not want_spread):
            return _document(data, options)
        if attempt % 8 == 7:
            scale *= 0.85 if largest > PRE_LIMIT else 1.0
    # Unreachable in practice: tiny scales quantise to +-1 unit, far inside the limit.
    raise InputError(
        f"no draw kept every pre-activation within +-{PRE_LIMIT} "
        f"after {MAX_ATTEMPTS} attempts; try another --seed",
        field="--seed",
    )


def write(path: Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically; refuse to replace an existing file unless
    ``force``. On any failure an existing file stays byte for byte."""
    if path.is_dir():
        raise InputError("is a folder; give a file name such as example.yaml", file=printable(path))
    if (path.exists() or path.is_symlink()) and not force:
        raise InputError(
            "already exists; choose another name or pass --force to overwrite it",
            file=printable(path),
        )
    return atomic.write_file(path, text)


# ---------------------------------------------------------------- drawing numbers


def _check_options(options: InitOptions) -> None:
    for name, (low, high) in LIMITS.items():
        value = getattr(options, name)
        if not low <= value <= high:
            flag = "--" + name.replace("_", "-")
            raise InputError(
                f"expected a whole number from {low} to {high}, found {value}", field=flag
            )
    o = options
    if o.cell != "rnn" and o.nonlinearity != "tanh":
        raise InputError(
            f"nonlinearity is nn.RNN's only (tanh or relu), so expected --cell rnn with it, "
            f"found --cell {o.cell}",
            field="--nonlinearity",
        )
    blocks = o.description.blocks
    count = (
        sum(
            blocks * o.hidden_size * (o.input_size if layer == 0 else o.hidden_size)
            + blocks * o.hidden_size * o.hidden_size
            + 2 * blocks * o.hidden_size
            for layer in range(o.layers)
        )
        + o.steps * o.input_size
        + 2 * o.layers * (o.hidden_size)
    )
    size = count * (o.decimals + 6)  # "-0.12, ", line breaks and indents, rounded up
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"--input-size {o.input_size}, --hidden-size {o.hidden_size}, --layers "
            f"{o.layers} and --steps {o.steps} make {count:,} numbers, about {size // 1024} "
            f"KiB of YAML, more than an example file may hold "
            f"({MAX_FILE_BYTES // 1024} KiB); choose smaller sizes",
            field="--hidden-size",
        )


def _uniform(rng: random.Random, bound: float, decimals: int) -> float:
    """A number in [-bound, bound] with ``decimals`` digits (at least one nonzero unit)."""
    unit: int = 10**decimals
    n = max(1, round(bound * unit))
    k = int(rng.random() * (2 * n + 1)) - n
    return k / unit


def _vector(rng: random.Random, size: int, bound: float, decimals: int) -> list[float]:
    return [_uniform(rng, bound, decimals) for _ in range(size)]


def _matrix(
    rng: random.Random, rows: int, cols: int, bound: float, decimals: int
) -> list[list[float]]:
    return [_vector(rng, cols, bound, decimals) for _ in range(rows)]


def _draw(rng: random.Random, o: InitOptions, scale: float) -> dict[str, Any]:
    """One candidate example: weights within ``scale``, inputs and states in [-1, 1]."""
    d = o.decimals
    cell = o.description
    four_h = cell.blocks * o.hidden_size
    weights: dict[str, Any] = {}
    for layer in range(o.layers):
        cols = o.input_size if layer == 0 else o.hidden_size
        weights[f"weight_ih_l{layer}"] = _matrix(rng, four_h, cols, scale, d)
        weights[f"weight_hh_l{layer}"] = _matrix(rng, four_h, o.hidden_size, scale, d)
        if o.bias:
            weights[f"bias_ih_l{layer}"] = _vector(rng, four_h, scale, d)
        if o.bias is True:
            weights[f"bias_hh_l{layer}"] = _vector(rng, four_h, scale, d)
    steps = [_vector(rng, o.input_size, 1.0, d) for _ in range(o.steps)]
    h0 = [_vector(rng, o.hidden_size, 0.5, d) for _ in range(o.layers)]
    section: dict[str, Any] = {"bias": o.bias} if o.bias is not True else {}
    if o.cell == "rnn":
        section["nonlinearity"] = o.nonlinearity
    data: dict[str, Any] = {
        **({o.cell: section} if section or o.cell != "lstm" else {}),
        "weights": weights,
        "x": steps[0] if o.steps == 1 else steps,
        "h0": h0[0] if o.layers == 1 else h0,
    }
    if cell.has_c:
        c0 = [_vector(rng, o.hidden_size, 1.0, d) for _ in range(o.layers)]
        data["c0"] = c0[0] if o.layers == 1 else c0
    return data


def _largest_pre(data: Mapping[str, Any]) -> float:
    """The largest |pre-activation| of any gate at any step (the engine's forward pass)."""
    trace = engine.forward(spec.from_mapping(data, name="init.yaml"))
    return max(float(np.abs(g.pre).max()) for s in trace.steps for g in s.gates.values())


def _document(data: dict[str, Any], o: InitOptions) -> str:
    steps = "one step" if o.steps == 1 else f"{o.steps} steps"
    layers = "" if o.layers == 1 else f", {o.layers} layers"
    cell = o.description
    article = "A" if o.cell == "gru" else "An"
    what = cell.label + (" (relu)" if cell.nonlinearity == "relu" else "")
    title = (
        o.title
        if o.title is not None
        else (
            f"{article} {what} with input size {o.input_size}, hidden size {o.hidden_size}"
            f"{layers}, {steps}"
        )
    )
    x_shape = "(input_size,): one step" if o.steps == 1 else "(steps, input_size)"
    example = {
        "title": title,
        o.cell: {
            "input_size": o.input_size,
            "hidden_size": o.hidden_size,
            "num_layers": o.layers,
            **data.get(o.cell, {}),
        },
        **{key: value for key, value in data.items() if key != o.cell},
        "check": {"device": "cpu"},
        "render": {"decimals": 4},
    }
    header = [
        f"Made by: {o.command()}",
        f"Random numbers with {o.decimals} decimal{'s' if o.decimals > 1 else ''} (seed "
        f"{o.seed}), drawn so that every gate",
        f"pre-activation stays within +-{PRE_LIMIT}: the gates show values away from 0 and 1.",
        "Render it with: lstm-tex render THIS_FILE.yaml (or --pdf, --watch).",
    ]
    if o.bias == "single":
        header.insert(
            3, "One bias per gate (bias: single): bias_ih only, as in textbook equations."
        )
    blocks = f"gate blocks {', '.join(cell.gate_names)}" if cell.blocks > 1 else "one block (h)"
    notes = {
        "weights": f"torch.{cell.torch_class}(...).state_dict() names; rows: {blocks}",
        "x": x_shape,
        "h0": "initial hidden state" + ("" if o.layers == 1 else ", one row per layer"),
        "c0": "initial cell state" + ("" if o.layers == 1 else ", one row per layer"),
    }
    return yaml_text(example, header=header, notes=notes, decimals=o.decimals)


# ---------------------------------------------------------------- writing YAML


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

    Sections (``lstm``, ``check``, ...) are block mappings of scalars; ``weights`` is a
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
            lines.extend(f"  {k}: {_scalar(v)}" for k, v in value.items())
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
