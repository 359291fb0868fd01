r"""Row-by-row expansion of a gate's affine parts (``render.expand``).

For a chosen gate k at a chosen step, each entry of ``W_ik x_t + b_ik`` and of
``W_hk h_{t-1} + b_hk`` is written out as the sum it is::

    (W_ii x_1 + b_ii)_1 = (-0.36) * 0.5 + 0.03 * 0.1 + 0.47 = 0.2930

one entry per line (with a batch, one per entry and example: ``_{j,b}``), negative
factors in parentheses. The numbers come from :func:`lstm_tex.numbers.expansion`;
here they are laid out: long sums break onto continuation lines, rows and terms are
elided like the matrices of the same medium (``\vdots`` for the rows between, ``\cdots``
for the middle terms), and on slides the lines are packed into frames.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex import context, numbers
from lstm_tex.engine import Step, Trace, layer_weights
from lstm_tex.spec import GATES

if TYPE_CHECKING:
    from lstm_tex.context import _Medium

LINE_ROWS = 1.45  # height of one line of an expansion, in matrix rows (with \\ spacing)
PART_GAP = 0.5  # extra space between the rows of W_i x + b_i and those of W_h h + b_h
PLUS_EM = 1.6  # " + " between terms
CDOT_EM = 1.3  # " \cdot " between factors
INDENT_EM = 3.0  # \qquad and "+" at the start of a continuation line


def term_em(text: str) -> float:
    r"""Estimated width of a term such as ``(-0.36) \cdot 0.5`` in ems."""
    if text == "\\cdots":
        return 1.5
    body = text.replace("\\cdot", "")
    return (0.5 * sum(ch.isdigit() or ch in ".-" for ch in body)
            + 0.4 * sum(ch in "()" for ch in body) + CDOT_EM * text.count("\\cdot"))


_SCRIPT = re.compile(r"[_^](?:\{([^{}]*)\}|(.))")
_COMMAND = re.compile(r"\\[a-zA-Z]+")


def symbol_em(sym: str) -> float:
    r"""Estimated width of a symbol such as ``W_{if}^{(1)} x^{(1)}_{1} + b_{if}^{(1)}`` in
    ems: letters 0.6, sub- and superscripts 0.4 a character (a command counts as one),
    `` + `` 1.6."""
    scripts = sum(len(_COMMAND.sub("x", a or b)) for a, b in _SCRIPT.findall(sym))
    main = _SCRIPT.sub("", sym)
    letters = len(re.sub(r"[\s+]", "", _COMMAND.sub("x", main)))
    return 0.6 * letters + 0.4 * scripts + PLUS_EM * main.count("+")


def break_terms(terms: list[str], value: str, first_em: float, rest_em: float) -> list[str]:
    """The terms joined with `` + `` into lines at most ``first_em`` (then ``rest_em``) wide,
    the last one also holding ``= value``; continuation lines start with ``+``."""
    lines: list[list[str]] = [[]]
    width, room = 0.0, first_em
    value_em = 2.0 + 0.5 * len(value)
    for n, term in enumerate(terms):
        em = term_em(term) + (PLUS_EM if lines[-1] else 0.0)
        last = n == len(terms) - 1
        if lines[-1] and width + em + (value_em if last else 0.0) > room:
            lines.append([])
            width, room, em = 0.0, rest_em, term_em(term)
        lines[-1].append(term)
        width += em
    return [("+ " if k else "") + " + ".join(line) for k, line in enumerate(lines)]


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: _Medium) -> None:
    """Set ``expansion`` of every gate of the step context ``ctx``: ``None``, or when
    ``render.expand`` chooses the gate at this step, its rows and their frames. An exercise
    sheet (``render.exercise``) leaves them out: the sums would give its blanks away."""
    ex = trace.example
    w = layer_weights(ex, step.layer, step.direction)
    hidden = ex.config.hidden_size
    first = ctx["first"]
    x_style: numbers.Style = "written" if step.layer == 0 else "fixed"
    h_style: numbers.Style = "written" if first else "fixed"
    sheet = "blank" in getattr(medium, "marks", {}).values()
    for n, (k, g) in enumerate(zip(GATES, ctx["gates"], strict=True)):
        g["expansion"] = None
        if sheet or not ex.render.expands(k, step.t):
            continue
        block = slice(n * hidden, (n + 1) * hidden)
        parts = [("ih", g["W_ih_sym"], ctx["x_sym"], g["b_ih_sym"], w["w_ih"][block], step.x,
                  None if w["b_ih"] is None else w["b_ih"][block], step.gates[k].ih, x_style),
                 ("hh", g["W_hh_sym"], ctx["h_prev_sym"], g["b_hh_sym"], w["w_hh"][block],
                  step.h_prev, None if w["b_hh"] is None else w["b_hh"][block],
                  step.gates[k].hh, h_style)]
        rows: list[dict[str, Any]] = []
        for kind, w_sym, v_sym, b_sym, weights, vectors, bias, values, style in parts:
            plus = f" + {b_sym}" if b_sym else ""
            sym = f"{w_sym} {v_sym}{plus}"
            part_rows = _rows(sym, weights, vectors, bias, values, style, medium,
                              batched=ex.batched)
            part_rows[0]["part_start"] = bool(rows)
            part_rows[0]["kind"] = kind
            rows.extend(part_rows)
        heights = [(str(r), row["height"] + (PART_GAP if row["part_start"] else 0.0))
                   for r, row in enumerate(rows)]
        # The first frame opens with a sentence of one or two lines.
        frames = context._pack(heights, medium.layout.frame_rows - 2 * context.SYMBOLIC)
        g["expansion"] = {
            "rows": rows,
            "frames": [context.Frame.of([rows[int(r)] for r in frame], frame.tall)
                       for frame in frames],
            "batched": ex.batched,
            "bias": bool(g["b_ih_sym"]),
        }


def _rows(sym: str, weights: np.ndarray, vectors: np.ndarray, bias: np.ndarray | None,
          values: np.ndarray, style: numbers.Style, medium: _Medium, *, batched: bool
          ) -> list[dict[str, Any]]:
    """The lines of one affine part ``W v + b`` (its symbol ``sym``): an entry per row of W
    (and per example), elided beyond the medium's ``max_rows``; terms beyond ``max_cols``."""
    layout = medium.layout
    batch = vectors.shape[0]
    label_em = symbol_em(sym) + 3.0  # the parentheses, the index and " = "
    line_em = layout.line_em - label_em - 2.0
    rows: list[dict[str, Any]] = []
    for j in numbers._keep(weights.shape[0], layout.max_rows):
        if j is None:
            rows.append({"gap": True, "label": "", "lines": [], "value": "",
                         "height": LINE_ROWS, "part_start": False})
            continue
        for b in range(batch):
            terms, value = numbers.expansion(
                weights[j], vectors[b], None if bias is None else float(bias[j]),
                float(values[b, j]), vector_style=style, decimals=medium.decimals,
                max_terms=layout.max_cols)
            index = f"{j + 1},{b + 1}" if batched else f"{j + 1}"
            lines = break_terms(terms, value, line_em, line_em - INDENT_EM)
            rows.append({"gap": False, "label": f"({sym})_{{{index}}}", "lines": lines,
                         "value": value, "height": LINE_ROWS * len(lines),
                         "part_start": False})
    return rows
