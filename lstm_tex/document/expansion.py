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

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.compute.engine import layer_weights
from lstm_tex.compute.trace import Step, Trace
from lstm_tex.document import forms, matrices, numbers
from lstm_tex.document.frames import SYMBOLIC, pack

if TYPE_CHECKING:
    from lstm_tex.document.medium import Medium

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
    return (
        0.5 * sum(ch.isdigit() or ch in ".-" for ch in body)
        + 0.4 * sum(ch in "()" for ch in body)
        + CDOT_EM * text.count("\\cdot")
    )


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


def add(trace: Trace, step: Step, ctx: dict[str, Any], medium: Medium) -> None:
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
    form = forms.of(ex)
    for n, (k, g) in enumerate(zip(form.keys, ctx["gates"], strict=True)):
        g["expansion"] = None
        if sheet or not ex.render.expands(k, step.t):
            continue
        rows: list[dict[str, Any]] = []
        parts = _parts(
            "pytorch" if g["gated"] else ex.render.notation,
            ctx,
            g,
            w,
            slice(n * hidden, (n + 1) * hidden),
            step,
            k,
            (x_style, h_style),
        )
        for kind, sym, weights, vectors, bias, values, styles, vector_first in parts:
            part_rows = _rows(
                sym,
                weights,
                vectors,
                bias,
                values,
                styles,
                medium,
                batched=ex.batched,
                vector_first=vector_first,
            )
            part_rows[0]["part_start"] = bool(rows)
            part_rows[0]["kind"] = kind
            rows.extend(part_rows)
        heights = [(row, row["height"] + (PART_GAP if row["part_start"] else 0.0)) for row in rows]
        # The first frame opens with a sentence of one or two lines.
        frames = pack(heights, medium.layout.frame_rows - 2 * SYMBOLIC)
        g["expansion"] = {
            "parts": [sym for _, sym, *_ in parts],
            "rows": rows,
            "frames": frames,
            "batched": ex.batched,
            "bias": parts[0][4] is not None,
        }


def _parts(
    notation: str,
    ctx: dict[str, Any],
    g: dict[str, Any],
    w: dict[str, Any],
    block: slice,
    step: Step,
    k: str,
    styles: tuple[numbers.Style, numbers.Style],
) -> list[tuple[Any, ...]]:
    """The affine parts of gate ``k`` in ``notation``, each (kind, symbol, weights (n, m),
    vectors (batch, m), bias or None, values (batch, n), vector styles, vector first):
    PyTorch's ``W_ik x + b_ik`` and ``W_hk h + b_hk``; the textbook's ``W_k [h; x] + b_k``;
    the row-vector ``x W_xk + h W_hk + b_k`` (with ``b_k = b_ik + b_hk``, as they show it)."""
    x_style, h_style = styles
    w_ih, w_hh = w["w_ih"][block], w["w_hh"][block]
    b_ih = None if w["b_ih"] is None else w["b_ih"][block]
    b_hh = None if w["b_hh"] is None else w["b_hh"][block]
    gv = step.gates[k]
    x_sym, h_sym = ctx["x_sym"], ctx["h_prev_sym"]
    if notation == "pytorch":
        # The GRU's candidate in the row-vector notation: x W_xn + b_in and h W_hn + b_hn.
        row = bool(g["row_form"])

        pytorch = {
            "ih": (w_ih, step.x, b_ih, x_sym, x_style),
            "hh": (w_hh, step.h_prev, b_hh, h_sym, h_style),
        }
        return [
            (
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
    bias = (
        None
        if b_ih is None
        # bias: single has b_ih only
        else (b_ih if b_hh is None else numbers.decimal_sum(b_ih, b_hh))
    )
    plus = f" + {g['b_sym']}" if bias is not None else ""
    # the textbook's W_k = [W_hk  W_ik] times [h; x]; the row-vector x W_xk + h W_hk
    textbook = notation == "textbook"
    parts = [(w_hh, step.h_prev, h_style), (w_ih, step.x, x_style)]
    if not textbook:
        parts.reverse()
    sym = (
        f"{g['W_sym']} [{h_sym}; {x_sym}]{plus}"
        if textbook
        else f"{x_sym} {g['Wx_sym']} + {h_sym} {g['Wh_sym']}{plus}"
    )
    return [
        (
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


def _rows(
    sym: str,
    weights: np.ndarray,
    vectors: np.ndarray,
    bias: np.ndarray | None,
    values: np.ndarray,
    styles: list[numbers.Style],
    medium: Medium,
    *,
    batched: bool,
    vector_first: bool = False,
) -> list[dict[str, Any]]:
    """The lines of one affine part ``W v + b`` (its symbol ``sym``): an entry per row of W
    (and per example), elided beyond the medium's ``max_rows``; terms beyond ``max_cols``."""
    layout = medium.layout
    batch = vectors.shape[0]
    label_em = symbol_em(sym) + 3.0  # the parentheses, the index and " = "
    line_em = layout.line_em - label_em - 2.0
    rows: list[dict[str, Any]] = []
    for j in matrices.keep(weights.shape[0], layout.max_rows):
        if j is None:
            rows.append(
                {
                    "gap": True,
                    "label": "",
                    "lines": [],
                    "value": "",
                    "height": LINE_ROWS,
                    "part_start": False,
                }
            )
            continue
        for b in range(batch):
            terms, value = matrices.expansion(
                weights[j],
                vectors[b],
                None if bias is None else float(bias[j]),
                float(values[b, j]),
                vector_style=styles,
                decimals=medium.decimals,
                max_terms=layout.max_cols,
                vector_first=vector_first,
            )
            index = f"{j + 1},{b + 1}" if batched else f"{j + 1}"
            lines = break_terms(terms, value, line_em, line_em - INDENT_EM)
            rows.append(
                {
                    "gap": False,
                    "label": f"({sym})_{{{index}}}",
                    "lines": lines,
                    "value": value,
                    "height": LINE_ROWS * len(lines),
                    "part_start": False,
                }
            )
    return rows
