r"""What every part of the backward context's builder shares: the medium, the frame
budget, the order of the steps, and the symbols of the cell's gates."""

from __future__ import annotations

from typing import Any

from lstm_tex.compute.backward import Gradients
from lstm_tex.compute.trace import Direction, Step, directions_of
from lstm_tex.document import matrices, measure
from lstm_tex.document.backward_lines import (
    ARTICLE_BLOCK_ROWS,
    LAST_WORDS_PT,
    PARTS_PAGE_ROWS,
    SLIDES_TEXT_EM,
    baseline_pt,
    pack_group,
    slide_rows,
)
from lstm_tex.document.backward_notes import note_rows
from lstm_tex.document.backward_show import Show
from lstm_tex.document.backward_symbols import BLOCK_NAMES, Symbols
from lstm_tex.document.line import Line
from lstm_tex.document.medium import ARTICLE, PARTS, Medium, slides_layout


class BuilderBase:
    """The state and helpers shared by the builder's parts (the steps, the parameters)."""

    def __init__(
        self,
        gradients: Gradients,
        slides: bool,
        parts: bool = False,
        marks: dict[str, matrices.Mark] | None = None,
        blanks: frozenset[str] = frozenset(),
    ) -> None:
        """``marks``: the gradients an exercise document asks; ``blanks``: the forward
        quantities it asks (written by name where the backward lines use them)."""
        self.g = gradients
        self.ex = gradients.trace.example
        self.cfg = self.ex.config
        layout = slides_layout(self.ex.render.text_size, self.ex.render.deck) if slides else ARTICLE
        self.medium = Medium(self.ex.render.decimals, PARTS if parts else layout, marks=marks or {})
        self.medium.paper_boxes = bool(marks) and not slides
        self.show = Show(self.medium, exercise_kinds(gradients) if marks else None)
        if blanks:
            dd = "\\mathsf{d}" if slides else "\\mathrm{d}"
            self.show.forward = forward_names(gradients, dd)
            self.show.blanks = blanks
        if "E" in self.medium.marks and "dy" not in self.medium.marks:
            self._loss_blanks(gradients, "dh" in self.medium.marks)
        self.show.page_rows = PARTS_PAGE_ROWS if parts else ARTICLE_BLOCK_ROWS
        size, deck = self.ex.render.text_size, self.ex.render.deck
        # the frame's rows and width scale with the deck's (render.deck; 1.0 by default)
        self.budget = slide_rows(size) * deck.height if slides else ARTICLE_BLOCK_ROWS
        #: Rows kept free on a group's last frame for its closing words (slides).
        self.last_words = slide_rows(size, LAST_WORDS_PT) if slides else 0.0
        self.text_em = (
            SLIDES_TEXT_EM * measure.SLIDE_TEXT_PT / size * deck.width if slides else None
        )
        self.dd = "\\mathsf{d}" if slides else "\\mathrm{d}"
        self.directions: tuple[Direction, ...] = directions_of(self.cfg.bidirectional)
        self.top = self.cfg.num_layers - 1
        self.cell = self.cfg.cell

    def _loss_blanks(self, gradients: Gradients, dh_asked: bool) -> None:
        """With h asked, the top layer's dy_t = 2/N (h_t - y_t) is blank as the loss's E
        is (and dh_T, which is dy_T): the given targets would give h_t back. By name
        where it is used after (:meth:`Show.used`), never its numbers."""
        for b in gradients.steps:
            if b.layer == self.cfg.num_layers - 1:
                self.show.kinds[id(b.dy)] = "E"
                if not dh_asked and b.t == (self.ex.steps if b.direction == "forward" else 1):
                    self.show.kinds[id(b.dh)] = "E"

    def group(
        self,
        name: str,
        title: str,
        note: str,
        lines: list[Line],
        last_words: bool | str = False,
    ) -> dict[str, Any]:
        """``lines`` packed into frames; ``last_words``: the group's last frame closes
        with a sentence (the check, the verdict), so every frame keeps room for it: its
        rows where it is given (a string), else :data:`LAST_WORDS_PT`. ``reserve_pt``: that
        room, for \\lstmcap (0 where there are none)."""
        reserve_pt = 0.0
        if last_words and self.text_em is not None:
            reserve_pt = LAST_WORDS_PT
            if isinstance(last_words, str):
                size = self.ex.render.text_size
                reserve_pt = min(
                    LAST_WORDS_PT,
                    baseline_pt(size) * (note_rows(last_words, size, self.show.width) + 1),
                )
        reserve = slide_rows(self.ex.render.text_size, reserve_pt) if reserve_pt else 0.0
        limit = self.show.limit if self.text_em is None else None
        group = pack_group(
            name,
            title,
            note,
            lines,
            self.budget,
            self.text_em,
            reserve,
            limit,
            self.show.size,
            self.show.width,
        )
        group["reserve_pt"] = f"{reserve_pt:.1f}".removesuffix(".0")
        return group

    def next_t(self, step: Step) -> int:
        return step.t + 1 if step.direction == "forward" else step.t - 1

    def prev_t(self, step: Step) -> int:
        return step.t - 1 if step.direction == "forward" else step.t + 1

    def is_first(self, step: Step) -> bool:
        """Computed first in its direction: its h_prev, c_prev are the initial state."""
        return step.t == (1 if step.direction == "forward" else self.ex.steps)

    def is_last(self, step: Step) -> bool:
        return step.t == (self.ex.steps if step.direction == "forward" else 1)

    @property
    def computes(self) -> str:
        """The steps and who computes them, for the notes ("the last step the network
        computes"): "direction" only in a bidirectional network (issue 12)."""
        if self.cfg.bidirectional:
            return "step this direction computes"
        return (
            "step this layer computes" if self.cfg.num_layers > 1 else "step the network computes"
        )

    # ------------------------------------------------------------ symbols of the cell

    def delta_sym(self, sy: Symbols, k: str) -> Any:
        """``t -> \\delta_{k,t}`` (an RNN's one block: ``\\delta_t``)."""
        gate = None if self.cell.kind == "rnn" else k
        return lambda t: sy.delta(gate, t)

    def separate_hh(self, k: str) -> bool:
        """Whether what reaches gate ``k``'s hh part differs from its delta (GRU's n)."""
        return self.cell.kind == "gru" and k == "n"

    def hh_delta_sym(self, sy: Symbols, k: str) -> Any:
        """``t ->`` the symbol of what reaches gate ``k``'s ``hh`` part: its delta, or
        ``\\tilde\\delta_{n,t}`` (= r_t * delta_n,t) for the GRU's n."""
        if self.separate_hh(k):
            return lambda t: sy.tilde_delta(k, t)
        return self.delta_sym(sy, k)

    def hh_n(self, sy: Symbols, t: int | str) -> str:
        """The GRU's ``W_{hn} h_{t-1} + b_{hn}``, what r multiplies (no b_hn without one)."""
        bias = f" + {sy.b('hn')}" if self.cfg.bias is True else ""
        return f"{sy.w('hn')} {sy.q('h', t)}{bias}"

    def bias_sym(self, sy: Symbols, which: str, k: str) -> str:
        """``b_{ik}``, ``b_{hk}`` or (one bias per gate) ``b_k``; an RNN's ``b_{ih}``,
        ``b_{hh}`` or ``b``."""
        if self.cell.kind == "rnn":
            return sy.b(f"{which}h" if which else "")
        return sy.b(which + k)

    def block_name(self, k: str) -> str:
        """What the parameter gradients of block ``k`` are called in titles."""
        if self.cell.kind == "rnn":
            return "the weights"
        return f"{BLOCK_NAMES[k]} weights"


