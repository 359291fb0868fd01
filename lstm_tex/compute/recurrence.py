"""The recurrence of each kind of cell over one layer and direction: the formulas of
:mod:`lstm_tex.compute.engine`'s docstring, in place in arrays cut from one allocation,
rounded as printed with ``render.carry: displayed``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex.compute.cells import GRU, LSTM, Cell
from lstm_tex.compute.trace import Direction, GateValues, Step


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
class DirectionOutputs:
    """What one layer and direction computes: its steps (in computation order), its
    output sequence h (T, B, H_out) and its final h and c (``None`` without c)."""

    steps: list[Step]
    h_all: np.ndarray
    h_last: np.ndarray
    c_last: np.ndarray | None


def engine_order(cell: Cell) -> tuple[int, ...]:
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
class DirectionInputs:
    """The inputs of one layer and direction: weights (short names), initial state, the
    order of the steps and rounding.

    The engine keeps a step's gates as (blocks, B, hidden) in :func:`engine_order` (``gate``
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
        return engine_order(self.cell)

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

    def pre(
        self,
        ih: np.ndarray,
        h: np.ndarray,
        w_hh: np.ndarray,
        b_hh: np.ndarray | None,
        hh_out: np.ndarray,
        out: np.ndarray,
    ) -> np.ndarray:
        """pre = ih + hh of every block (an LSTM's, an RNN's) into ``out``, hh = W_hh h +
        b_hh into ``hh_out`` (:meth:`recurrent`); rounded as printed, with rounding."""
        pre: np.ndarray = np.add(ih, self.recurrent(h, w_hh, b_hh, hh_out), out=out)
        if self.rounded:
            pre[...] = self.shown(pre)
        return pre

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
        has_c = "c" in a
        if has_c:
            c, tanh_c, m = list(a["c"]), list(a["tanh_c"]), list(a["m"])
        h_prev, c_prev = self.h0, self.c0 if has_c else None
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
                    c=c[t] if has_c else None,
                    tanh_c=tanh_c[t] if has_c else None,
                    m=m[t] if has_c else None,
                    h=h[t],
                )
            )
            h_prev, c_prev = h[t], steps[-1].c
        return steps


def _frozen(arrays: dict[str, np.ndarray]) -> None:
    for a in arrays.values():
        a.setflags(write=False)


def lstm(run: DirectionInputs) -> DirectionOutputs:
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
            pre = run.pre(ih_all[t], h, w_hh, b_hh, hh_all[t], pre_all[t])
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
    return DirectionOutputs(steps=run.steps(a, h_all), h_all=h_all, h_last=h, c_last=c)


def gru(run: DirectionInputs) -> DirectionOutputs:
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
    return DirectionOutputs(steps=run.steps(a, h_all), h_all=h_all, h_last=h, c_last=None)


def rnn(run: DirectionInputs) -> DirectionOutputs:
    """The Elman RNN's steps of one layer and direction: h_t = tanh or relu of ih + hh."""
    rounded, shown = run.rounded, run.shown
    relu = run.cell.activation("h") == "relu"
    a = run.arrays()
    ih_all = run.input_parts(a["ih"])
    hh_all, pre_all, act_all = a["hh"], a["pre"], a["act"]  # act: (T, 1, B, hidden), h
    w_hh, b_hh = run.weights("w_hh"), run.bias("b_hh")
    h = run.h0
    for t in run.order:
        pre = run.pre(ih_all[t], h, w_hh, b_hh, hh_all[t], pre_all[t])
        act = act_all[t]
        if relu:
            np.maximum(pre, 0.0, out=act)
        else:
            np.tanh(pre, out=act)
        if rounded:
            act[...] = shown(act)
        h = act[0]
    _frozen(a)
    return DirectionOutputs(
        steps=run.steps(a, act_all[:, 0]), h_all=act_all[:, 0], h_last=h, c_last=None
    )


#: The steps of one layer and direction, by kind of cell.
CELLS: dict[str, Callable[[DirectionInputs], DirectionOutputs]] = {
    "lstm": lstm,
    "gru": gru,
    "rnn": rnn,
}
