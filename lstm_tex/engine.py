r"""The forward pass in float64 NumPy, keeping every intermediate.

For each layer l, direction d and step t (torch.nn.LSTM, gate order i, f, g, o)::

    ih_k  = W_ik x_t + b_ik            (k in i, f, g, o: the k-th block of weight_ih)
    hh_k  = W_hk h_{t-1} + b_hk        (the k-th block of weight_hh)
    pre_k = ih_k + hh_k
    i = sigma(pre_i)   f = sigma(pre_f)   g = tanh(pre_g)   o = sigma(pre_o)
    c_t = f * c_{t-1} + i * g
    m_t = o * tanh(c_t)
    h_t = m_t,  or  h_t = W_hr m_t  with projections (proj_size > 0)

The first layer reads x_t; layer l > 0 reads layer l-1's output at t, which is
[h_fwd; h_rev] when bidirectional. The reverse direction runs t = T, ..., 1.
Every vector carries a leading batch axis (B = 1 when x has no batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from lstm_tex.spec import GATES, Example

Direction = Literal["forward", "reverse"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function: no overflow for any finite z."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = 1.0 + e
    out: np.ndarray = np.where(z >= 0, 1.0, e)  # numerators: 1 / d or e / d
    np.divide(out, d, out=out)
    return out


@dataclass(frozen=True)
class GateValues:
    """One gate at one step, each (B, hidden): the notebook's two affine parts and more."""

    ih: np.ndarray
    hh: np.ndarray
    pre: np.ndarray
    act: np.ndarray


@dataclass(frozen=True)
class Step:
    """Everything computed at one step of one layer and direction."""

    layer: int
    direction: Direction
    t: int
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    gates: dict[str, GateValues]
    c: np.ndarray
    tanh_c: np.ndarray
    m: np.ndarray
    h: np.ndarray

    @property
    def key(self) -> tuple[int, Direction, int]:
        return (self.layer, self.direction, self.t)


@dataclass(frozen=True)
class Trace:
    """The whole forward pass: steps ordered by layer, direction, then computation order.

    ``output`` is (T, B, D*H_out), ``h_n`` is (L*D, B, H_out), ``c_n`` is (L*D, B, hidden):
    torch's shapes for a batched input.
    """

    example: Example
    steps: tuple[Step, ...]
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray
    layer_outputs: tuple[np.ndarray, ...]

    def step(self, layer: int, direction: Direction, t: int) -> Step:
        for s in self.steps:
            if s.key == (layer, direction, t):
                return s
        raise KeyError((layer, direction, t))


Block = TypeVar("Block", bound=Any)


def gate_blocks(matrix: Block, hidden: int) -> dict[str, Block]:
    """Split a (4*hidden, ...) weight or bias (NumPy or torch) into its i, f, g, o blocks."""
    return {k: matrix[n * hidden : (n + 1) * hidden] for n, k in enumerate(GATES)}


def layer_weights(example: Example, layer: int, direction: Direction) -> dict[str, Any]:
    """The weights of one layer and direction, under short names (w_ih, b_ih, ...)."""
    sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
    w = example.weights
    return {
        "w_ih": w[f"weight_ih{sfx}"],
        "w_hh": w[f"weight_hh{sfx}"],
        "b_ih": w.get(f"bias_ih{sfx}"),
        "b_hh": w.get(f"bias_hh{sfx}"),
        "w_hr": w.get(f"weight_hr{sfx}"),
    }


def _stacked(matrix: np.ndarray, hidden: int) -> np.ndarray:
    """A (4*hidden, n) weight as (4, n, hidden): the transposed i, f, g, o blocks (a view)."""
    return matrix.reshape(len(GATES), hidden, -1).transpose(0, 2, 1)


def directions_of(bidirectional: bool) -> tuple[Direction, ...]:
    """The directions of a layer, in torch's order."""
    return ("forward", "reverse") if bidirectional else ("forward",)


