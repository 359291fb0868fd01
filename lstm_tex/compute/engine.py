r"""The forward pass in float64 NumPy, keeping every intermediate.

The cell (:attr:`lstm_tex.validate.model.LstmConfig.cell`, described in
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

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from lstm_tex.compute import recurrence
from lstm_tex.compute.cells import LSTM, Cell
from lstm_tex.compute.recurrence import DirectionInputs
from lstm_tex.compute.trace import Direction, Step, Trace, directions_of
from lstm_tex.validate.model import Example

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


@dataclass(frozen=True)
class Rounding:
    """How a document that goes on from its printed values rounds (``render.carry:
    displayed``): ``values`` rounds an array to the printed values; ``parts`` says whether
    ih and hh are printed (and so rounded) before their sum ``pre``."""

    values: Callable[[np.ndarray], np.ndarray]
    parts: bool = True


def _unrounded(values: np.ndarray) -> np.ndarray:
    return values


#: From about this many multiply-adds in one product, OpenBLAS (NumPy's BLAS) splits it
#: across threads (its gemv threshold, 2304 * GEMM_MULTITHREAD_THRESHOLD; gemm's is higher).
_THREADED_PRODUCT = 9216


@functools.cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread(example: Example) -> contextlib.AbstractContextManager[object]:
    """One BLAS thread for the products of a forward pass large enough to be threaded.

    The products are small (one step's W_hh h; the inputs of a direction, gate by gate):
    a second thread costs more in hand-offs than it saves, several times the whole pass on
    a busy machine (issue 17), as torch's in the cross-check (:func:`lstm_tex.pipeline.check`).
    Smaller examples, all that documents show, never import threadpoolctl."""
    cfg = example.config
    inputs = max(cfg.input_size, cfg.num_directions * cfg.out_size)
    largest = cfg.hidden_size * example.batch * max(example.steps * inputs, cfg.out_size)
    if largest < _THREADED_PRODUCT:
        return contextlib.nullcontext()
    return _blas().limit(limits=1, user_api="blas")  # type: ignore[no-any-return]


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
    if weights is not None:
        from dataclasses import replace

        example = replace(example, weights=weights)
    cfg = example.config
    directions = directions_of(cfg.bidirectional)
    steps: list[Step] = []
    h_n, c_n, layer_outputs = [], [], []
    layer_input = example.x
    compute = recurrence.CELLS[cfg.cell.kind]
    with _one_blas_thread(example):
        for layer in range(cfg.num_layers):
            outs = []
            for d, direction in enumerate(directions):
                index = layer * len(directions) + d
                run = compute(_inputs(example, layer, direction, index, layer_input, rounding))
                steps.extend(run.steps)
                outs.append(run.h_all)
                h_n.append(run.h_last)
                if run.c_last is not None:
                    c_n.append(run.c_last)
            layer_input = np.concatenate(outs, axis=-1)
            layer_input.setflags(write=False)  # also the next layer's x_t, views of it
            layer_outputs.append(layer_input)
    h_final = np.stack(h_n)
    c_final = np.stack(c_n) if cfg.cell.has_c else None
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


def _inputs(
    example: Example,
    layer: int,
    direction: Direction,
    index: int,
    x: np.ndarray,
    rounding: Rounding | None,
) -> DirectionInputs:
    """What one layer and direction computes from: ``x`` is the layer's input sequence,
    ``index`` the place of its initial state in h0 and c0."""
    cfg, T = example.config, example.steps
    shown = rounding.values if rounding is not None else _unrounded
    return DirectionInputs(
        layer=layer,
        direction=direction,
        p=layer_weights(example, layer, direction),
        x=x,
        h0=example.h0[index],
        c0=example.c0[index],
        order=range(T) if direction == "forward" else range(T - 1, -1, -1),
        hidden=cfg.hidden_size,
        out_size=cfg.out_size,
        cell=cfg.cell,
        shown=shown,
        shown_parts=shown if rounding is not None and rounding.parts else _unrounded,
        rounded=rounding is not None,
    )
