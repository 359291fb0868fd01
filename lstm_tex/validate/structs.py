"""The example file's schema as msgspec Structs: what checks a file on the way in.

The file format is written here once. :mod:`lstm_tex.validate.schema` builds pydantic
models from these Structs, whose verdicts :mod:`lstm_tex.validate.messages` puts in the
file format's own words. pydantic and the models it builds cost about 70 ms of every start
against about 2 ms for msgspec (issue 17), so a file is checked here, and pydantic is
imported only when this check rejects it, to say why. ``tests/test_schema_twins.py`` checks
that the built models read the same: the same sections, keys, defaults and verdicts.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct, field

from lstm_tex.compute.cells import Nonlinearity
from lstm_tex.latex.decks import Aspect, FontSize
from lstm_tex.validate.model import (
    DEVICE_PATTERN,
    ELISION_MIN,
    SLIDES_MAX_COLS,
    SLIDES_MAX_ROWS,
    Format,
    Notation,
)

Positive = Annotated[int, Meta(ge=1)]
#: A finite float above 0 (pydantic's ``gt=0`` with ``allow_inf_nan=False``).
PositiveFinite = Annotated[float, Meta(gt=0, le=sys.float_info.max)]
#: ``$`` of Python's re also matches before a final newline; pydantic's regex does not.
Device = Annotated[str, Meta(pattern=DEVICE_PATTERN.pattern.removesuffix("$") + r"\Z")]


class _Strict(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class LstmSection(_Strict, frozen=True, kw_only=True):
    """``lstm:``: nn.LSTM's constructor keys (all optional; inferred from the weights)."""

    input_size: Positive | None = None
    hidden_size: Positive | None = None
    num_layers: Positive | None = None
    bias: Any = None  # true, false or single; checked in infer_config
    bidirectional: bool | None = None
    proj_size: Annotated[int, Meta(ge=0)] | None = None
    batch_first: bool | None = None


class GruSection(_Strict, frozen=True, kw_only=True):
    """``gru:``: nn.GRU's constructor keys (no ``proj_size``)."""

    input_size: Positive | None = None
    hidden_size: Positive | None = None
    num_layers: Positive | None = None
    bias: Any = None
    bidirectional: bool | None = None
    batch_first: bool | None = None


class RnnSection(_Strict, frozen=True, kw_only=True):
    """``rnn:``: nn.RNN's constructor keys, with ``nonlinearity`` (no ``proj_size``)."""

    input_size: Positive | None = None
    hidden_size: Positive | None = None
    num_layers: Positive | None = None
    nonlinearity: Nonlinearity | None = None
    bias: Any = None
    bidirectional: bool | None = None
    batch_first: bool | None = None


class CheckSection(_Strict, frozen=True, kw_only=True):
    device: Device = "cpu"
    dtype: Literal["float64", "float32"] = "float64"
    atol: PositiveFinite | None = None


class DeckSection(_Strict, frozen=True, kw_only=True):
    """``render.deck``: the Beamer deck the slides are laid out for (a lecturer's own)."""

    theme: str = "default"  # a theme of lstm_tex.latex.decks.THEMES; checked in _build
    aspect: Aspect = "16:9"
    font_size: FontSize = 11  # the class's: \documentclass[10pt]{beamer}


class RenderSection(_Strict, frozen=True, kw_only=True):
    decimals: Annotated[int, Meta(ge=0, le=12)] = 4
    reveal: bool = False
    expand: Any = None  # `all`, gates, or [{gate: f, steps: [1]}]; checked in _build
    max_rows: Annotated[int, Meta(ge=ELISION_MIN, le=SLIDES_MAX_ROWS)] = 8
    max_cols: Annotated[int, Meta(ge=ELISION_MIN, le=SLIDES_MAX_COLS)] = 8
    text_size: Literal[9, 10, 11] = 10  # TEXT_SIZES
    deck: DeckSection = field(default_factory=DeckSection)
    article_full: bool = False
    steps: Any = "all"  # `all`, or the steps t (from 1) derived in full; checked in _build
    layers: Any = "all"  # `all`, or the layers (from 0) derived in full
    notation: Notation = "pytorch"
    carry: Literal["exact", "displayed"] | None = None  # default: displayed with an exercise
    exercise: Any = None  # `all`, or a list of QUANTITIES; checked in _build
    captions: bool = False
    formats: Annotated[list[Format], Meta(min_length=1)] = field(default_factory=lambda: ["latex"])
    diagram: bool = False
    plots: bool = False


class BackwardSection(_Strict, frozen=True, kw_only=True):
    target: Any
    loss: Literal["mse", "sse"] = "mse"
    lr: PositiveFinite | None = None


class ExampleSection(_Strict, frozen=True, kw_only=True):
    title: str | None = None
    lstm: LstmSection = field(default_factory=LstmSection)
    gru: GruSection | None = None
    rnn: RnnSection | None = None
    weights: Any  # a mapping of arrays, or a checkpoint file; checked in _weights
    x: Any
    h0: Any = None
    c0: Any = None
    check: CheckSection = field(default_factory=CheckSection)
    render: RenderSection = field(default_factory=RenderSection)
    backward: BackwardSection | None = None


def convert(data: Any) -> ExampleSection:
    """The sections of a parsed file; :class:`msgspec.ValidationError` when the file breaks
    the schema (then :mod:`lstm_tex.validate.schema` says where and why)."""
    return msgspec.convert(data, ExampleSection)
