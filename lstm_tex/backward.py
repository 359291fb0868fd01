r"""The backward pass (BPTT) in float64 NumPy, keeping every intermediate.

The loss compares ``output`` (every step, or the last step only) with a target::

    mse:  L = mean((y - y_hat)^2)          dL/dy = 2 (y - y_hat) / N
    sse:  L = 1/2 sum((y - y_hat)^2)       dL/dy = y - y_hat

Then, for each layer from the top down, each direction, and each step in the
reverse of the order it was computed (t = T, ..., 1 forward; t = 1, ..., T reverse),
writing dv for dL/dv and "next" for the step computed after this one::

    dy_t   = dL/dy_t                       (from the loss, or the layer above)
    dh_t   = dy_t + W_hh^T delta_next      (all paths into h_t)
    dm_t   = dh_t,  or  W_hr^T dh_t        with projections (h_t = W_hr m_t)
    do_t   = dm_t * tanh(c_t)
    dc_t   = dm_t * o_t * (1 - tanh^2 c_t) + dc_next * f_next
    di_t   = dc_t * g_t    df_t = dc_t * c_{t-1}    dg_t = dc_t * i_t
    delta_k,t = dk_t * k_t (1 - k_t)  (k = i, f, o: sigma' = s (1 - s))
    delta_g,t = dg_t * (1 - g_t^2)    (tanh' = 1 - g^2)
    delta_t   = [delta_i; delta_f; delta_g; delta_o]   (stacked like the weights)

and the parameter gradients are sums over t of outer products (and over the batch)::

    dW_ih = sum_t delta_t x_t^T     dW_hh = sum_t delta_t h_{t-1}^T
    db_ih = db_hh = sum_t delta_t   dW_hr = sum_t dh_t m_t^T
                                    (bias: single: db = sum_t delta_t, b_hh not trained)
    dx_t  = W_ih^T delta_t          (what the layer below receives as dy_t)
    dh_0  = W_hh^T delta_first      dc_0 = dc_first * f_first

An optional SGD step gives ``w - lr * dw`` for every weight and the loss of a new
forward pass with those weights. Everything keeps the trace's leading batch axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from lstm_tex.engine import Direction, Step, Trace, forward, layer_weights
from lstm_tex.spec import GATES, BackwardSpec, Example


@dataclass(frozen=True)
class GateGrads:
    """One gate at one step, each (B, hidden): dL/d(activation) and dL/d(pre-activation)."""

    d: np.ndarray
    dpre: np.ndarray


@dataclass(frozen=True)
class BackwardStep:
    """Every gradient at one step of one layer and direction (each with a batch axis).

    ``dy`` reaches h_t from the loss (top layer) or from the layer above; ``dh_next``
    reaches it from the step computed after this one (W_hh^T delta_next, zero for the
    last computed step), ``dc_next`` likewise reaches c_t (dc_next * f_next).
    ``dh_prev``, ``dc_prev`` and ``dx`` are what this step passes on: to the step
    computed before it (or to h_0, c_0) and to the layer below.
    """

    layer: int
    direction: Direction
    t: int
    dy: np.ndarray
    dh_next: np.ndarray
    dh: np.ndarray
    dm: np.ndarray
    dc_next: np.ndarray
    dc: np.ndarray
    gates: dict[str, GateGrads]
    delta: np.ndarray
    dh_prev: np.ndarray
    dc_prev: np.ndarray
    dx: np.ndarray

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
    ``dh0`` and ``dc0`` have the shapes of ``example.h0`` and ``example.c0``.
    """

    trace: Trace
    loss: float
    error: np.ndarray
    d_output: np.ndarray
    steps: tuple[BackwardStep, ...]
    grads: Mapping[str, np.ndarray]
    dh0: np.ndarray
    dc0: np.ndarray
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


