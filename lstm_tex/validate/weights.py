"""The weights and the network they imply: arrays in the file, from the API or a checkpoint,
under torch's names, and the :class:`~lstm_tex.validate.model.LstmConfig` they fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lstm_tex.compute.cells import KINDS, Cell, Kind, Nonlinearity, cell_of, kind_from_ratio
from lstm_tex.errors import InputError
from lstm_tex.read import document
from lstm_tex.validate.arrays import expect_shape, finite_array, read_array
from lstm_tex.validate.messages import (
    as_yaml,
    described,
    found_shape,
    inference_reason,
    kind_reason,
    shape_text,
    suggest,
)
from lstm_tex.validate.model import LstmConfig
from lstm_tex.validate.structs import ExampleSection, GruSection, LstmSection, RnnSection

if TYPE_CHECKING:  # the checkpoint readers load only for ``weights: model.pt`` (issue 17)
    from lstm_tex.read.found import Found

#: A function from a weight's torch name to its field path in the file.
Where = Callable[[str], tuple[Any, ...]]
Section = LstmSection | GruSection | RnnSection

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")


#: The names nn.LSTMCell's state_dict uses: a one-layer, one-direction network.
CELL_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _section_of(
    doc: document.Document, section: ExampleSection
) -> tuple[Kind | None, LstmSection | GruSection | RnnSection]:
    """The configuration section the file wrote (``lstm:``, ``gru:`` or ``rnn:``, at most
    one) and its kind, or ``(None, an empty lstm: section)`` when it wrote none."""
    present = [k for k in KINDS if k in doc.data]  # `gru:` with nothing under it counts
    if len(present) > 1:
        raise doc.error(
            (present[1],),
            f"expected at most one of lstm:, gru:, rnn: (the kind of network), "
            f"found {present[0]}: and {present[1]}:",
        )
    if not present:
        return None, section.lstm
    kind = present[0]
    given = getattr(section, kind)
    if given is None:  # `gru:` with nothing under it
        given = {"lstm": LstmSection, "gru": GruSection, "rnn": RnnSection}[kind]()
    return kind, given


def _kind_of(kind_given: Kind | None, weights: dict[str, np.ndarray]) -> Kind:
    """The kind of network: the section's, else an LSTM with projections for a
    ``weight_hr_l0``, else from ``weight_hh_l0``'s rows / columns (4, 3 or 1), else LSTM."""
    if kind_given is not None:
        return kind_given
    if "weight_hr_l0" in weights:
        return "lstm"
    w_hh = weights.get("weight_hh_l0")
    if w_hh is None or w_hh.ndim != 2:
        return "lstm"
    return kind_from_ratio(int(w_hh.shape[0]), int(w_hh.shape[1])) or "lstm"


