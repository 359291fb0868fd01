"""Validate a parsed example file once, at the edge, into a frozen :class:`Example`.

pydantic checks the structure (known keys, types, ranges, defaults); the functions
below check what pydantic cannot express: rectangular numeric arrays and the
shapes of weights, inputs and states against each other. Every problem becomes
an :class:`~lstm_tex.errors.InputError` naming the file, the field path, the line
and what was expected versus found. Code after this module never re-checks.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lstm_tex.compute.cells import KINDS, LSTM, Cell, Kind, Nonlinearity, cell_of, kind_from_ratio
from lstm_tex.errors import InputError, InputErrors
from lstm_tex.latex import text
from lstm_tex.read import checkpoint, loader

#: The LSTM's gates (:data:`lstm_tex.compute.cells.LSTM`); other cells: ``config.cell.gate_names``.
GATES = LSTM.gate_names
Notation = Literal["pytorch", "textbook", "row-vector"]
Format = Literal["latex", "html", "markdown"]
#: ``render.formats``: what ``render`` writes besides values.json, in this order.
FORMATS: tuple[Format, ...] = ("latex", "html", "markdown")
#: What ``render.exercise`` can blank, in the order a step computes them.
QUANTITIES = ("ih", "hh", "pre", "i", "f", "g", "o", "c", "h")
#: The quantities each notation prints: textbook and row-vector show one affine line per
#: gate (W [h; x] + b, or x W + h W + b), not ih and hh on their own.
SHOWN: dict[str, tuple[str, ...]] = {
    "pytorch": QUANTITIES,
    "textbook": QUANTITIES[2:],
    "row-vector": QUANTITIES[2:],
}
Device = str
DEVICE_PATTERN = re.compile(r"^(cpu|auto|mps|cuda(:\d+)?)$")
#: ``render.max_rows``/``max_cols``: the fewest rows and columns an elided matrix shows
#: (first, ``\vdots``, last) and the most a frame can hold at a readable size.
ELISION_MIN = 3
SLIDES_MAX_ROWS = 16
SLIDES_MAX_COLS = 16
#: Most steps (T x layers x directions) a render derives in full unless the file chooses
#: with ``render.steps`` or ``render.layers``: each writes about 7 files (T = 10,000 once
#: wrote 70,004 files, 390 MB).
MAX_DERIVED = 200


# ---------------------------------------------------------------- the YAML schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class LstmSection(_Strict):
    """``lstm:``: nn.LSTM's constructor keys (all optional; inferred from the weights)."""

    input_size: int | None = Field(None, ge=1)
    hidden_size: int | None = Field(None, ge=1)
    num_layers: int | None = Field(None, ge=1)
    bias: Any = None  # true, false or single; checked in _infer_config
    bidirectional: bool | None = None
    proj_size: int | None = Field(None, ge=0)
    batch_first: bool | None = None


class GruSection(_Strict):
    """``gru:``: nn.GRU's constructor keys (no ``proj_size``)."""

    input_size: int | None = Field(None, ge=1)
    hidden_size: int | None = Field(None, ge=1)
    num_layers: int | None = Field(None, ge=1)
    bias: Any = None
    bidirectional: bool | None = None
    batch_first: bool | None = None


class RnnSection(_Strict):
    """``rnn:``: nn.RNN's constructor keys, with ``nonlinearity`` (no ``proj_size``)."""

    input_size: int | None = Field(None, ge=1)
    hidden_size: int | None = Field(None, ge=1)
    num_layers: int | None = Field(None, ge=1)
    nonlinearity: Nonlinearity | None = None
    bias: Any = None
    bidirectional: bool | None = None
    batch_first: bool | None = None


class CheckSection(_Strict):
    device: str = Field("cpu", pattern=DEVICE_PATTERN.pattern)
    dtype: Literal["float64", "float32"] = "float64"
    atol: float | None = Field(None, gt=0)


class RenderSection(_Strict):
    decimals: int = Field(4, ge=0, le=12)
    reveal: bool = False
    expand: Any = None  # `all`, gates, or [{gate: f, steps: [1]}]; checked in _build
    max_rows: int = Field(8, ge=ELISION_MIN, le=SLIDES_MAX_ROWS)
    max_cols: int = Field(8, ge=ELISION_MIN, le=SLIDES_MAX_COLS)
    article_full: bool = False
    steps: Any = "all"  # `all`, or the steps t (from 1) derived in full; checked in _build
    layers: Any = "all"  # `all`, or the layers (from 0) derived in full
    notation: Notation = "pytorch"
    carry: Literal["exact", "displayed"] = "exact"
    exercise: Any = None  # `all`, or a list of QUANTITIES; checked in _build
    captions: bool = False
    formats: list[Format] = Field(["latex"], min_length=1)
    diagram: bool = False
    plots: bool = False


class BackwardSection(_Strict):
    target: Any
    loss: Literal["mse", "sse"] = "mse"
    lr: float | None = Field(None, gt=0)


class ExampleSection(_Strict):
    title: str | None = None
    lstm: LstmSection = Field(default_factory=LstmSection)
    gru: GruSection | None = None
    rnn: RnnSection | None = None
    weights: Any  # a mapping of arrays, or a checkpoint file; checked in _weights
    x: Any
    h0: Any = None
    c0: Any = None
    check: CheckSection = Field(default_factory=CheckSection)
    render: RenderSection = Field(default_factory=RenderSection)
    backward: BackwardSection | None = None


# ---------------------------------------------------------------- the validated example


