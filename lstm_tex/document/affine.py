r"""A gate's lines in the textbook notation, ``sigma(W_k [h_{t-1}; x_t] + b_k)`` (Olah), and
in the row-vector one, ``sigma(x_t W_xk + h_{t-1} W_hk + b_k)`` (d2l): one affine line
straight to the pre-activation, then the result, as :class:`~lstm_tex.document.line.Line`
records."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lstm_tex.document import measure
from lstm_tex.document.blocks import Blocks, Where, textbook_lhs
from lstm_tex.document.frames import flow
from lstm_tex.document.line import Line, Term, widest
from lstm_tex.document.measure import BREAK_EM, FACTOR_GAP_EM, OPERATOR_EM, SYMBOLIC
from lstm_tex.document.medium import Medium


def affine_lines(entry: dict[str, Any], blocks: Blocks, where: Where) -> tuple[Line, ...]:
    """A gate in the textbook notation, ``sigma(W_k [h_{t-1}; x_t] + b_k)`` (Olah), or the
    row-vector one, ``sigma(x_t W_xk + h_{t-1} W_hk + b_k)`` (d2l): its affine line straight
    to the pre-activation, then its result. ``W_k`` is ``[W_hk  W_ik]``, ``W_xk`` and
    ``W_hk`` are PyTorch's blocks transposed, ``b_k = b_ik + b_hk``."""
    medium, sup_em = where.medium, where.sup_em
    gv = where.step.gates[entry["key"]]
    textbook = where.notation == "textbook"
    bias = blocks.bias
    if bias is not None and not textbook:
        bias = bias.reshape(1, -1)
    lhs, segments, own_row, terms = (textbook_affine if textbook else row_vector_affine)(
        entry, blocks, where
    )
    rows = medium.rows(gv.pre)
    if bias is not None:
        bias_rows = min(bias.shape[0], medium.layout.max_rows)
        segments.append(("bias", medium.weights_em(bias) + OPERATOR_EM, bias_rows, True))
    segments.append(("affine", medium.em(gv.pre) + OPERATOR_EM, rows, True))
    breaks, affine_h = flow(segments, medium.layout.line_em, lhs)
    if medium.layout.shrinks and medium.breaks_rows:  # rows of a line of row vectors
        affine_h = measure.closer_rows(affine_h, sum(breaks.values()))
    head = (
        f"{entry['W_sym']} {where.stacked['v_sym']}" if textbook else row_vector_lhs(entry, where)
    )
    line_terms = tuple(
        Term(a, v, breaks.get(before, False), breaks.get(inside, False))
        for a, v, before, inside in terms
    )
    affine = Line(
        "affine",
        # the textbook's product in symbols, where a piece of the line resumes at its bias
        # (Line.pieces; d2l's lines are cut into terms of their own, affine_parts)
        symbolic={
            "lhs": head + (f" + {entry['b_sym']}" if bias is not None else ""),
            **({"product": head} if textbook else {}),
        },
        numbers={"b": medium.weights(bias) if bias is not None else ""},
        result=medium.value(gv.pre, "pre"),
        terms=line_terms,
        breaks={"lhs": own_row, "bias": breaks.get("bias", False), "result": breaks["affine"]},
        width=widest(((em, breaks.get(name, False)) for name, em, _, _ in segments), lhs),
        height=affine_h + (SYMBOLIC if own_row else 0.0),
    )
    # the result's row starts after the align column, as wide as the affine line's
    # left-hand side unless that has a row of its own (``lhs``: a d2l left-hand side of
    # 12 em was not counted, and its result lines ran 23-36 pt past an article's text)
    own_indent = textbook or own_row or medium.layout.shrinks
    indent = measure.OWN_ROW_INDENT_EM + sup_em if own_indent else lhs
    result = affine_result(entry, where, (lhs, indent), affine.result)
    if textbook or not medium.layout.shrinks or affine.height <= where.budget:
        return affine, result
    # too tall for a frame (a hidden-8 row-vector gate: 26 rows): its terms go on lines of
    # their own, "+ [h] . [W_hk]" and "+ [b] = [pre]" after the first, which the packer
    # puts on the gate's frames as it does PyTorch's two product lines (issue 12)
    parts = affine_parts(affine, segments, breaks, (lhs, own_row))
    return (*parts, result)


