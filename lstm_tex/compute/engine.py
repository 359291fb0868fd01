r"""The forward pass in float64 NumPy, keeping every intermediate.

The cell (:attr:`lstm_tex.validate.spec.LstmConfig.cell`, described in
:mod:`lstm_tex.compute.cells`) says which formulas run. Each step keeps, per gate k, a
:class:`GateValues` of (B, hidden) arrays ``ih``, ``hh``, ``pre``, ``act``; ``Step.gates``
holds them in torch's block order.

**nn.LSTM** (gate order i, f, g, o). For each layer l, direction d and step t::

    ih_k  = W_ik x_t + b_ik            (k in i, f, g, o: the k-th block of weight_ih)
    hh_k  = W_hk h_{t-1} + b_hk        (the k-th block of weight_hh; b_hk = 0 with
                                        bias: single, one bias per gate)
    pre_k = ih_k + hh_k
    i = sigma(pre_i)   f = sigma(pre_f)   g = tanh(pre_g)   o = sigma(pre_o)
    c_t = f * c_{t-1} + i * g
    m_t = o * tanh(c_t)
    h_t = m_t,  or  h_t = W_hr m_t  with projections (proj_size > 0)

**nn.GRU** (gate order r, z, n; torch's formulas, where r multiplies W_hn h + b_hn)::

    ih_k  = W_ik x_t + b_ik            (k in r, z, n)
    hh_k  = W_hk h_{t-1} + b_hk        (for n too: hh_n = W_hn h_{t-1} + b_hn)
    pre_r = ih_r + hh_r    r = sigma(pre_r)
    pre_z = ih_z + hh_z    z = sigma(pre_z)
    pre_n = ih_n + r * hh_n            n = tanh(pre_n)
    h_t   = (1 - z) * n + z * h_{t-1}

``Step.gates`` is {"r", "z", "n"}; ``act`` is r, z and n.

**nn.RNN** (one block, named ``h``: its activation is the new state)::

    ih = W_ih x_t + b_ih    hh = W_hh h_{t-1} + b_hh    pre = ih + hh
    h_t = tanh(pre)   (or relu(pre) with nonlinearity: relu)

``Step.gates`` is {"h"}, and ``Step.h`` is that gate's ``act``.

A GRU and an RNN carry no cell state: ``Step.c_prev``, ``c``, ``tanh_c`` and ``m`` are
``None``, and so is ``Trace.c_n``. With ``bias: false`` there are no biases; with
``bias: single`` b_hk is zero (for a GRU, hh_n = W_hn h_{t-1} then).

The first layer reads x_t; layer l > 0 reads layer l-1's output at t, which is
[h_fwd; h_rev] when bidirectional. The reverse direction runs t = T, ..., 1.
Every vector carries a leading batch axis (B = 1 when x has no batch).
All input projections W_ih x_t of a layer and direction are one BLAS call, the
W_hh h_{t-1} of a step one more, for every cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from lstm_tex.compute.cells import LSTM, Cell
from lstm_tex.validate.spec import Example

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


Block = TypeVar("Block", bound=Any)


def gate_blocks(matrix: Block, hidden: int, cell: Cell | Sequence[str] = LSTM) -> dict[str, Block]:
    """Split a (blocks*hidden, ...) weight or bias (NumPy or torch) into its gate blocks,
    by name: i, f, g, o for an LSTM (the default), r, z, n for a GRU, h for an RNN.
    ``cell`` is a :class:`~lstm_tex.compute.cells.Cell` or the gates' names in block order."""
    names = cell.gate_names if isinstance(cell, Cell) else tuple(cell)
    return {k: matrix[n * hidden : (n + 1) * hidden] for n, k in enumerate(names)}


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


def _stacked(matrix: np.ndarray, hidden: int, blocks: int) -> np.ndarray:
    """A (blocks*hidden, n) weight as (blocks, n, hidden): the transposed gate blocks
    (a view)."""
    return matrix.reshape(blocks, hidden, -1).transpose(0, 2, 1)


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


@dataclass(frozen=True)
class _Run:
    """What one layer and direction computes: its steps (in computation order), its
    output sequence h (T, B, H_out) and its final h and c (``None`` without c)."""

    steps: list[Step]
    h_all: np.ndarray
    h_last: np.ndarray
    c_last: np.ndarray | None