@dataclass(frozen=True)
class LstmConfig:
    """The shape of an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``: the fields and defaults of
    their constructors, and ``kind`` (which of the three; :attr:`cell` describes it).

    ``bias`` may also be ``"single"``: one bias per gate (``bias_ih_*`` only), computed as
    torch with ``bias_hh_*`` fixed at zero and not trained. ``proj_size`` is an LSTM's
    only (0 otherwise); ``nonlinearity`` (``tanh`` or ``relu``) an RNN's only.
    """

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool | Literal["single"] = True
    bidirectional: bool = False
    proj_size: int = 0
    batch_first: bool = False
    kind: Kind = "lstm"
    nonlinearity: Nonlinearity = "tanh"

    @property
    def cell(self) -> Cell:
        """The description of this network's cell: gates, activations, state."""
        return cell_of(self.kind, self.nonlinearity)

    @property
    def single_bias(self) -> bool:
        """One bias per gate (``bias: single``)."""
        return self.bias == "single"

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """Size of h: ``proj_size`` when projecting, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.num_directions * self.out_size

    def suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every ``state_dict`` key of this configuration, in torch's order, with its shape."""
        four_h = self.cell.blocks * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            for sfx in self.suffixes():
                shapes[f"weight_ih_l{layer}{sfx}"] = (four_h, self.layer_input_size(layer))
                shapes[f"weight_hh_l{layer}{sfx}"] = (four_h, self.out_size)
                if self.bias:
                    shapes[f"bias_ih_l{layer}{sfx}"] = (four_h,)
                if self.bias is True:
                    shapes[f"bias_hh_l{layer}{sfx}"] = (four_h,)
                if self.proj_size:
                    shapes[f"weight_hr_l{layer}{sfx}"] = (self.proj_size, self.hidden_size)
        return shapes

    def as_dict(self) -> dict[str, Any]:
        """The configuration section's keys (values.json's ``lstm``/``gru``/``rnn``)."""
        keys: dict[str, Any] = {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "bidirectional": self.bidirectional,
        }
        if self.kind == "lstm":
            keys["proj_size"] = self.proj_size
        keys["batch_first"] = self.batch_first
        if self.kind == "rnn":
            keys["nonlinearity"] = self.nonlinearity
        return keys


#: The configuration of any of the three networks (the name ``LstmConfig`` stays for the
#: modules written before nn.GRU and nn.RNN).
NetworkConfig = LstmConfig


@dataclass(frozen=True)
class CheckOptions:
    device: Device = "cpu"
    dtype: Literal["float64", "float32"] = "float64"
    atol: float = 1e-10


@dataclass(frozen=True)
class RenderOptions:
    """How the documents show the trace.

    ``steps`` (t from 1) and ``layers`` (from 0, as in the weight names) select what is
    derived in full; ``None`` means all. The other steps are summarised (results only).
    ``notation`` chooses how the equations are written (the numbers are the same);
    ``carry: displayed`` computes every shown value from the rounded values shown before
    it; ``exercise`` lists the quantities an exercise sheet leaves blank; ``captions``
    adds sentences that read the gate values; ``formats`` lists the outputs besides
    values.json (``latex``: the article, deck, frames and parts; ``html``: a web page;
    ``markdown``: a Markdown file), in :data:`FORMATS` order; ``diagram`` draws the cell with
    each derived step's numbers, ``plots`` the values over time.
    ``reveal`` uncovers the frames' derivations step by step (Beamer overlays);
    ``expand`` lists the gates (with their steps) whose affine parts are also written
    out row by row; ``max_rows``/``max_cols`` bound the matrices on slides (the rest is
    elided); ``article_full`` shows every row and column in the article.
    """

    decimals: int = 4
    steps: tuple[int, ...] | None = None
    layers: tuple[int, ...] | None = None
    reveal: bool = False
    expand: tuple[tuple[str, tuple[int, ...] | None], ...] = ()  # (gate, steps; None: all)
    max_rows: int = 8
    max_cols: int = 8
    article_full: bool = False
    notation: Notation = "pytorch"
    carry: Literal["exact", "displayed"] = "exact"
    exercise: tuple[str, ...] = ()  # the QUANTITIES an exercise sheet blanks; () for none
    captions: bool = False
    #: Whether the file wrote ``render.steps`` or ``render.layers`` (even as ``all``): a
    #: choice to derive that many steps, which lifts the :data:`MAX_DERIVED` bound.
    chosen: bool = False
    formats: tuple[Format, ...] = ("latex",)
    diagram: bool = False  # the cell drawn (TikZ) with each derived step's numbers
    plots: bool = False  # the gates, c and h over time (pgfplots), for T > 1

    def expands(self, gate: str, t: int) -> bool:
        """Whether gate ``gate`` at step ``t`` is written out row by row (``render.expand``)."""
        return any(k == gate and (steps is None or t in steps) for k, steps in self.expand)

    def derives(self, layer: int, t: int) -> bool:
        """Whether step ``t`` of ``layer`` is derived in full (both directions alike)."""
        return (self.steps is None or t in self.steps) and (
            self.layers is None or layer in self.layers
        )


@dataclass(frozen=True)
class BackwardSpec:
    """``target`` has the shape of ``output`` (T, B, D*H_out) or of its last step (B, D*H_out)."""

    target: np.ndarray
    last_step_only: bool
    loss: Literal["mse", "sse"] = "mse"
    lr: float | None = None


