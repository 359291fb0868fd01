"""``lstm-tex import``: an example file from the weights of a saved LSTM.

The model is read by :mod:`lstm_tex.read.checkpoint`: PyTorch files with
``torch.load(..., weights_only=True)`` (tensors and plain containers only, never
arbitrary pickled objects), safetensors and .npz without torch, Keras 3 files and
ONNX LSTM nodes. The LSTM is found by its key names (``<prefix>weight_ih_l0``, or an
nn.LSTMCell's ``weight_ih``), also inside a checkpoint dict under ``state_dict``,
``model_state_dict`` or ``model``; in Keras and ONNX files by its layer or node name.

Up to :data:`INLINE_LIMIT` numbers, the weights are written into the example as the
shortest decimals that read back as the same saved value (float64, float32, float16
or bfloat16), or rounded to ``decimals`` digits. Larger models get a reference to the
model file instead (``weights: {file: ..., prefix: ...}``): no checkpoint is refused
for its size. x, h0 and c0 come from JSON lists, or are zeros.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lstm_tex.commands.example_yaml import yaml_text
from lstm_tex.commands.json_lists import json_list
from lstm_tex.errors import InputError, printable
from lstm_tex.read import checkpoint
from lstm_tex.read.found import Found
from lstm_tex.validate import spec
from lstm_tex.validate.model import Example, LstmConfig

#: Most weight numbers written into the example file; beyond, a reference to the model
#: file (about 12 characters a number: 10,000 numbers are some 120 KB of YAML).
INLINE_LIMIT = 10_000
#: Keys of a checkpoint dict that may hold the model's state_dict, tried in this order.
CHECKPOINT_KEYS = checkpoint.CHECKPOINT_KEYS


def _shown(text: str) -> str:
    """A file name or key prefix as it may appear in a comment line or a title: bytes that
    are not UTF-8 as ``\\xNN``, and, if anything else cannot be printed (a line break in
    a key), the whole as a Python literal, so that it stays on one line."""
    text = printable(text)
    return text if text.isprintable() else repr(text)


@dataclass(frozen=True)
class ImportOptions:
    """What ``lstm-tex import`` was asked to do (its flags); lists are JSON text.

    ``weights``: ``inline`` writes the numbers, ``reference`` names the model file,
    ``auto`` (default) writes a reference beyond :data:`INLINE_LIMIT` numbers.
    ``output``: where the example file will be written (references are relative to it).
    """

    prefix: str | None = None
    decimals: int | None = None
    x: str | None = None
    h0: str | None = None
    c0: str | None = None
    steps: int | None = None
    title: str | None = None
    batch_first: bool = False
    weights: Literal["auto", "inline", "reference"] = "auto"
    output: Path | None = None
    #: An nn.RNN's activation: a state_dict does not save it (``None``: tanh, torch's
    #: default).
    nonlinearity: Literal["tanh", "relu"] | None = None


@dataclass(frozen=True)
class Imported:
    """The example file's text and what was found in the model file."""

    text: str
    prefix: str
    example: Example
    dtype: str
    kind: str = "nn.LSTM"  # what was read, with where: nn.LSTM at key prefix 'enc.', ...
    reference: bool = False
    notes: tuple[str, ...] = ()


def import_model(path: str | Path, options: ImportOptions = ImportOptions()) -> Imported:
    """Read ``path`` safely, pick the LSTM's weights and write an example file's text."""
    path = Path(path)
    _check_options(options)
    found = checkpoint.read(path, options.prefix)
    shown = _shown(path.name)
    config = _config_with(found, options, shown)
    found = _relabelled(found, config)
    count = sum(int(w.size) for w in found.weights.values())
    reference = _referenced(options, count, shown)
    data = _example_data(found, config, options, path, reference)
    example = _validated({**data, "weights": dict(found.weights)}, path)
    names = (
        f"{config.cell.cell_module}(...).state_dict() names"
        if found.kind.endswith("Cell")
        else f"torch.{config.cell.torch_class}(...).state_dict() names"
    )
    text = yaml_text(
        data,
        header=_header(found, config, options, data, shown, count if reference else None),
        decimals=options.decimals,
        dtype=found.dtype,
        notes={"weights": "read from the model file when rendering" if reference else names},
    )
    return Imported(
        text=text,
        prefix=found.prefix,
        example=example,
        dtype=found.dtype,
        kind=described(found),
        reference=reference,
        notes=found.notes,
    )


