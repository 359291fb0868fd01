"""What the forward pass keeps: every intermediate of every step (:class:`Step`, one
:class:`GateValues` per gate), and the whole pass (:class:`Trace`), in torch's shapes.
The formulas are in :mod:`lstm_tex.compute.engine`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lstm_tex.validate.model import Example

Direction = Literal["forward", "reverse"]


@dataclass(frozen=True)
class GateValues:
    """One gate at one step, each (B, hidden): the notebook's two affine parts and more."""

    ih: np.ndarray
    hh: np.ndarray
    pre: np.ndarray
    act: np.ndarray


@dataclass(frozen=True)
class Step:
    """Everything computed at one step of one layer and direction.

    ``c_prev``, ``c``, ``tanh_c`` and ``m`` (o * tanh(c)) are an LSTM's; ``None`` for a
    GRU or an RNN, which carry h only.
    """

    layer: int
    direction: Direction
    t: int
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray | None
    gates: dict[str, GateValues]
    c: np.ndarray | None
    tanh_c: np.ndarray | None
    m: np.ndarray | None
    h: np.ndarray

    @property
    def key(self) -> tuple[int, Direction, int]:
        return (self.layer, self.direction, self.t)


@dataclass(frozen=True)
class Trace:
    """The whole forward pass: steps ordered by layer, direction, then computation order.

    ``output`` is (T, B, D*H_out), ``h_n`` is (L*D, B, H_out), ``c_n`` is (L*D, B, hidden):
    torch's shapes for a batched input. ``c_n`` is ``None`` for a GRU or an RNN.
    """

    example: Example
    steps: tuple[Step, ...]
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None
    layer_outputs: tuple[np.ndarray, ...]

    def step(self, layer: int, direction: Direction, t: int) -> Step:
        for s in self.steps:
            if s.key == (layer, direction, t):
                return s
        raise KeyError((layer, direction, t))


def directions_of(bidirectional: bool) -> tuple[Direction, ...]:
    """The directions of a layer, in torch's order."""
    return ("forward", "reverse") if bidirectional else ("forward",)
