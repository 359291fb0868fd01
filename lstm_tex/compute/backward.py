r"""The backward pass (BPTT) in float64 NumPy, keeping every intermediate.

The loss compares ``output`` (every step, or the last step only) with a target::

    mse:  L = mean((y - y_hat)^2)          dL/dy = 2 (y - y_hat) / N
    sse:  L = 1/2 sum((y - y_hat)^2)       dL/dy = y - y_hat

Then, for each layer from the top down, each direction, and each step in the
reverse of the order it was computed (t = T, ..., 1 forward; t = 1, ..., T reverse),
writing dv for dL/dv and "next" for the step computed after this one::

    dy_t   = dL/dy_t                       (from the loss, or the layer above)
    dh_t   = dy_t + dh_next                (all paths into h_t)

then through the cell (each cell's state update, below) to the gradient of every
gate's pre-activation, ``dpre_k = d(act_k) * act_k'(pre_k)`` with
``sigma' = s (1 - s)``, ``tanh' = 1 - a^2`` and ``relu' = [pre > 0]``.

LSTM (gates i, f, g, o; c the cell state)::

    dm_t   = dh_t,  or  W_hr^T dh_t        with projections (h_t = W_hr m_t)
    do_t   = dm_t * tanh(c_t)
    dc_t   = dm_t * o_t * (1 - tanh^2 c_t) + dc_next * f_next
    di_t   = dc_t * g_t    df_t = dc_t * c_{t-1}    dg_t = dc_t * i_t

GRU (gates r, z, n; torch's n = tanh(ih_n + r * hh_n), hh_n = W_hn h_{t-1} + b_hn)::

    dn_t   = dh_t * (1 - z_t)              dz_t = dh_t * (h_{t-1} - n_t)
    dr_t   = dpre_n,t * hh_n,t             (r multiplies hh_n, so it sees hh_n)

RNN (one block, h_t = act(pre_t))::

    dpre_t = dh_t * act'(pre_t)

``delta_t`` stacks the dpre of the gates like the blocks of the weights; it is what
reaches ``ih = W_ih x_t + b_ih``. ``delta^h_t`` is what reaches ``hh = W_hh h_{t-1} +
b_hh``: the same, but for the GRU's n it is ``r_t * dpre_n,t``. The parameter
gradients are sums over t of outer products (and over the batch)::

    dW_ih = sum_t delta_t x_t^T     dW_hh = sum_t delta^h_t h_{t-1}^T
    db_ih = sum_t delta_t           db_hh = sum_t delta^h_t
                                    (bias: single: b_hh is not trained)
    dW_hr = sum_t dh_t m_t^T        (LSTM with projections)
    dx_t  = W_ih^T delta_t          (what the layer below receives as dy_t)
    dh_next of step t-1 = W_hh^T delta^h_t  (+ z_t * dh_t for the GRU: h_{t-1} also
                                             reaches h_t directly)
    dc_next of step t-1 = dc_t * f_t        (LSTM)

and the gradient of the initial state is what the first computed step passes back.
An optional SGD step gives ``w - lr * dw`` for every weight and the loss of a new
forward pass with those weights. Everything keeps the trace's leading batch axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from lstm_tex.compute.cells import Cell
from lstm_tex.compute.engine import forward, layer_weights
from lstm_tex.compute.trace import Direction, GateValues, Step, Trace
from lstm_tex.validate.model import BackwardSpec, Example


@dataclass(frozen=True)
class GateGrads:
    """One gate at one step, each (B, hidden): dL/d(activation), dL/d(pre-activation)
    and ``dhh``, what reaches the gate's ``hh`` part (``dpre``, or ``r * dpre`` for the
    GRU's n, where r multiplies ``hh``)."""

    d: np.ndarray
    dpre: np.ndarray
    dhh: np.ndarray


