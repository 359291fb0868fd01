r"""Row-by-row expansion of a gate's affine parts (``render.expand``).

For a chosen gate k at a chosen step, each entry of ``W_ik x_t + b_ik`` and of
``W_hk h_{t-1} + b_hk`` is written out as the sum it is::

    (W_ii x_1 + b_ii)_1 = (-0.36) * 0.5 + 0.03 * 0.1 + 0.47 = 0.2930

one entry per line (with a batch, one per entry and example: ``_{j,b}``), negative
factors in parentheses. In the textbook notation the line written out is
``W_k [h_{t-1}; x_t] + b_k``, in the row-vector one ``x_t W_xk + h_{t-1} W_hk + b_k``.
The numbers come from :func:`lstm_tex.document.matrices.expansion`; here they are laid out: long
sums break onto continuation lines, rows and terms are elided like the matrices of the
same medium (``\vdots`` for the rows between, ``\cdots`` for the middle terms), and on
slides the lines are packed into frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step, Trace
from lstm_tex.document import forms, matrices, measure, numbers
from lstm_tex.document.blocks import Blocks
from lstm_tex.document.frames import SYMBOLIC, pack_lines
from lstm_tex.document.line import Line, Term
from lstm_tex.document.measure import EXPANSION_INDENT_EM, PLUS_EM, symbol_em, term_em

if TYPE_CHECKING:
    from lstm_tex.document.medium import Medium

LINE_ROWS = 1.45  # height of one line of an expansion, in matrix rows (with \\ spacing)
PART_GAP = 0.5  # extra space between the rows of W_i x + b_i and those of W_h h + b_h


def break_terms(terms: list[str], value: str, first_em: float, rest_em: float) -> list[str]:
    """The terms joined with `` + `` into lines at most ``first_em`` (then ``rest_em``) wide,
    the last one also holding ``= value``; continuation lines start with ``+``."""
    lines: list[list[str]] = [[]]
    width, room = 0.0, first_em
    value_em = measure.OPERATOR_EM + measure.DIGIT_EM * len(value)
    for n, term in enumerate(terms):
        em = term_em(term) + (PLUS_EM if lines[-1] else 0.0)
        last = n == len(terms) - 1
        if lines[-1] and width + em + (value_em if last else 0.0) > room:
            lines.append([])
            width, room, em = 0.0, rest_em, term_em(term)
        lines[-1].append(term)
        width += em
    return [("+ " if k else "") + " + ".join(line) for k, line in enumerate(lines)]


@dataclass(frozen=True)
class Part:
    """One affine part of a gate written out: ``kind`` (``ih``, ``hh``, ``affine``), its
    symbol, weights (n, m), vectors (batch, m), bias or None, values (batch, n), the
    vector's style per entry, and whether the vector comes first (``x W``)."""

    kind: str
    sym: str
    weights: np.ndarray
    vectors: np.ndarray
    bias: np.ndarray | None
    values: np.ndarray
    styles: list[numbers.Style]
    vector_first: bool


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: Medium) -> None:
    """Set ``expansion`` of every gate of the step context ``ctx``: ``None``, or when
    ``render.expand`` chooses the gate at this step, its rows (Lines) and their frames. An
    exercise sheet (``render.exercise``) leaves them out: the sums would give its blanks
    away."""
    ex = trace.example
    w = layer_weights(ex, step.layer, step.direction)
    styles: tuple[numbers.Style, numbers.Style] = (
        "written" if step.layer == 0 else "fixed",
        "written" if ctx["first"] else "fixed",
    )
    sheet = "blank" in medium.marks.values()
    for n, (k, g) in enumerate(zip(forms.of(ex).keys, ctx["gates"], strict=True)):
        g["expansion"] = None
        if sheet or not ex.render.expands(k, step.t):
            continue
        notation = "pytorch" if g["gated"] else ex.render.notation
        blocks = Blocks.of(w, n, ex.config.hidden_size)
        parts = affine_parts(notation, step, ctx, g, blocks, styles)
        rows: list[Line] = []
        for part in parts:
            rows.extend(part_rows(part, medium, batched=ex.batched, starts=bool(rows)))
        gaps = [PART_GAP if row.symbolic["part_start"] else 0.0 for row in rows]
        g["expansion"] = {
            "parts": [part.sym for part in parts],
            "rows": rows,
            # The first frame opens with a sentence of one or two lines.
            "frames": pack_lines(rows, medium.layout.frame_rows - 2 * SYMBOLIC, extra=gaps),
            "batched": ex.batched,
            "bias": parts[0].bias is not None,
        }