def infer_config(
    doc: document.Document,
    section: ExampleSection,
    weights: dict[str, np.ndarray],
    where: Where,
    single_bias: bool = False,
) -> LstmConfig:
    """The configuration the weights imply, checked against ``lstm:`` (``gru:``, ``rnn:``).
    ``where(key)`` is the field path of weight ``key`` (the name as the file wrote it);
    ``single_bias``: the model file has one bias per gate (Keras), so ``bias: single`` goes
    without saying."""
    kind_given, given = _section_of(doc, section)
    _known_names(doc, weights, where)
    cell = cell_of(_kind_of(kind_given, weights))
    w_ih = _first_layer(doc, weights, where, cell, given.hidden_size, kind_given is not None)
    hr = weights.get("weight_hr_l0")
    nonlinearity: Nonlinearity = (
        given.nonlinearity if isinstance(given, RnnSection) and given.nonlinearity else "tanh"
    )
    inferred = LstmConfig(
        input_size=int(w_ih.shape[1]),
        hidden_size=int(w_ih.shape[0] // cell.blocks),
        num_layers=1 + max(int(m.group(2)) for m in map(_KEY.match, weights) if m),
        bias=_bias(doc, given, kind_given or "lstm", weights, where, single_bias),
        bidirectional=any(k.endswith("_reverse") for k in weights),
        proj_size=int(hr.shape[0]) if cell.can_project and hr is not None and hr.ndim >= 1 else 0,
        batch_first=bool(given.batch_first),
        kind=cell.kind,
        nonlinearity=nonlinearity,
    )
    values = _agreed(doc, inferred, given, kind_given or "lstm", cell.blocks)
    if values.get("proj_size", 0) >= values["hidden_size"]:
        raise doc.error(
            where("weight_hr_l0"),
            f"expected fewer rows than hidden_size {values['hidden_size']} "
            f"(proj_size must be smaller, as in torch), got {values['proj_size']}",
        )
    return LstmConfig(**values)


#: The names a weight may have, suggested for an unknown one.
_NAMES = (
    "weight_ih_l0",
    "weight_hh_l0",
    "bias_ih_l0",
    "bias_hh_l0",
    "weight_hr_l0",
    "weight_ih_l0_reverse",
    *CELL_KEYS,
)


def _known_names(doc: document.Document, weights: dict[str, np.ndarray], where: Where) -> None:
    """Raise on the first weight whose name is not one of torch's."""
    for key in weights:
        if not _KEY.match(key):
            raise doc.error(
                where(key),
                "unknown weight name" + suggest(key, _NAMES) + " (names as in "
                "torch.nn.LSTM(...).state_dict(), or nn.LSTMCell's weight_ih, "
                "weight_hh, bias_ih, bias_hh; likewise nn.GRU, nn.RNN and their cells)",
            )


def _first_layer(
    doc: document.Document,
    weights: dict[str, np.ndarray],
    where: Where,
    cell: Cell,
    hidden_size: int | None,
    kind_given: bool,
) -> np.ndarray:
    """``weight_ih_l0``, checked with ``weight_hh_l0``: both matrices, in gate blocks."""
    blocks = cell.blocks
    rows_text = "hidden_size rows" if blocks == 1 else f"{blocks} x hidden_size rows"
    for key in ("weight_ih_l0", "weight_hh_l0"):
        if key not in weights:
            raise doc.error(
                where(key),
                f"required key is missing ({rows_text}, {_MATRIX_COLUMNS[key]} columns)",
            )
    w_ih, w_hh = weights["weight_ih_l0"], weights["weight_hh_l0"]
    for key, w in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh)):
        if w.ndim != 2:
            raise doc.error(
                where(key), f"expected a matrix (a list of rows), found {found_shape(w.shape)}"
            )
    if w_ih.shape[0] % blocks:
        expected = f" = {blocks * hidden_size}" if hidden_size is not None else ""
        raise doc.error(
            where("weight_ih_l0"),
            f"expected {blocks} x hidden_size rows{expected} (gate blocks "
            f"{', '.join(cell.gate_names)} of {cell.torch_class}), got {w_ih.shape[0]}, "
            f"not a multiple of {blocks}" + ("" if kind_given else kind_reason(w_hh, cell)),
        )
    return w_ih


def _bias(
    doc: document.Document,
    given: Section,
    sec: str,
    weights: dict[str, np.ndarray],
    where: Where,
    single_bias: bool,
) -> bool | Literal["single"]:
    """``bias``: whether there are bias keys, or ``single`` (``bias_ih`` keys only)."""
    bias: bool | Literal["single"] = any(k.startswith("bias_") for k in weights)
    if given.bias not in (None, True, False, "single"):
        raise doc.error(
            (sec, "bias"),
            f"expected true, false or single (one bias per gate), found {described(given.bias)}",
        )
    if given.bias == "single" or (given.bias is None and single_bias):
        hh = next((k for k in weights if k.startswith("bias_hh")), None)
        if hh is not None:
            raise doc.error(
                where(hh),
                "bias: single means one bias per gate, so expected "
                "bias_ih keys only, found this bias_hh key (drop it, "
                "or fold it in: bias_ih + bias_hh)",
            )
        bias = "single" if bias else False
    return bias