def _check_options(options: ImportOptions) -> None:
    """The flags that make no sense alone or together, before the model is read."""
    if options.decimals is not None and not 0 <= options.decimals <= 12:
        raise InputError(f"expected 0 to 12 digits, found {options.decimals}", field="--decimals")
    if options.steps is not None and options.steps < 1:
        raise InputError(f"expected at least 1 step, found {options.steps}", field="--steps")
    if options.steps is not None and options.x is not None:
        raise InputError(
            "give either --x (the inputs) or --steps (that many zero inputs), not both",
            field="--steps",
        )


def _config_with(found: Found, options: ImportOptions, shown: str) -> LstmConfig:
    """The network the weights imply, with ``--nonlinearity`` (an nn.RNN's only)."""
    config = _config(found)
    if options.nonlinearity is None:
        return config
    if config.kind != "rnn":
        raise InputError(
            f"nonlinearity is nn.RNN's only, and the weights in {shown} are an "
            f"{config.cell.torch_class}'s; leave out --nonlinearity",
            field="--nonlinearity",
        )
    return replace(config, nonlinearity=options.nonlinearity)


def _referenced(options: ImportOptions, count: int, shown: str) -> bool:
    """Whether the file names the model file for its weights rather than writing them."""
    reference = options.weights == "reference" or (
        options.weights == "auto" and count > INLINE_LIMIT
    )
    if reference and options.decimals is not None:
        raise InputError(
            f"the weights ({count} numbers) are referenced in {shown}, not "
            "written out, so they cannot be rounded; add --weights inline to "
            "write them",
            field="--decimals",
        )
    return reference


def _example_data(
    found: Found, config: LstmConfig, options: ImportOptions, path: Path, reference: bool
) -> dict[str, Any]:
    """The example file's keys: the title, the network's section, the weights (written
    out or a reference), x, h0 and c0 (given by flags, or zeros)."""
    shown, prefix = _shown(path.name), found.prefix
    steps = options.steps or 1
    zeros_x = [0.0] * config.input_size
    rows = config.num_layers * config.num_directions
    weights: Any = (
        _reference(path, prefix, options.output)
        if reference
        else {k: v.tolist() for k, v in found.weights.items()}
    )
    data: dict[str, Any] = {
        "title": options.title
        if options.title is not None
        else (f"Imported from {shown}" + (f" ({_shown(prefix.rstrip('.'))})" if prefix else "")),
        config.kind: {
            **_lstm_section(config),
            **({"batch_first": True} if options.batch_first else {}),
        },
        "weights": weights,
        "x": json_list(options.x, "--x")
        if options.x is not None
        else (zeros_x if steps == 1 else [zeros_x] * steps),
    }
    batch = _batch(data["x"], options.batch_first)
    data["h0"] = (
        json_list(options.h0, "--h0")
        if options.h0 is not None
        else _zeros(rows, config.out_size, batch)
    )
    if options.c0 is not None:
        data["c0"] = json_list(options.c0, "--c0")  # refused for a GRU or an RNN
    elif config.cell.has_c:
        data["c0"] = _zeros(rows, config.hidden_size, batch)
    return data


def _header(
    found: Found,
    config: LstmConfig,
    options: ImportOptions,
    data: dict[str, Any],
    shown: str,
    referenced: int | None,
) -> list[str]:
    """The file's opening comment: the command that wrote it, where the weights come from
    and how they are written (``referenced``: the count of numbers left in the model
    file ``shown``), the reader's notes, which inputs are zeros."""
    prefix, dtype = found.prefix, found.dtype
    given = [
        flag
        for flag, v in (("--x", options.x), ("--h0", options.h0), ("--c0", options.c0))
        if v is not None
    ]
    zeros = [name for name in ("x", "h0", "c0") if f"--{name}" not in given and name in data]
    how = (
        f"referenced in {shown} ({referenced} numbers; --weights inline writes them out)"
        if referenced is not None
        else f"rounded to {options.decimals} decimals"
        if options.decimals is not None
        else f"the shortest decimals that read back as the same {dtype} values"
    )
    command = (
        f"lstm-tex import {shown}"
        + (f" --prefix {_shown(prefix)}" if prefix else "")
        + ("" if options.weights == "auto" else f" --weights {options.weights}")
        + (f" --nonlinearity {options.nonlinearity}" if options.nonlinearity else "")
    )
    header = [
        f"Imported by: {command}",
        f"The {dtype} weights of the {_shown(described(found))} in {shown},",
        f"{how}.",
        *(
            line
            for note in found.notes
            for line in textwrap.wrap(f"Note: {note}.", 88, subsequent_indent="  ")
        ),
    ]
    if zeros:
        header.append(f"{', '.join(zeros)}: zeros; edit them (x: one row per step).")
    if config.kind == "rnn" and options.nonlinearity is None:
        header.append(
            "nonlinearity: tanh, torch's default (a state_dict does not save it; "
            "--nonlinearity relu for relu)."
        )
    return header


