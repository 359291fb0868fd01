r"""One description per kind of recurrent cell: its gates, their activations, its state.

The engine, the cross-check, the backward pass and the documents read a :class:`Cell`
instead of assuming the LSTM's four gates, so a new cell is one description (and its
formulas in :mod:`lstm_tex.compute.recurrence`), not an edit of every module.

The row blocks of ``weight_ih_l*`` / ``weight_hh_l*`` / ``bias_*`` follow torch's
state_dict (https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html, ``nn.GRU``,
``nn.RNN``):

=====  ========================  =========================  ============  ===========
kind   gates (block order)       activations                rows          state
=====  ========================  =========================  ============  ===========
lstm   i, f, g, o                sigma, sigma, tanh, sigma  4 * hidden    h and c
gru    r, z, n                   sigma, sigma, tanh         3 * hidden    h
rnn    h (the one block)         tanh or relu               hidden        h
=====  ========================  =========================  ============  ===========

The RNN's single block is named ``h``: its activation *is* the new hidden state,
``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu), so the quantities of an RNN
step are ``ih``, ``hh``, ``pre`` and ``h``, as values.json writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["lstm", "gru", "rnn"]
Activation = Literal["sigmoid", "tanh", "relu"]
Nonlinearity = Literal["tanh", "relu"]
#: The kinds of cell, in the order a lecture meets them is RNN, LSTM, GRU; this is the
#: order of the configuration sections (``lstm:``, ``gru:``, ``rnn:``).
KINDS: tuple[Kind, ...] = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class Gate:
    """One row block of the weights: its name (torch's letter) and its activation."""

    name: str
    activation: Activation


@dataclass(frozen=True)
class Cell:
    """One kind of recurrent cell.

    ``gates`` are in torch's block order: block ``n`` of a ``(blocks * hidden, ...)``
    weight is rows ``n * hidden`` to ``(n + 1) * hidden``. ``has_c``: the cell carries a
    cell state c besides h (an ``c0`` input, a ``c_n`` output). ``can_project``: the
    network may have ``proj_size > 0`` (``weight_hr_l*``), nn.LSTM only.
    """

    kind: Kind
    gates: tuple[Gate, ...]
    has_c: bool
    can_project: bool
    #: ``tanh`` or ``relu`` for an RNN; ``None`` for cells without that option.
    nonlinearity: Nonlinearity | None = None

    @property
    def gate_names(self) -> tuple[str, ...]:
        """The gates' names in block order: ``("i", "f", "g", "o")`` for an LSTM."""
        return tuple(g.name for g in self.gates)

    @property
    def blocks(self) -> int:
        """Row blocks of ``weight_ih``/``weight_hh``/the biases: 4, 3 or 1."""
        return len(self.gates)

    @property
    def label(self) -> str:
        """``LSTM``, ``GRU`` or ``RNN``: the name of the torch class without ``nn.``."""
        return self.kind.upper()

    @property
    def torch_class(self) -> str:
        """``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``."""
        return f"nn.{self.label}"

    @property
    def cell_module(self) -> str:
        """``nn.LSTMCell``, ``nn.GRUCell`` or ``nn.RNNCell``: whose state_dict uses the
        keys ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""
        return f"nn.{self.label}Cell"

    @property
    def quantities(self) -> tuple[str, ...]:
        """What one step computes, in order: ``ih``, ``hh``, ``pre``, the gates, then the
        state (``c``, ``h``). For an RNN the one gate is ``h`` itself: ih, hh, pre, h."""
        names = ("ih", "hh", "pre", *self.gate_names, *(("c",) if self.has_c else ()), "h")
        return tuple(dict.fromkeys(names))

    @property
    def gradients(self) -> tuple[str, ...]:
        """What a backward exercise can blank, named as values.json's ``backward``: ``dy``
        and ``dh`` (and ``dc``), ``d`` + each gate (``dact``; not an RNN's one block, which
        is h), ``dpre`` (every gate's delta) and ``grads`` (the weights' and the initial
        state's gradients)."""
        gates = () if self.kind == "rnn" else tuple(f"d{k}" for k in self.gate_names)
        return ("dy", "dh", *(("dc",) if self.has_c else ()), *gates, "dpre", "grads")

    def activation(self, gate: str) -> Activation:
        """The activation of gate ``gate`` (``sigmoid``, ``tanh`` or ``relu``)."""
        for g in self.gates:
            if g.name == gate:
                return g.activation
        raise KeyError(gate)

    def index(self, gate: str) -> int:
        """The block number of gate ``gate``."""
        return self.gate_names.index(gate)


LSTM = Cell(
    kind="lstm",
    gates=(Gate("i", "sigmoid"), Gate("f", "sigmoid"), Gate("g", "tanh"), Gate("o", "sigmoid")),
    has_c=True,
    can_project=True,
)
GRU = Cell(
    kind="gru",
    gates=(Gate("r", "sigmoid"), Gate("z", "sigmoid"), Gate("n", "tanh")),
    has_c=False,
    can_project=False,
)
RNN_TANH = Cell(
    kind="rnn", gates=(Gate("h", "tanh"),), has_c=False, can_project=False, nonlinearity="tanh"
)
RNN_RELU = Cell(
    kind="rnn", gates=(Gate("h", "relu"),), has_c=False, can_project=False, nonlinearity="relu"
)


def cell_of(kind: Kind, nonlinearity: Nonlinearity = "tanh") -> Cell:
    """The description of a ``kind`` of cell; ``nonlinearity`` matters for ``rnn`` only."""
    if kind == "lstm":
        return LSTM
    if kind == "gru":
        return GRU
    if kind == "rnn":
        return RNN_RELU if nonlinearity == "relu" else RNN_TANH
    raise ValueError(f"unknown kind of cell {kind!r}; expected one of {', '.join(KINDS)}")


def kind_from_ratio(rows: int, columns: int) -> Kind | None:
    """The kind that ``weight_hh_l0``'s rows / columns implies without projections:
    4 is an LSTM, 3 a GRU, 1 an RNN; ``None`` for any other shape."""
    by_ratio: dict[int, Kind] = {4: "lstm", 3: "gru", 1: "rnn"}
    if columns > 0 and rows % columns == 0:
        return by_ratio.get(rows // columns)
    return None