def affine_parts(
    notation: str,
    step: Step,
    ctx: dict[str, Any],
    g: dict[str, Any],
    blocks: Blocks,
    styles: tuple[numbers.Style, numbers.Style],
) -> list[Part]:
    """The affine parts of a gate in ``notation``: PyTorch's ``W_ik x + b_ik`` and ``W_hk h +
    b_hk`` (``x W_xn + b_in``... for the GRU's candidate with row vectors); the textbook's
    ``W_k [h; x] + b_k``; the row-vector ``x W_xk + h W_hk + b_k`` (with ``b_k = b_ik +
    b_hk``, as they show it)."""
    x_style, h_style = styles
    x_sym, h_sym = ctx["x_sym"], ctx["h_prev_sym"]
    gv = step.gates[g["key"]]
    if notation == "pytorch":
        row = bool(g["row_form"])
        pytorch = {
            "ih": (blocks.w_ih, step.x, blocks.b_ih, x_sym, x_style),
            "hh": (blocks.w_hh, step.h_prev, blocks.b_hh, h_sym, h_style),
        }
        return [
            Part(
                part,
                (f"{v_sym} {g[f'W_{part}_sym']}" if row else f"{g[f'W_{part}_sym']} {v_sym}")
                + (f" + {g[f'b_{part}_sym']}" if b is not None else ""),
                weights,
                vectors,
                b,
                getattr(gv, part),
                [style] * weights.shape[1],
                row,
            )
            for part, (weights, vectors, b, v_sym, style) in pytorch.items()
        ]
    bias = blocks.bias
    plus = f" + {g['b_sym']}" if bias is not None else ""
    # the textbook's W_k = [W_hk  W_ik] times [h; x]; the row-vector x W_xk + h W_hk
    textbook = notation == "textbook"
    parts = [(blocks.w_hh, step.h_prev, h_style), (blocks.w_ih, step.x, x_style)]
    if not textbook:
        parts.reverse()
    sym = (
        f"{g['W_sym']} [{h_sym}; {x_sym}]{plus}"
        if textbook
        else f"{x_sym} {g['Wx_sym']} + {h_sym} {g['Wh_sym']}{plus}"
    )
    return [
        Part(
            "affine",
            sym,
            np.hstack([m for m, _, _ in parts]),
            np.concatenate([v for _, v, _ in parts], axis=1),
            bias,
            gv.pre,
            [style for m, _, style in parts for _ in range(m.shape[1])],
            not textbook,
        )
    ]


def part_rows(part: Part, medium: Medium, *, batched: bool, starts: bool) -> list[Line]:
    """The rows of one affine part ``W v + b`` (``starts``: after another part): an entry
    per row of W (and per example), elided beyond the medium's ``max_rows`` (a row of kind
    ``gap``); terms beyond ``max_cols``."""
    layout = medium.layout
    label_em = symbol_em(part.sym) + measure.EXPANSION_LABEL_EM
    line_em = layout.line_em - label_em - measure.EXPANSION_ROOM_EM
    rows: list[Line] = []
    for j in matrices.keep(part.weights.shape[0], layout.max_rows):
        if j is None:
            gap = {"part": part.kind, "part_start": False, "label": ""}
            rows.append(Line("gap", symbolic=gap, height=LINE_ROWS))
            continue
        for b in range(part.vectors.shape[0]):
            marks = {"part": part.kind, "part_start": starts and not rows}
            terms, value = matrices.expansion(
                part.weights[j],
                part.vectors[b],
                None if part.bias is None else float(part.bias[j]),
                float(part.values[b, j]),
                vector_style=part.styles,
                decimals=medium.decimals,
                max_terms=layout.max_cols,
                vector_first=part.vector_first,
            )
            index = f"{j + 1},{b + 1}" if batched else f"{j + 1}"
            lines = break_terms(terms, value, line_em, line_em - EXPANSION_INDENT_EM)
            rows.append(
                Line(
                    "row",
                    symbolic={**marks, "label": f"({part.sym})_{{{index}}}"},
                    result=value,
                    terms=tuple(Term(text, newline=k > 0) for k, text in enumerate(lines)),
                    width=label_em + max(term_em(t) + PLUS_EM * t.count("+") for t in lines),
                    height=LINE_ROWS * len(lines),
                )
            )
    return rows