@dataclass(frozen=True)
class _Direction:
    """The inputs of one layer and direction: weights (short names), initial state, the
    order of the steps, the input ih of every step (T, blocks, B, hidden) and rounding."""

    layer: int
    direction: Direction
    p: dict[str, Any]
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    order: range
    ih_all: np.ndarray
    hidden: int
    out_size: int
    cell: Cell
    shown: Callable[[np.ndarray], np.ndarray]
    shown_parts: Callable[[np.ndarray], np.ndarray]
    rounded: bool

    def hh_weights(self) -> tuple[np.ndarray, np.ndarray | None]:
        """W_hh as (blocks, out, hidden), contiguous, and b_hh as (blocks, 1, hidden)."""
        blocks = self.cell.blocks
        w_hh = np.ascontiguousarray(_stacked(self.p["w_hh"], self.hidden, blocks))
        # bias: single has b_ih only (b_hh is zero): ih = W_ih x + b, hh = W_hh h.
        b = self.p["b_hh"]
        return w_hh, None if b is None else b.reshape(blocks, 1, self.hidden)

    def recurrent(
        self, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray | None, out: np.ndarray
    ) -> np.ndarray:
        """hh = W_hh h + b_hh of every block, into ``out`` (rounded as the documents show
        the parts, with rounding)."""
        hh = np.matmul(h, w_hh, out=out)
        if b_hh is not None:
            hh += b_hh
        if self.rounded:
            hh[...] = self.shown_parts(hh)
        return hh

    def step(
        self,
        t: int,
        h_prev: np.ndarray,
        parts: tuple[np.ndarray, np.ndarray, np.ndarray],
        h: np.ndarray,
        *,
        c: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> Step:
        """Step ``t`` (from 0) viewing the frozen arrays: ``parts`` are its hh, pre and
        act (blocks first); ``c`` an LSTM's c_prev, c, tanh(c) and m."""
        ih = self.ih_all[t]
        hh, pre, act = parts
        gates = {
            k: GateValues(ih=ih[n], hh=hh[n], pre=pre[n], act=act[n])
            for n, k in enumerate(self.cell.gate_names)
        }
        c_prev, c_t, tanh_c, m = (None, None, None, None) if c is None else c
        return Step(
            layer=self.layer,
            direction=self.direction,
            t=t + 1,
            x=self.x[t],
            h_prev=h_prev,
            c_prev=c_prev,
            gates=gates,
            c=c_t,
            tanh_c=tanh_c,
            m=m,
            h=h,
        )


def _input_parts(
    layer_input: np.ndarray,
    p: dict[str, Any],
    hidden: int,
    blocks: int,
    shown_parts: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """ih = W_ih x_t + b_ih of every step and gate, (T, blocks, B, hidden), in one BLAS call
    ((T*B, in) @ (in, blocks*hidden)); rounded as printed with ``carry: displayed``."""
    T, B = layer_input.shape[0], layer_input.shape[1]
    ih_flat = layer_input.reshape(T * B, -1) @ p["w_ih"].T
    ih_view = ih_flat.reshape(T, B, blocks, hidden).transpose(0, 2, 1, 3)
    ih_all = np.empty((T, blocks, B, hidden))
    if p["b_ih"] is not None:
        np.add(ih_view, p["b_ih"].reshape(blocks, 1, hidden), out=ih_all)
    else:
        ih_all[...] = ih_view
    return shown_parts(ih_all)


def _frozen(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.setflags(write=False)


def _lstm(run: _Direction) -> _Run:
    """The LSTM's steps of one layer and direction (see the module docstring)."""
    hidden, rounded, shown = run.hidden, run.rounded, run.shown
    # The products W_k h_{t-1} of a step in one call with the gates stacked, (4, out,
    # hidden) contiguous. Other calls than one gate and one step at a time, so the last
    # bits of a sum may differ (FMA order): within 1e-15 of the magnitude of its terms
    # (tests/test_engine_reference.py).
    w_hh, b_hh = run.hh_weights()
    w_hr = run.p["w_hr"]
    g = LSTM.index("g")
    # Every quantity of every step, (T, 4, B, hidden) or (T, B, n): computed in place
    # below, then frozen, then viewed step by step.
    ih_all = run.ih_all
    T, _, B, _ = ih_all.shape
    hh_all = np.empty_like(ih_all)
    pre_all = np.empty_like(ih_all)
    act_all = np.empty_like(ih_all)
    c_all = np.empty((T, B, hidden))
    tanh_all = np.empty_like(c_all)
    m_all = np.empty_like(c_all)
    h_all = np.empty((T, B, run.out_size)) if w_hr is not None else m_all
    h, c = run.h0, run.c0
    for t in run.order:
        hh = run.recurrent(h, w_hh, b_hh, hh_all[t])  # (4, B, hidden): gates i, f, g, o
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
    _frozen(ih_all, hh_all, pre_all, act_all, c_all, tanh_all, m_all, h_all)
    h, c = run.h0, run.c0
    steps = []
    for t in run.order:
        parts = (hh_all[t], pre_all[t], act_all[t])
        c_new, h_new = c_all[t], h_all[t]
        steps.append(run.step(t, h, parts, h_new, c=(c, c_new, tanh_all[t], m_all[t])))
        h, c = h_new, c_new
    return _Run(steps=steps, h_all=h_all, h_last=h, c_last=c)


def _gru(run: _Direction) -> _Run:
    """The GRU's steps of one layer and direction: torch's formulas, r on W_hn h + b_hn."""
    rounded, shown = run.rounded, run.shown
    w_hh, b_hh = run.hh_weights()
    ih_all = run.ih_all
    hh_all = np.empty_like(ih_all)
    pre_all = np.empty_like(ih_all)
    act_all = np.empty_like(ih_all)
    h_all = np.empty(ih_all[:, 0].shape)  # (T, B, hidden)
    h = run.h0
    for t in run.order:
        ih = ih_all[t]
        hh = run.recurrent(h, w_hh, b_hh, hh_all[t])  # (3, B, hidden): blocks r, z, n
        pre, act = pre_all[t], act_all[t]
        np.add(ih[:2], hh[:2], out=pre[:2])
        if rounded:
            pre[:2] = shown(pre[:2])
        act[:2] = sigmoid(pre[:2])
        if rounded:
            act[:2] = shown(act[:2])
        r, z = act[0], act[1]
        np.multiply(r, hh[2], out=pre[2])  # pre_n = ih_n + r * (W_hn h + b_hn)
        pre[2] += ih[2]
        if rounded:
            pre[2] = shown(pre[2])
        n = np.tanh(pre[2], out=act[2])
        if rounded:
            n[...] = shown(n)
        h_new = np.multiply(1.0 - z, n, out=h_all[t])  # (1 - z) * n + z * h_{t-1}
        h_new += z * h
        if rounded:
            h_new[...] = shown(h_new)
        h = h_new
    _frozen(ih_all, hh_all, pre_all, act_all, h_all)
    return _without_c(run, (hh_all, pre_all, act_all), h_all)


def _rnn(run: _Direction) -> _Run:
    """The Elman RNN's steps of one layer and direction: h_t = tanh or relu of ih + hh."""
    rounded, shown = run.rounded, run.shown
    w_hh, b_hh = run.hh_weights()
    relu = run.cell.activation("h") == "relu"
    ih_all = run.ih_all
    hh_all = np.empty_like(ih_all)
    pre_all = np.empty_like(ih_all)
    act_all = np.empty_like(ih_all)  # (T, 1, B, hidden): the one block, h itself
    h = run.h0
    for t in run.order:
        hh = run.recurrent(h, w_hh, b_hh, hh_all[t])
        pre = np.add(ih_all[t], hh, out=pre_all[t])
        if rounded:
            pre[...] = shown(pre)
        act = np.maximum(pre, 0.0, out=act_all[t]) if relu else np.tanh(pre, out=act_all[t])
        if rounded:
            act[...] = shown(act)
        h = act[0]
    _frozen(ih_all, hh_all, pre_all, act_all)
    return _without_c(run, (hh_all, pre_all, act_all), act_all[:, 0])


def _without_c(
    run: _Direction, parts: tuple[np.ndarray, np.ndarray, np.ndarray], h_all: np.ndarray
) -> _Run:
    """The steps of a cell with h only (GRU, RNN), viewing the frozen arrays."""
    hh_all, pre_all, act_all = parts
    h = run.h0
    steps = []
    for t in run.order:
        steps.append(run.step(t, h, (hh_all[t], pre_all[t], act_all[t]), h_all[t]))
        h = h_all[t]
    return _Run(steps=steps, h_all=h_all, h_last=h, c_last=None)


_CELLS: dict[str, Callable[[_Direction], _Run]] = {"lstm": _lstm, "gru": _gru, "rnn": _rnn}


def forward(
    example: Example,
    weights: dict[str, np.ndarray] | None = None,
    *,
    rounding: Rounding | None = None,
) -> Trace:
    """Run the network of ``example`` (optionally with other ``weights``), keeping
    everything: an LSTM, a GRU or an RNN, as ``example.config.cell`` says.

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
    cell = cfg.cell
    hidden = cfg.hidden_size
    directions = directions_of(cfg.bidirectional)
    steps: list[Step] = []
    h_n, c_n, layer_outputs = [], [], []
    layer_input = example.x
    T = example.steps
    compute = _CELLS[cell.kind]
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            p = layer_weights(example, layer, direction)
            index = layer * len(directions) + d
            run = compute(
                _Direction(
                    layer=layer,
                    direction=direction,
                    p=p,
                    x=layer_input,
                    h0=example.h0[index],
                    c0=example.c0[index],
                    order=range(T) if direction == "forward" else range(T - 1, -1, -1),
                    ih_all=_input_parts(layer_input, p, hidden, cell.blocks, shown_parts),
                    hidden=hidden,
                    out_size=cfg.out_size,
                    cell=cell,
                    shown=shown,
                    shown_parts=shown_parts,
                    rounded=rounded,
                )
            )
            steps.extend(run.steps)
            outs.append(run.h_all)
            h_n.append(run.h_last)
            if run.c_last is not None:
                c_n.append(run.c_last)
        layer_input = np.concatenate(outs, axis=-1)
        layer_input.setflags(write=False)  # also the next layer's x_t, views of it
        layer_outputs.append(layer_input)
    h_final = np.stack(h_n)
    c_final = np.stack(c_n) if cell.has_c else None
    for a in (h_final, c_final):
        if a is not None:
            a.setflags(write=False)
    return Trace(
        example=example,
        steps=tuple(steps),
        output=layer_input,
        h_n=h_final,
        c_n=c_final,
        layer_outputs=tuple(layer_outputs),
    )
