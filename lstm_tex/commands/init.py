"""``lstm-tex init``: a ready-to-render example file with "nice" numbers.

The numbers are drawn from a seeded :class:`random.Random` (whose ``random()``
sequence Python keeps stable across versions), quantised to ``decimals`` digits,
so one seed always gives the same file, byte for byte. A draw is kept only when
every gate pre-activation of the forward pass (run by :mod:`lstm_tex.compute.engine`, the
same code that renders it) stays within :data:`PRE_LIMIT`, so that sigma and tanh
show values well away from 0 and 1 on every slide.

With ``backward``, the file also gets a ``backward:`` section: a target for every step,
drawn after the weights (so the weights are the same with or without it), torch's
``mse_loss`` and an SGD step. :func:`lstm_tex.commands.example_yaml.yaml_text` writes the
YAML. No torch here.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lstm_tex.commands.example_yaml import yaml_text
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
    backward: bool = False  # add a backward: section (targets, mse loss, an SGD step)

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
        if self.backward:
            line += " --backward"
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
            if options.backward:
                data["backward"] = _backward(rng, options)
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


def _backward(rng: random.Random, o: InitOptions) -> dict[str, Any]:
    """A ``backward:`` section: a target in [-0.8, 0.8] (inside tanh's range) for every
    step, shaped as the output ``(steps, hidden)``; torch's ``mse_loss``; SGD with lr 0.1."""
    target = [_vector(rng, o.hidden_size, 0.8, o.decimals) for _ in range(o.steps)]
    return {"target": target, "loss": "mse", "lr": 0.1}


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
        **{key: value for key, value in data.items() if key not in (o.cell, "backward")},
        "check": {"device": "cpu"},
        "render": {"decimals": 4},
        **({"backward": data["backward"]} if "backward" in data else {}),
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
        "backward": "gradients (BPTT): target (steps, hidden), torch's mse_loss, one SGD step",
    }
    return yaml_text(example, header=header, notes=notes, decimals=o.decimals)