def affine_result(
    entry: dict[str, Any], where: Where, indent: tuple[float, float], pre: str
) -> Line:
    """The result line after an affine line, ``sigma([pre]) = [act]`` (``indent``: the
    affine line's left-hand side and where this line's rows start; ``pre`` as shown)."""
    medium, sup_em = where.medium, where.sup_em
    gv = where.step.gates[entry["key"]]
    lhs, start = indent
    rows = medium.rows(gv.pre)
    segments = [
        ("pre", lhs + medium.em(gv.pre) + measure.ACTIVATION_LINE_EM + sup_em, rows, False),
        ("act", medium.em(gv.act) + OPERATOR_EM, rows, True),
    ]
    breaks, height = flow(segments, medium.layout.line_em, start)
    if medium.layout.shrinks and medium.breaks_rows:  # rows of a line of row vectors
        height = measure.closer_rows(height, sum(breaks.values()))
    return Line(
        "result",
        numbers={"pre": pre},
        result=entry["act"],
        breaks=breaks,
        width=widest(((em, breaks[name]) for name, em, _, _ in segments), start),
        height=height,
    )


def affine_parts(
    affine: Line, segments: Segments, breaks: dict[str, bool], indent: tuple[float, bool]
) -> list[Line]:
    """A broken affine line cut into lines before each of its terms and its bias that
    starts a row (``segments`` and ``breaks`` as :func:`flow` set them; ``indent``: where
    its rows start, and whether its left-hand side has a row of its own): the first keeps
    the left-hand side, the others go on with ``+``; the last has the result."""
    lhs, own = indent
    names = [name for name, _, _, _ in segments]
    cuts = [n for n, name in enumerate(names) if name in ("terms", "bias") and breaks[name]]
    runs = [names[a:b] for a, b in zip([0, *cuts], [*cuts, len(names)], strict=True)]
    # a term is two segments, its first factor (``x``, ``terms``) and its second
    firsts = ["x", "terms"]
    lines = []
    for n, run in enumerate(runs):
        # a part after the first starts a row of its own, as after a break
        part_breaks = {name: breaks[name] and name != run[0] for name in run}
        pieces = [(em, part_breaks[name]) for name, em, _, _ in segments if name in run]
        if n:
            pieces[0] = (lhs + BREAK_EM + pieces[0][0], False)
        rows = [0]
        for name, _, seg_rows, _ in segments:
            if name in run:
                if part_breaks[name]:
                    rows.append(0)
                rows[-1] = max(rows[-1], seg_rows)
        lines.append(
            replace(
                affine,
                symbolic={"lhs": "" if n else affine.symbolic["lhs"]},
                numbers={"b": affine.numbers["b"] if "bias" in run else ""},
                result=affine.result if "affine" in run else "",
                terms=tuple(
                    replace(t, newline=t.newline and firsts[k] != run[0])
                    for k, t in enumerate(affine.terms)
                    if firsts[k] in run
                ),
                breaks={
                    "lhs": own,
                    "bias": part_breaks.get("bias", False),
                    "result": part_breaks.get("affine", False),
                },
                width=widest(pieces, lhs),
                height=measure.rows_height(rows) + (SYMBOLIC if own and not n else 0.0),
            )
        )
    return lines


Segments = list[tuple[str, float, int, bool]]
#: The terms of an affine line: its two factors, then the names of the breaks before it and
#: inside it (:func:`flow`'s segments).
Terms = list[tuple[str, str, str, str]]


def textbook_affine(
    entry: dict[str, Any], blocks: Blocks, where: Where
) -> tuple[float, Segments, bool, Terms]:
    """The textbook's ``W_k [h; x] + b_k = [W] [h; x] + [b] = [pre]`` up to the bias: the
    indent of its rows, its segments (:func:`flow`), whether its left-hand side has a row
    of its own, and its one term."""
    medium, stacked = where.medium, where.stacked
    # W_k = [W_hk | W_ik] elided inside its blocks, as [h; x] is in its rows (blocks.py)
    entry_w = blocks.textbook(medium, stacked["slots"])
    # one aligned block for the whole step (Step.latex()): the long left-hand side
    # W_k [h; x] + b_k gets a row of its own, or it would widen every line
    lhs, own_row = textbook_lhs(medium, where.sup_em)
    max_rows = medium.layout.max_rows
    segments = [
        (
            "W",
            lhs + OPERATOR_EM * own_row + blocks.textbook_em(medium, stacked["slots"]),
            min(blocks.w_hh.shape[0], max_rows),
            False,
        ),
        (
            "product",
            stacked["v_em"] + measure.STACKED_GAP_EM,
            stacked["v_rows"],
            not medium.layout.shrinks,
        ),
    ]
    return lhs, segments, own_row, [(entry_w, stacked["v"], "", "product")]


