r"""The backward pass's symbols: ``\mathrm{d}h_t``, ``\delta_{k,t}``, ``W^{\top}`` with the
layer/direction superscript, and the names of the weights' blocks."""

from __future__ import annotations

from lstm_tex.compute.trace import Step
from lstm_tex.document import numbers
from lstm_tex.document.symbols import GATE_NAMES, superscript
from lstm_tex.validate.model import LstmConfig

BLOCK_NAMES = {
    **GATE_NAMES,
    "r": "reset gate",
    "z": "update gate",
    "n": "candidate",
    "h": "recurrent",
}


# ---------------------------------------------------------------- symbols


#: The network's output, its prediction, in the backward pass; ``y`` is the target (issue 12:
#: students read a hat as the prediction).
HAT_Y = "\\hat y"


class Symbols:
    r"""Symbols of one layer and direction: ``d("h", 3)`` is ``\mathrm{d}h_{3}`` with
    the layer/direction superscript, ``tr("hh")`` is ``W_{hh}^{\top}``, and so on."""

    def __init__(self, step: Step, cfg: LstmConfig, dd: str) -> None:
        self.dd = dd
        self.sup = superscript(step, cfg.num_layers, cfg.bidirectional)
        self.inner = self.sup[2:-1] if self.sup else ""
        self.layer = step.layer

    def q(self, name: str, t: int | str) -> str:
        return f"{name}{self.sup}_{{{t}}}"

    def qt(self, name: str, t: int | str) -> str:
        """A vector transposed: ``h^{\\top}_{2}``."""
        return f"{name}^{{{self.inner}\\top}}_{{{t}}}"

    def target(self, t: int | str) -> str:
        """The target ``y_t`` (the prediction is ``\\hat y_t``): it has no layer; in a
        bidirectional network, this direction's rows of it carry the direction's arrow."""
        arrow = self.inner.rpartition(")")[2]
        return f"y^{{{arrow}}}_{{{t}}}" if arrow else f"y_{{{t}}}"

    def x(self, t: int | str, transposed: bool = False) -> str:
        """The layer's input (shared by both directions, so no arrow)."""
        layer = f"({self.layer})" if self.layer else ""
        top = "\\top" if transposed else ""
        return f"x^{{{layer}{top}}}_{{{t}}}" if layer or top else f"x_{{{t}}}"

    def d(self, name: str, t: int | str) -> str:
        return f"{self.dd}{name}{self.sup}_{{{t}}}"

    def w(self, sub: str) -> str:
        return f"W_{{{sub}}}{self.sup}"

    def b(self, sub: str) -> str:
        return f"b_{{{sub}}}{self.sup}" if sub else f"b{self.sup}"

    def tr(self, sub: str) -> str:
        return f"W_{{{sub}}}^{{{self.inner}\\top}}"

    def delta(self, k: str | None, t: int | str) -> str:
        return f"\\delta{self.sup}_{{{k},{t}}}" if k else f"\\delta{self.sup}_{{{t}}}"

    def tilde_delta(self, k: str | None, t: int | str) -> str:
        """What reaches ``W_hh h + b_hh`` where it differs from delta (the GRU's n)."""
        return (
            f"\\tilde{{\\delta}}{self.sup}_{{{k},{t}}}"
            if k
            else f"\\tilde{{\\delta}}{self.sup}_{{{t}}}"
        )


def placement(layer: int, direction: str, cfg: LstmConfig) -> str:
    parts = [f"layer {layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        parts.append(direction)
    return ", ".join(parts)


def shown_pair(before: float, after: float, decimals: int) -> tuple[str, str]:
    """Two losses with enough decimals to tell them apart (up to 12)."""
    places = decimals
    while places < 12 and numbers.format_number(before, "fixed", places) == numbers.format_number(
        after, "fixed", places
    ):
        places += 1
    return (
        numbers.format_number(before, "fixed", places),
        numbers.format_number(after, "fixed", places),
    )