@dataclass(frozen=True)
class Example:
    """A validated example: float64 arrays in canonical shapes, read-only.

    ``x`` is (T, B, input), also with ``batch_first`` (which only says how x and output
    are written); ``h0`` is (L*D, B, H_out); ``c0`` is (L*D, B, hidden), and (L*D, B, 0)
    for a cell without a cell state (GRU, RNN: ``config.cell.has_c`` is false). ``weights``
    are under the network's names (``weight_ih_l0``), also when given as the cell
    module's (nn.LSTMCell, nn.GRUCell, nn.RNNCell: ``weight_ih``).
    ``batched`` and ``one_step`` remember how x was written, so that outputs can be
    given back in torch's shapes for that input.
    """

    file: str
    stem: str
    config: LstmConfig
    weights: Mapping[str, np.ndarray]
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    batched: bool = False
    one_step: bool = False
    h0_given: bool = True
    c0_given: bool = True
    title: str | None = None
    check: CheckOptions = field(default_factory=CheckOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    backward: BackwardSpec | None = None
    #: The weights' names as given (nn.LSTMCell's ``weight_ih`` ...), by torch.nn.LSTM name.
    weight_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The checkpoint file the weights were read from (``weights: model.pt``), if any.
    weights_file: str | None = None
    #: What reading the checkpoint changed or assumed (``_raw`` keys, dequantized tensors).
    notes: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        return int(self.x.shape[0])

    @property
    def batch(self) -> int:
        return int(self.x.shape[1])


# ---------------------------------------------------------------- entry points


def load(path: str | Path) -> Example:
    """Read, parse and validate an example file."""
    return validate(loader.read(path), stem=Path(path).stem)


def from_mapping(data: Mapping[str, Any], *, name: str = "<example>") -> Example:
    """Validate an in-memory mapping (the Python API); messages name ``name``.

    Weights given as NumPy arrays (any size) are taken as they are, without going
    through text; nested lists are read like the lists of an example file.
    """
    import json

    weights = data.get("weights")
    preloaded = None
    if (
        isinstance(weights, Mapping)
        and weights
        and all(isinstance(v, np.ndarray) for v in weights.values())
    ):
        preloaded = {str(k): v for k, v in weights.items()}
        data = {**data, "weights": {k: [] for k in preloaded}}
    return validate(loader.parse(json.dumps(data), name), stem=Path(name).stem, preloaded=preloaded)


def validate(
    doc: loader.Document, *, stem: str, preloaded: Mapping[str, np.ndarray] | None = None
) -> Example:
    """Turn a parsed document into an :class:`Example` or raise :class:`InputError`.

    ``preloaded``: the weights as arrays (the Python API), in place of ``weights:``.
    """
    if not isinstance(doc.data, dict):
        raise doc.error(
            (), f"expected a mapping of keys (title, weights, x, ...), found {_kind(doc.data)}"
        )
    try:
        section = ExampleSection.model_validate(doc.data)
    except ValidationError as exc:
        raise _pydantic_errors(doc, exc) from None
    return _build(doc, section, stem, preloaded)


def _title(doc: loader.Document, title: str | None) -> str | None:
    """The title, if LaTeX can typeset it (:func:`lstm_tex.latex.text.problem`), else exit 2."""
    if title is not None:
        problem = text.problem(title)
        if problem is not None:
            raise doc.error(("title",), problem)
    return title


# ---------------------------------------------------------------- pydantic messages


_MISSING_HINTS: dict[tuple[Any, ...], str] = {
    ("weights",): " (the LSTM's state_dict: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0)",
    ("x",): " (the input: [x1, x2, ...] for one step, or a list of steps)",
    ("backward", "target"): " (the target of the loss, shaped like the output)",
}


#: Keys of one configuration section written under another.
_OTHER_CELL_KEYS: dict[tuple[Any, ...], str] = {
    (kind, "proj_size"): f" (proj_size is nn.LSTM's only: nn.{kind.upper()} has no projections)"
    for kind in ("gru", "rnn")
} | {
    (kind, "nonlinearity"): " (nonlinearity, tanh or relu, is nn.RNN's only: write it under rnn:)"
    for kind in ("lstm", "gru")
}


def _pydantic_errors(doc: loader.Document, exc: ValidationError) -> InputError:
    """One :class:`InputError` per problem pydantic found, in the order of the file."""
    raw = exc.errors()
    suggested = set()
    errors: list[InputError] = []
    for err in raw:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = _OTHER_CELL_KEYS.get((*loc[:-1], key)) or _suggest(key, _known_keys(loc[:-1]))
            suggested.add((*loc[:-1], hint.partition("'")[2].partition("'")[0]))
            errors.append(doc.error(loc, f"unknown key {key!r}{hint}"))
    for err in raw:
        loc = tuple(err["loc"])
        if err["type"] == "missing":
            if loc not in suggested:  # a typo of this key is reported already
                errors.append(
                    doc.error(loc, "required key is missing" + _MISSING_HINTS.get(loc, ""))
                )
        elif err["type"] != "extra_forbidden":
            errors.append(doc.error(loc, _pydantic_message(err) + _HINTS.get(loc, "")))
    errors.sort(key=lambda e: e.line or 0)
    return errors[0] if len(errors) == 1 else InputErrors(errors)


_HINTS: dict[tuple[Any, ...], str] = {
    ("render", "max_rows"): " (matrix rows a frame shows before eliding with \\vdots; "
    "render.article_full shows every number in the article)",
    ("render", "max_cols"): " (matrix columns a frame shows before eliding with \\cdots; "
    "render.article_full shows every number in the article)",
    ("render", "formats"): " (a list of latex, html and markdown, such as [latex, html])",
}


def _pydantic_message(err: Any) -> str:
    """pydantic's verdict in the words of this file format: expected ..., found ...."""
    kind, ctx, found = err["type"], err.get("ctx") or {}, _kind(err.get("input"))
    if kind == "finite_number":
        return f"expected a finite number, found {err.get('input')!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value lines), found {found}"
    if kind.startswith("int_"):
        return f"expected a whole number, found {found}"
    if kind.startswith("float_"):
        return f"expected a number, found {found}"
    if kind.startswith("bool_"):
        return f"expected true or false, found {found}"
    if kind.startswith("string_type"):
        quote = (
            ""
            if isinstance(err.get("input"), (list, dict))
            else (" (put it in quotes to use it as text)")
        )
        return f"expected text, found {found}{quote}"
    if kind == "string_pattern_mismatch" and err["loc"][-1] == "device":
        return f"expected cpu, cuda, cuda:N, mps or auto, found {found}"
    if kind == "literal_error":
        return f"expected {str(ctx.get('expected', '')).replace(chr(39), '')}, found {found}"
    bounds = {
        "greater_than": "more than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        shown = f"{limit:g}" if isinstance(limit, float) else str(limit)
        return f"expected {bounds[kind]} {shown}, found {found}"
    text = str(err["msg"])
    return f"{text[:1].lower()}{text[1:]}, found {found}"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = ExampleSection
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        candidates = [
            a
            for a in getattr(annotation, "__args__", (annotation,))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not candidates:
            return []
        model = candidates[0]
    return list(model.model_fields)


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(options)}" if options else ""


def _kind(value: Any) -> str:
    """``found ...`` words for a value as YAML wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# ---------------------------------------------------------------- arrays and shapes


def _array(doc: loader.Document, path: tuple[Any, ...], value: Any) -> np.ndarray:
    """A rectangular float64 array from nested lists of finite numbers.

    The size expected at each depth is the one most lists there have, so a ragged
    row is reported where it differs from the others, not where it first differs.
    """
    shape: list[int] = []
    like: list[tuple[Any, ...]] = []  # a list of the expected size, per depth
    level: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while True:
        lists = [(node, where) for node, where in level if isinstance(node, list)]
        if 2 * len(lists) <= len(level):  # mostly numbers: the last depth
            break
        size = Counter(len(node) for node, _ in lists).most_common(1)[0][0]
        if size == 0:
            where = next(where for node, where in lists if not node)
            raise doc.error(where, "expected numbers, found an empty list")
        shape.append(size)
        like.append(next(where for node, where in lists if len(node) == size))
        level = [(item, (*where, k)) for node, where in lists for k, item in enumerate(node)]
    flat: list[float] = []

    def walk(node: Any, where: tuple[Any, ...], depth: int) -> None:
        if depth < len(shape):
            size = shape[depth]
            if not isinstance(node, list):
                raise doc.error(
                    where,
                    f"expected a list of {_count(size, 'number')} like "
                    f"{loader.format_path(like[depth])}, "
                    f"found {_kind(node)}",
                )
            if len(node) != size:
                raise doc.error(
                    where,
                    f"ragged: expected {_count(size, 'entry', 'entries')} "
                    f"like {loader.format_path(like[depth])}, "
                    f"found {len(node)}",
                )
            for k, item in enumerate(node):
                walk(item, (*where, k), depth + 1)
            return
        if isinstance(node, bool) or not isinstance(node, (int, float)):
            what = "a number" if shape else "a list of numbers"
            raise doc.error(where, f"expected {what}, found {_kind(node)}")
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
        flat.append(number)

    walk(value, path, 0)
    array = np.array(flat, dtype=np.float64).reshape(shape)
    array.setflags(write=False)
    return array


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _expect_shape(
    doc: loader.Document,
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
        found = _found_shape(array.shape)
    else:
        diffs = [k for k in range(len(shape)) if array.shape[k] != shape[k]]
        if len(shape) == 2 and diffs == [1]:
            raise doc.error(path, f"expected {shape[1]} columns ({why}), got {array.shape[1]}")
        if len(shape) == 2 and diffs == [0]:
            raise doc.error(path, f"expected {shape[0]} rows ({why}), got {array.shape[0]}")
        found = f"shape {_shape_text(array.shape)}"
    raise doc.error(path, f"expected shape {_shape_text(shape)} ({why}), found {found}")


_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")
#: The names nn.LSTMCell's state_dict uses: a one-layer, one-direction network.
CELL_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _section_of(
    doc: loader.Document, section: ExampleSection
) -> tuple[Kind | None, LstmSection | GruSection | RnnSection]:
    """The configuration section the file wrote (``lstm:``, ``gru:`` or ``rnn:``, at most
    one) and its kind, or ``(None, an empty lstm: section)`` when it wrote none."""
    present = [k for k in KINDS if k in section.model_fields_set]
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


def _infer_config(
    doc: loader.Document,
    section: ExampleSection,
    weights: dict[str, np.ndarray],
    where: Any,
    single_bias: bool = False,
) -> LstmConfig:
    """The configuration the weights imply, checked against ``lstm:`` (``gru:``, ``rnn:``).
    ``where(key)`` is the field path of weight ``key`` (the name as the file wrote it);
    ``single_bias``: the model file has one bias per gate (Keras), so ``bias: single`` goes
    without saying."""
    kind_given, given = _section_of(doc, section)
    sec = kind_given or "lstm"
    for key in weights:
        if not _KEY.match(key):
            raise doc.error(
                where(key),
                "unknown weight name"
                + _suggest(
                    key,
                    [
                        "weight_ih_l0",
                        "weight_hh_l0",
                        "bias_ih_l0",
                        "bias_hh_l0",
                        "weight_hr_l0",
                        "weight_ih_l0_reverse",
                        *CELL_KEYS,
                    ],
                )
                + " (names as in "
                "torch.nn.LSTM(...).state_dict(), or nn.LSTMCell's weight_ih, "
                "weight_hh, bias_ih, bias_hh; likewise nn.GRU, nn.RNN and their cells)",
            )
    cell = cell_of(_kind_of(kind_given, weights))
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
                where(key), f"expected a matrix (a list of rows), found {_found_shape(w.shape)}"
            )
    if w_ih.shape[0] % blocks:
        size = given.hidden_size
        expected = f" = {blocks * size}" if size is not None else ""
        raise doc.error(
            where("weight_ih_l0"),
            f"expected {blocks} x hidden_size rows{expected} (gate blocks "
            f"{', '.join(cell.gate_names)} of {cell.torch_class}), got {w_ih.shape[0]}, "
            f"not a multiple of {blocks}" + ("" if kind_given else _kind_reason(w_hh, cell)),
        )
    layers = 1 + max(int(m.group(2)) for m in map(_KEY.match, weights) if m)
    hr = weights.get("weight_hr_l0")
    bias: bool | Literal["single"] = any(k.startswith("bias_") for k in weights)
    if given.bias not in (None, True, False, "single"):
        raise doc.error(
            (sec, "bias"),
            f"expected true, false or single (one bias per gate), found {_kind(given.bias)}",
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
    nonlinearity: Nonlinearity = (
        given.nonlinearity if isinstance(given, RnnSection) and given.nonlinearity else "tanh"
    )
    inferred = LstmConfig(
        input_size=int(w_ih.shape[1]),
        hidden_size=int(w_ih.shape[0] // blocks),
        num_layers=layers,
        bias=bias,
        bidirectional=any(k.endswith("_reverse") for k in weights),
        proj_size=int(hr.shape[0]) if cell.can_project and hr is not None and hr.ndim >= 1 else 0,
        batch_first=bool(given.batch_first),
        kind=cell.kind,
        nonlinearity=nonlinearity,
    )
    values: dict[str, Any] = {**inferred.as_dict(), "kind": cell.kind}
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
                f"is {_yaml(value)}, but the weights imply "
                f"{_yaml(inferred_value)}" + _inference_reason(name, blocks),
            )
        values[name] = value
    if values.get("proj_size", 0) >= values["hidden_size"]:
        raise doc.error(
            where("weight_hr_l0"),
            f"expected fewer rows than hidden_size {values['hidden_size']} "
            f"(proj_size must be smaller, as in torch), got {values['proj_size']}",
        )
    return LstmConfig(**values)


def _kind_reason(w_hh: np.ndarray, cell: Cell) -> str:
    """Why a file without a configuration section was read as ``cell``'s kind."""
    rows, cols = w_hh.shape
    ratio = kind_from_ratio(int(rows), int(cols))
    why = (
        f"weight_hh_l0's {rows} rows / {cols} columns is {cell.blocks}"
        if ratio == cell.kind
        else f"weight_hh_l0's {rows} rows / {cols} columns is not 4, 3 or 1"
    )
    return (
        f" (no lstm:, gru: or rnn: section, and {why}, so read as "
        f"{'a' if cell.kind == 'gru' else 'an'} {cell.label}; write lstm:, gru: or rnn: to "
        "say which)"
    )


_MATRIX_COLUMNS = {"weight_ih_l0": "input_size", "weight_hh_l0": "hidden_size"}


def _yaml(value: Any) -> str:
    """A value as YAML writes it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _found_shape(shape: Sequence[int]) -> str:
    if not shape:
        return "a single number"
    return f"{len(shape)}-D shape {_shape_text(shape)}"


def _inference_reason(name: str, blocks: int = 4) -> str:
    return {
        "input_size": " (columns of weight_ih_l0)",
        "hidden_size": " (rows of weight_ih_l0" + (f" / {blocks})" if blocks > 1 else ")"),
        "bias": " (bias_* keys present or not; bias: single for bias_ih keys only)",
        "bidirectional": " (*_reverse keys present or not)",
        "proj_size": " (rows of weight_hr_l0, or 0 without it)",
    }.get(name, "")


_REFERENCE_KEYS = ("file", "prefix")


def _weights(
    doc: loader.Document, section: ExampleSection, preloaded: Mapping[str, np.ndarray] | None
) -> tuple[dict[str, np.ndarray], dict[str, str], checkpoint.Found | None]:
    """The weights under torch.nn.LSTM's names, the names as given, and the checkpoint
    they came from: arrays in the file, arrays from the API, or ``weights: model.pt``."""
    value = section.weights
    source = None
    if preloaded is not None:
        arrays = {k: _finite(doc, ("weights", k), v) for k, v in preloaded.items()}
    elif isinstance(value, str) or (isinstance(value, dict) and "file" in value):
        source = _reference(doc, value)
        arrays = dict(source.weights)
    elif isinstance(value, dict):
        arrays = {key: _array(doc, ("weights", key), v) for key, v in value.items()}
    else:
        raise doc.error(
            ("weights",),
            "expected a mapping of weight names to arrays, or a "
            "checkpoint file (weights: model.pt, or {file: "
            f"model.pt, prefix: encoder.lstm.}}), found "
            f"{_kind(value)}",
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


def _reference(doc: loader.Document, value: Any) -> checkpoint.Found:
    """``weights: model.pt`` or ``{file: model.pt, prefix: ...}``, relative to the file."""
    prefix = None
    if isinstance(value, dict):
        for key in value:
            if key not in _REFERENCE_KEYS:
                raise doc.error(
                    ("weights", key),
                    f"unknown key {key!r} next to file"
                    + _suggest(key, _REFERENCE_KEYS)
                    + " (a checkpoint "
                    "reference has file and prefix)",
                )
        for key in _REFERENCE_KEYS:
            if key in value and not isinstance(value[key], str):
                raise doc.error(("weights", key), f"expected text, found {_kind(value[key])}")
        name, prefix = value["file"], value.get("prefix")
        path: tuple[Any, ...] = ("weights", "file")
    else:
        name, path = value, ("weights",)
    if not name.strip():
        raise doc.error(path, "expected a checkpoint file name such as model.pt, found empty text")
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
            field=loader.format_path(path),
        ) from None


def _finite(doc: loader.Document, path: tuple[Any, ...], value: np.ndarray) -> np.ndarray:
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


def _build(
    doc: loader.Document,
    section: ExampleSection,
    stem: str,
    preloaded: Mapping[str, np.ndarray] | None = None,
) -> Example:
    weights, names, source = _weights(doc, section, preloaded)

    def where(key: str) -> tuple[Any, ...]:
        cell = key.removesuffix("_l0") if names and key.endswith("_l0") else key
        return ("weights", names.get(key, cell))

    try:
        config = _infer_config(
            doc, section, weights, where, single_bias=source is not None and source.single_bias
        )
        expected = config.weight_shapes()
        for key in weights:
            if key not in expected:
                raise doc.error(
                    where(key),
                    f"not a weight of this {config.cell.label}"
                    + _suggest(key, list(expected))
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
                    f"{_shape_text(shape)}: "
                    f"{'; '.join(_why(key, config))}){hint}",
                )
            _expect_shape(doc, where(key), weights[key], shape, _why(key, config))
    except InputError as exc:
        raise exc if source is None else source.located(exc) from None

    x = _array(doc, ("x",), section.x)
    n_in = config.input_size
    one_step = batched = False
    if x.ndim == 1:
        if x.shape[0] != n_in:
            raise doc.error(
                ("x",),
                f"expected {n_in} numbers (input_size) for one step, "
                f"or a list of steps [[...], ...]; found {x.shape[0]}",
            )
        one_step = True
        x3 = x.reshape(1, 1, n_in)
    elif x.ndim == 2:
        if x.shape[1] != n_in:
            raise doc.error(
                ("x",), f"expected steps of {n_in} numbers (input_size), found {x.shape[1]}"
            )
        x3 = x.reshape(x.shape[0], 1, n_in)
    elif x.ndim == 3:
        layout = "(batch, T, input)" if config.batch_first else "(T, batch, input)"
        if x.shape[2] != n_in:
            raise doc.error(
                ("x",),
                f"expected shape {layout.replace('input', str(n_in))}"
                f"{', batch_first' if config.batch_first else ''}, "
                f"found {_shape_text(x.shape)}",
            )
        batched = True
        # batch_first: (batch, T, input) as written, (T, batch, input) inside.
        x3 = x.transpose(1, 0, 2) if config.batch_first else x
    else:
        batch_layout = "(batch, T, input)" if config.batch_first else "(T, batch, input)"
        raise doc.error(
            ("x",),
            f"expected (input,), (T, input) or {batch_layout}, found {_found_shape(x.shape)}",
        )
    batch = x3.shape[1]
    layers_dirs = config.num_layers * config.num_directions
    h0, h0_given = _state(doc, "h0", section.h0, layers_dirs, batch, config.out_size, batched)
    if config.cell.has_c:
        c0, c0_given = _state(
            doc, "c0", section.c0, layers_dirs, batch, config.hidden_size, batched
        )
    elif section.c0 is not None:
        raise doc.error(
            ("c0",),
            f"{config.cell.torch_class} has no cell state c, so expected no c0 (only h0, "
            f"the initial hidden state), found {_kind(section.c0)}",
        )
    else:
        c0, c0_given = np.zeros((layers_dirs, batch, 0)), False
        c0.setflags(write=False)
    check = CheckOptions(
        device=section.check.device,
        dtype=section.check.dtype,
        atol=section.check.atol
        if section.check.atol is not None
        else (1e-10 if section.check.dtype == "float64" else 1e-5),
    )
    backward = None
    if section.backward is not None:
        backward = _backward(
            doc,
            section.backward,
            x3.shape[0],
            batch,
            config.num_directions * config.out_size,
            batched,
            config.batch_first,
        )
    frozen = {k: weights[k] for k in expected}
    x3 = np.ascontiguousarray(x3)
    x3.setflags(write=False)
    return Example(
        file=doc.file,
        stem=stem,
        config=config,
        weights=MappingProxyType(frozen),
        weight_names=MappingProxyType({k: where(k)[1] for k in expected}),
        weights_file=None if source is None else source.file,
        notes=() if source is None else source.notes,
        x=x3,
        h0=h0,
        c0=c0,
        batched=batched,
        one_step=one_step,
        h0_given=h0_given,
        c0_given=c0_given,
        title=_title(doc, section.title),
        check=check,
        render=_with_view(
            doc,
            section.render,
            RenderOptions(
                decimals=section.render.decimals,
                steps=_selection(
                    doc,
                    ("render", "steps"),
                    section.render.steps,
                    1,
                    x3.shape[0],
                    "step",
                    f"x has {_count(x3.shape[0], 'step')}, numbered from 1",
                ),
                layers=_selection(
                    doc,
                    ("render", "layers"),
                    section.render.layers,
                    0,
                    config.num_layers - 1,
                    "layer",
                    f"the {config.cell.label} has {_count(config.num_layers, 'layer')}, numbered "
                    "from 0 as in the weight names",
                ),
                notation=section.render.notation,
                carry=section.render.carry,
                exercise=_exercise_option(
                    doc, section.render.exercise, section.render.notation, config.cell
                ),
                captions=section.render.captions,
                chosen=bool({"steps", "layers"} & section.render.model_fields_set),
                formats=formats_option(section.render.formats),
                diagram=section.render.diagram,
                plots=section.render.plots,
            ),
            x3.shape[0],
            config.cell,
        ),
        backward=backward,
    )


def _why(key: str, config: LstmConfig) -> tuple[str, ...]:
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


def _state(
    doc: loader.Document,
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
    state = _array(doc, (name,), value)
    what = _state_size_name(name, doc)
    if batched:
        _expect_shape(
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
        _expect_shape(
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


def _state_size_name(name: str, doc: loader.Document) -> str:
    lstm = doc.data.get("lstm") if isinstance(doc.data, dict) else None
    weights = doc.data.get("weights") if isinstance(doc.data, dict) else None
    projected = (isinstance(lstm, dict) and lstm.get("proj_size")) or (
        isinstance(weights, dict) and "weight_hr_l0" in weights
    )
    if name == "h0" and projected:
        return "proj_size"
    return "hidden_size"


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _selection(
    doc: loader.Document,
    path: tuple[Any, ...],
    value: Any,
    first: int,
    last: int,
    what: str,
    why: str,
) -> tuple[int, ...] | None:
    """``render.steps``/``render.layers``: ``all`` -> None, else sorted whole numbers."""
    if value == "all":
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, list):
        raise doc.error(
            path, f"expected all or a list of {what}s such as [{first}], found {_kind(value)}"
        )
    for k, item in enumerate(items):
        where = (*path, k) if isinstance(value, list) else path
        if isinstance(item, bool) or not isinstance(item, int):
            raise doc.error(where, f"expected a {what} number, found {_kind(item)}")
        if not first <= item <= last:
            raise doc.error(
                where, f"there is no {what} {item}: {why}, so expected {first} to {last}"
            )
    return tuple(sorted(set(items)))


class _BadExercise(ValueError):
    """An invalid ``render.exercise``: the message, and the list index at fault (or None)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def shown_quantities(cell: Cell, notation: str) -> tuple[str, ...]:
    """The quantities ``notation`` prints for ``cell`` (:data:`SHOWN` for the LSTM):
    every one of :attr:`Cell.quantities` in ``pytorch``; from ``pre`` on in the others."""
    everything = cell.quantities
    return everything if notation == "pytorch" else everything[2:]


def exercise_quantities(value: Any, notation: str, cell: Cell = LSTM) -> tuple[str, ...]:
    """``render.exercise``: ``all`` (what ``notation`` shows) or a list of the ``cell``'s
    quantities (:data:`QUANTITIES` for the LSTM), returned in the order a step computes
    them; ``None`` is no exercise, ``()``."""
    shown = shown_quantities(cell, notation)
    known = cell.quantities
    if value is None:
        return ()
    if value == "all":
        return shown
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise _BadExercise(
            f"expected all or a list of quantities such as [f, c, h] "
            f"(any of {', '.join(known)}), found {_kind(value)}"
        )
    for k, item in enumerate(items):
        where = k if isinstance(value, list) else None
        if not isinstance(item, str) or item not in known:
            hint = (
                _suggest(item, known)
                if isinstance(item, str)
                else (f"; expected one of: {', '.join(known)}")
            )
            shown_item = repr(item) if isinstance(item, str) else _kind(item)
            raise _BadExercise(f"unknown quantity {shown_item}{hint}", where)
        if item not in shown:
            raise _BadExercise(
                f"{item} is not shown in the {notation} notation (one "
                f"affine line per gate, straight to pre), so it cannot be "
                f"blanked; expected one of {', '.join(shown)}",
                where,
            )
    return tuple(q for q in known if q in items)


def _exercise_option(
    doc: loader.Document, value: Any, notation: str, cell: Cell
) -> tuple[str, ...]:
    try:
        return exercise_quantities(value, notation, cell)
    except _BadExercise as exc:
        where = ("render", "exercise") + (() if exc.index is None else (exc.index,))
        raise doc.error(where, str(exc)) from None


def formats_option(formats: Sequence[str]) -> tuple[Format, ...]:
    """``render.formats`` without repeats, in :data:`FORMATS` order (validated before)."""
    return tuple(f for f in FORMATS if f in formats)


def with_render(example: Example, **changes: Any) -> Example:
    """``example`` with some ``render`` options replaced (the command line's flags):
    ``notation``, ``carry``, ``captions``, ``diagram``, ``plots`` as in the file,
    ``exercise`` as text (``all`` or ``f,c,h``); ``formats`` are added to the file's
    (``--html``, ``--markdown``). Raises :class:`InputError` naming the flag."""
    notation = changes.get("notation") or example.render.notation
    if notation not in SHOWN:
        raise InputError(f"expected {', '.join(SHOWN)}, found {notation!r}", field="--notation")
    if changes.get("carry") not in (None, "exact", "displayed"):
        raise InputError(
            f"expected exact or displayed, found {changes['carry']!r}", field="--carry"
        )
    exercise = changes.get("exercise")
    field_name = "--exercise"
    if isinstance(exercise, str):
        parts = [q.strip() for q in exercise.split(",") if q.strip()]
        value: Any = "all" if parts == ["all"] else parts
    else:
        value, field_name = list(example.render.exercise) or None, "render.exercise"
    try:
        quantities = exercise_quantities(value, notation, example.config.cell)
    except _BadExercise as exc:
        raise InputError(str(exc), field=field_name) from None

    def switch(key: str) -> bool:
        given = changes.get(key)
        return bool(getattr(example.render, key) if given is None else given)

    options = replace(
        example.render,
        notation=notation,
        exercise=quantities,
        carry=changes.get("carry") or example.render.carry,
        captions=switch("captions"),
        diagram=switch("diagram"),
        plots=switch("plots"),
        formats=formats_option((*example.render.formats, *changes.get("formats", ()))),
    )
    return replace(example, render=options)


class _BadOption(ValueError):
    """An invalid render option: the message, and the path below the option at fault."""

    def __init__(self, message: str, where: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.where = where


_EXPAND_FORMS = "all, a gate, or a list such as [f, o] or [{gate: f, steps: [1]}]"


def expand_option(
    value: Any, steps: int, derived: tuple[int, ...] | None, cell: Cell = LSTM
) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
    """``render.expand``: which gates, at which steps, are written out row by row.

    ``None`` or ``[]`` is none; ``all`` is every gate; a gate (``f``) or a list of gates
    and ``{gate: ..., steps: ...}`` entries (``gate`` one of i, f, g, o, ``all`` or a list
    of them; ``steps`` as in ``render.steps``, default ``all``). The result has one
    ``(gate, steps)`` per gate, in the order i, f, g, o (``None``: every derived step).
    Raises :class:`_BadOption` with the path below ``render.expand``. Another ``cell``
    than the LSTM has its own gates (r, z, n; an RNN's one block, ``h``), in its order.
    """
    gate_names = cell.gate_names
    if value is None or value == "all":
        return () if value is None else tuple((k, None) for k in gate_names)
    items = value if isinstance(value, list) else [value]
    chosen: dict[str, set[int] | None] = {}
    for k, item in enumerate(items):
        where: tuple[Any, ...] = (k,) if isinstance(value, list) else ()
        if isinstance(item, dict):
            unknown = [key for key in item if key not in ("gate", "steps")]
            if unknown:
                raise _BadOption(
                    f"unknown key {unknown[0]!r}" + _suggest(str(unknown[0]), ["gate", "steps"]),
                    (*where, unknown[0]),
                )
            if "gate" not in item:
                raise _BadOption(
                    f"required key is missing (gate: {', '.join(gate_names)} or all)",
                    (*where, "gate"),
                )
            gates = _expand_gates(item["gate"], (*where, "gate"), gate_names)
            steps_of = _expand_steps(item.get("steps", "all"), steps, derived, (*where, "steps"))
        elif isinstance(item, str):
            gates, steps_of = _expand_gates(item, where, gate_names), None
        else:
            raise _BadOption(f"expected {_EXPAND_FORMS}, found {_kind(item)}", where)
        for gate in gates:
            if steps_of is None or (gate in chosen and chosen[gate] is None):
                chosen[gate] = None
            else:
                chosen[gate] = (chosen.get(gate) or set()) | steps_of
    return tuple(
        (k, None if chosen[k] is None else tuple(sorted(chosen[k] or ())))
        for k in gate_names
        if k in chosen
    )


def _or_list(names: Sequence[str]) -> str:
    """``i, f, g or o``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _expand_gates(
    value: Any, where: tuple[Any, ...], gate_names: tuple[str, ...] = GATES
) -> tuple[str, ...]:
    if value == "all":
        return gate_names
    names = value if isinstance(value, list) else [value]
    for n, name in enumerate(names):
        at = (*where, n) if isinstance(value, list) else where
        if not isinstance(name, str):
            raise _BadOption(
                f"expected a gate ({_or_list(gate_names)}) or all, found {_kind(name)}", at
            )
        if name not in gate_names:
            raise _BadOption(
                f"unknown gate {name!r}; expected {_or_list(gate_names)} (torch's gate order) "
                "or all",
                at,
            )
    return tuple(names)


def _expand_steps(
    value: Any, steps: int, derived: tuple[int, ...] | None, where: tuple[Any, ...]
) -> set[int] | None:
    if value == "all":
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, list) or not items:
        raise _BadOption(
            f"expected all or a list of steps such as [1], found {_kind(value)}", where
        )
    for n, t in enumerate(items):
        at = (*where, n) if isinstance(value, list) else where
        if isinstance(t, bool) or not isinstance(t, int):
            raise _BadOption(f"expected a step number, found {_kind(t)}", at)
        if not 1 <= t <= steps:
            raise _BadOption(
                f"there is no step {t}: x has {_count(steps, 'step')}, numbered "
                f"from 1, so expected 1 to {steps}",
                at,
            )
        if derived is not None and t not in derived:
            raise _BadOption(
                f"step {t} is not derived in full (render.steps: "
                f"{list(derived)}), so it cannot be written out row by row; "
                f"expected one of {', '.join(map(str, derived))}",
                at,
            )
    return set(items)


def _with_view(
    doc: loader.Document,
    section: RenderSection,
    options: RenderOptions,
    steps: int,
    cell: Cell = LSTM,
) -> RenderOptions:
    """``options`` with the presentation keys of ``section`` (reveal, expand, elision)."""
    try:
        expand = expand_option(section.expand, steps, options.steps, cell)
    except _BadOption as exc:
        raise doc.error(("render", "expand", *exc.where), str(exc)) from None
    return replace(
        options,
        reveal=section.reveal,
        expand=expand,
        max_rows=section.max_rows,
        max_cols=section.max_cols,
        article_full=section.article_full,
    )


def with_view(
    example: Example,
    *,
    reveal: bool | None = None,
    expand: Sequence[str] | None = None,
    max_rows: int | None = None,
    max_cols: int | None = None,
    article_full: bool | None = None,
) -> Example:
    """``example`` with presentation options replaced (the command line's flags; ``None``
    keeps the file's). ``expand`` holds ``GATE`` or ``GATE:STEPS`` texts (``f``, ``all``,
    ``o:1,3``), one per ``--expand``. Raises :class:`InputError` naming the flag."""
    changes: dict[str, Any] = {}
    if expand is not None:
        entries: list[Any] = []
        for text in [expand] if isinstance(expand, str) else expand:
            gate, _, steps_text = text.partition(":")
            entry: dict[str, Any] = {"gate": gate.strip()}
            if steps_text.strip():
                try:
                    entry["steps"] = [int(t) for t in steps_text.split(",") if t.strip()]
                except ValueError:
                    raise InputError(
                        f"expected GATE or GATE:STEPS such as f or o:1,3, found {text!r}",
                        field="--expand",
                    ) from None
            entries.append(entry)
        try:
            changes["expand"] = expand_option(
                entries, example.steps, example.render.steps, example.config.cell
            )
        except _BadOption as exc:
            raise InputError(str(exc), field="--expand") from None
    for name, value, limit in (
        ("max_rows", max_rows, SLIDES_MAX_ROWS),
        ("max_cols", max_cols, SLIDES_MAX_COLS),
    ):
        if value is not None:
            if not ELISION_MIN <= value <= limit:
                raise InputError(
                    f"expected {ELISION_MIN} to {limit}, found {value}" + _HINTS[("render", name)],
                    field="--" + name.replace("_", "-"),
                )
            changes[name] = value
    if reveal is not None:
        changes["reveal"] = reveal
    if article_full is not None:
        changes["article_full"] = article_full
    return replace(example, render=replace(example.render, **changes)) if changes else example


def _backward(
    doc: loader.Document,
    section: BackwardSection,
    steps: int,
    batch: int,
    width: int,
    batched: bool,
    batch_first: bool = False,
) -> BackwardSpec:
    target = _array(doc, ("backward", "target"), section.target)
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
            f"expected the shape of output {_shape_text(full)} or of its last "
            f"step {_shape_text(last)}, found {_shape_text(target.shape)}",
        )
    canonical = np.ascontiguousarray(canonical)
    canonical.setflags(write=False)
    return BackwardSpec(
        target=canonical, last_step_only=last_only, loss=section.loss, lr=section.lr
    )