@dataclass(frozen=True)
class BackwardStep:
    """Every gradient at one step of one layer and direction (each with a batch axis).

    ``dy`` reaches h_t from the loss (top layer) or from the layer above; ``dh_next``
    reaches it from the step computed after this one (zero for the last computed step),
    ``dc_next`` likewise reaches c_t (dc_next * f_next; LSTM only). ``dh_prev``,
    ``dc_prev`` and ``dx`` are what this step passes on: to the step computed before it
    (or to h_0, c_0) and to the layer below. ``dh_direct`` is the part of ``dh_prev``
    that does not go through W_hh (the GRU's z * dh; zero for the others). ``dm``,
    ``dc``, ``dc_next`` and ``dc_prev`` are None for a GRU or an RNN.
    """

    layer: int
    direction: Direction
    t: int
    dy: np.ndarray
    dh_next: np.ndarray
    dh: np.ndarray
    gates: dict[str, GateGrads]
    delta: np.ndarray
    delta_hh: np.ndarray
    dh_direct: np.ndarray
    dh_prev: np.ndarray
    dx: np.ndarray
    dm: np.ndarray | None = None
    dc_next: np.ndarray | None = None
    dc: np.ndarray | None = None
    dc_prev: np.ndarray | None = None

    @property
    def key(self) -> tuple[int, Direction, int]:
        return (self.layer, self.direction, self.t)


@dataclass(frozen=True)
class SgdStep:
    """One step of plain gradient descent and the loss of the new weights."""

    lr: float
    weights: Mapping[str, np.ndarray]
    trace: Trace
    loss_after: float


@dataclass(frozen=True)
class Gradients:
    """The whole backward pass of ``trace``.

    ``error`` is y - y_hat and ``d_output`` is dL/d(output), both (T, B, D*H_out)
    (zero at the steps the loss does not see); ``steps`` are ordered like
    ``trace.steps``; ``grads`` has one entry per weight, same name and shape;
    ``dh0`` and ``dc0`` have the shapes of ``example.h0`` and ``example.c0``
    (``dc0`` is None for a GRU or an RNN).
    """

    trace: Trace
    loss: float
    error: np.ndarray
    d_output: np.ndarray
    steps: tuple[BackwardStep, ...]
    grads: Mapping[str, np.ndarray]
    dh0: np.ndarray
    dc0: np.ndarray | None
    sgd: SgdStep | None

    @property
    def spec(self) -> BackwardSpec:
        spec = self.trace.example.backward
        assert spec is not None
        return spec

    def step(self, layer: int, direction: Direction, t: int) -> BackwardStep:
        for s in self.steps:
            if s.key == (layer, direction, t):
                return s
        raise KeyError((layer, direction, t))


def loss_and_grad(output: np.ndarray, spec: BackwardSpec) -> tuple[float, np.ndarray, np.ndarray]:
    """L, y - y_hat and dL/d(output) for ``output`` (T, B, D*H_out) under ``spec``.

    The error and the gradient have ``output``'s shape and are zero at the steps the
    loss does not see (all but the last one when ``spec.last_step_only``).
    """
    seen = output[-1:] if spec.last_step_only else output
    error_seen = seen - spec.target.reshape(seen.shape)
    if spec.loss == "mse":
        loss = float(np.mean(error_seen**2))
        d_seen = 2.0 * error_seen / error_seen.size
    else:
        loss = 0.5 * float(np.sum(error_seen**2))
        d_seen = error_seen
    error = np.zeros_like(output)
    d_output = np.zeros_like(output)
    error[-seen.shape[0] :] = error_seen
    d_output[-seen.shape[0] :] = d_seen
    return loss, error, d_output


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# ---------------------------------------------------------------- the cells, backwards


def activation_grad(activation: str, d: np.ndarray, gate: GateValues) -> np.ndarray:
    """dL/d(pre) from dL/d(act) ``d`` through ``activation`` (sigmoid, tanh or relu)."""
    out: np.ndarray
    if activation == "sigmoid":
        out = d * gate.act * (1.0 - gate.act)
    elif activation == "tanh":
        out = d * (1.0 - gate.act**2)
    elif activation == "relu":
        out = d * (gate.pre > 0.0)  # as torch: no gradient at pre = 0
    else:
        raise ValueError(f"unknown activation {activation!r}")
    return out


@dataclass(frozen=True)
class _Through:
    """What one step's cell gives back: per gate d(act), dpre and dhh, and the rest."""

    gates: dict[str, GateGrads]
    dh_direct: np.ndarray
    dm: np.ndarray | None = None
    dc: np.ndarray | None = None
    dc_prev: np.ndarray | None = None


