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

if TYPE_CHECKING:
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
    plain: dict[str, str],
    medium: Medium,
    start: int,
) -> tuple[dict[str, Any], int]:
    """The line ``W v + b = r`` uncovered from slide ``start``: its numbers on ``start``, then
    its result. ``vectors`` and ``result`` are (batch, n) as in the trace; ``styles`` how
    the vector's entries are written (one style, or one per entry); ``plain`` holds the
    strings without overlays (``W``, ``v``, ``b``, ``r``), used when there is no walk.
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


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: Medium) -> None:
    """Set the overlays of the step context ``ctx``: ``reveal`` of each gate (per frame, the
    overlays of each line), ``reveal_states`` (per frame of the cell and hidden state) and
    the slides of the rows written out by ``render.expand``.

    In every notation the lines come one after another; the element walk is PyTorch's
    ``W_ik x_t + b_ik`` and ``W_hk h_{t-1} + b_hk``, or the textbook's ``W_k [h; x] + b_k``
    (the row-vector notation's ``x W`` is shown at once). An exercise sheet (blanked
    values) is never walked: the walk would show what the sheet leaves blank."""
    ex = trace.example
    w = layer_weights(ex, step.layer, step.direction)
    hidden = ex.config.hidden_size
    notation = ex.render.notation
    x_style: numbers.Style = "written" if step.layer == 0 else "fixed"
    h_style: numbers.Style = "written" if ctx["first"] else "fixed"
    exercise = bool(getattr(medium, "marks", None))
    form = forms.of(ex)
    for n, (k, g) in enumerate(zip(form.keys, ctx["gates"], strict=True)):
        block = slice(n * hidden, (n + 1) * hidden)
        gv = step.gates[k]
        b_ih = None if w["b_ih"] is None else w["b_ih"][block]
        b_hh = None if w["b_hh"] is None else w["b_hh"][block]
        # PyTorch's W_ik x_t + b_ik and W_hk h_{t-1} + b_hk; x W_xn + b_in (the GRU's
        # candidate with row vectors) is shown at once, never walked.
        parts = {"ih": (step.x, x_style, "x", b_ih), "hh": (step.h_prev, h_style, "h_prev", b_hh)}
        products: dict[str, Any] = {
            part: (
                w["w_" + part][block],
                vector,
                bias,
                getattr(gv, part),
                [style],
                {"W": g["W_" + part], "v": ctx[key], "b": g["b_" + part], "r": g[part]},
            )
            for part, (vector, style, key, bias) in parts.items()
            if not g["row_form"]
        }
        if notation == "textbook" and not g["gated"]:  # W_k [h; x] + b_k, one b_ik + b_hk
            products["affine"] = (
                np.hstack([w["w_hh"][block], w["w_ih"][block]]),
                np.concatenate([step.h_prev, step.x], axis=1),
                None
                if b_ih is None
                # bias: single has b_ih only
                else (b_ih if b_hh is None else numbers.decimal_sum(b_ih, b_hh)),
                gv.pre,
                [h_style] * step.h_prev.shape[1] + [x_style] * step.x.shape[1],
                {"W": g["W"], "v": ctx["v"], "b": g["b"] if g["b_sym"] else "", "r": g["pre"]},
            )
        frames = []
        for chunk in g["frames"]:
            overlays: dict[str, Any] = {}
            next_slide = 1
            for line in chunk:
                if line == "symbolic":  # heads the frame: visible from the start
                    overlays[line] = {"on": next_slide}
                    next_slide += 1
                elif line in products and not exercise:
                    weights, vectors, bias, result, styles, plain = products[line]
                    overlays[line], next_slide = product(
                        weights, vectors, bias, result, styles, plain, medium, next_slide
                    )
                elif line == "result" and (notation == "pytorch" or g["gated"]):
                    # the sum, the pre-activation, the activation
                    overlays[line] = {
                        "on": next_slide,
                        "pre": next_slide + 1,
                        "act": next_slide + 2,
                    }
                    next_slide += 3
                elif line == "result":  # sigma(pre), then the activation
                    overlays[line] = {"on": next_slide, "act": next_slide + 1}
                    next_slide += 2
                else:  # a product shown at once: the numbers, then the result
                    plain = products[line][5] if line in products else {}
                    overlays[line] = {"on": next_slide, "result": next_slide + 1, **plain}
                    next_slide += 2
            frames.append(overlays)
        g["reveal"] = frames
        if g.get("expansion") is not None:
            for chunk in g["expansion"]["frames"]:
                for slide_no, row in enumerate(chunk, start=1):
                    row["on"] = slide_no
    states = []
    for chunk in ctx["state_frames"]:
        overlays = {}
        next_slide = 1
        for line in chunk:
            # the LSTM's h line shows o * tanh(c) twice (with c, then with tanh(c))
            stages = 4 if line == "hidden" and form.carries_c else 3
            overlays[line] = {
                "on": next_slide,
                "numbers": next_slide + 1,
                "then": next_slide + 2,
                "result": next_slide + stages - 1,
                "h_on": next_slide + 4,
                "h_result": next_slide + 5,
            }
            next_slide += stages + (2 if line == "hidden" and ctx["proj"] else 0)
        states.append(overlays)
    ctx["reveal_states"] = states
