r"""The forward pass in float64 NumPy, keeping every intermediate.

For each layer l, direction d and step t (torch.nn.LSTM, gate order i, f, g, o)::

    ih_k  = W_ik x_t + b_ik            (k in i, f, g, o: the k-th block of weight_ih)
    hh_k  = W_hk h_{t-1} + b_hk        (the k-th block of weight_hh; b_hk = 0 with
                                        bias: single, one bias per gate)
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
    """Numerically stable logistic function: no overflow for any finite z.

    ``1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for z < 0, with ``e = exp(-|z|)`` <= 1:
    the numerator is ``max(e, [z >= 0])``: the same bits as ``np.where(z >= 0, 1, e)``, and
    fewer passes over the array (issue 17).
    """
    e: np.ndarray = np.copysign(z, -1.0)  # -|z|
    np.exp(e, out=e)
    d = 1.0 + e
    np.maximum(e, np.greater_equal(z, 0.0, out=np.empty_like(e)), out=e)  # 1 or e
    np.divide(e, d, out=e)
    return e


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


def forward(
    example: Example,
    weights: dict[str, np.ndarray] | None = None,
    *,
    rounding: Rounding | None = None,
) -> Trace:
    """Run the LSTM of ``example`` (optionally with other ``weights``), keeping everything.

    With ``rounding``, every quantity is rounded as soon as it is computed, and the
    computation goes on from the rounded values, as a reader recomputing the printed
    numbers does (the given weights, inputs and initial state are used as they are).
    """
    rounded = rounding is not None
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
    T, B = example.steps, example.batch
    g = GATES.index("g")
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            p = layer_weights(example, layer, direction)
            # The products W_k x of every step in one BLAS call, (T*B, in) @ (in, 4*hidden),
            # and W_k h_{t-1} of a step in one call with the gates stacked, (4, out,
            # hidden) contiguous. Other calls than one gate and one step at a time, so the
            # last bits of a sum may differ (FMA order): within 1e-15 of the magnitude of
            # its terms (tests/test_engine_reference.py).
            w_hh = np.ascontiguousarray(_stacked(p["w_hh"], hidden))
            # bias: single has b_ih only (b_hh is zero): ih = W_ih x + b, hh = W_hh h.
            b_hh = None if p["b_hh"] is None else p["b_hh"].reshape(len(GATES), 1, hidden)
            w_hr = p["w_hr"]
            index = layer * len(directions) + d
            # Every quantity of every step, (T, 4, B, hidden) or (T, B, n): computed in
            # place below, then frozen, then viewed step by step.
            ih_flat = layer_input.reshape(T * B, -1) @ p["w_ih"].T
            ih_view = ih_flat.reshape(T, B, len(GATES), hidden).transpose(0, 2, 1, 3)
            ih_all = np.empty((T, len(GATES), B, hidden))
            if p["b_ih"] is not None:
                np.add(ih_view, p["b_ih"].reshape(len(GATES), 1, hidden), out=ih_all)
            else:
                ih_all[...] = ih_view
            hh_all = np.empty_like(ih_all)
            if rounded:
                ih_all = shown_parts(ih_all)
            pre_all = np.empty_like(ih_all)
            act_all = np.empty_like(ih_all)
            c_all = np.empty((T, B, hidden))
            tanh_all = np.empty_like(c_all)
            m_all = np.empty_like(c_all)
            h_all = np.empty((T, B, cfg.out_size)) if w_hr is not None else m_all
            h, c = example.h0[index], example.c0[index]
            order = range(T) if direction == "forward" else range(T - 1, -1, -1)
            for t in order:
                hh = np.matmul(h, w_hh, out=hh_all[t])  # (4, B, hidden): gates i, f, g, o
                if b_hh is not None:
                    hh += b_hh
                if rounded:
                    hh[...] = shown_parts(hh)
                pre = np.add(ih_all[t], hh, out=pre_all[t])
                if rounded:
                    pre[...] = shown(pre)
                act = act_all[t]
                act[...] = sigmoid(pre)
                np.tanh(pre[g], out=act[g])
                if rounded:
                    act[...] = shown(act)
                c = np.multiply(act[1], c, out=c_all[t])  # f * c_{t-1} + i * g
                c += act[0] * act[g]
                if rounded:
                    c[...] = shown(c)
                tanh_c = np.tanh(c, out=tanh_all[t])
                if rounded:
                    tanh_c[...] = shown(tanh_c)
                m = np.multiply(act[3], tanh_c, out=m_all[t])
                if rounded:
                    m[...] = shown(m)
                if w_hr is not None:
                    h = np.matmul(m, w_hr.T, out=h_all[t])
                    if rounded:
                        h[...] = shown(h)
                else:
                    h = m
            for a in (ih_all, hh_all, pre_all, act_all, c_all, tanh_all, m_all, h_all):
                a.setflags(write=False)
            h = example.h0[index]
            c = example.c0[index]
            for t in order:
                ih, hh, pre, act = ih_all[t], hh_all[t], pre_all[t], act_all[t]
                gates = {
                    k: GateValues(ih=ih[n], hh=hh[n], pre=pre[n], act=act[n])
                    for n, k in enumerate(GATES)
                }
                c_new, h_new = c_all[t], h_all[t]
                steps.append(
                    Step(
                        layer=layer,
                        direction=direction,
                        t=t + 1,
                        x=layer_input[t],
                        h_prev=h,
                        c_prev=c,
                        gates=gates,
                        c=c_new,
                        tanh_c=tanh_all[t],
                        m=m_all[t],
                        h=h_new,
                    )
                )
                h, c = h_new, c_new
            outs.append(h_all)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outs, axis=-1)
        layer_input.setflags(write=False)  # also the next layer's x_t, views of it
        layer_outputs.append(layer_input)
    finals = np.stack(h_n), np.stack(c_n)
    for a in finals:
        a.setflags(write=False)
    return Trace(
        example=example,
        steps=tuple(steps),
        output=layer_input,
        h_n=finals[0],
        c_n=finals[1],
        layer_outputs=tuple(layer_outputs),
    )
