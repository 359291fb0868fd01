r"""The symbols of a step: gate names, the layer/direction superscript, the place of a
step in the network, and the labels of values over time."""

from __future__ import annotations

from collections.abc import Sequence

from lstm_tex.compute.trace import Step
from lstm_tex.document import measure
from lstm_tex.validate.model import LstmConfig

GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}


def placement(layer: int, direction: str, cfg: LstmConfig) -> list[str]:
    """``["Layer 1", "reverse"]``: the parts of a title that place a step in the network."""
    where = [f"Layer {layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        where.append(direction)
    return where


def superscript(step: Step, layers: int, bidirectional: bool) -> str:
    parts = []
    if layers > 1:
        parts.append(f"({step.layer})")
    if bidirectional:
        parts.append("\\rightarrow" if step.direction == "forward" else "\\leftarrow")
    return f"^{{{''.join(parts)}}}" if parts else ""


def time_label(name: str, sup: str, ts: Sequence[int], rows: bool = False) -> str:
    r"""``h_{2}``, ``\left[h_{1}\; h_{2}\right]`` or ``\left[h_{1} \cdots h_{5}\right]``;
    with ``rows`` (one row per step), the same stacked in a ``bmatrix``."""
    if len(ts) == 1:
        return f"{name}{sup}_{{{ts[0]}}}"
    if rows:
        sep = " \\\\ " if len(ts) == 2 else " \\\\ \\vdots \\\\ "
        return (
            f"\\begin{{bmatrix}} {name}{sup}_{{{ts[0]}}}{sep}{name}{sup}_{{{ts[-1]}}} "
            f"\\end{{bmatrix}}"
        )
    sep = "\\;" if len(ts) == 2 else " \\cdots "
    return f"\\left[{name}{sup}_{{{ts[0]}}}{sep}{name}{sup}_{{{ts[-1]}}}\\right]"


def example_tag(batched: bool, b: int) -> tuple[str, float]:
    return (f"\\text{{example {b + 1}: }}", measure.EXAMPLE_EM) if batched else ("", 0.0)