def _lstm(
    cell: Cell, s: Step, dh: np.ndarray, dc_next: np.ndarray, w_hr: np.ndarray | None
) -> _Through:
    """Through c_t = f c_{t-1} + i g and h_t = o tanh(c_t) (and h_t = W_hr m_t)."""
    assert s.c_prev is not None and s.tanh_c is not None
    i, f, g, o = (s.gates[k].act for k in ("i", "f", "g", "o"))
    dm = dh @ w_hr if w_hr is not None else dh
    dc = dm * o * (1.0 - s.tanh_c**2) + dc_next
    d_act = {"i": dc * g, "f": dc * s.c_prev, "g": dc * i, "o": dm * s.tanh_c}
    gates = {}
    for gate in cell.gates:
        k = gate.name
        dpre = activation_grad(gate.activation, d_act[k], s.gates[k])
        gates[k] = GateGrads(d=d_act[k], dpre=dpre, dhh=dpre)
    return _Through(gates=gates, dh_direct=np.zeros_like(s.h_prev), dm=dm, dc=dc, dc_prev=dc * f)


def _gru(cell: Cell, s: Step, dh: np.ndarray) -> _Through:
    """Through n = tanh(ih_n + r hh_n) and h_t = (1 - z) n + z h_{t-1} (torch's GRU)."""
    r, z, n = (s.gates[k] for k in ("r", "z", "n"))
    dn = dh * (1.0 - z.act)
    dz = dh * (s.h_prev - n.act)
    dpre_n = activation_grad(cell.activation("n"), dn, n)
    dr = dpre_n * n.hh
    dpre_r = activation_grad(cell.activation("r"), dr, r)
    dpre_z = activation_grad(cell.activation("z"), dz, z)
    gates = {
        "r": GateGrads(d=dr, dpre=dpre_r, dhh=dpre_r),
        "z": GateGrads(d=dz, dpre=dpre_z, dhh=dpre_z),
        "n": GateGrads(d=dn, dpre=dpre_n, dhh=r.act * dpre_n),
    }
    return _Through(gates=gates, dh_direct=dh * z.act)


def _rnn(cell: Cell, s: Step, dh: np.ndarray) -> _Through:
    """Through h_t = act(ih + hh): the one block's activation is h_t itself."""
    (gate,) = cell.gates
    k = gate.name
    dpre = activation_grad(gate.activation, dh, s.gates[k])
    return _Through(gates={k: GateGrads(d=dh, dpre=dpre, dhh=dpre)}, dh_direct=np.zeros_like(dh))


# ---------------------------------------------------------------- BPTT


def backward(trace: Trace) -> Gradients:
    """Backpropagate the loss of ``trace.example.backward`` through ``trace`` (BPTT)."""
    ex = trace.example
    spec = ex.backward
    if spec is None:
        raise ValueError(f"{ex.file}: the example has no backward section")
    cfg = ex.config
    hidden, out_size = cfg.hidden_size, cfg.out_size
    has_c = cfg.cell.has_c
    directions: tuple[Direction, ...] = (
        ("forward", "reverse") if cfg.bidirectional else ("forward",)
    )
    loss, error, d_output = loss_and_grad(trace.output, spec)
    grads = {name: np.zeros_like(w) for name, w in ex.weights.items()}
    dh0 = np.zeros_like(ex.h0)
    dc0 = np.zeros_like(ex.c0) if has_c else None
    done: dict[tuple[int, Direction, int], BackwardStep] = {}
    d_layer_out = d_output
    for layer in reversed(range(cfg.num_layers)):
        d_layer_in = np.zeros((ex.steps, ex.batch, cfg.layer_input_size(layer)))
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            w = layer_weights(ex, layer, direction)
            dy_all = d_layer_out[..., d * out_size : (d + 1) * out_size]
            computed = [s for s in trace.steps if s.layer == layer and s.direction == direction]
            dh_next = np.zeros((ex.batch, out_size))
            dc_next = np.zeros((ex.batch, hidden)) if has_c else None
            for s in reversed(computed):
                b = _step(ex, s, dy_all[s.t - 1], dh_next, dc_next, w)
                _add_weight_gradients(grads, sfx, cfg.bias, s, b)
                d_layer_in[s.t - 1] += b.dx
                done[s.key] = b
                dh_next, dc_next = b.dh_prev, b.dc_prev
            index = layer * len(directions) + d
            dh0[index] = dh_next
            if dc0 is not None:
                dc0[index] = dc_next
        d_layer_out = d_layer_in
    frozen = MappingProxyType({k: _read_only(v) for k, v in grads.items()})
    gradients = Gradients(
        trace=trace,
        loss=loss,
        error=_read_only(error),
        d_output=_read_only(d_output),
        steps=tuple(done[s.key] for s in trace.steps),
        grads=frozen,
        dh0=_read_only(dh0),
        dc0=None if dc0 is None else _read_only(dc0),
        sgd=None,
    )
    if spec.lr is None:
        return gradients
    return replace(gradients, sgd=sgd_step(ex, frozen, spec.lr))