def exercise_kinds(gradients: Gradients) -> dict[int, str]:
    """The exercise quantity of every array of the backward pass that lines show as it is
    (``id`` to ``dy``, ``dh``, ``dc``, ``di``..., ``dpre``, ``grads``): what the steps
    hand back to the initial state is its gradient."""
    kinds: dict[int, str] = {}
    for b in gradients.steps:
        first = b.t == (1 if b.direction == "forward" else gradients.trace.example.steps)
        if first:
            kinds[id(b.dh_prev)] = "grads"
            if b.dc_prev is not None:
                kinds[id(b.dc_prev)] = "grads"
        kinds[id(b.dy)] = "dy"
        for k, g in b.gates.items():
            kinds[id(g.dhh)] = "dpre"  # the GRU's r * delta_n; delta itself for the others
            kinds[id(g.d)] = f"d{k}"
            kinds[id(g.dpre)] = "dpre"
        if b.dc is not None:
            kinds[id(b.dc)] = "dc"
        kinds[id(b.dh)] = "dh"
        if b.dm is not None and b.dm is not b.dh:
            kinds.pop(id(b.dm), None)  # with projections, dL/dm is not asked for
    return kinds


def forward_names(gradients: Gradients, dd: str) -> dict[int, tuple[str, str, str]]:
    """The forward pass's values that the backward lines use, by identity: their exercise
    quantity, name and name transposed (:attr:`Show.forward`). The initial state and the
    input are given: their quantity is none, their names serve a stacked operand."""
    trace = gradients.trace
    cfg = trace.example.config
    names: dict[int, tuple[str, str, str]] = {}
    for s in trace.steps:
        sy = Symbols(s, cfg, dd)
        t = s.t
        tp = t - 1 if s.direction == "forward" else t + 1
        first = s.t == (1 if s.direction == "forward" else trace.example.steps)
        named = [(s.h, "h", "h", t), (s.h_prev, "" if first else "h", "h", tp)]
        named += [(g.act, k, k, t) for k, g in s.gates.items()]
        if s.c is not None and s.c_prev is not None:
            named += [(s.c, "c", "c", t), (s.c_prev, "" if first else "c", "c", tp)]
        for array, quantity, symbol, when in named:
            names.setdefault(id(array), (quantity, sy.q(symbol, when), sy.qt(symbol, when)))
        if s.tanh_c is not None:
            names[id(s.tanh_c)] = ("c", f"\\tanh({sy.q('c', t)})", "")
        if "n" in s.gates:
            names[id(s.gates["n"].hh)] = ("hh", "", "")  # the GRU's W_hn h_{t-1} + b_hn
        names[id(s.x)] = ("h" if s.layer else "", sy.x(t), sy.x(t, transposed=True))
    return names
