"""The example file's schema: its sections and keys as pydantic models.

The structure (known keys, types, ranges, defaults); what it cannot express (arrays,
shapes, the weights against each other) is checked by :mod:`lstm_tex.validate.spec`.
:mod:`lstm_tex.validate.structs` says the same in msgspec and checks every file; these
models are imported only for a file it rejects, and their verdicts become the messages
(:mod:`lstm_tex.validate.messages`). ``tests/test_schema_twins.py`` keeps the two the same.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lstm_tex.compute.cells import Nonlinearity
from lstm_tex.validate.model import (
    DEVICE_PATTERN,
    ELISION_MIN,
    SLIDES_MAX_COLS,
    SLIDES_MAX_ROWS,
    Format,
    Notation,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class LstmSection(_Strict):
    """``lstm:``: nn.LSTM's constructor keys (all optional; inferred from the weights)."""

    input_size: int | None = Field(None, ge=1)
    hidden_size: int | None = Field(None, ge=1)
    num_layers: int | None = Field(None, ge=1)
    bias: Any = None  # true, false or single; checked in infer_config
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
    text_size: Literal[9, 10, 11] = 10  # TEXT_SIZES
    article_full: bool = False
    steps: Any = "all"  # `all`, or the steps t (from 1) derived in full; checked in _build
    layers: Any = "all"  # `all`, or the layers (from 0) derived in full
    notation: Notation = "pytorch"
    carry: Literal["exact", "displayed"] | None = None  # default: displayed with an exercise
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
    weights: Any  # a mapping of arrays, or a checkpoint file; checked in read_weights
    x: Any
    h0: Any = None
    c0: Any = None
    check: CheckSection = Field(default_factory=CheckSection)
    render: RenderSection = Field(default_factory=RenderSection)
    backward: BackwardSection | None = None
