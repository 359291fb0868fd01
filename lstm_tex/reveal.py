r"""Step-by-step reveal on slides (``render.reveal``): Beamer overlays for the frames.

Each frame counts its slides from 1. A gate frame shows its symbolic line from the
start; then each product line ``W v + b = r`` takes one slide for the numbers and one
per element of ``r`` (that element uncovered while its row of ``W``, the vector and its
bias entry are coloured), or, when the product is too large for an element-by-element
walk, one slide for ``r`` at once; the result line takes three slides (the sum, the
pre-activation, the activation). The cell and hidden-state lines come symbol first,
then numbers, then result; the rows written out by ``render.expand`` come one by one.

Everything is uncovered (``\uncover``), never switched in with ``\only``, so every
slide of a frame has the same layout. The colours are named, not given: ``lstmrow``,
``lstmvec`` and ``lstmresult``, defined in the ``colors.tex.j2`` template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex import numbers
from lstm_tex.engine import Step, Trace, layer_weights
from lstm_tex.spec import GATES

if TYPE_CHECKING:
    from lstm_tex.context import _Medium

#: The largest product walked element by element: rows (hidden), columns (input or
#: hidden) and examples of a batch; larger ones show their result at once.
WALK_ROWS = 4
WALK_COLS = 4
WALK_BATCH = 2


def overlay(slides: Sequence[int]) -> str:
    """A Beamer overlay specification for ``slides``: ``[3]`` -> ``3``, ``[3, 4]`` ->
    ``3-4``, ``[3, 5, 6]`` -> ``3,5-6``."""
    runs: list[list[int]] = []
    for n in sorted(set(slides)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def walks(weights: np.ndarray, vectors: np.ndarray, medium: _Medium) -> bool:
    """Whether ``weights @ vectors`` is small enough to walk element by element, whole."""
    rows, cols = (int(n) for n in weights.shape)
    batch = int(vectors.shape[0])
    layout = medium.layout
    return (rows <= min(WALK_ROWS, layout.max_rows) and cols <= min(WALK_COLS, layout.max_cols)
            and batch <= min(WALK_BATCH, layout.max_cols))


def product(weights: np.ndarray, vectors: np.ndarray, bias: np.ndarray | None,
            result: np.ndarray, style: numbers.Style, plain: dict[str, str],
            medium: _Medium, start: int) -> tuple[dict[str, Any], int]:
    """The line ``W v + b = r`` uncovered from slide ``start``: its numbers on ``start``, then
    its result. ``vectors`` and ``result`` are (batch, n) as in the trace; ``plain`` holds
    the strings without overlays (``W``, ``v``, ``b``, ``r``), used when there is no walk.
    Returns the line's overlays and strings, and the next free slide."""
    if not walks(weights, vectors, medium):
        return {"on": start, "result": start + 1, **plain}, start + 2
    batch = int(vectors.shape[0])
    n = int(weights.shape[0])

    def slide(j: int, b: int) -> int:  # the slide of element (j, b): row by row
        return start + 1 + j * batch + b

    def row(j: int) -> str:
        return overlay([slide(j, b) for b in range(batch)])

    def colour(name: str, when: str, text: str) -> str:
        return f"\\textcolor<{when}>{{{name}}}{{{text}}}"

    decimals = medium.decimals
    lines = {
        "W": numbers.bmatrix(weights, style="written",
                             decorate=lambda j, c, text: colour("lstmrow", row(j), text)),
        "v": numbers.bmatrix(vectors.T, style=style, decimals=decimals,
                             decorate=lambda c, b, text: colour(
                                 "lstmvec", overlay([slide(j, b) for j in range(n)]), text)),
        "b": "" if bias is None else numbers.bmatrix(
            bias, style="written", decorate=lambda j, _, text: colour("lstmrow", row(j), text)),
        "r": numbers.bmatrix(result.T, style="fixed", decimals=decimals,
                             decorate=lambda j, b, text: (
                                 f"\\uncover<{slide(j, b)}->"
                                 f"{{{colour('lstmresult', str(slide(j, b)), text)}}}")),
    }
    return {"on": start, "result": start + 1, **lines}, start + 1 + n * batch


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: _Medium) -> None:
    """Set the overlays of the step context ``ctx``: ``reveal`` of each gate (per frame, the
    overlays of each line), ``reveal_states`` (per frame of the cell and hidden state) and
    the slides of the rows written out by ``render.expand``."""
    ex = trace.example
    w = layer_weights(ex, step.layer, step.direction)
    hidden = ex.config.hidden_size
    x_style: numbers.Style = "written" if step.layer == 0 else "fixed"
    h_style: numbers.Style = "written" if ctx["first"] else "fixed"
    for n, (k, g) in enumerate(zip(GATES, ctx["gates"], strict=True)):
        block = slice(n * hidden, (n + 1) * hidden)
        gv = step.gates[k]
        parts = {
            "ih": (w["w_ih"][block], step.x, None if w["b_ih"] is None else w["b_ih"][block],
                   gv.ih, x_style, {"W": g["W_ih"], "v": ctx["x"], "b": g["b_ih"],
                                    "r": g["ih"]}),
            "hh": (w["w_hh"][block], step.h_prev,
                   None if w["b_hh"] is None else w["b_hh"][block], gv.hh, h_style,
                   {"W": g["W_hh"], "v": ctx["h_prev"], "b": g["b_hh"], "r": g["hh"]}),
        }
        frames = []
        for chunk in g["frames"]:
            overlays: dict[str, Any] = {}
            next_slide = 1
            for line in chunk:
                if line == "symbolic":  # heads the frame: visible from the start
                    overlays[line] = {"on": next_slide}
                    next_slide += 1
                    continue
                if line in parts:
                    weights, vectors, bias, result, style, plain = parts[line]
                    overlays[line], next_slide = product(weights, vectors, bias, result, style,
                                                         plain, medium, next_slide)
                else:  # the result line, or a line of another notation: three stages
                    overlays[line] = {"on": next_slide, "pre": next_slide + 1,
                                      "act": next_slide + 2}
                    next_slide += 3
            frames.append(overlays)
        g["reveal"] = frames if all(
            line in ("symbolic", "result", *parts) for chunk in g["frames"] for line in chunk
        ) else None  # lines of another notation are shown without overlays
        if g.get("expansion") is not None:
            for chunk in g["expansion"]["frames"]:
                for slide_no, row in enumerate(chunk, start=1):
                    row["on"] = slide_no
    states = []
    for chunk in ctx["state_frames"]:
        overlays = {}
        next_slide = 1
        for line in chunk:
            stages = 4 if line == "hidden" else 3
            overlays[line] = {"on": next_slide, "numbers": next_slide + 1,
                              "then": next_slide + 2, "result": next_slide + stages - 1,
                              "h_on": next_slide + 4, "h_result": next_slide + 5}
            next_slide += stages + (2 if line == "hidden" and ctx["proj"] else 0)
        states.append(overlays)
    ctx["reveal_states"] = states
