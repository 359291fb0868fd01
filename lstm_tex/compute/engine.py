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
from typing import Any, Literal, TypeVar

import numpy as np

from lstm_tex.compute.cells import GRU, LSTM, Cell
from lstm_tex.validate.model import Example

Direction = Literal["forward", "reverse"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, without a warning for any finite z.

    For z < -709 ``exp(-z)`` overflows to inf and the result is 0, where the exact value is
    below 1e-308. Within 4 ulp of ``exp(z) / (1 + exp(z))`` for z < 0 and the same bits
    for z >= 0; four passes over the array (issue 17).
    """
    out = np.empty_like(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        return _sigmoid_into(z, out)


def _sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """:func:`sigmoid` of ``z`` written into ``out``; the caller silences exp's overflow."""
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)
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


def _engine_order(cell: Cell) -> tuple[int, ...]:
    """The blocks in the order the engine keeps them: the sigmoid gates first, so that one
    call computes them all (an LSTM's i, f, o, g; a GRU's r, z, n, torch's order)."""
    sigmoid = [n for n, g in enumerate(cell.gates) if g.activation == "sigmoid"]
    return (*sigmoid, *(n for n in range(cell.blocks) if n not in sigmoid))


def _arrays(**shapes: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Uninitialised float64 arrays of the given shapes, all cut from one allocation.

    The first write to each fresh page of memory is a page fault: NumPy asks for huge pages
    for an allocation of 4 MB or more, so one block for all of a direction's intermediates
    pays a few faults where one array each would pay one per 4 KB (issue 17)."""
    sizes = {name: int(np.prod(shape)) for name, shape in shapes.items()}
    block = np.empty(sum(-(-n // 8) * 8 for n in sizes.values()))  # 64-byte aligned starts
    out, start = {}, 0
    for name, shape in shapes.items():
        out[name] = block[start : start + sizes[name]].reshape(shape)
        start += -(-sizes[name] // 8) * 8
    return out


@dataclass(frozen=True)
class _Direction:
    """The inputs of one layer and direction: weights (short names), initial state, the
    order of the steps and rounding.

    The engine keeps a step's gates as (blocks, B, hidden) in :func:`_engine_order` (``gate``
    says where each one is): hh, pre and act of every step as (T, blocks, B, hidden), ih
    (computed for all steps at once) as (blocks, T, B, hidden), each gate's values
    contiguous."""

    layer: int
    direction: Direction
    p: dict[str, Any]
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    order: range
    hidden: int
    out_size: int
    cell: Cell
    shown: Callable[[np.ndarray], np.ndarray]
    shown_parts: Callable[[np.ndarray], np.ndarray]
    rounded: bool

    @property
    def blocks(self) -> tuple[int, ...]:
        return _engine_order(self.cell)

    @property
    def gate(self) -> dict[str, int]:
        """Each gate's place in the engine's arrays, by name, in torch's order."""
        names = self.cell.gate_names
        return {names[n]: k for k, n in sorted(enumerate(self.blocks), key=lambda kn: kn[1])}

    def weights(self, name: str) -> np.ndarray:
        """``w_ih`` or ``w_hh`` as (blocks, n, hidden), the transposed gate blocks in the
        engine's order, contiguous (a transposed view takes a slower path in OpenBLAS)."""
        w = self.p[name].reshape(self.cell.blocks, self.hidden, -1)[list(self.blocks)]
        return np.ascontiguousarray(w.transpose(0, 2, 1))

    def bias(self, name: str) -> np.ndarray | None:
        """``b_ih`` or ``b_hh`` as (blocks, 1, hidden) in the engine's order (or ``None``)."""
        b = self.p[name]
        return None if b is None else b.reshape(-1, 1, self.hidden)[list(self.blocks)]

    def arrays(self, **extra: tuple[int, ...]) -> dict[str, np.ndarray]:
        """The arrays of every step, from one allocation: ih (blocks, T, B, hidden); hh,
        pre and act (T, blocks, B, hidden); and ``extra``."""
        T, B = self.x.shape[0], self.x.shape[1]
        blocks, hidden = self.cell.blocks, self.hidden
        rows = (T, blocks, B, hidden)
        return _arrays(ih=(blocks, T, B, hidden), hh=rows, pre=rows, act=rows, **extra)

    def input_parts(self, ih: np.ndarray) -> np.ndarray:
        """ih = W_ih x_t + b_ih of every step and gate into ``ih`` (blocks, T, B, hidden),
        one BLAS call per gate for all steps ((T*B, in) @ (in, hidden)); rounded as printed
        with ``carry: displayed``. Returned as (T, blocks, B, hidden), a view."""
        T, B = self.x.shape[0], self.x.shape[1]
        flat = ih.reshape(ih.shape[0], T * B, self.hidden)
        np.matmul(self.x.reshape(T * B, -1), self.weights("w_ih"), out=flat)
        b_ih = self.bias("b_ih")
        if b_ih is not None:
            flat += b_ih
        if self.rounded:
            ih[...] = self.shown_parts(ih)
        return ih.transpose(1, 0, 2, 3)

    def recurrent(
        self, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray | None, out: np.ndarray
    ) -> np.ndarray:
        """hh = W_hh h + b_hh of every block, into ``out`` (rounded as the documents show
        the parts, with rounding). bias: single has no b_hh (ih = W_ih x + b, hh = W_hh h)."""
        hh = np.matmul(h, w_hh, out=out)
        if b_hh is not None:
            hh += b_hh
        if self.rounded:
            hh[...] = self.shown_parts(hh)
        return hh

    def steps(self, a: dict[str, np.ndarray], h_all: np.ndarray) -> list[Step]:
        """The steps in computation order, viewing the frozen arrays ``a`` (ih, hh, pre,
        act; an LSTM's c, tanh_c and m) and the outputs ``h_all``. The views come from
        iterating the arrays (one C loop each), not from indexing step by step."""
        gate = self.gate
        per_gate = [
            list(map(GateValues, a["ih"][k], a["hh"][:, k], a["pre"][:, k], a["act"][:, k]))
            for k in gate.values()
        ]
        gates = [dict(zip(gate, g, strict=True)) for g in zip(*per_gate, strict=True)]
        x, h = list(self.x), list(h_all)
        lstm = "c" in a
        if lstm:
            c, tanh_c, m = list(a["c"]), list(a["tanh_c"]), list(a["m"])
        h_prev, c_prev = self.h0, self.c0 if lstm else None
        steps = []
        for t in self.order:
            steps.append(
                Step(
                    layer=self.layer,
                    direction=self.direction,
                    t=t + 1,
                    x=x[t],
                    h_prev=h_prev,
                    c_prev=c_prev,
                    gates=gates[t],
                    c=c[t] if lstm else None,
                    tanh_c=tanh_c[t] if lstm else None,
                    m=m[t] if lstm else None,
                    h=h[t],
                )
            )
            h_prev, c_prev = h[t], steps[-1].c
        return steps