def backward(trace: Trace) -> Gradients:
    """Backpropagate the loss of ``trace.example.backward`` through ``trace`` (BPTT)."""
    ex = trace.example
    spec = ex.backward
    if spec is None:
        raise ValueError(f"{ex.file}: the example has no backward section")
    cfg = ex.config
    hidden, out_size = cfg.hidden_size, cfg.out_size
    directions: tuple[Direction, ...] = (
        ("forward", "reverse") if cfg.bidirectional else ("forward",)
    )
    loss, error, d_output = loss_and_grad(trace.output, spec)
    grads = {name: np.zeros_like(w) for name, w in ex.weights.items()}
    dh0 = np.zeros_like(ex.h0)
    dc0 = np.zeros_like(ex.c0)
    done: dict[tuple[int, Direction, int], BackwardStep] = {}
    d_layer_out = d_output
    for layer in reversed(range(cfg.num_layers)):
        d_layer_in = np.zeros((ex.steps, ex.batch, cfg.layer_input_size(layer)))
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            w = layer_weights(ex, layer, direction)
            w_ih, w_hh, w_hr = w["w_ih"], w["w_hh"], w["w_hr"]
            assert w_ih is not None and w_hh is not None
            dy_all = d_layer_out[..., d * out_size : (d + 1) * out_size]
            computed = [s for s in trace.steps if s.layer == layer and s.direction == direction]
            dh_next = np.zeros((ex.batch, out_size))
            dc_next = np.zeros((ex.batch, hidden))
            for s in reversed(computed):
                b = _step(s, dy_all[s.t - 1], dh_next, dc_next, w_ih, w_hh, w_hr)
                grads[f"weight_ih{sfx}"] += b.delta.T @ s.x
                grads[f"weight_hh{sfx}"] += b.delta.T @ s.h_prev
                if cfg.bias:
                    grads[f"bias_ih{sfx}"] += b.delta.sum(axis=0)
                if cfg.bias is True:  # bias: single has no bias_hh, which stays zero
                    grads[f"bias_hh{sfx}"] += b.delta.sum(axis=0)
                if w_hr is not None:
                    grads[f"weight_hr{sfx}"] += b.dh.T @ s.m
                d_layer_in[s.t - 1] += b.dx
                done[s.key] = b
                dh_next, dc_next = b.dh_prev, b.dc_prev
            index = layer * len(directions) + d
            dh0[index] = dh_next
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
        dc0=_read_only(dc0),
        sgd=None,
    )
    if spec.lr is None:
        return gradients
    return replace(gradients, sgd=sgd_step(ex, frozen, spec.lr))


def _step(
    s: Step,
    dy: np.ndarray,
    dh_next: np.ndarray,
    dc_next: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    w_hr: np.ndarray | None,
) -> BackwardStep:
    """The chain rule through one LSTM step (see the module docstring)."""
    assert s.c_prev is not None and s.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert s.tanh_c is not None and s.m is not None
    i, f, g, o = (s.gates[k].act for k in GATES)
    dh = dy + dh_next
    dm = dh @ w_hr if w_hr is not None else dh
    do = dm * s.tanh_c
    dc = dm * o * (1.0 - s.tanh_c**2) + dc_next
    di = dc * g
    df = dc * s.c_prev
    dg = dc * i
    d_act = {"i": di, "f": df, "g": dg, "o": do}
    dpre = {
        "i": di * i * (1.0 - i),
        "f": df * f * (1.0 - f),
        "g": dg * (1.0 - g**2),
        "o": do * o * (1.0 - o),
    }
    delta = np.concatenate([dpre[k] for k in GATES], axis=-1)
    r = _read_only
    return BackwardStep(
        layer=s.layer,
        direction=s.direction,
        t=s.t,
        dy=r(dy),
        dh_next=r(dh_next),
        dh=r(dh),
        dm=r(dm),
        dc_next=r(dc_next),
        dc=r(dc),
        gates={k: GateGrads(d=r(d_act[k]), dpre=r(dpre[k])) for k in GATES},
        delta=r(delta),
        dh_prev=r(delta @ w_hh),
        dc_prev=r(dc * f),
        dx=r(delta @ w_ih),
    )


def sgd_step(example: Example, grads: Mapping[str, np.ndarray], lr: float) -> SgdStep:
    """``w - lr * dw`` for every weight, and the loss of a fresh forward pass with them."""
    spec = example.backward
    assert spec is not None
    weights = {k: _read_only(w - lr * grads[k]) for k, w in example.weights.items()}
    after = forward(example, weights=weights)
    loss_after, _, _ = loss_and_grad(after.output, spec)
    return SgdStep(lr=lr, weights=MappingProxyType(weights), trace=after, loss_after=loss_after)