@dataclass(frozen=True)
class Rounding:
    """How a document that goes on from its printed values rounds (``render.carry:
    displayed``): ``values`` rounds an array to the printed values; ``parts`` says whether
    ih and hh are printed (and so rounded) before their sum ``pre``."""

    values: Callable[[np.ndarray], np.ndarray]
    parts: bool = True


def _unrounded(values: np.ndarray) -> np.ndarray:
    return values


def forward(example: Example, weights: dict[str, np.ndarray] | None = None, *,
            rounding: Rounding | None = None) -> Trace:
    """Run the LSTM of ``example`` (optionally with other ``weights``), keeping everything.

    With ``rounding``, every quantity is rounded as soon as it is computed, and the
    computation goes on from the rounded values, as a reader recomputing the printed
    numbers does (the given weights, inputs and initial state are used as they are).
    """
    shown = rounding.values if rounding is not None else _unrounded
    shown_parts = shown if rounding is not None and rounding.parts else _unrounded
    if weights is not None:
        from dataclasses import replace

        example = replace(example, weights=weights)
    cfg = example.config
    hidden = cfg.hidden_size
    directions = directions_of(cfg.bidirectional)
    steps: list[Step] = []
    h_n, c_n, layer_outputs = [], [], []
    layer_input = example.x
    T = example.steps
    g = GATES.index("g")
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            p = layer_weights(example, layer, direction)
            # Stacked per gate, (4, in, hidden): one matmul call does the four products
            # W_k x of the equations, each the same BLAS call as on its own, so the same
            # bits. One (B, 4*hidden) product, or one product for all steps, would be
            # faster but changes last bits (other kernels: gemv for B = 1, FMA order).
            w_ih = _stacked(p["w_ih"], hidden)
            w_hh = _stacked(p["w_hh"], hidden)
            bias = p["b_ih"] is not None and p["b_hh"] is not None
            b_ih = p["b_ih"].reshape(len(GATES), 1, hidden) if bias else None
            b_hh = p["b_hh"].reshape(len(GATES), 1, hidden) if bias else None
            w_hr = p["w_hr"]
            index = layer * len(directions) + d
            h, c = example.h0[index], example.c0[index]
            out = np.empty((T, example.batch, cfg.out_size))
            order = range(T) if direction == "forward" else range(T - 1, -1, -1)
            for t in order:
                x_t = layer_input[t]
                ih = np.matmul(x_t, w_ih)  # (4, B, hidden): gates i, f, g, o
                hh = np.matmul(h, w_hh)
                if bias:
                    ih += b_ih
                    hh += b_hh
                ih, hh = shown_parts(ih), shown_parts(hh)
                pre = shown(ih + hh)
                act = sigmoid(pre)
                act[g] = np.tanh(pre[g])
                act = shown(act)
                for a in (ih, hh, pre, act):
                    a.setflags(write=False)
                gates = {k: GateValues(ih=ih[n], hh=hh[n], pre=pre[n], act=act[n])
                         for n, k in enumerate(GATES)}
                c_new = shown(gates["f"].act * c + gates["i"].act * gates["g"].act)
                tanh_c = shown(np.tanh(c_new))
                m = shown(gates["o"].act * tanh_c)
                h_new = shown(m @ w_hr.T) if w_hr is not None else m
                for a in (c_new, tanh_c, m, h_new):
                    a.setflags(write=False)
                steps.append(Step(layer=layer, direction=direction, t=t + 1, x=x_t,
                                  h_prev=h, c_prev=c, gates=gates, c=c_new, tanh_c=tanh_c,
                                  m=m, h=h_new))
                out[t] = h_new
                h, c = h_new, c_new
            out.setflags(write=False)
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outs, axis=-1)
        layer_input.setflags(write=False)  # also the next layer's x_t, views of it
        layer_outputs.append(layer_input)
    finals = np.stack(h_n), np.stack(c_n)
    for a in finals:
        a.setflags(write=False)
    return Trace(example=example, steps=tuple(steps), output=layer_input,
                 h_n=finals[0], c_n=finals[1], layer_outputs=tuple(layer_outputs))