def _frozen(arrays: dict[str, np.ndarray]) -> None:
    for a in arrays.values():
        a.setflags(write=False)


def _lstm(run: _Direction) -> _Run:
    """The LSTM's steps of one layer and direction (see the module docstring)."""
    hidden, rounded, shown = run.hidden, run.rounded, run.shown
    T, B = run.x.shape[0], run.x.shape[1]
    w_hr = run.p["w_hr"]
    states = (T, B, hidden)
    a = run.arrays(
        c=states,
        tanh_c=states,
        m=states,
        **({"h": (T, B, run.out_size)} if w_hr is not None else {}),
    )
    # Every quantity of every step, written in place below, then frozen and viewed step by
    # step. The products of all steps' inputs take one BLAS call per gate, the four gates'
    # W_hh h of a step one call: other calls than one gate and one step at a time, so the
    # last bits of a sum may differ (FMA order): within 1e-15 of the magnitude of its terms
    # (tests/test_engine_reference.py).
    ih_all = run.input_parts(a["ih"])
    hh_all, pre_all, act_all = a["hh"], a["pre"], a["act"]
    c_all, tanh_all, m_all = a["c"], a["tanh_c"], a["m"]
    h_all = a.get("h", m_all)
    w_hh, b_hh = run.weights("w_hh"), run.bias("b_hh")
    w_hr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T)
    i, f, g, o = (run.gate[k] for k in LSTM.gate_names)  # g last: i, f, o are sigmoids
    ig = np.empty((B, hidden))
    h, c = run.h0, run.c0
    with np.errstate(over="ignore"):  # exp(-pre) in the sigmoid: inf gives 0, as it should
        for t in run.order:
            hh = run.recurrent(h, w_hh, b_hh, hh_all[t])
            pre = np.add(ih_all[t], hh, out=pre_all[t])
            if rounded:
                pre[...] = shown(pre)
            act = act_all[t]
            _sigmoid_into(pre[:g], act[:g])
            np.tanh(pre[g], out=act[g])
            if rounded:
                act[...] = shown(act)
            c = np.multiply(act[f], c, out=c_all[t])  # f * c_{t-1} + i * g
            c += np.multiply(act[i], act[g], out=ig)
            if rounded:
                c[...] = shown(c)
            tanh_c = np.tanh(c, out=tanh_all[t])
            if rounded:
                tanh_c[...] = shown(tanh_c)
            m = np.multiply(act[o], tanh_c, out=m_all[t])
            if rounded:
                m[...] = shown(m)
            if w_hr_t is not None:
                h = np.matmul(m, w_hr_t, out=h_all[t])
                if rounded:
                    h[...] = shown(h)
            else:
                h = m
    _frozen(a)
    return _Run(steps=run.steps(a, h_all), h_all=h_all, h_last=h, c_last=c)


