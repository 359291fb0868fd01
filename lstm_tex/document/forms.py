r"""How each kind of cell is written in the documents: its gates' symbols, names and
activations, the state lines that follow the gates, and the quantities it shows.

The cell description (:mod:`lstm_tex.compute.cells`: gate blocks, activations, state) says what is
computed; a :class:`Form`, made from it, says how the documents write it. Adding a cell to
the documents means its gates' names here (:data:`NAMES`) and, in
``templates/derivation.tex.j2``, the macros of its overview, and in
``templates/line.tex.j2`` its state lines (those differ from cell to cell); the gate
lines, the packing into frames, the reveal, the expansion, the captions' shares and the
exercises read the form.

- ``nn.LSTM``: gates i, f, g, o; then the cell state c and the hidden state h.
- ``nn.GRU``: gates r, z, n, where n is torch's ``tanh(W_in x + b_in + r * (W_hn h +
  b_hn))`` (``gated``: r multiplies the hidden part); then ``h = (1 - z) * n + z * h``.
- ``nn.RNN``: one block whose activation (tanh or ReLU) is the new hidden state itself;
  its document key is ``h``, so that its symbols are torch's ``W_ih``, ``W_hh``, ``b_ih``,
  ``b_hh`` (and d2l's ``W_xh``, ``W_hh``, ``b_h`` in the row-vector notation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_tex.compute import cells
from lstm_tex.compute.cells import Cell, Kind

SIGMA = "\\sigma"
TANH = "\\tanh"
RELU = "\\operatorname{ReLU}"


@dataclass(frozen=True)
class GateForm:
    """One gate as the documents write it: ``key`` names its symbols (``W_{i<key>}``),
    ``name`` its frames, ``act_fn`` its activation; ``gated``: its hidden part is
    multiplied by the reset gate before the sum (the GRU's n)."""

    key: str
    name: str
    act_fn: str
    gated: bool = False


@dataclass(frozen=True)
class Form:
    """One kind of cell in the documents.

    ``states`` are the lines after the gates (``cell``: c_t; ``hidden``: h_t), ``carries_c``
    whether the cell has a cell state, ``quantities`` what an exercise can blank (in the
    order a step computes them); ``diagram`` whether the cell has a drawing.
    """

    kind: Kind
    title: str
    torch_class: str
    gates: tuple[GateForm, ...]
    states: tuple[str, ...]
    carries_c: bool
    diagram: bool

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(g.key for g in self.gates)

    @property
    def order(self) -> str:
        """``i, f, g, o``: the gate order in words (maths)."""
        return ", ".join(self.keys)

    @property
    def quantities(self) -> tuple[str, ...]:
        """What ``render.exercise`` can blank for this cell, in the order of a step."""
        states = ("c", "h") if self.carries_c else ("h",)
        return ("ih", "hh", "pre", *(k for k in self.keys if k not in states), *states)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The states carried from step to step: ``h`` and, for the LSTM, ``c``."""
        return ("h", "c") if self.carries_c else ("h",)

    def gate(self, key: str) -> GateForm:
        return next(g for g in self.gates if g.key == key)


#: What the documents call each gate (the frame titles, the parts' captions).
NAMES = {
    "lstm": {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"},
    "gru": {"r": "reset gate", "z": "update gate", "n": "candidate"},
    "rnn": {"h": "hidden state"},
}
#: The gate whose hidden part the reset gate multiplies (torch's GRU: n).
GATED = {"gru": "n"}
#: The activations of :mod:`lstm_tex.compute.cells` as the documents write them.
TEX = {"sigmoid": SIGMA, "tanh": TANH, "relu": RELU}


def form_of(cell: Cell) -> Form:
    """The document form of a cell description (:mod:`lstm_tex.compute.cells`): its gates in block
    order with their names and activations; the states that follow them."""
    kind = cell.kind
    gates = tuple(
        GateForm(g.name, NAMES[kind][g.name], TEX[g.activation], gated=GATED.get(kind) == g.name)
        for g in cell.gates
    )
    return Form(
        kind=kind,
        title=cell.label,
        torch_class=cell.torch_class,
        gates=gates,
        # the RNN's one block is h itself: no line after it
        states=("cell", "hidden") if cell.has_c else ("hidden",) if kind == "gru" else (),
        carries_c=cell.has_c,
        diagram=kind == "lstm",  # templates/diagram.tex.j2 draws the LSTM's cell only
    )


LSTM = form_of(cells.LSTM)
GRU = form_of(cells.GRU)


def of(example: Any) -> Form:
    """The form of the cell of ``example`` (its configuration's cell description)."""
    return form_of(example.config.cell)
