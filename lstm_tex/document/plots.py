"""``render.plots``: the gates, c and h over time, one set of plots per layer and direction.

Values come from the trace the documents show (every step, derived or not), as pgfplots
coordinates already formatted by :mod:`lstm_tex.document.numbers`; the template only draws them.
One line per unit; beyond ``max_rows`` units the middle ones are left out, as a matrix
elides its rows. With a batch the plots read example 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstm_tex.compute.trace import Step, Trace, directions_of
from lstm_tex.document import forms, matrices, numbers

#: What is plotted, left to right and top to bottom: (quantity, symbol, bounds of its
#: values or None: σ gates lie in (0, 1), tanh in (-1, 1); h too, without a projection).
PANELS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("f", "f_t", (0, 1)),
    ("i", "i_t", (0, 1)),
    ("g", "g_t", (-1, 1)),
    ("o", "o_t", (0, 1)),
    ("c", "c_t", None),
    ("h", "h_t", (-1, 1)),
)
#: The GRU's panels: r and z in (0, 1), n and h in (-1, 1) (h mixes n and h_{t-1}).
GRU_PANELS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("r", "r_t", (0, 1)),
    ("z", "z_t", (0, 1)),
    ("n", "n_t", (-1, 1)),
    ("h", "h_t", (-1, 1)),
)


def panels_of(form: forms.Form) -> tuple[tuple[str, str, tuple[int, int] | None], ...]:
    """What is plotted for a kind of cell: the RNN's h alone (unbounded with ReLU)."""
    if form.kind == "gru":
        return GRU_PANELS
    if form.kind == "rnn":
        return (("h", "h_t", None if form.gates[0].act_fn == forms.RELU else (-1, 1)),)
    return PANELS


#: Marks on the lines for short sequences only (they would blur a long one).
MARKS_UP_TO = 12


def _series(steps: list[Step], name: str) -> np.ndarray:
    """(T, units) values of ``name`` (a gate's activation, ``c`` or ``h``) for example 1."""
    if name in steps[0].gates and name != "h":
        return np.stack([s.gates[name].act[0] for s in steps])
    return np.stack([getattr(s, name)[0] for s in steps])


def _y_axis(limits: tuple[int, int] | None) -> str:
    """pgfplots options for a quantity bounded by ``limits``: the range a little wider, so
    that lines near a bound stay visible, ticks at both bounds and the middle. None: as
    pgfplots chooses."""
    if limits is None:
        return ""
    low, high = limits
    pad = (high - low) / 10
    middle = numbers.written((low + high) / 2)
    return (
        f"ymin={numbers.written(low - pad)}, ymax={numbers.written(high + pad)}, "
        f"ytick={{{low},{middle},{high}}}"
    )


def build(trace: Trace, decimals: int, max_units: int) -> list[dict[str, Any]]:
    """One set of panels per layer and direction (none for a single step), named as the
    frame titles name layers and directions."""
    ex = trace.example
    if ex.steps < 2:
        return []
    cfg = ex.config
    form = forms.of(ex)
    found = []
    for layer in range(cfg.num_layers):
        for direction in directions_of(cfg.bidirectional):
            steps = sorted(
                (s for s in trace.steps if s.layer == layer and s.direction == direction),
                key=lambda s: s.t,
            )
            panels = []
            for name, symbol, limits in panels_of(form):
                if name == "h" and cfg.proj_size:
                    limits = None  # h = W_hr m may leave (-1, 1)
                values = _series(steps, name)
                units = matrices.shown(values.shape[1], max_units)
                panels.append(
                    {
                        "name": name,
                        "symbol": symbol,
                        "y_axis": _y_axis(limits),
                        "lines": [
                            {
                                "unit": j + 1,
                                "coordinates": " ".join(
                                    f"({s.t},{numbers.fixed(v, decimals)})"
                                    for s, v in zip(steps, values[:, j], strict=True)
                                ),
                            }
                            for j in units
                        ],
                        "elided": len(units) < values.shape[1],
                    }
                )
            parts = []
            if cfg.num_layers > 1:
                parts.append(f"layer {layer}")
            if cfg.bidirectional:
                parts.append(direction)
            label = ", ".join(parts)
            found.append(
                {
                    "id": f"l{layer}-{direction}-plots",
                    "where": label,
                    "title": (label[0].upper() + label[1:] + ": " if label else "")
                    + _what(form, capital=not label),
                    "reverse": direction == "reverse",
                    "steps": ex.steps,
                    "marks": ex.steps <= MARKS_UP_TO,
                    "units": cfg.hidden_size,
                    "panels": panels,
                    "batched": ex.batched,
                }
            )
    return found


def _what(form: forms.Form, capital: bool) -> str:
    """What the plots show, for their title: ``gates, $c_t$ and $h_t$ over time``."""
    if form.kind == "rnn":
        return "$h_t$ over time"
    gates = "Gates" if capital else "gates"
    states = ", $c_t$ and $h_t$" if form.carries_c else " and $h_t$"
    return f"{gates}{states} over time"