def _agreed(
    doc: document.Document, inferred: LstmConfig, given: Section, sec: str, blocks: int
) -> dict[str, Any]:
    """The inferred configuration's keys, with the section's where they agree (raise where
    they do not); a section's larger ``num_layers`` than the weights have is refused."""
    values: dict[str, Any] = {**inferred.as_dict(), "kind": inferred.kind}
    for name, inferred_value in inferred.as_dict().items():
        value = getattr(given, name, None)  # an RNN's nonlinearity without a section
        if value is None:
            continue
        if name == "num_layers" and value > inferred_value:
            raise doc.error(
                (sec, name),
                f"is {value}, so expected weights such as weight_ih_l{value - 1}, found none",
            )
        if value != inferred_value and name != "num_layers":
            raise doc.error(
                (sec, name),
                f"is {as_yaml(value)}, but the weights imply "
                f"{as_yaml(inferred_value)}" + inference_reason(name, blocks),
            )
        values[name] = value
    return values


_MATRIX_COLUMNS = {"weight_ih_l0": "input_size", "weight_hh_l0": "hidden_size"}


_REFERENCE_KEYS = ("file", "prefix")


def read_weights(
    doc: document.Document, section: ExampleSection, preloaded: Mapping[str, np.ndarray] | None
) -> tuple[dict[str, np.ndarray], dict[str, str], Found | None]:
    """The weights under torch.nn.LSTM's names, the names as given, and the checkpoint
    they came from: arrays in the file, arrays from the API, or ``weights: model.pt``."""
    value = section.weights
    source = None
    if preloaded is not None:
        arrays = {k: finite_array(doc, ("weights", k), v) for k, v in preloaded.items()}
    elif isinstance(value, str) or (isinstance(value, dict) and "file" in value):
        source = _reference(doc, value)
        arrays = dict(source.weights)
    elif isinstance(value, dict):
        arrays = {key: read_array(doc, ("weights", key), v) for key, v in value.items()}
    else:
        raise doc.error(
            ("weights",),
            "expected a mapping of weight names to arrays, or a "
            "checkpoint file (weights: model.pt, or {file: "
            f"model.pt, prefix: encoder.lstm.}}), found "
            f"{described(value)}",
        )
    cell = [k for k in arrays if k in CELL_KEYS]
    if not cell:
        return arrays, {}, source
    other = next((k for k in arrays if k not in CELL_KEYS), None)
    if other is not None:
        raise doc.error(
            ("weights", other),
            f"mixes a cell module's names ({cell[0]}, as nn.LSTMCell, nn.GRUCell and "
            "nn.RNNCell save them) with a network's; expected "
            "one kind: weight_ih, weight_hh, bias_ih, bias_hh (a cell) or "
            "weight_ih_l0, ... (a network)",
        )
    return ({k + "_l0": v for k, v in arrays.items()}, {k + "_l0": k for k in arrays}, source)


def _reference(doc: document.Document, value: Any) -> Found:
    """``weights: model.pt`` or ``{file: model.pt, prefix: ...}``, relative to the file."""
    prefix = None
    if isinstance(value, dict):
        for key in value:
            if key not in _REFERENCE_KEYS:
                raise doc.error(
                    ("weights", key),
                    f"unknown key {key!r} next to file"
                    + suggest(key, _REFERENCE_KEYS)
                    + " (a checkpoint "
                    "reference has file and prefix)",
                )
        for key in _REFERENCE_KEYS:
            if key in value and not isinstance(value[key], str):
                raise doc.error(("weights", key), f"expected text, found {described(value[key])}")
        name, prefix = value["file"], value.get("prefix")
        path: tuple[Any, ...] = ("weights", "file")
    else:
        name, path = value, ("weights",)
    if not name.strip():
        raise doc.error(path, "expected a checkpoint file name such as model.pt, found empty text")
    from lstm_tex.read import checkpoint

    folder = Path(doc.file).parent if doc.file and not doc.file.startswith("<") else Path()
    try:
        return checkpoint.read(folder / name, prefix)
    except InputError as exc:
        key = exc.field if exc.field and not exc.field.startswith("--") else None
        where = (exc.file or str(folder / name)) + (f", key {key!r}" if key else "")
        message = exc.message.replace("--prefix", "prefix")
        raise InputError(
            f"{where}: {message}",
            file=doc.file,
            line=doc.line_of(path),
            field=document.format_path(path),
        ) from None