def _gru(run: _Direction) -> _Run:
    """The GRU's steps of one layer and direction: torch's formulas, r on W_hn h + b_hn."""
    rounded, shown = run.rounded, run.shown
    T, B = run.x.shape[0], run.x.shape[1]
    a = run.arrays(h=(T, B, run.hidden))
    ih_all = run.input_parts(a["ih"])
    hh_all, pre_all, act_all, h_all = a["hh"], a["pre"], a["act"], a["h"]
    w_hh, b_hh = run.weights("w_hh"), run.bias("b_hh")
    r, z, n = (run.gate[k] for k in GRU.gate_names)  # r, z: the sigmoids, then n
    zh = np.empty((B, run.hidden))
    h = run.h0
    with np.errstate(over="ignore"):  # exp(-pre) in the sigmoid: inf gives 0, as it should
        for t in run.order:
            ih = ih_all[t]
            hh = run.recurrent(h, w_hh, b_hh, hh_all[t])  # (3, B, hidden): blocks r, z, n
            pre, act = pre_all[t], act_all[t]
            np.add(ih[:n], hh[:n], out=pre[:n])
            if rounded:
                pre[:n] = shown(pre[:n])
            _sigmoid_into(pre[:n], act[:n])
            if rounded:
                act[:n] = shown(act[:n])
            np.multiply(act[r], hh[n], out=pre[n])  # pre_n = ih_n + r * (W_hn h + b_hn)
            pre[n] += ih[n]
            if rounded:
                pre[n] = shown(pre[n])
            n_t = np.tanh(pre[n], out=act[n])
            if rounded:
                n_t[...] = shown(n_t)
            z_t = act[z]
            h_new = np.subtract(1.0, z_t, out=h_all[t])  # (1 - z) * n + z * h_{t-1}
            h_new *= n_t
            h_new += np.multiply(z_t, h, out=zh)
            if rounded:
                h_new[...] = shown(h_new)
            h = h_new
    _frozen(a)
    return _Run(steps=run.steps(a, h_all), h_all=h_all, h_last=h, c_last=None)


def _rnn(run: _Direction) -> _Run:
    """The Elman RNN's steps of one layer and direction: h_t = tanh or relu of ih + hh."""
    rounded, shown = run.rounded, run.shown
    relu = run.cell.activation("h") == "relu"
    a = run.arrays()
    ih_all = run.input_parts(a["ih"])
    hh_all, pre_all, act_all = a["hh"], a["pre"], a["act"]  # act: (T, 1, B, hidden), h
    w_hh, b_hh = run.weights("w_hh"), run.bias("b_hh")
    h = run.h0
    for t in run.order:
        hh = run.recurrent(h, w_hh, b_hh, hh_all[t])
        pre = np.add(ih_all[t], hh, out=pre_all[t])
        if rounded:
            pre[...] = shown(pre)
        act = act_all[t]
        if relu:
            np.maximum(pre, 0.0, out=act)
        else:
            np.tanh(pre, out=act)
        if rounded:
            act[...] = shown(act)
        h = act[0]
    _frozen(a)
    return _Run(steps=run.steps(a, act_all[:, 0]), h_all=act_all[:, 0], h_last=h, c_last=None)


_CELLS: dict[str, Callable[[_Direction], _Run]] = {"lstm": _lstm, "gru": _gru, "rnn": _rnn}


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
    with _one_blas_thread(example):
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
