"""The validated example: frozen records of float64 arrays, and the limits they keep to.

:func:`lstm_tex.validate.spec.load` builds an :class:`Example`; code after validation
receives one and never re-checks it. This module imports neither pydantic nor the readers,
so the engine and the documents can use its types cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from lstm_tex.compute.cells import LSTM, Cell, Kind, Nonlinearity, cell_of
from lstm_tex.latex.decks import DEFAULT, Deck

#: The LSTM's gates (:data:`lstm_tex.compute.cells.LSTM`); other cells: ``config.cell.gate_names``.
GATES = LSTM.gate_names


Notation = Literal["pytorch", "textbook", "row-vector"]


Format = Literal["latex", "html", "markdown"]


#: ``render.formats``: what ``render`` writes besides values.json, in this order.
FORMATS: tuple[Format, ...] = ("latex", "html", "markdown")


#: What ``render.exercise`` can blank, in the order a step computes them.
QUANTITIES = ("ih", "hh", "pre", "i", "f", "g", "o", "c", "h")


#: The quantities each notation prints: textbook and row-vector show one affine line per
#: gate (W [h; x] + b, or x W + h W + b), not ih and hh on their own.
SHOWN: dict[str, tuple[str, ...]] = {
    "pytorch": QUANTITIES,
    "textbook": QUANTITIES[2:],
    "row-vector": QUANTITIES[2:],
}


Device = str


DEVICE_PATTERN = re.compile(r"^(cpu|auto|mps|cuda(:\d+)?)$")


#: ``render.max_rows``/``max_cols``: the fewest rows and columns an elided matrix shows
#: (first, ``\vdots``, last) and the most a frame can hold at a readable size.
ELISION_MIN = 3


SLIDES_MAX_ROWS = 16


SLIDES_MAX_COLS = 16
#: ``render.text_size``: the slides' text size in pt, the size of their derivations and
#: numbers (Beamer's ``\footnotesize``, ``\small`` and ``\normalsize`` at 11 pt). Nothing
#: below 9 is offered: a number must read at 8 pt or more from the back of a hall, so a
#: line too wide for its size elides columns rather than shrinks. Nothing above 11: at
#: 12 pt a hidden-4 gate no longer fits a 16:9 frame and takes three a third full.
TEXT_SIZES = (9, 10, 11)


#: Most steps (T x layers x directions) a render derives in full unless the file chooses
#: with ``render.steps`` or ``render.layers``: each writes about 7 files (T = 10,000 once
#: wrote 70,004 files, 390 MB).
MAX_DERIVED = 200


@dataclass(frozen=True)
class LstmConfig:
    """The shape of an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``: the fields and defaults of
    their constructors, and ``kind`` (which of the three; :attr:`cell` describes it).

    ``bias`` may also be ``"single"``: one bias per gate (``bias_ih_*`` only), computed as
    torch with ``bias_hh_*`` fixed at zero and not trained. ``proj_size`` is an LSTM's
    only (0 otherwise); ``nonlinearity`` (``tanh`` or ``relu``) an RNN's only.
    """

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool | Literal["single"] = True
    bidirectional: bool = False
    proj_size: int = 0
    batch_first: bool = False
    kind: Kind = "lstm"
    nonlinearity: Nonlinearity = "tanh"

    @property
    def cell(self) -> Cell:
        """The description of this network's cell: gates, activations, state."""
        return cell_of(self.kind, self.nonlinearity)

    @property
    def single_bias(self) -> bool:
        """One bias per gate (``bias: single``)."""
        return self.bias == "single"

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """Size of h: ``proj_size`` when projecting, else ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.num_directions * self.out_size

    def suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every ``state_dict`` key of this configuration, in torch's order, with its shape."""
        four_h = self.cell.blocks * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            for sfx in self.suffixes():
                shapes[f"weight_ih_l{layer}{sfx}"] = (four_h, self.layer_input_size(layer))
                shapes[f"weight_hh_l{layer}{sfx}"] = (four_h, self.out_size)
                if self.bias:
                    shapes[f"bias_ih_l{layer}{sfx}"] = (four_h,)
                if self.bias is True:
                    shapes[f"bias_hh_l{layer}{sfx}"] = (four_h,)
                if self.proj_size:
                    shapes[f"weight_hr_l{layer}{sfx}"] = (self.proj_size, self.hidden_size)
        return shapes

    def as_dict(self) -> dict[str, Any]:
        """The configuration section's keys (values.json's ``lstm``/``gru``/``rnn``)."""
        keys: dict[str, Any] = {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "bidirectional": self.bidirectional,
        }
        if self.kind == "lstm":
            keys["proj_size"] = self.proj_size
        keys["batch_first"] = self.batch_first
        if self.kind == "rnn":
            keys["nonlinearity"] = self.nonlinearity
        return keys


#: The configuration of any of the three networks (the name ``LstmConfig`` stays for the
#: modules written before nn.GRU and nn.RNN).
NetworkConfig = LstmConfig