def axis_reasons(key: str, config: LstmConfig) -> tuple[str, ...]:
    """Why each axis of weight ``key`` has its size: (rows,) or (rows, columns)."""
    m = _KEY.match(key)
    assert m is not None
    kind, layer = m.group(1), int(m.group(2))
    h = config.hidden_size
    blocks = config.cell.blocks
    rows = f"{blocks} x hidden {h}" if blocks > 1 else f"hidden {h}"
    h_size = f"{'proj_size' if config.proj_size else 'hidden'} {config.out_size}"
    if kind == "weight_ih":
        if layer == 0:
            return rows, f"input_size {config.input_size}"
        if config.bidirectional:
            return rows, f"2 x {h_size}, bidirectional"
        return rows, f"{h_size}, the size of layer {layer - 1}'s h"
    if kind == "weight_hh":
        return rows, h_size
    if kind == "weight_hr":
        return f"proj_size {config.proj_size}", f"hidden {h}"
    return (rows,)


@dataclass(frozen=True)
class Network:
    """The weights under torch's names (exactly :meth:`LstmConfig.weight_shapes`' keys,
    read-only), the configuration they imply, the names as the file gave them, and the
    checkpoint they were read from (``None`` for arrays in the file or from the API)."""

    config: LstmConfig
    weights: Mapping[str, np.ndarray]
    names: Mapping[str, str]
    source: Found | None


def network(
    doc: document.Document, section: ExampleSection, preloaded: Mapping[str, np.ndarray] | None
) -> Network:
    """The weights of ``section`` (or ``preloaded``), every one checked against the
    configuration they imply; errors in a checkpoint name its file."""
    weights, names, source = read_weights(doc, section, preloaded)

    def where(key: str) -> tuple[Any, ...]:
        cell = key.removesuffix("_l0") if names and key.endswith("_l0") else key
        return ("weights", names.get(key, cell))

    try:
        config = infer_config(
            doc, section, weights, where, single_bias=source is not None and source.single_bias
        )
        _check_shapes(doc, weights, config, where)
    except InputError as exc:
        raise exc if source is None else source.located(exc) from None
    expected = config.weight_shapes()
    return Network(
        config=config,
        weights=MappingProxyType({k: weights[k] for k in expected}),
        names=MappingProxyType({k: where(k)[1] for k in expected}),
        source=source,
    )


def _check_shapes(
    doc: document.Document, weights: dict[str, np.ndarray], config: LstmConfig, where: Where
) -> None:
    """Every key ``config`` expects is there with its shape, and no other key."""
    expected = config.weight_shapes()
    for key in weights:
        if key not in expected:
            raise doc.error(
                where(key),
                f"not a weight of this {config.cell.label}"
                + suggest(key, list(expected))
                + f" (expected keys: {', '.join(expected)})",
            )
    for key, shape in expected.items():
        if key not in weights:
            hint = (
                f"; or write bias: single under {config.kind}: for one bias per gate"
                if key.startswith("bias_hh")
                else ""
            )
            raise doc.error(
                where(key),
                f"required key is missing (expected shape "
                f"{shape_text(shape)}: "
                f"{'; '.join(axis_reasons(key, config))}){hint}",
            )
        expect_shape(doc, where(key), weights[key], shape, axis_reasons(key, config))
