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

from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step, Trace
from lstm_tex.document import forms, matrices, numbers
from lstm_tex.document.blocks import Blocks

if TYPE_CHECKING:
    from lstm_tex.document.line import Line
    from lstm_tex.document.medium import Medium

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


def walks(weights: np.ndarray, vectors: np.ndarray, medium: Medium) -> bool:
    """Whether ``weights @ vectors`` is small enough to walk element by element, whole."""
    rows, cols = (int(n) for n in weights.shape)
    batch = int(vectors.shape[0])
    layout = medium.layout
    return (
        rows <= min(WALK_ROWS, layout.max_rows)
        and cols <= min(WALK_COLS, layout.max_cols)
        and batch <= min(WALK_BATCH, layout.max_cols)
    )


def product(
    weights: np.ndarray,
    vectors: np.ndarray,
    bias: np.ndarray | None,
    result: np.ndarray,
    styles: Sequence[numbers.Style],
    medium: Medium,
    start: int,
) -> tuple[dict[str, Any], int]:
    """The line ``W v + b = r`` uncovered from slide ``start``: its numbers on ``start``, then
    its result. ``vectors`` and ``result`` are (batch, n) as in the trace; ``styles`` how
    the vector's entries are written (one style, or one per entry). Walked element by
    element (:func:`walks`), the line's numbers are the walk's (``W``, ``v``, ``b``, ``r``,
    highlighted); otherwise the line keeps its own. Returns the line's overlays and the
    next free slide."""
    if not walks(weights, vectors, medium):
        return {"on": start, "result": start + 1}, start + 2
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
        "W": matrices.bmatrix(
            weights, style="written", decorate=lambda j, c, text: colour("lstmrow", row(j), text)
        ),
        "v": matrices.bmatrix(
            vectors.T,
            style=styles[0] if len(styles) == 1 else styles,
            decimals=decimals,
            decorate=lambda c, b, text: colour(
                "lstmvec", overlay([slide(j, b) for j in range(n)]), text
            ),
        ),
        "b": ""
        if bias is None
        else matrices.bmatrix(
            bias, style="written", decorate=lambda j, _, text: colour("lstmrow", row(j), text)
        ),
        "r": matrices.bmatrix(
            result.T,
            style="fixed",
            decimals=decimals,
            decorate=lambda j, b, text: (
                f"\\uncover<{slide(j, b)}->{{{colour('lstmresult', str(slide(j, b)), text)}}}"
            ),
        ),
    }
    return {"on": start, "result": start + 1, **lines}, start + 1 + n * batch


#: A product line's arrays for :func:`product`: W, v, b (or None), r and v's styles.
Product = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, list[numbers.Style]]


def products(
    step: Step, g: dict[str, Any], blocks: Blocks, notation: str, first: bool
) -> dict[str, Product]:
    """The lines of a gate that may be walked, by kind: PyTorch's ``W_ik x_t + b_ik`` and
    ``W_hk h_{t-1} + b_hk`` (``x W_xn + b_in``, the GRU's candidate with row vectors, is
    shown at once, never walked), or the textbook's ``W_k [h; x] + b_k``."""
    x_style: numbers.Style = "written" if step.layer == 0 else "fixed"
    h_style: numbers.Style = "written" if first else "fixed"
    gv = step.gates[g["key"]]
    if notation == "textbook" and not g["gated"]:  # one b_ik + b_hk
        styles = [h_style] * step.h_prev.shape[1] + [x_style] * step.x.shape[1]
        vector = np.concatenate([step.h_prev, step.x], axis=1)
        return {"affine": (blocks.stacked, vector, blocks.bias, gv.pre, styles)}
    if g["row_form"]:
        return {}
    return {
        "ih": (blocks.w_ih, step.x, blocks.b_ih, gv.ih, [x_style]),
        "hh": (blocks.w_hh, step.h_prev, blocks.b_hh, gv.hh, [h_style]),
    }


def gate_overlays(
    chunk: Sequence[Line], walked: dict[str, Product], medium: Medium, sums: bool
) -> dict[str, Any]:
    """The overlays of one frame of a gate, by line kind: its symbolic line from the start,
    then each product (walked where it may be), then the result: with ``sums`` (PyTorch's
    ``sigma(ih + hh)``) the sum, the pre-activation and the activation, else sigma(pre),
    then the activation."""
    overlays: dict[str, Any] = {}
    next_slide = 1
    for line in chunk:
        kind = line.kind
        if kind == "symbolic":  # heads the frame: visible from the start
            overlays[kind] = {"on": next_slide}
            next_slide += 1
        elif kind in walked:
            overlays[kind], next_slide = product(*walked[kind], medium, next_slide)
        elif kind == "result":
            stages = ("on", "pre", "act") if sums else ("on", "act")
            overlays[kind] = {stage: next_slide + n for n, stage in enumerate(stages)}
            next_slide += len(stages)
        elif kind in overlays:  # a part of a line cut into parts: uncovered with the first
            continue
        else:  # a product shown at once: the numbers, then the result
            overlays[kind] = {"on": next_slide, "result": next_slide + 1}
            next_slide += 2
    return overlays


def state_overlays(chunk: Sequence[Line], carries_c: bool, proj: bool) -> dict[str, Any]:
    """The overlays of one frame of the state lines: each symbol first, then numbers, then
    the result (the LSTM's h line shows o * tanh(c) twice, with c, then with tanh(c); then
    the projection's line)."""
    overlays: dict[str, Any] = {}
    next_slide = 1
    for line in chunk:
        hidden = line.kind == "hidden"
        stages = 4 if hidden and carries_c else 3
        overlays[line.kind] = {
            "on": next_slide,
            "numbers": next_slide + 1,
            "then": next_slide + 2,
            "result": next_slide + stages - 1,
            "h_on": next_slide + 4,
            "h_result": next_slide + 5,
        }
        next_slide += stages + (2 if hidden and proj else 0)
    return overlays


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: Medium) -> None:
    """Set the overlays of the step context ``ctx``: ``reveal`` of each gate (per frame, the
    overlays of each line, by kind) and ``reveal_states`` (per frame of the cell and hidden
    state); the rows written out by ``render.expand`` come one slide each (their template
    counts them).

    In every notation the lines come one after another; the element walk is PyTorch's
    ``W_ik x_t + b_ik`` and ``W_hk h_{t-1} + b_hk``, or the textbook's ``W_k [h; x] + b_k``
    (the row-vector notation's ``x W`` is shown at once). An exercise sheet (blanked
    values) is never walked: the walk would show what the sheet leaves blank."""
    ex = trace.example
    w = layer_weights(ex, step.layer, step.direction)
    notation = ex.render.notation
    form = forms.of(ex)
    for n, g in enumerate(ctx["gates"]):
        blocks = Blocks.of(w, n, ex.config.hidden_size)
        walked = {} if medium.marks else products(step, g, blocks, notation, ctx["first"])
        sums = notation == "pytorch" or g["gated"]
        g["reveal"] = [gate_overlays(chunk, walked, medium, sums) for chunk in g["frames"]]
    ctx["reveal_states"] = [
        state_overlays(chunk, form.carries_c, ctx["proj"]) for chunk in ctx["state_frames"]
    ]