@dataclass(frozen=True)
class CheckOptions:
    device: Device = "cpu"
    dtype: Literal["float64", "float32"] = "float64"
    atol: float = 1e-10


@dataclass(frozen=True)
class RenderOptions:
    """How the documents show the trace.

    ``steps`` (t from 1) and ``layers`` (from 0, as in the weight names) select what is
    derived in full; ``None`` means all. The other steps are summarised (results only).
    ``notation`` chooses how the equations are written (the numbers are the same);
    ``carry: displayed`` computes every shown value from the rounded values shown before
    it; ``exercise`` lists the quantities an exercise sheet leaves blank; ``captions``
    adds sentences that read the gate values; ``formats`` lists the outputs besides
    values.json (``latex``: the article, deck, frames and parts; ``html``: a web page;
    ``markdown``: a Markdown file), in :data:`FORMATS` order; ``diagram`` draws the cell with
    each derived step's numbers, ``plots`` the values over time.
    ``reveal`` uncovers the frames' derivations step by step (Beamer overlays);
    ``expand`` lists the gates (with their steps) whose affine parts are also written
    out row by row; ``max_rows``/``max_cols`` bound the matrices on slides (the rest is
    elided); ``text_size`` is the slides' text size in pt (:data:`TEXT_SIZES`); ``deck``
    the Beamer theme, aspect ratio and class font size they are laid out for (a
    lecturer's own deck);
    ``article_full`` shows every row and column in the article.
    """

    decimals: int = 4
    steps: tuple[int, ...] | None = None
    layers: tuple[int, ...] | None = None
    reveal: bool = False
    expand: tuple[tuple[str, tuple[int, ...] | None], ...] = ()  # (gate, steps; None: all)
    max_rows: int = 8
    max_cols: int = 8
    text_size: int = 10
    deck: Deck = DEFAULT
    article_full: bool = False
    notation: Notation = "pytorch"
    carry: Literal["exact", "displayed"] = "exact"
    #: Whether the file (or ``--carry``) chose ``carry``; else it follows ``exercise``:
    #: ``displayed`` with an exercise (students go on from rounded values), else ``exact``.
    carry_chosen: bool = False
    exercise: tuple[str, ...] = ()  # the QUANTITIES an exercise sheet blanks; () for none
    captions: bool = False
    #: Whether the file wrote ``render.steps`` or ``render.layers`` (even as ``all``): a
    #: choice to derive that many steps, which lifts the :data:`MAX_DERIVED` bound.
    chosen: bool = False
    formats: tuple[Format, ...] = ("latex",)
    diagram: bool = False  # the cell drawn (TikZ) with each derived step's numbers
    plots: bool = False  # the gates, c and h over time (pgfplots), for T > 1

    def expands(self, gate: str, t: int) -> bool:
        """Whether gate ``gate`` at step ``t`` is written out row by row (``render.expand``)."""
        return any(k == gate and (steps is None or t in steps) for k, steps in self.expand)

    def derives(self, layer: int, t: int) -> bool:
        """Whether step ``t`` of ``layer`` is derived in full (both directions alike)."""
        return (self.steps is None or t in self.steps) and (
            self.layers is None or layer in self.layers
        )


@dataclass(frozen=True)
class BackwardSpec:
    """``target`` has the shape of ``output`` (T, B, D*H_out) or of its last step (B, D*H_out)."""

    target: np.ndarray
    last_step_only: bool
    loss: Literal["mse", "sse"] = "mse"
    lr: float | None = None


@dataclass(frozen=True)
class Example:
    """A validated example: float64 arrays in canonical shapes, read-only.

    ``x`` is (T, B, input), also with ``batch_first`` (which only says how x and output
    are written); ``h0`` is (L*D, B, H_out); ``c0`` is (L*D, B, hidden), and (L*D, B, 0)
    for a cell without a cell state (GRU, RNN: ``config.cell.has_c`` is false). ``weights``
    are under the network's names (``weight_ih_l0``), also when given as the cell
    module's (nn.LSTMCell, nn.GRUCell, nn.RNNCell: ``weight_ih``).
    ``batched`` and ``one_step`` remember how x was written, so that outputs can be
    given back in torch's shapes for that input.
    """

    file: str
    stem: str
    config: LstmConfig
    weights: Mapping[str, np.ndarray]
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    batched: bool = False
    one_step: bool = False
    h0_given: bool = True
    c0_given: bool = True
    title: str | None = None
    check: CheckOptions = field(default_factory=CheckOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    backward: BackwardSpec | None = None
    #: The weights' names as given (nn.LSTMCell's ``weight_ih`` ...), by torch.nn.LSTM name.
    weight_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The checkpoint file the weights were read from (``weights: model.pt``), if any.
    weights_file: str | None = None
    #: What reading the checkpoint changed or assumed (``_raw`` keys, dequantized tensors).
    notes: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        return int(self.x.shape[0])

    @property
    def batch(self) -> int:
        return int(self.x.shape[1])