def row_vector_lhs(entry: dict[str, Any], where: Where) -> str:
    x_sym, h_sym = where.symbols
    return f"{x_sym} {entry['Wx_sym']} + {h_sym} {entry['Wh_sym']}"


def row_weight_room(medium: Medium, sup_em: float) -> float | None:
    r"""On slides, a weight matrix of d2l's line has a row of its own after ``\qquad
    \cdot`` at the most: its columns are elided to fit it rather than the line scaled
    down (issue 12)."""
    if not medium.layout.shrinks:
        return None
    indent = measure.OWN_ROW_INDENT_EM + sup_em
    return medium.layout.line_em - indent - BREAK_EM - FACTOR_GAP_EM


def row_product_room(where: Where) -> float | None:
    """On slides, the room of W in the GRU candidate's ``x_t W_xn + b_in`` with row vectors
    (PyTorch's product line): a row vector is not scaled down, so the line breaks inside
    its product and W has a row of its own at the most (issue 12: W_xn showed 2 of 8)."""
    medium = where.medium
    if not medium.layout.shrinks:
        return None
    indent = measure.PRODUCT_ROW_EM + 2 * where.sup_em
    return medium.layout.line_em - indent - BREAK_EM


def row_product_height(w_rows: int, inside: bool, breaks: dict[str, bool]) -> float:
    """The height of such a line: its rows x (and W beside it), W, ``+ b``, ``= r``, never
    set on one row (scaled to fit, its row vectors were set at 3.8 pt: 11 pt, hidden 8)."""
    rows = [1 if inside else w_rows, *([w_rows] if inside else [])]
    return measure.rows_height(rows + [1] * (breaks["bias"] + breaks["result"]))


def row_vector_affine(
    entry: dict[str, Any], blocks: Blocks, where: Where
) -> tuple[float, Segments, bool, Terms]:
    r"""d2l's ``x_t W_xk + h_{t-1} W_hk + b_k = [x] [W_xk] + [h] [W_hk] + [b] = [pre]`` up
    to the bias, as :func:`textbook_affine`. In a medium that breaks lines it breaks also
    inside the products (``\qquad \cdot [W]``, as the column notation breaks inside ``W
    x``), with its long left-hand side on a row of its own when a factor would not fit
    beside it, or when one aligned block holds every line of the step (``Step.latex()``)."""
    step, medium, sup_em = where.step, where.medium, where.sup_em
    x_style, h_style = where.styles
    wx, wh = blocks.w_ih.T, blocks.w_hh.T
    room = row_weight_room(medium, sup_em)
    terms = [
        (where.shown[0], medium.weights(wx, room), "", "x_product"),
        (where.shown[1], medium.weights(wh, room), "terms", "h_product"),
    ]
    lhs = measure.ROW_LHS_EM + 3 * sup_em
    max_rows = medium.layout.max_rows
    x_em = medium.em(step.x, x_style)
    h_em = medium.em(step.h_prev, h_style)
    if not medium.breaks_rows:
        segments = [
            (
                "x",
                lhs + x_em + medium.weights_em(wx),
                max(medium.rows(step.x), min(wx.shape[0], max_rows)),
                False,
            ),
            (
                "terms",
                h_em + medium.weights_em(wh) + OPERATOR_EM,
                max(medium.rows(step.h_prev), min(wh.shape[0], max_rows)),
                True,
            ),
        ]
        return lhs, segments, False, [(a, v, before, "") for a, v, before, _ in terms]
    bias = blocks.bias
    factors = [
        x_em,
        medium.weights_em(wx, room),
        h_em,
        medium.weights_em(wh, room),
        medium.em(step.c if step.c is not None else step.h),  # a state vector's width
        *([medium.weights_em(bias.reshape(1, -1))] if bias is not None else []),
    ]
    # the widest factor beside the left-hand side and "= [", else a row of its own
    own = medium.one_block or lhs + measure.OWN_ROW_INDENT_EM + max(factors) > medium.layout.line_em
    # its own row: the rows start with "\quad" after the gate's symbol (f_t, 1 em)
    indent = measure.OWN_ROW_INDENT_EM + sup_em if own else lhs
    # a product's factor goes beside the other, or after "\qquad \cdot" (flow adds 2 em)
    gap = FACTOR_GAP_EM
    segments = [
        ("x", indent + OPERATOR_EM + factors[0], medium.rows(step.x), False),
        ("x_product", gap + factors[1], min(wx.shape[0], max_rows), True),
        ("terms", OPERATOR_EM + factors[2], medium.rows(step.h_prev), True),
        ("h_product", gap + factors[3], min(wh.shape[0], max_rows), True),
    ]
    return indent, segments, own, terms