def _add_weight_gradients(
    grads: dict[str, np.ndarray], sfx: str, bias: bool | str, s: Step, b: BackwardStep
) -> None:
    """Add one step's share to the gradients of its layer and direction's weights
    (``sfx``: their names' ending, ``_l0_reverse``)."""
    grads[f"weight_ih{sfx}"] += b.delta.T @ s.x
    grads[f"weight_hh{sfx}"] += b.delta_hh.T @ s.h_prev
    if bias:
        grads[f"bias_ih{sfx}"] += b.delta.sum(axis=0)
    if bias is True:  # bias: single has no bias_hh, which stays zero
        grads[f"bias_hh{sfx}"] += b.delta_hh.sum(axis=0)
    if f"weight_hr{sfx}" in grads:
        assert s.m is not None
        grads[f"weight_hr{sfx}"] += b.dh.T @ s.m


def _step(
    ex: Example,
    s: Step,
    dy: np.ndarray,
    dh_next: np.ndarray,
    dc_next: np.ndarray | None,
    w: Mapping[str, np.ndarray | None],
) -> BackwardStep:
    """The chain rule through one step (see the module docstring)."""
    cell = ex.config.cell
    dh = dy + dh_next
    if cell.kind == "lstm":
        assert dc_next is not None
        through = _lstm(cell, s, dh, dc_next, w["w_hr"])
    elif cell.kind == "gru":
        through = _gru(cell, s, dh)
    else:
        through = _rnn(cell, s, dh)
    names = cell.gate_names
    delta = np.concatenate([through.gates[k].dpre for k in names], axis=-1)
    delta_hh = np.concatenate([through.gates[k].dhh for k in names], axis=-1)
    w_ih, w_hh = w["w_ih"], w["w_hh"]
    assert w_ih is not None and w_hh is not None
    r = _read_only
    opt = _optional
    return BackwardStep(
        layer=s.layer,
        direction=s.direction,
        t=s.t,
        dy=r(dy),
        dh_next=r(dh_next),
        dh=r(dh),
        gates={
            k: GateGrads(d=r(g.d), dpre=r(g.dpre), dhh=r(g.dhh)) for k, g in through.gates.items()
        },
        delta=r(delta),
        delta_hh=r(delta_hh),
        dh_direct=r(through.dh_direct),
        dh_prev=r(delta_hh @ w_hh + through.dh_direct),
        dx=r(delta @ w_ih),
        dm=opt(through.dm),
        dc_next=opt(dc_next),
        dc=opt(through.dc),
        dc_prev=opt(through.dc_prev),
    )


def _optional(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else _read_only(array)


def sgd_step(example: Example, grads: Mapping[str, np.ndarray], lr: float) -> SgdStep:
    """``w - lr * dw`` for every weight, and the loss of a fresh forward pass with them."""
    spec = example.backward
    assert spec is not None
    weights = {k: _read_only(w - lr * grads[k]) for k, w in example.weights.items()}
    after = forward(example, weights=weights)
    loss_after, _, _ = loss_and_grad(after.output, spec)
    return SgdStep(lr=lr, weights=MappingProxyType(weights), trace=after, loss_after=loss_after)
