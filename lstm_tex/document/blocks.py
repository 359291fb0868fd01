r"""What the lines of a step's gates are made from: one gate's blocks of a layer's weights
(:class:`Blocks`, shared by the gate lines, the expansion and the reveal) and what the
gates of one step share (:class:`Where`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import numbers
from lstm_tex.document.measure import SYMBOLIC
from lstm_tex.document.medium import Medium


@dataclass(frozen=True)
class Blocks:
    """One gate's blocks of a layer's weights: PyTorch's ``W_ik``, ``W_hk``, ``b_ik`` and
    ``b_hk`` (``None`` without a bias)."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray | None
    b_hh: np.ndarray | None

    @classmethod
    def of(cls, w: dict[str, Any], n: int, hidden: int) -> Blocks:
        """Gate ``n``'s blocks of ``w`` (:func:`lstm_tex.compute.engine.layer_weights`)."""
        block = slice(n * hidden, (n + 1) * hidden)
        return cls(
            w["w_ih"][block],
            w["w_hh"][block],
            None if w["b_ih"] is None else w["b_ih"][block],
            None if w["b_hh"] is None else w["b_hh"][block],
        )

    @property
    def bias(self) -> np.ndarray | None:
        """The textbook's and d2l's one bias ``b_k = b_ik + b_hk``, added as decimals
        (``bias: single`` has ``b_ik`` only)."""
        if self.b_ih is None:
            return None
        return self.b_ih if self.b_hh is None else numbers.decimal_sum(self.b_ih, self.b_hh)

    @property
    def stacked(self) -> np.ndarray:
        """The textbook's ``W_k = [W_hk  W_ik]``."""
        return np.hstack([self.w_hh, self.w_ih])


@dataclass(frozen=True)
class Where:
    """What the gates of one step share: the step and its medium, the layer's weights
    ``w``, the notation, the layer/direction superscript (and its ems per symbol), how x
    and h_{t-1} are written (styles, symbols, numbers as shown), the textbook's stacked
    ``[h; x]`` (``v_sym``, ``v``, ``v_em``, ``v_rows``) and the room of a result line."""

    step: Step
    medium: Medium
    w: dict[str, Any]
    hidden: int
    notation: str
    sup: str
    sup_em: float
    styles: tuple[numbers.Style, numbers.Style]
    symbols: tuple[str, str]
    shown: tuple[str, str]
    stacked: dict[str, Any]
    state_line: float

    @property
    def rows(self) -> int:
        """Matrix rows of the step's states."""
        step = self.step
        return self.medium.rows(step.c if step.c is not None else step.h)

    @property
    def budget(self) -> float:
        """On slides, a line taller than this stays on one row (:func:`unbroken_if_tall`)."""
        return self.medium.layout.frame_rows - SYMBOLIC