def described(found: Found) -> str:
    """``nn.LSTM at key prefix 'encoder.'``, ``nn.LSTM (no key prefix)``, ``Keras LSTM layer
    'enc'``, ..."""
    if found.kind == "Keras layer":
        return f"Keras LSTM layer {found.prefix!r}"
    if found.kind == "ONNX node":
        return f"ONNX LSTM node {found.prefix!r}"
    if not found.prefix:
        return f"{found.kind} (no key prefix)"
    return f"{found.kind} at key prefix {found.prefix!r}"


def _reference(model: Path, prefix: str, output: Path | None) -> Any:
    """``weights:`` naming ``model`` relative to the example file's folder."""
    folder = output.parent if output is not None and str(output) != "-" else Path()
    try:
        name = os.path.relpath(model.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        name = str(model.resolve())
    name = Path(name).as_posix()
    return {"file": name, "prefix": prefix} if prefix else name


def _relabelled(found: Found, config: LstmConfig) -> Found:
    """``found`` named after its network: nn.GRU, nn.RNNCell, ... (the checkpoint reader
    finds any of them by the key names torch gives all three)."""
    if config.kind == "lstm" or not found.kind.startswith("nn.LSTM"):
        return found
    return replace(found, kind=found.kind.replace("LSTM", config.cell.label))


def _config(found: Found) -> LstmConfig:
    """Infer the LSTM's shape through the example validator (weights only, dummy x)."""
    w_ih = found.weights.get("weight_ih_l0", found.weights.get("weight_ih"))
    if w_ih is None:
        raise InputError(
            f"no weight_ih_l0 found in the {described(found)} (keys: "
            f"{', '.join(found.origin.values())})",
            file=found.file,
        )
    probe: dict[str, Any] = {
        "weights": dict(found.weights),
        "x": [0.0] * int(w_ih.shape[-1] if w_ih.ndim else 1),
    }
    if found.single_bias:
        probe["lstm"] = {"bias": "single"}
    try:
        return spec.from_mapping(probe, name=found.file).config
    except InputError as exc:
        raise found.located(InputError(exc.message, file=found.file, field=exc.field)) from None


def _lstm_section(config: LstmConfig) -> dict[str, Any]:
    section: dict[str, Any] = {
        "input_size": config.input_size,
        "hidden_size": config.hidden_size,
        "num_layers": config.num_layers,
    }
    defaults = LstmConfig(input_size=1, hidden_size=1)
    for name in ("bias", "bidirectional", "proj_size"):
        if getattr(config, name) != getattr(defaults, name) and name in config.as_dict():
            section[name] = getattr(config, name)
    if config.kind == "rnn":
        section["nonlinearity"] = config.nonlinearity
    return section


def _zeros(rows: int, size: int, batch: int | None = None) -> list[Any]:
    """Zero initial states in the layout x asks for: with a batch, (rows, batch, size)."""
    if batch is not None:
        return [[[0.0] * size for _ in range(batch)] for _ in range(rows)]
    return [0.0] * size if rows == 1 else [[0.0] * size for _ in range(rows)]


def _batch(x: Any, batch_first: bool) -> int | None:
    """The batch size of an x written with a batch (3 levels of lists), else None."""
    if not (
        isinstance(x, list) and x and isinstance(x[0], list) and x[0] and isinstance(x[0][0], list)
    ):
        return None
    return len(x) if batch_first else len(x[0])


def _validated(data: Mapping[str, Any], path: Path) -> Example:
    """Validate the example as it will be written; x/h0/c0 problems name their flag."""
    try:
        return spec.from_mapping(data, name=str(path))
    except InputError as exc:
        field = exc.field or ""
        for name in ("x", "h0", "c0"):
            if field == name or field.startswith((name + "[", name + ".")):
                field = "--" + field
        raise InputError(exc.message, file=str(path), field=field or None) from None
