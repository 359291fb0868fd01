r"""The backward pass's lines: its matrices (:class:`~lstm_tex.document.backward_show.Piece`),
where a ``lhs = symbolic = numbers = result`` line breaks and how tall it is (:func:`fit`,
:func:`line`, :func:`sum_line`), and groups of lines packed into frames (:func:`group`,
with the one packer of :mod:`lstm_tex.document.frames`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lstm_tex.document.backward_frames import balance, part_columns, rejoin
from lstm_tex.document.backward_notes import note_rows
from lstm_tex.document.backward_show import Piece, Show
from lstm_tex.document.frames import LINE, SYMBOLIC, line_height, pack_lines
from lstm_tex.document.line import PAGE_ROWS, Line, Term
from lstm_tex.document.measure import OP_EM, strip_commands, tex_em

SUM_TERMS_MAX = 4  # a longer sum over t is shown as one product of stacked matrices
SLIDES_TEXT_EM = 40.0  # a 16:9 frame's text width in ems of the estimates (\small math)
ARTICLE_BLOCK_ROWS = 40.0  # height of one align* in the article, in matrix rows (< a page)
PARTS_PAGE_ROWS = PAGE_ROWS  # a part's host's page, as the forward lines' (line.py)
NOTE_CHARS = 90  # characters of a note per line of text on a slide
NOTE_LINE = 1.2  # height of a line of text, in matrix rows

# On slides a frame is packed by what pdflatex sets (issue 12: the estimates above, with
# a budget 1.2 times a frame, let \lstmcap shrink hidden-8 frames to 2.8 pt): heights in
# rows of the text (\baselineskip, 12 pt at 10 pt), measured with pdflatex in Beamer's
# 16:9 frame. A row of r-row matrices is r rows; every further row of an equation
# (``\\*``, \jot) a third of a row more; a symbolic row alone 1.34; the gap between two
# lines (``\\[1ex]``) 0.7; a note 0.95 a line of text and 0.35 below it.
ROW_BREAK = 0.34
VDOTS_ROW = 0.5  # what a row of \vdots (an elided vector) adds to a row of matrices
#: What ``\sum_t`` adds to a symbolic row of its own (its limit set below it) above a row
#: of tall matrices (more than :data:`TALL_ROWS` rows): measured 1.0 to 1.25 rows at 9 and
#: 10 pt (a dW line was counted 1.2 to 1.6 rows short, issue 12); above shorter ones the
#: estimate was right without it (hidden 3: 13.55 rows counted, 13.42 set).
SUM_LIMITS_ROW = 1.25
SYMBOLIC_ROW = 1.34
LINE_GAP = 0.7
#: What a frame's body holds below its title in the default theme: \textheight (244.1 pt)
#: less the title (19.1 pt) and 12 pt (\lstmcap's margin, for themes' footlines), in pt.
FRAME_BODY_PT = 212.0
#: \baselineskip of the slides' body sizes in Beamer's 11 pt class, by render.text_size.
BASELINE_PT = {9: 11.0, 10: 12.0, 11: 13.6}
#: \lstmcap's reserve for a frame's closing words (the check, the verdict), in pt.
LAST_WORDS_PT = 50.0
#: On slides, a line whose matrices have more rows than this keeps them on one row of the
#: frame, its matrices elided to the width (two rows of 8-row matrices and a note do not
#: fit a frame): dW as one product of stacked deltas, W^T delta as one product.
TALL_ROWS = 4


def baseline_pt(text_size: int) -> float:
    """A row of the text at ``text_size``, in pt."""
    return BASELINE_PT.get(text_size, 1.2 * text_size)


def slide_rows(text_size: int, pt: float = FRAME_BODY_PT) -> float:
    """``pt`` of a slide in rows of the text at ``text_size``."""
    return pt / baseline_pt(text_size)


#: How tall a matrix of 1, 2, ... rows is, in rows of the text, where that is not its
#: number of rows: its brackets come in a few sizes (measured with pdflatex in Beamer's
#: 16:9 frame; at 10 pt an r-row matrix is r rows). At 11 pt the SGD frames of the bundled
#: hidden-2 decks, counted as 2 rows a matrix, were scaled to 10.87 pt (issue 12).
MATRIX_ROWS = {9: {1: 1.09, 2: 2.18}, 11: {1: 1.32, 2: 2.21, 3: 3.09, 7: 7.06}}


def tall(rows: list[int], symbolic: bool, size: float = 10) -> float:
    """The height of an equation on slides at ``size`` pt, in rows of the text: a row per
    entry of ``rows`` (the rows of its tallest matrix there; 1 for a row of symbols), below
    a symbolic row of its own if ``symbolic``."""
    heights = MATRIX_ROWS.get(int(size), {})
    return (
        sum(heights.get(max(r, 1), max(r, 1)) for r in rows)
        + ROW_BREAK * max(len(rows) - 1, 0)
        + (SYMBOLIC_ROW if symbolic else 0.0)
    )


def fit_line(
    limit: float,
    lhs: str,
    symbolic: str,
    numbers_em: float,
    result: Piece | None,
    rows: int,
    size: float = 10,
) -> dict[str, Any]:
    """Where a ``lhs = symbolic = numbers = result`` line breaks, and its height.

    ``symbolic`` includes ``lhs``; every row after the first starts after ``lhs`` (the
    alignment column), so its width counts on every row.
    """
    lhs_em = tex_em(lhs)
    sym_em = tex_em(symbolic)
    res_em = (result.em + OP_EM) if result is not None else 0.0
    # Tall matrices keep the numbers and the result on one row, the symbols above: two
    # rows of them are taller than a frame with its note.
    numbers_first = rows > TALL_ROWS and lhs_em + numbers_em + res_em <= limit
    if sym_em + numbers_em + res_em <= limit:
        breaks = (False, False)
    elif not numbers_first and sym_em + numbers_em <= limit and lhs_em + res_em <= limit:
        breaks = (False, True)
    elif lhs_em + numbers_em + res_em <= limit:
        breaks = (True, False)
    else:
        breaks = (True, True)
    height = (SYMBOLIC if breaks[0] else 0.0) + line_height(rows, breaks[1])
    inner = lhs_em + numbers_em > limit
    numbers_row = lhs_em + (0.6 * numbers_em if inner else numbers_em)
    width = {
        (False, False): sym_em + numbers_em + res_em,
        (False, True): max(sym_em + numbers_em, lhs_em + res_em),
        (True, False): max(sym_em, numbers_row + res_em),
        (True, True): max(sym_em, numbers_row, lhs_em + res_em),
    }[breaks]
    return {
        "break_numbers": breaks[0],
        "break_result": breaks[1],
        "break_inner": inner,
        "height": height,
        "width": width,
        "tall": tall([rows] * (1 + breaks[1]), breaks[0], size),
    }


def line(
    show: Show,
    kind: str,
    sym: dict[str, Any],
    pieces: dict[str, Piece],
    result: Piece | None,
    symbolic: str,
    ops: int,
    extra_em: float = 0.0,
) -> Line:
    """A line of ``kind``: its symbols, numbers and where it breaks. ``symbolic`` is
    its symbolic part for the width estimate, ``ops`` the operators between numbers."""
    pieces = {k: show.used(p, sym.get(k)) for k, p in pieces.items()}  # a blank once
    everything = [*pieces.values(), *([result] if result is not None else [])]
    rows = max((p.rows for p in everything), default=1)
    numbers_em = sum(p.em for p in pieces.values()) + ops * OP_EM + extra_em
    val = {k: p.tex for k, p in pieces.items()}
    if result is not None:
        val["r"] = result.tex
    lhs = sym.get("lhs") or ""
    fit = fit_line(show.limit, lhs, symbolic, numbers_em, result, rows, show.size)
    if fit["break_inner"] and len(pieces) > 1:
        # Too wide even on a row of their own: one matrix per row, the result below.
        fit.update(
            break_numbers=True,
            break_result=True,
            height=SYMBOLIC + (len(pieces) + 1) * line_height(rows, False),
            tall=tall([rows] * (len(pieces) + 1), True, show.size),
            width=max(tex_em(symbolic), tex_em(lhs) + 2 * OP_EM + max(p.em for p in everything)),
        )
    else:
        fit["break_inner"] = False
    # a row of \vdots makes a line taller only in its tallest matrices (an elided vector
    # beside a whole 8-row W^T adds nothing: "back to step 1" was counted 0.5 row too tall)
    if any("\\vdots" in p.tex and p.rows >= rows for p in everything):
        fit["tall"] += VDOTS_ROW * (1 + fit["break_result"] + fit["break_inner"] * len(pieces))
    return record(show, kind, sym, val, fit)


def record(
    show: Show,
    kind: str,
    sym: dict[str, Any],
    val: dict[str, str],
    fit: dict[str, Any],
    terms: tuple[Term, ...] = (),
) -> Line:
    """The :class:`Line` of a backward line: ``val["r"]`` its result; its height in rows of
    the text on slides (``tall``), else in matrix rows as the article packs them (over
    ``show.page_rows``: ``page_breaks``)."""
    numbers = {k: v for k, v in val.items() if k != "r"}
    breaks = {
        "numbers": fit["break_numbers"],
        "result": fit["break_result"],
        "inner": fit["break_inner"],
    }
    height = fit["tall"] if show.slides else fit["height"]
    pages = not show.slides and height > show.page_rows
    return Line(kind, sym, numbers, val.get("r", ""), terms, breaks, fit["width"], height, pages)


def text_line(show: Show, kind: str, sym: dict[str, Any]) -> Line:
    """A line without matrices (a scalar result, or a zero)."""
    fit = {
        "break_numbers": False,
        "break_result": False,
        "break_inner": False,
        "height": SYMBOLIC,
        "width": 0.0,
        "tall": 2.0 if kind == "loss" else 1.0,  # the loss's display-style sum and fraction
    }
    return record(show, kind, sym, {}, fit)


def sum_line(
    show: Show,
    lhs: str,
    expansion: str,
    terms: list[tuple[Piece, Piece | None]],
    result: Piece,
    right: str = "",
    right_em: float = 0.0,
) -> Line:
    """``lhs = expansion = a1 b1 + a2 b2 + ... = result``, the terms wrapped to the width.

    ``b`` is None where a term is one matrix followed by ``right`` (such as a column
    of ones). Off slides, where the terms do not fit after a left-hand side that reads
    ``a = b`` (``dh_0 = W_hh^T delta_1``), its rows start after ``a`` and the symbolic
    row reads ``a = b = expansion``: a hidden-8 article's W^T delta rows ran 23.7 pt past
    the margin (issue 12), with nothing to elide.
    """
    made = _sum_line(show, lhs, expansion, terms, result, right, right_em)
    head, equals, tail = lhs.partition(" = ")
    if show.slides or not equals or made.width <= show.limit:
        return made
    return _sum_line(show, head, f"{tail} = {expansion}", terms, result, right, right_em)


def _sum_line(
    show: Show,
    lhs: str,
    expansion: str,
    terms: list[tuple[Piece, Piece | None]],
    result: Piece,
    right: str,
    right_em: float,
) -> Line:
    """:func:`sum_line` with its rows after ``lhs``."""
    limit = show.limit - tex_em(lhs)  # every row starts after the lhs column
    wrapped: list[int] = []  # the rows of each wrapped line of terms
    out: list[Term] = []
    width = widest = OP_EM
    for a, b in terms:
        em = a.em + (b.em if b is not None else right_em) + (OP_EM if out else 0.0)  # + before
        rows = max(a.rows, b.rows if b is not None else 1)
        newline = bool(out) and width + em > limit
        if newline or not out:
            wrapped.append(rows)
            width = OP_EM + (1.0 if newline else 0.0)
        wrapped[-1] = max(wrapped[-1], rows)
        width += em
        widest = max(widest, width)
        out.append(Term(a.tex, b.tex if b is not None else right, newline))
    symbolic_em = tex_em(f"{lhs} = {expansion}")
    fits_whole = len(wrapped) == 1 and symbolic_em + width + result.em + OP_EM <= show.limit
    break_result = width + result.em + OP_EM > limit
    lhs_em = show.limit - limit
    if fits_whole:
        line_width = symbolic_em + width + result.em + OP_EM
    else:
        line_width = max(  # the result's own row too (a dW of 8 columns under a power of
            # ten ran 11.5 pt past the article's margin after a shared left column; issue 12)
            symbolic_em,
            lhs_em + max(widest, width + (0.0 if break_result else result.em + OP_EM)),
            lhs_em + OP_EM + result.em if break_result else 0.0,
        )
    height = (
        (0.0 if fits_whole else SYMBOLIC)
        + sum(r + LINE for r in wrapped)
        + (result.rows + LINE if break_result else 0.0)
    )
    fit = {
        "break_numbers": not fits_whole,
        "break_result": break_result,
        "break_inner": False,
        "height": height,
        "width": line_width,
        "tall": tall(wrapped + ([result.rows] if break_result else []), not fits_whole, show.size)
        + (VDOTS_ROW * (len(wrapped) + break_result) if "\\vdots" in result.tex else 0.0)
        + (
            SUM_LIMITS_ROW
            if not fits_whole and wrapped[0] > TALL_ROWS and "\\sum" in expansion
            else 0.0
        ),
    }
    sym = {"lhs": lhs, "expansion": expansion}
    return record(show, "sum", sym, {"r": result.tex}, fit, tuple(out))


#: Line kinds whose symbolic part can take a row of its own (``break_numbers``); "sum": a
#: bias gradient alone on its frame (the GRU's db_in and db_hn at hidden 8 and 16 filled
#: 47 % each, measured once frames were told apart by their numbers, issue 12).
SPREADS = {
    *("difference", "dh", "matvec", "dc", "delta_sigma", "delta_relu", "delta_tanh", "sgd"),
    "sum",
}


def spread(frame: list[Line], room: float) -> None:
    """On slides, a line of tall matrices alone on its frame sets its symbolic part on a
    row of its own above the numbers, where the frame has room: it reads better, and the
    frame is not left more than half empty (issue 12)."""
    if len(frame) != 1:
        return
    q = frame[0]
    kinds = SPREADS | ({"product", "plus_product"} if q.symbolic.get("a") else set())
    # its matrices have more than TALL_ROWS rows: taller than that many on each of its rows
    sets = 1 + q.broken("result")
    tall_rows = q.height > sets * (TALL_ROWS + VDOTS_ROW) + ROW_BREAK * (sets - 1)
    if q.broken("numbers") or not tall_rows or q.kind not in kinds:
        return
    taller = q.height + SYMBOLIC_ROW
    if "\\sum" in str(q.symbolic.get("expansion", "")):
        taller += SUM_LIMITS_ROW
    if taller + LINE_GAP <= room:
        frame[0] = replace(q, breaks={**q.breaks, "numbers": True}, height=taller)


def pack_group(
    name: str,
    title: str,
    note: str,
    lines: list[Line],
    budget: float,
    text_em: float | None,
    reserve: float = 0.0,
    limit: float | None = None,
    size: float = 10,
    width: float = 1.0,
) -> dict[str, Any]:
    """Lines that belong together, packed into frames (one or more, never overflowing).

    On slides (``text_em``) ``budget`` is the rows of text a frame holds, and each line
    counts what pdflatex sets (its height, and the gap to the next line); the note goes on
    the first frame only; ``reserve``: rows kept free for the group's closing words;
    ``size``, ``width``: the note's text size (pt) and line (:func:`note_rows`).
    In the article, a frame's note takes a line of text (about a matrix row) per 90
    characters, and a frame is cut where lines share its left column too wide for them
    (:func:`part_columns`; ``limit``: the text width in ems).
    """
    if text_em is not None:
        notes = note_rows(note, size, width)
        extra = [LINE_GAP + (notes if n == 0 else 0.0) for n in range(len(lines))]
        room = budget - reserve + LINE_GAP  # no gap after a frame's last line
    else:
        extra = []
        room = budget - NOTE_LINE * -(-len(strip_commands(note)) // NOTE_CHARS)
    frames = pack_lines(lines, room, text_em=text_em, extra=extra)
    if text_em is not None:
        heights = {id(q): q.height + extra[n] for n, q in enumerate(lines)}
        # a frame's lines share its aligned block's left column, as in the article (at
        # 9 pt the GRU's W^T delta line with the long left-hand side of W^T delta + z . dh
        # below it was scaled to 8.6 pt, once a better note estimate put them together)
        frames = rejoin(frames, heights, room, text_em)
        balance(frames, heights, room)
        for n, frame in enumerate(frames):
            spread(frame, room - (notes if n == 0 else 0.0))
    elif limit is not None:
        frames = part_columns(frames, limit)
    heading = title[0].upper() + title[1:] if title[:1].isalpha() else title
    return {
        "name": name,
        "title": title,
        "heading": heading,
        "note": note,
        "lines": lines,
        "frames": frames,
    }
