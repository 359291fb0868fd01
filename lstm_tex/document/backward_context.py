r"""From the backward pass to the template context: every number already LaTeX text.

The backward derivation is a list of *lines*. Each line is a dict with a ``kind`` that
``templates/backward-derivation.tex.j2`` turns into one equation (the symbolic form,
the same with the numbers, the result), its symbols (``sym``), its numbers as finished
``bmatrix`` strings (``val``), the terms of a sum where it has them, and the layout
decided here from width and height estimates: whether the numbers and the result move
onto lines of their own (``break_numbers``, ``break_result``) and the line's height.
Lines come in groups (per step: dh; do and dc; di, df, dg; the deltas; what goes back
to the step before), and each group is packed into frames with the size estimates of
the forward pass (:mod:`lstm_tex.document.context`), counting on ``\lstmfit`` shrinking wide
frames; ``\lstmcap`` in the frames shrinks whatever the estimates miss, so nothing
overflows. In the article, a group is split into align* blocks shorter than a page.

Notation: ``\mathrm{d}v`` is dL/dv (``\mathsf{d}v`` on slides, whose math is sans
serif); ``\delta_{k,t}`` is dL/d(pre-activation of gate k).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex.check.report import Report
from lstm_tex.compute.backward import BackwardStep, Gradients
from lstm_tex.compute.engine import Direction, Step, directions_of, layer_weights
from lstm_tex.document import measure, numbers
from lstm_tex.document.context import (
    ARTICLE,
    GATE_NAMES,
    LINE,
    PARTS,
    SYMBOLIC,
    _height,
    _matrix_em,
    _Medium,
    _sup,
    slides_layout,
)
from lstm_tex.validate.model import GATES, LstmConfig

OP_EM = 1.6  # an operator between matrices (=, +, -, \odot) with its spacing, in ems
SUM_TERMS_MAX = 4  # a longer sum over t is shown as one product of stacked matrices
# The forward pass's frame budget fills a frame to about 80% with these lines (measured
# on the rendered decks); \lstmcap in the frames shrinks anything the estimate misses.
SLIDES_ROOM = 1.2
SLIDES_TEXT_EM = 40.0  # a 16:9 frame's text width in ems of the estimates (\small math)
ARTICLE_BLOCK_ROWS = 40.0  # height of one align* in the article, in matrix rows (< a page)
NOTE_CHARS = 90  # characters of a note per line of text on a slide
NOTE_LINE = 1.2  # height of a line of text, in matrix rows
#: What each block of the weights is called in titles ("Gradients: forget gate weights").
BLOCK_NAMES = {
    **GATE_NAMES,
    "r": "reset gate",
    "z": "update gate",
    "n": "candidate",
    "h": "recurrent",
}


# ---------------------------------------------------------------- matrices and lines


@dataclass(frozen=True)
class Piece:
    """One matrix of a line: its LaTeX, estimated width (em) and rows."""

    tex: str
    em: float
    rows: int


class _Show:
    """Turns arrays into :class:`Piece` objects for one medium (slides or article).

    ``kinds``: the exercise quantity (``dh``, ``dpre``, ...) of each array of the backward
    pass, by identity, so that every line that shows one of them blanks it (or boxes it,
    in the answer key) as the medium's marks say."""

    def __init__(self, medium: _Medium, kinds: dict[int, str] | None = None) -> None:
        self.medium = medium
        self.limit = medium.layout.line_em
        self.kinds = kinds or {}

    def value(self, array: np.ndarray, kind: str = "") -> Piece:
        """A computed (B, n) array as an n x B matrix (one column per example), rounded."""
        m = self.medium
        kind = kind or self.kinds.get(id(array), "")
        return Piece(m.value(array, kind), m.em(array), m.rows(array))

    def given(self, array: np.ndarray) -> Piece:
        """A (B, n) input as an n x B matrix, its numbers as written in the example."""
        m = self.medium
        return Piece(m.given(array), m.em(array, "written"), m.rows(array))

    def state(self, array: np.ndarray, given: bool) -> Piece:
        return self.given(array) if given else self.value(array)

    def transposed(self, matrix: np.ndarray) -> Piece:
        """A weight block transposed, its numbers as written."""
        m = self.medium
        return Piece(
            m.weights(matrix.T), m.weights_em(matrix.T), min(matrix.shape[1], m.layout.max_rows)
        )

    def as_is(self, array: np.ndarray, given: bool = False, kind: str = "") -> Piece:
        """A matrix shown as it is stored: a gradient of a weight, or (B, n) rows x^T;
        ``kind``: its exercise quantity (``grads``)."""
        m = self.medium
        style: numbers.Style = "written" if given else "fixed"
        mark = m.marks.get(kind, "")
        tex = numbers.bmatrix(
            array,
            style=style,
            decimals=m.decimals,
            max_rows=m.layout.max_rows,
            max_cols=m.layout.max_cols,
            marks=mark,
        )
        em = _matrix_em(array, m.decimals, style, m.layout)
        if mark:
            cols = min(array.reshape(array.shape[0], -1).shape[1], m.layout.max_cols)
            em += m.box_em(array, style) * cols
        return Piece(tex, em, min(array.shape[0], m.layout.max_rows))


_COMMAND = re.compile(r"\\(mathrm|mathsf|mathbf|left|right|text|quad|[,;!])")
_SCRIPT = re.compile(r"[_^](\{[^{}]*\}|\\[a-zA-Z]+|.)")
_FRAC = re.compile(r"\\frac\{[^{}]*\}\{[^{}]*\}")
#: Widths in ems of what symbolic lines are made of (math italic letters are about 0.55).
_EMS = {
    "\\tanh": 1.9,
    "\\sigma": 0.6,
    "\\odot": 1.7,
    "\\sum": 1.7,
    "\\cdot": 0.9,
    "\\leftarrow": 1.9,
    "\\rightarrow": 1.0,
    "\\top": 0.8,
    "\\delta": 0.45,
    "\\eta": 0.5,
    "\\hat": 0.0,
    "\\dots": 1.2,
    "=": 1.35,
    "+": 1.25,
    "-": 1.25,
    "(": 0.4,
    ")": 0.4,
    ",": 0.3,
    "'": 0.3,
}


def _tex_em(tex: str) -> float:
    """Rough width of a symbolic expression in ems (matrices are estimated apart);
    sub- and superscripts count at 70%."""
    plain = _FRAC.sub("\\frac", _COMMAND.sub("", tex))
    scripts = sum(_tex_em(m.group(1).strip("{}")) for m in _SCRIPT.finditer(plain))
    body = _SCRIPT.sub("", plain).replace("{", "").replace("}", "").replace(" ", "")
    em = 0.0
    for token in re.findall(r"\\[a-zA-Z]+|.", body):
        em += 1.0 if token == "\\frac" else _EMS.get(token, 0.55)
    return em + 0.7 * scripts


def _fit(
    limit: float, lhs: str, symbolic: str, numbers_em: float, result: Piece | None, rows: int
) -> dict[str, Any]:
    """Where a ``lhs = symbolic = numbers = result`` line breaks, and its height.

    ``symbolic`` includes ``lhs``; every row after the first starts after ``lhs`` (the
    alignment column), so its width counts on every row.
    """
    lhs_em = _tex_em(lhs)
    sym_em = _tex_em(symbolic)
    res_em = (result.em + OP_EM) if result is not None else 0.0
    if sym_em + numbers_em + res_em <= limit:
        breaks = (False, False)
    elif sym_em + numbers_em <= limit and lhs_em + res_em <= limit:
        breaks = (False, True)
    elif lhs_em + numbers_em + res_em <= limit:
        breaks = (True, False)
    else:
        breaks = (True, True)
    height = (SYMBOLIC if breaks[0] else 0.0) + _height(rows, breaks[1])
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
    }


def line(
    show: _Show,
    kind: str,
    sym: dict[str, Any],
    pieces: dict[str, Piece],
    result: Piece | None,
    symbolic: str,
    ops: int,
    extra_em: float = 0.0,
) -> dict[str, Any]:
    """A line of ``kind``: its symbols, numbers and where it breaks. ``symbolic`` is
    its symbolic part for the width estimate, ``ops`` the operators between numbers."""
    everything = [*pieces.values(), *([result] if result is not None else [])]
    rows = max((p.rows for p in everything), default=1)
    numbers_em = sum(p.em for p in pieces.values()) + ops * OP_EM + extra_em
    val = {k: p.tex for k, p in pieces.items()}
    if result is not None:
        val["r"] = result.tex
    lhs = sym.get("lhs") or ""
    fit = _fit(show.limit, lhs, symbolic, numbers_em, result, rows)
    if fit["break_inner"] and len(pieces) > 1:
        # Too wide even on a row of their own: one matrix per row, the result below.
        fit.update(
            break_numbers=True,
            break_result=True,
            height=SYMBOLIC + (len(pieces) + 1) * _height(rows, False),
            width=max(_tex_em(symbolic), _tex_em(lhs) + 2 * OP_EM + max(p.em for p in everything)),
        )
    else:
        fit["break_inner"] = False
    return {"kind": kind, "sym": sym, "val": val, "terms": [], **fit}


def _text_line(kind: str, sym: dict[str, Any]) -> dict[str, Any]:
    """A line without matrices (a scalar result, or a zero)."""
    return {
        "kind": kind,
        "sym": sym,
        "val": {},
        "terms": [],
        "break_numbers": False,
        "break_result": False,
        "break_inner": False,
        "height": SYMBOLIC,
        "width": 0.0,
    }


def sum_line(
    show: _Show,
    lhs: str,
    expansion: str,
    terms: list[tuple[Piece, Piece | None]],
    result: Piece,
    right: str = "",
    right_em: float = 0.0,
) -> dict[str, Any]:
    """``lhs = expansion = a1 b1 + a2 b2 + ... = result``, the terms wrapped to the width.

    ``b`` is None where a term is one matrix followed by ``right`` (such as a column
    of ones).
    """
    limit = show.limit - _tex_em(lhs)  # every row starts after the lhs column
    wrapped: list[int] = []  # the rows of each wrapped line of terms
    out: list[dict[str, Any]] = []
    width = widest = OP_EM
    for a, b in terms:
        em = a.em + (b.em if b is not None else right_em) + OP_EM
        rows = max(a.rows, b.rows if b is not None else 1)
        newline = bool(out) and width + em > limit
        if newline or not out:
            wrapped.append(rows)
            width = OP_EM + (1.0 if newline else 0.0)
        wrapped[-1] = max(wrapped[-1], rows)
        width += em
        widest = max(widest, width)
        out.append({"left": a.tex, "right": b.tex if b is not None else right, "newline": newline})
    symbolic_em = _tex_em(f"{lhs} = {expansion}")
    fits_whole = len(wrapped) == 1 and symbolic_em + width + result.em + OP_EM <= show.limit
    break_result = width + result.em + OP_EM > limit
    lhs_em = show.limit - limit
    if fits_whole:
        line_width = symbolic_em + width + result.em + OP_EM
    else:
        line_width = max(
            symbolic_em, lhs_em + max(widest, width + (0.0 if break_result else result.em + OP_EM))
        )
    height = (
        (0.0 if fits_whole else SYMBOLIC)
        + sum(r + LINE for r in wrapped)
        + (result.rows + LINE if break_result else 0.0)
    )
    return {
        "kind": "sum",
        "sym": {"lhs": lhs, "expansion": expansion},
        "val": {"r": result.tex},
        "terms": out,
        "break_numbers": not fits_whole,
        "break_result": break_result,
        "break_inner": False,
        "height": height,
        "width": line_width,
    }


def _group(
    name: str,
    title: str,
    note: str,
    lines: list[dict[str, Any]],
    budget: float,
    text_em: float | None,
) -> dict[str, Any]:
    """Lines that belong together, packed into frames (one or more, never overflowing).

    A frame's note takes a line of text (about a matrix row) per 90 characters. With
    ``text_em`` (slides), a frame wider than that is shrunk to fit (``\\lstmfit``), and
    its height with it; the packing counts on that.
    """
    note_rows = NOTE_LINE * -(-len(_COMMAND.sub("", note)) // NOTE_CHARS)
    frames: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    widest = height = 0.0
    for line in lines:
        wider, taller = max(widest, line["width"]), height + line["height"]
        scale = min(1.0, text_em / wider) if text_em and wider else 1.0
        if current and taller * scale > budget - note_rows:
            frames.append(current)
            current, wider, taller = [], line["width"], line["height"]
        current.append(line)
        widest, height = wider, taller
    frames.append(current)
    heading = title[0].upper() + title[1:] if title[:1].isalpha() else title
    return {
        "name": name,
        "title": title,
        "heading": heading,
        "note": note,
        "lines": lines,
        "frames": frames,
    }


# ---------------------------------------------------------------- symbols


#: The network's output, its prediction, in the backward pass; ``y`` is the target (issue 12:
#: students read a hat as the prediction).
HAT_Y = "\\hat y"


class Symbols:
    r"""Symbols of one layer and direction: ``d("h", 3)`` is ``\mathrm{d}h_{3}`` with
    the layer/direction superscript, ``tr("hh")`` is ``W_{hh}^{\top}``, and so on."""

    def __init__(self, step: Step, cfg: LstmConfig, dd: str) -> None:
        self.dd = dd
        self.sup = _sup(step, cfg.num_layers, cfg.bidirectional)
        self.inner = self.sup[2:-1] if self.sup else ""
        self.layer = step.layer

    def q(self, name: str, t: int | str) -> str:
        return f"{name}{self.sup}_{{{t}}}"

    def qt(self, name: str, t: int | str) -> str:
        """A vector transposed: ``h^{\\top}_{2}``."""
        return f"{name}^{{{self.inner}\\top}}_{{{t}}}"

    def target(self, t: int | str) -> str:
        """The target ``y_t`` (the prediction is ``\\hat y_t``): it has no layer; in a
        bidirectional network, this direction's rows of it carry the direction's arrow."""
        arrow = self.inner.rpartition(")")[2]
        return f"y^{{{arrow}}}_{{{t}}}" if arrow else f"y_{{{t}}}"

    def x(self, t: int | str, transposed: bool = False) -> str:
        """The layer's input (shared by both directions, so no arrow)."""
        layer = f"({self.layer})" if self.layer else ""
        top = "\\top" if transposed else ""
        return f"x^{{{layer}{top}}}_{{{t}}}" if layer or top else f"x_{{{t}}}"

    def d(self, name: str, t: int | str) -> str:
        return f"{self.dd}{name}{self.sup}_{{{t}}}"

    def w(self, sub: str) -> str:
        return f"W_{{{sub}}}{self.sup}"

    def b(self, sub: str) -> str:
        return f"b_{{{sub}}}{self.sup}" if sub else f"b{self.sup}"

    def tr(self, sub: str) -> str:
        return f"W_{{{sub}}}^{{{self.inner}\\top}}"

    def delta(self, k: str | None, t: int | str) -> str:
        return f"\\delta{self.sup}_{{{k},{t}}}" if k else f"\\delta{self.sup}_{{{t}}}"

    def tilde_delta(self, k: str | None, t: int | str) -> str:
        """What reaches ``W_hh h + b_hh`` where it differs from delta (the GRU's n)."""
        return (
            f"\\tilde{{\\delta}}{self.sup}_{{{k},{t}}}"
            if k
            else f"\\tilde{{\\delta}}{self.sup}_{{{t}}}"
        )


def _where(layer: int, direction: str, cfg: LstmConfig) -> str:
    parts = [f"layer {layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        parts.append(direction)
    return ", ".join(parts)


def _shown_pair(before: float, after: float, decimals: int) -> tuple[str, str]:
    """Two losses with enough decimals to tell them apart (up to 12)."""
    places = decimals
    while places < 12 and numbers.format_number(before, "fixed", places) == numbers.format_number(
        after, "fixed", places
    ):
        places += 1
    return (
        numbers.format_number(before, "fixed", places),
        numbers.format_number(after, "fixed", places),
    )


# ---------------------------------------------------------------- the context


class Builder:
    """Builds the backward context of one medium."""

    def __init__(
        self,
        gradients: Gradients,
        slides: bool,
        parts: bool = False,
        marks: dict[str, numbers.Mark] | None = None,
    ) -> None:
        self.g = gradients
        self.ex = gradients.trace.example
        self.cfg = self.ex.config
        self.medium = _Medium(
            self.ex.render.decimals,
            PARTS if parts else slides_layout(self.ex.render.text_size) if slides else ARTICLE,
            marks=marks,
        )
        self.medium.paper_boxes = bool(marks) and not slides
        self.show = _Show(self.medium, exercise_kinds(gradients) if marks else None)
        self.budget = self.medium.layout.frame_rows * SLIDES_ROOM if slides else ARTICLE_BLOCK_ROWS
        self.text_em = (
            SLIDES_TEXT_EM * measure.SLIDE_TEXT_PT / self.ex.render.text_size if slides else None
        )
        self.dd = "\\mathsf{d}" if slides else "\\mathrm{d}"
        self.directions: tuple[Direction, ...] = directions_of(self.cfg.bidirectional)
        self.top = self.cfg.num_layers - 1
        self.cell = self.cfg.cell

    def group(
        self, name: str, title: str, note: str, lines: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return _group(name, title, note, lines, self.budget, self.text_em)

    def next_t(self, step: Step) -> int:
        return step.t + 1 if step.direction == "forward" else step.t - 1

    def prev_t(self, step: Step) -> int:
        return step.t - 1 if step.direction == "forward" else step.t + 1

    def is_first(self, step: Step) -> bool:
        """Computed first in its direction: its h_prev, c_prev are the initial state."""
        return step.t == (1 if step.direction == "forward" else self.ex.steps)

    def is_last(self, step: Step) -> bool:
        return step.t == (self.ex.steps if step.direction == "forward" else 1)

    @property
    def computes(self) -> str:
        """Who computes the steps, for the notes: "direction" only in a bidirectional
        network (issue 12)."""
        if self.cfg.bidirectional:
            return "this direction computes"
        return "this layer computes" if self.cfg.num_layers > 1 else "the network computes"

    # ------------------------------------------------------------ the loss

    def error_lines(
        self, out: np.ndarray, error: np.ndarray | None, prime: str, loss: str
    ) -> list[dict[str, Any]]:
        """``E = Y_hat - Y`` (prediction less target) and ``L`` of the output sequence
        ``out`` (the last step alone with ``last_step_only``): ``error`` as the backward
        pass has it, or (``None``) computed here; ``prime`` marks the names after the SGD
        step; ``loss`` is L shown."""
        spec = self.g.spec
        width = out.shape[-1]
        T = self.ex.steps
        if spec.last_step_only:
            y, target = out[-1], spec.target
            error = y - target if error is None else error[-1]
            names = (f"\\hat y{prime}_{{{T}}}", f"y_{{{T}}}", f"e{prime}_{{{T}}}")
        else:
            y, target = out.reshape(-1, width), spec.target.reshape(-1, width)
            error = y - target if error is None else error.reshape(-1, width)
            names = (f"\\hat Y{prime}", "Y", f"E{prime}")
        factor = f"\\frac{{1}}{{{spec.target.size}}}" if spec.loss == "mse" else "\\frac{1}{2}"
        squares = numbers.format_number(float(np.sum(error**2)), "fixed", self.medium.decimals)
        return [
            line(
                self.show,
                "difference",
                {"lhs": names[2], "a": names[0], "b": names[1], "factor": ""},
                {"a": self.show.value(y), "b": self.show.given(target)},
                self.show.value(error),
                f"{names[2]} = {names[0]} - {names[1]}",
                ops=2,
            ),
            _text_line(
                "loss",
                {
                    "lhs": f"L{prime}",
                    "e": names[2],
                    "factor": factor,
                    "squares": squares,
                    "r": loss,
                },
            ),
        ]

    def loss(self) -> dict[str, Any]:
        """``E = Y_hat - Y`` and ``L``, the group that opens the backward pass."""
        spec = self.g.spec
        T = self.ex.steps
        loss = numbers.format_number(self.g.loss, "fixed", self.medium.decimals)
        lines = self.error_lines(self.g.trace.output, self.g.error, "", loss)
        if spec.last_step_only:
            note = (
                f"The loss sees the last step only: the prediction $\\hat y_{{{T}}}$ (the "
                f"output) against the target $y_{{{T}}}$, {spec.target.size} numbers."
            )
        else:
            note = (
                f"The loss sees every step: $\\hat Y$ holds the predictions $\\hat y_t$ (the "
                f"outputs, one column per step), $Y$ the targets $y_t$, "
                f"{spec.target.size} numbers in all."
            )
        if self.ex.batched:
            note += f" With a batch, each step has {self.ex.batch} columns, one per example."
        if self.cfg.bidirectional:
            note += (
                " Both directions give "
                "$\\hat y_t = [\\hat y^{\\rightarrow}_t; \\hat y^{\\leftarrow}_t]$: "
                "the forward and the reverse $h_t$ stacked."
            )
        what = "mean squared error" if spec.loss == "mse" else "half the sum of squares"
        return self.group("loss", f"The loss, {what}", note, lines)

    # ------------------------------------------------------------ one step, backwards

    def step(self, b: BackwardStep) -> dict[str, Any]:
        """The groups of one step (the cell's chain rule), under the step's title."""
        s = self.g.trace.step(b.layer, b.direction, b.t)
        sy = Symbols(s, self.cfg, self.dd)
        if self.cell.kind == "lstm":
            groups = self.lstm_groups(b, s, sy)
        else:
            from lstm_tex.document import backward_cells

            groups = backward_cells.groups(self, b, s, sy)
        where = _where(s.layer, s.direction, self.cfg)
        return {
            "title": "Backward, " + (f"{where}, " if where else "") + f"step {s.t}",
            "id": f"l{s.layer}-{s.direction}-t{s.t}",
            "layer": s.layer,
            "direction": s.direction,
            "t": s.t,
            "groups": groups,
        }

    def lstm_groups(self, b: BackwardStep, s: Step, sy: Symbols) -> list[dict[str, Any]]:
        """The five groups of an LSTM step: dh; do, dc; di, df, dg; deltas; what goes back."""
        assert s.c_prev is not None and s.tanh_c is not None
        assert b.dm is not None and b.dc is not None and b.dc_prev is not None
        show = self.show
        t, tn, tp = s.t, self.next_t(s), self.prev_t(s)
        last, first = self.is_last(s), self.is_first(s)
        w = layer_weights(self.ex, s.layer, s.direction)
        w_ih, w_hh, w_hr = w["w_ih"], w["w_hh"], w["w_hr"]
        assert w_ih is not None and w_hh is not None
        dm = sy.d("m", t) if w_hr is not None else sy.d("h", t)
        act = {k: s.gates[k].act for k in GATES}

        group_h = self.dh_lines(b, s, sy, f"{sy.tr('hh')}{sy.delta(None, tn)}")
        if w_hr is not None:
            group_h.append(
                line(
                    show,
                    "matvec",
                    {"lhs": sy.d("m", t), "W": sy.tr("hr"), "v": sy.d("h", t)},
                    {"W": show.transposed(w_hr), "v": show.value(b.dh)},
                    show.value(b.dm),
                    f"{sy.d('m', t)} = {sy.tr('hr')}{sy.d('h', t)}",
                    ops=1,
                )
            )

        tanh_c = f"\\tanh\\left({sy.q('c', t)}\\right)"
        group_oc = [
            line(
                show,
                "product",
                {"lhs": sy.d("o", t), "a": dm, "b": tanh_c},
                {"a": show.value(b.dm), "b": show.value(s.tanh_c)},
                show.value(b.gates["o"].d),
                f"{sy.d('o', t)} = {dm} \\odot {tanh_c}",
                ops=2,
            ),
            line(
                show,
                "dc",
                {
                    "lhs": sy.d("c", t),
                    "dm": dm,
                    "o": sy.q("o", t),
                    "c": sy.q("c", t),
                    "dc_next": None if last else sy.d("c", tn),
                    "f_next": None if last else sy.q("f", tn),
                },
                {
                    "dm": show.value(b.dm),
                    "o": show.value(act["o"]),
                    "one_minus": show.value(1.0 - s.tanh_c**2),
                    **({} if b.dc_next is None or last else {"next": show.value(b.dc_next)}),
                },
                show.value(b.dc),
                f"{sy.d('c', t)} = {dm} \\odot {sy.q('o', t)} \\odot (1 - \\tanh^2 c)"
                + ("" if last else f" + {sy.d('c', tn)} \\odot {sy.q('f', tn)}"),
                ops=4 if last else 6,
                extra_em=1.0,
            ),
        ]

        partners = {
            "i": (sy.q("g", t), show.value(act["g"])),
            "f": (sy.q("c", tp), show.state(s.c_prev, first)),
            "g": (sy.q("i", t), show.value(act["i"])),
        }
        group_ifg = []
        for k, (other, piece) in partners.items():
            group_ifg.append(
                line(
                    show,
                    "product",
                    {"lhs": sy.d(k, t), "a": sy.d("c", t), "b": other},
                    {"a": show.value(b.dc), "b": piece},
                    show.value(b.gates[k].d),
                    f"{sy.d(k, t)} = {sy.d('c', t)} \\odot {other}",
                    ops=2,
                )
            )

        group_delta = []
        for k in GATES:
            sym = {"lhs": sy.delta(k, t), "d": sy.d(k, t), "k": sy.q(k, t)}
            if k == "g":
                group_delta.append(
                    line(
                        show,
                        "delta_tanh",
                        sym,
                        {"d": show.value(b.gates[k].d), "one_minus": show.value(1.0 - act[k] ** 2)},
                        show.value(b.gates[k].dpre),
                        f"{sym['lhs']} = {sym['d']} \\odot (1 - {sym['k']}^2)",
                        ops=2,
                        extra_em=1.0,
                    )
                )
            else:
                group_delta.append(
                    line(
                        show,
                        "delta_sigma",
                        sym,
                        {
                            "d": show.value(b.gates[k].d),
                            "k": show.value(act[k]),
                            "one_minus": show.value(1.0 - act[k]),
                        },
                        show.value(b.gates[k].dpre),
                        f"{sym['lhs']} = {sym['d']} \\odot {sym['k']} \\odot (1 - {sym['k']})",
                        ops=3,
                        extra_em=1.0,
                    )
                )

        h_lhs = (f"{sy.d('h', tp)} = " if first else "") + f"{sy.tr('hh')}{sy.delta(None, t)}"
        c_lhs = (f"{sy.d('c', tp)} = " if first else "") + (f"{sy.d('c', t)} \\odot {sy.q('f', t)}")
        group_back = [
            self.back_line(b, sy, "h", w_hh, b.dh_prev, h_lhs),
            line(
                show,
                "product",
                {"lhs": c_lhs, "a": None, "b": None},
                {"a": show.value(b.dc), "b": show.value(act["f"])},
                show.value(b.dc_prev),
                c_lhs,
                ops=2,
            ),
        ]
        if s.layer > 0:
            group_back.append(
                self.back_line(
                    b, sy, "i", w_ih, b.dx, f"{sy.d('x', t)} = {sy.tr('ih')}{sy.delta(None, t)}"
                )
            )

        notes = self.notes(s, sy)
        return [
            self.group(
                "h",
                f"${sy.d('h', t)}$" + (f" and ${sy.d('m', t)}$" if w_hr is not None else ""),
                notes["h"],
                group_h,
            ),
            self.group("oc", f"${sy.d('o', t)}$ and ${sy.d('c', t)}$", notes["oc"], group_oc),
            self.group(
                "ifg",
                f"${sy.d('i', t)}$, ${sy.d('f', t)}$ and ${sy.d('g', t)}$",
                notes["ifg"],
                group_ifg,
            ),
            self.group("delta", f"the deltas ${sy.delta('k', t)}$", notes["delta"], group_delta),
            self.group(
                "back",
                "back to the initial state" if first else f"back to step {tp}",
                notes["back"],
                group_back,
            ),
        ]

    def dy_line(self, b: BackwardStep, s: Step, sy: Symbols) -> dict[str, Any]:
        """dy_t: from the loss (top layer) or from the layer above (through its W_ih)."""
        show = self.show
        t = s.t
        spec = self.g.spec
        out_size = self.cfg.out_size
        d = self.directions.index(s.direction)
        cols = slice(d * out_size, (d + 1) * out_size)
        if s.layer == self.top:
            if spec.last_step_only and t != self.ex.steps:
                return _text_line("dy_none", {"lhs": sy.d(HAT_Y, t), "T": self.ex.steps})
            target = spec.target if spec.last_step_only else spec.target[t - 1]
            factor = f"\\frac{{2}}{{{spec.target.size}}}" if spec.loss == "mse" else ""
            return line(
                show,
                "difference",
                {"lhs": sy.d(HAT_Y, t), "a": sy.q(HAT_Y, t), "b": sy.target(t), "factor": factor},
                {"a": show.value(s.h), "b": show.given(target[:, cols])},
                show.value(b.dy),
                f"{sy.d(HAT_Y, t)} = {factor}(\\hat y_t - y_t)",
                ops=2,
                extra_em=3.0 if factor else 0.0,
            )
        sources: list[str] = []
        pieces: dict[str, Piece] = {}
        for n, direction in enumerate(self.directions):
            upper = self.g.trace.step(s.layer + 1, direction, t)
            sources.append(Symbols(upper, self.cfg, self.dd).d("x", t))
            pieces[f"s{n}"] = show.value(self.g.step(s.layer + 1, direction, t).dx[:, cols])
        rows = f"{cols.start + 1}:{cols.stop}" if self.cfg.bidirectional else ""
        return line(
            show,
            "dy_above",
            {"lhs": sy.d(HAT_Y, t), "sources": sources, "rows": rows},
            pieces,
            show.value(b.dy),
            f"{sy.d(HAT_Y, t)} = " + " + ".join(sources) + rows,
            ops=len(sources),
        )

    def back_line(
        self,
        b: BackwardStep,
        sy: Symbols,
        which: str,
        matrix: np.ndarray,
        result: np.ndarray,
        lhs: str,
    ) -> dict[str, Any]:
        r"""``W^\top \delta_t`` as the sum over the gates of ``W_k^\top \delta_{k,t}``."""
        hidden = self.cfg.hidden_size
        terms: list[tuple[Piece, Piece | None]] = []
        expansion = []
        for n, k in enumerate(self.cell.gate_names):
            block = matrix[n * hidden : (n + 1) * hidden]
            terms.append((self.show.transposed(block), self.show.value(b.gates[k].dpre)))
            expansion.append(f"{sy.tr(which + k)}{sy.delta(k, b.t)}")
        return sum_line(self.show, lhs, " + ".join(expansion), terms, self.show.value(result))

    def feeds(self, s: Step, sy: Symbols) -> str:
        """What h_t feeds besides the next step: the loss, or the layer above."""
        t = s.t
        if s.layer == self.top:
            sees = not self.g.spec.last_step_only or t == self.ex.steps
            return f"the loss (as ${sy.q(HAT_Y, t)}$)" if sees else "no term of the loss"
        rows = ""
        if self.cfg.bidirectional:
            d = self.directions.index(s.direction)
            out = self.cfg.out_size
            rows = f"rows {d * out + 1}:{(d + 1) * out} of "
        return f"layer {s.layer + 1} (as {rows}its input $x^{{({s.layer + 1})}}_{{{t}}}$)"

    def h_note(self, s: Step, sy: Symbols, later: str | None = None) -> str:
        """The note of dh_t: where h_t goes. ``later``: how it reaches the next step and
        what came back (default: through W_hh only, the LSTM's and the RNN's way)."""
        t, tn = s.t, self.next_t(s)
        h = f"${sy.q('h', t)}$"
        if self.is_last(s):
            return (
                f"Start at step {t}, the last {self.computes}: {h} feeds "
                f"{self.feeds(s, sy)} and no later step."
            )
        if later is None:
            later = (
                f" (through ${sy.w('hh')}$), so both add up; "
                f"${sy.tr('hh')}{sy.delta(None, tn)}$ came back from step {tn}."
            )
        return f"{h} feeds {self.feeds(s, sy)} and step {tn}{later}"

    def dh_lines(self, b: BackwardStep, s: Step, sy: Symbols, back: str) -> list[dict[str, Any]]:
        """dy_t, then dh_t = dy_t + ``back`` (what came back from the next step), or
        dh_t = dy_t at the last step."""
        show, t = self.show, s.t
        lines = [self.dy_line(b, s, sy)]
        if self.is_last(s):
            lines.append(
                line(
                    show,
                    "dh_last",
                    {"lhs": sy.d("h", t), "dy": sy.d(HAT_Y, t)},
                    {},
                    show.value(b.dh),
                    sy.d(HAT_Y, t),
                    ops=0,
                )
            )
        else:
            lines.append(
                line(
                    show,
                    "dh",
                    {"lhs": sy.d("h", t), "dy": sy.d(HAT_Y, t), "next": back},
                    {"dy": show.value(b.dy), "next": show.value(b.dh_next)},
                    show.value(b.dh),
                    f"{sy.d('h', t)} = {sy.d(HAT_Y, t)} + {back}",
                    ops=2,
                )
            )
        return lines

    def notes(self, s: Step, sy: Symbols) -> dict[str, str]:
        """One or two sentences per group: where each quantity comes from."""
        t, tn, tp = s.t, self.next_t(s), self.prev_t(s)
        last, first = self.is_last(s), self.is_first(s)
        proj = self.cfg.proj_size > 0
        note_h = self.h_note(s, sy)
        if proj:
            note_h += f" With the projection, ${sy.q('h', t)} = {sy.w('hr')}{sy.q('m', t)}$."
        m = sy.q("m", t) if proj else sy.q("h", t)
        note_oc = f"From ${m} = {sy.q('o', t)} \\odot \\tanh {sy.q('c', t)}$" + (
            "."
            if last
            else f"; ${sy.q('c', t)}$ also reaches ${sy.q('c', tn)}$ through ${sy.q('f', tn)}$."
        )
        note_ifg = (
            f"From ${sy.q('c', t)} = {sy.q('f', t)} \\odot {sy.q('c', tp)} + "
            f"{sy.q('i', t)} \\odot {sy.q('g', t)}$."
        )
        note_delta = (
            "Through the activations: $\\sigma' = \\sigma\\,(1 - \\sigma)$ for "
            "$i, f, o$ and $\\tanh' = 1 - \\tanh^2$ for $g$; "
            f"${sy.delta('k', t)}$ is the gradient of gate $k$'s pre-activation."
        )
        stack = (
            f"${sy.delta(None, t)}$ stacks ${sy.delta('i', t)}, \\dots, "
            f"{sy.delta('o', t)}$ like the blocks of ${sy.w('hh')}$."
        )
        if first:
            note_back = (
                f"Step {t} is the first {self.computes}, so what it hands "
                f"back is the gradient of the initial state. {stack}"
            )
        else:
            note_back = (
                f"What step {t} hands back to step {tp}, to be added into "
                f"${sy.d('h', tp)}$ and ${sy.d('c', tp)}$ there. {stack}"
            )
        if s.layer > 0:
            note_back += f" Layer {s.layer - 1} receives ${sy.d('x', t)}$."
        return {"h": note_h, "oc": note_oc, "ifg": note_ifg, "delta": note_delta, "back": note_back}

    # ------------------------------------------------------------ symbols of the cell

    def delta_sym(self, sy: Symbols, k: str) -> Any:
        """``t -> \\delta_{k,t}`` (an RNN's one block: ``\\delta_t``)."""
        gate = None if self.cell.kind == "rnn" else k
        return lambda t: sy.delta(gate, t)

    def separate_hh(self, k: str) -> bool:
        """Whether what reaches gate ``k``'s hh part differs from its delta (GRU's n)."""
        return self.cell.kind == "gru" and k == "n"

    def hh_delta_sym(self, sy: Symbols, k: str) -> Any:
        """``t ->`` the symbol of what reaches gate ``k``'s ``hh`` part: its delta, or
        ``\\tilde\\delta_{n,t}`` (= r_t * delta_n,t) for the GRU's n."""
        if self.separate_hh(k):
            return lambda t: sy.tilde_delta(k, t)
        return self.delta_sym(sy, k)

    def hh_n(self, sy: Symbols, t: int | str) -> str:
        """The GRU's ``W_{hn} h_{t-1} + b_{hn}``, what r multiplies (no b_hn without one)."""
        bias = f" + {sy.b('hn')}" if self.cfg.bias is True else ""
        return f"{sy.w('hn')} {sy.q('h', t)}{bias}"

    def bias_sym(self, sy: Symbols, which: str, k: str) -> str:
        """``b_{ik}``, ``b_{hk}`` or (one bias per gate) ``b_k``; an RNN's ``b_{ih}``,
        ``b_{hh}`` or ``b``."""
        if self.cell.kind == "rnn":
            return sy.b(f"{which}h" if which else "")
        return sy.b(which + k)

    def block_name(self, k: str) -> str:
        """What the parameter gradients of block ``k`` are called in titles."""
        if self.cell.kind == "rnn":
            return "the weights"
        return f"{BLOCK_NAMES[k]} weights"

    # ------------------------------------------------------------ parameter gradients

    def params(self, layer: int, direction: Direction) -> list[dict[str, Any]]:
        """Per gate: dW_ik, dW_hk and db as sums over t of outer products; then dW_hr."""
        show = self.show
        steps = sorted(
            (s for s in self.g.trace.steps if s.layer == layer and s.direction == direction),
            key=lambda s: s.t,
        )
        back = {s.t: self.g.step(layer, direction, s.t) for s in steps}
        sy = Symbols(steps[0], self.cfg, self.dd)
        hidden = self.cfg.hidden_size
        sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
        # An exercise sheet on paper writes the sum term by term: a product of stacked
        # deltas as boxes 1.5 times a number wide is wider than the page from 6 steps on.
        stacked = len(steps) > SUM_TERMS_MAX and not (
            self.medium.paper_boxes and "dpre" in self.medium.marks
        )
        batched = self.ex.batched
        ones = "\\mathbf{1}" if batched else ""
        h_prev_t = "t-1" if direction == "forward" else "t+1"
        where = _where(layer, direction, self.cfg)

        def outer(
            deltas: list[np.ndarray], operands: list[np.ndarray], given: list[bool]
        ) -> list[tuple[Piece, Piece | None]]:
            if stacked:
                return [
                    (
                        show.value(np.concatenate(deltas), "dpre"),
                        show.as_is(np.concatenate(operands), all(given)),
                    )
                ]
            return [
                (show.value(dl), show.as_is(op, gv))
                for dl, op, gv in zip(deltas, operands, given, strict=True)
            ]

        def expand(general: str, terms: list[str]) -> str:
            return general if stacked else f"{general} = " + " + ".join(terms)

        groups = []
        for n, k in enumerate(self.cell.gate_names):
            block = slice(n * hidden, (n + 1) * hidden)
            deltas = [back[s.t].gates[k].dpre for s in steps]
            deltas_hh = [back[s.t].gates[k].dhh for s in steps]
            dk = self.delta_sym(sy, k)
            dk_hh = self.hh_delta_sym(sy, k)
            lhs = f"{sy.dd}{sy.w('i' + k)}"
            lines = [
                sum_line(
                    show,
                    lhs,
                    expand(
                        f"\\sum_{{t}} {dk('t')} {sy.x('t', True)}",
                        [f"{dk(s.t)} {sy.x(s.t, True)}" for s in steps],
                    ),
                    outer(deltas, [s.x for s in steps], [layer == 0] * len(steps)),
                    show.as_is(self.g.grads[f"weight_ih{sfx}"][block], kind="grads"),
                )
            ]
            lhs = f"{sy.dd}{sy.w('h' + k)}"
            lines.append(
                sum_line(
                    show,
                    lhs,
                    expand(
                        f"\\sum_{{t}} {dk_hh('t')} {sy.qt('h', h_prev_t)}",
                        [f"{dk_hh(s.t)} {sy.qt('h', self.prev_t(s))}" for s in steps],
                    ),
                    outer(deltas_hh, [s.h_prev for s in steps], [self.is_first(s) for s in steps]),
                    show.as_is(self.g.grads[f"weight_hh{sfx}"][block], kind="grads"),
                )
            )
            split = self.cfg.bias is True and self.separate_hh(k)
            biases: list[tuple[str, list[np.ndarray], Any, str]] = []
            if self.cfg.single_bias:  # one bias per gate
                biases.append((self.bias_sym(sy, "", k), deltas, dk, "bias_ih"))
            elif split:  # the GRU's n: b_in gets delta_n, b_hn gets r * delta_n
                biases.append((self.bias_sym(sy, "i", k), deltas, dk, "bias_ih"))
                biases.append((self.bias_sym(sy, "h", k), deltas_hh, dk_hh, "bias_hh"))
            elif self.cfg.bias:
                both = f"{self.bias_sym(sy, 'i', k)} = {sy.dd}{self.bias_sym(sy, 'h', k)}"
                biases.append((both, deltas, dk, "bias_ih"))
            for symbol, these, sym, name in biases:
                terms: list[tuple[Piece, Piece | None]] = (
                    [(show.value(np.concatenate(these), "dpre"), None)]
                    if stacked
                    else [(show.value(dl), None) for dl in these]
                )
                lines.append(
                    sum_line(
                        show,
                        f"{sy.dd}{symbol}",
                        expand(
                            f"\\sum_{{t}} {sym('t')}{ones}",
                            [f"{sym(s.t)}{ones}" for s in steps],
                        ),
                        terms,
                        show.value(self.g.grads[f"{name}{sfx}"][block][None, :], "grads"),
                        right=ones or ("\\mathbf{1}" if stacked else ""),
                        right_em=1.5 if (batched or stacked) else 0.0,
                    )
                )
            note = (
                f"Sums over the steps of outer products: ${dk('t')}$ times the "
                "transposed vector it multiplied in the forward pass"
                + (
                    ", summed over the batch too ($\\mathbf{1}$ is a column of ones)"
                    if batched
                    else ""
                )
                + "."
            )
            if self.separate_hh(k):
                note += (
                    f" What reaches ${self.hh_n(sy, h_prev_t)}$ is "
                    f"${dk_hh('t')} = {sy.q('r', 't')} \\odot {dk('t')}$, since $r$ "
                    "multiplies it."
                )
            if stacked:
                note += (
                    " With this many steps each sum is one product: the columns of the "
                    "first matrix are the deltas, the rows of the second the vectors."
                )
            title = f"Gradients: {self.block_name(k)}" + (f", {where}" if where else "")
            group = self.group(f"l{layer}-{direction}-grad-{k}", title, note, lines)
            if self.text_em is not None:
                # On slides dW_ik gets a frame of its own, dW_hk the next: three sums of outer
                # products on one frame are too small to read. A bias goes with dW_ik (issue
                # 12: dW_ik alone filled 45 % of its frame), two (the GRU's n: db_ik and
                # db_hk) each with its weight; where the sums are scaled to the width, the
                # biases go with dW_hk.
                first, second = [lines[0]], [lines[1]]
                if max(q["width"] for q in lines) > self.text_em:
                    second += lines[2:]
                else:
                    first += lines[2:3]
                    second += lines[3:]
                group["frames"] = (
                    self.group("", title, note, first)["frames"]
                    + self.group("", title, "", second)["frames"]
                )
            groups.append(group)
        if self.cfg.proj_size:
            lhs = f"{sy.dd}{sy.w('hr')}"
            dhs = [back[s.t].dh for s in steps]
            line = sum_line(
                show,
                lhs,
                expand(
                    f"\\sum_{{t}} {sy.d('h', 't')} {sy.qt('m', 't')}",
                    [f"{sy.d('h', s.t)} {sy.qt('m', s.t)}" for s in steps],
                ),
                outer(dhs, [s.m for s in steps if s.m is not None], [False] * len(steps)),
                show.as_is(self.g.grads[f"weight_hr{sfx}"], kind="grads"),
            )
            note = f"From ${sy.q('h', 't')} = {sy.w('hr')}{sy.q('m', 't')}$ at every step."
            title = "Gradients: projection" + (f", {where}" if where else "")
            groups.append(self.group(f"l{layer}-{direction}-grad-hr", title, note, [line]))
        return groups

    # ------------------------------------------------------------ initial state, SGD

    def initial_state(self) -> dict[str, Any]:
        """dL/dh_0 and dL/dc_0 of every layer and direction, in torch's order."""
        lines = []
        for layer in range(self.cfg.num_layers):
            for d, direction in enumerate(self.directions):
                index = layer * len(self.directions) + d
                first = next(
                    s for s in self.g.trace.steps if s.layer == layer and s.direction == direction
                )
                sy = Symbols(first, self.cfg, self.dd)
                p = self.prev_t(first)
                states = [("h", self.g.dh0[index])]
                if self.g.dc0 is not None:
                    states.append(("c", self.g.dc0[index]))
                for name, array in states:
                    lines.append(
                        line(
                            self.show,
                            "value",
                            {"lhs": sy.d(name, p)},
                            {},
                            self.show.value(array, "grads"),
                            sy.d(name, p),
                            ops=0,
                        )
                    )
        per_state = 2 if self.g.dc0 is not None else 1
        note = (
            "The gradients of the initial state (torch's \\texttt{h0.grad}"
            + (" and \\texttt{c0.grad})" if per_state == 2 else ")")
            + (", one per layer and direction" if len(lines) > per_state else "")
            + "."
        )
        return self.group("initial", "Gradients of the initial state", note, lines)

    def sgd(self) -> list[dict[str, Any]]:
        """``W <- W - eta dW`` for every weight block: one group per gate (and projection)."""
        sgd = self.g.sgd
        if sgd is None:
            return []
        show = self.show
        eta = numbers.format_number(sgd.lr, "written", 0)
        hidden = self.cfg.hidden_size
        note = (
            f"Every weight moves against its gradient, $W \\leftarrow W - \\eta\\,"
            f"{self.dd}W$, with the gradients derived above."
        )
        groups: list[dict[str, Any]] = []
        for layer in range(self.cfg.num_layers):
            for direction in self.directions:
                step = next(
                    s for s in self.g.trace.steps if s.layer == layer and s.direction == direction
                )
                sy = Symbols(step, self.cfg, self.dd)
                sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
                where = _where(layer, direction, self.cfg)
                blocks: dict[str, list[tuple[str, str, slice]]] = {}
                for n, k in enumerate(self.cell.gate_names):
                    rows = slice(n * hidden, (n + 1) * hidden)
                    blocks[k] = [
                        (sy.w("i" + k), f"weight_ih{sfx}", rows),
                        (sy.w("h" + k), f"weight_hh{sfx}", rows),
                    ]
                    if self.cfg.single_bias:
                        blocks[k] += [(self.bias_sym(sy, "", k), f"bias_ih{sfx}", rows)]
                    elif self.cfg.bias:
                        blocks[k] += [
                            (self.bias_sym(sy, "i", k), f"bias_ih{sfx}", rows),
                            (self.bias_sym(sy, "h", k), f"bias_hh{sfx}", rows),
                        ]
                if self.cfg.proj_size:
                    blocks["hr"] = [(sy.w("hr"), f"weight_hr{sfx}", slice(None))]
                for key, items in blocks.items():
                    lines = []
                    for symbol, name, rows in items:
                        old = self.ex.weights[name][rows]
                        grad = self.g.grads[name][rows]
                        new = sgd.weights[name][rows]
                        if old.ndim == 1:
                            old, grad, new = old[:, None], grad[:, None], new[:, None]
                        lines.append(
                            line(
                                show,
                                "sgd",
                                {"lhs": symbol, "eta": eta, "dd": self.dd},
                                {
                                    "w": show.as_is(old, given=True),
                                    "d": show.as_is(grad, kind="grads"),
                                },
                                # the new weights would give the gradients away
                                show.as_is(new, kind="grads"),
                                f"{symbol} = {symbol} - {eta} d{symbol}",
                                ops=3,
                                extra_em=0.5 * numbers.display_width(eta),
                            )
                        )
                    what = (
                        "projection"
                        if key == "hr"
                        else ("the weights" if self.cell.kind == "rnn" else BLOCK_NAMES[key])
                    )
                    title = f"One SGD step, $\\eta = {eta}$: {what}" + (
                        f", {where}" if where else ""
                    )
                    groups.append(
                        self.group(
                            f"sgd-l{layer}-{direction}-{key}",
                            title,
                            note if not groups else "",
                            lines,
                        )
                    )
        return groups

    def loss_after(self) -> dict[str, Any] | None:
        """The forward pass again with the new weights: the new error and loss."""
        sgd = self.g.sgd
        if sgd is None:
            return None
        spec = self.g.spec
        before, after = _shown_pair(self.g.loss, sgd.loss_after, self.medium.decimals)
        lines = self.error_lines(sgd.trace.output, None, "'", after)
        went = (
            "down"
            if sgd.loss_after < self.g.loss
            else ("up" if sgd.loss_after > self.g.loss else "nowhere")
        )
        verdict = {
            "down": "The loss went down",
            "up": "The loss went up (the step was too large)",
            "nowhere": "The loss did not change",
        }[went]
        note = (
            "The forward pass again, with the new weights ($Y'$ are its outputs)."
            if not spec.last_step_only
            else "The forward pass again, with the new weights ($y'$ is its last output)."
        )
        group = self.group("after", "The loss after one step", note, lines)
        group["verdict"] = f"{verdict}: from ${before}$ to ${after}$."
        group["went"] = went
        return group

    def build(self, report: Report | None) -> dict[str, Any]:
        spec = self.g.spec
        steps = []
        for layer in reversed(range(self.cfg.num_layers)):
            for direction in self.directions:
                computed = [
                    b for b in self.g.steps if b.layer == layer and b.direction == direction
                ]
                steps += [
                    self.step(b) for b in reversed(computed) if self.ex.render.derives(b.layer, b.t)
                ]
        params = [
            g
            for layer in range(self.cfg.num_layers)
            for direction in self.directions
            for g in self.params(layer, direction)
        ]
        check = None
        if report is not None:
            check = {
                "device": report.device,
                "dtype": report.dtype,
                "torch": report.torch_version,
                "max_abs_err": numbers.scientific(report.max_abs_err),
                "atol": numbers.scientific(report.atol),
                "passed": report.passed,
            }
        return {
            "loss_kind": spec.loss,
            "last_step_only": spec.last_step_only,
            "num_steps": self.ex.steps,
            "loss": self.loss(),
            "steps": steps,
            "params": params,
            "initial": self.initial_state(),
            "sgd": self.sgd(),
            "after": self.loss_after(),
            "lr": numbers.format_number(spec.lr, "written", 0) if spec.lr is not None else "",
            "loss_value": numbers.format_number(self.g.loss, "fixed", self.medium.decimals),
            "check": check,
            "skipped": len(self.g.steps) - sum(len(s["groups"]) > 0 for s in steps),
            "dd": self.dd,
            "cell": self.cell.kind,
            "relu": self.cell.nonlinearity == "relu",
            "proj": self.cfg.proj_size > 0,
            "bias": self.cfg.bias,
            "single_bias": self.cfg.single_bias,
            "bidirectional": self.cfg.bidirectional,
            "layers": self.cfg.num_layers,
        }


def build(
    gradients: Gradients,
    report: Report | None,
    *,
    slides: bool,
    parts: bool = False,
    exercise: str | None = None,
) -> dict[str, Any]:
    """The ``backward`` key of the template context for one medium (slides, article, or
    with ``parts`` the fragments of ``parts/``). ``exercise``: the exercise sheet
    (``sheet``: the gradients of ``render.exercise`` blank) or its answer key
    (``answers``: boxed)."""
    marks: dict[str, numbers.Mark] = {}
    if exercise is not None:
        ex = gradients.trace.example
        chosen = [q for q in ex.render.exercise if q in ex.config.cell.gradients]
        marks = dict.fromkeys(chosen, "blank" if exercise == "sheet" else "answer")
    return Builder(gradients, slides, parts, marks).build(report)


def exercise_kinds(gradients: Gradients) -> dict[int, str]:
    """The exercise quantity of every array of the backward pass that lines show as it is
    (``id`` to ``dy``, ``dh``, ``dc``, ``di``..., ``dpre``, ``grads``): what the steps
    hand back to the initial state is its gradient."""
    kinds: dict[int, str] = {}
    for b in gradients.steps:
        first = b.t == (1 if b.direction == "forward" else gradients.trace.example.steps)
        if first:
            kinds[id(b.dh_prev)] = "grads"
            if b.dc_prev is not None:
                kinds[id(b.dc_prev)] = "grads"
        kinds[id(b.dy)] = "dy"
        for k, g in b.gates.items():
            kinds[id(g.dhh)] = "dpre"  # the GRU's r * delta_n; delta itself for the others
            kinds[id(g.d)] = f"d{k}"
            kinds[id(g.dpre)] = "dpre"
        if b.dc is not None:
            kinds[id(b.dc)] = "dc"
        kinds[id(b.dh)] = "dh"
        if b.dm is not None and b.dm is not b.dh:
            kinds.pop(id(b.dm), None)  # with projections, dL/dm is not asked for
    return kinds


def parts(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One fragment per group of the backward derivation (``parts/backward-*.tex``)."""
    pieces = [{"id": "backward-loss", "group": ctx["loss"], "caption": ctx["loss"]["title"]}]
    for s in ctx["steps"]:
        for g in s["groups"]:
            pieces.append(
                {
                    "id": f"backward-{s['id']}-{g['name']}",
                    "group": g,
                    "caption": f"{s['title']}: {g['title']}",
                }
            )
    for g in ctx["params"]:
        pieces.append({"id": f"backward-{g['name']}", "group": g, "caption": g["title"]})
    pieces.append(
        {
            "id": "backward-initial-state",
            "group": ctx["initial"],
            "caption": ctx["initial"]["title"],
        }
    )
    for g in ctx["sgd"]:
        pieces.append({"id": f"backward-{g['name']}", "group": g, "caption": g["title"]})
    if ctx["after"] is not None:
        pieces.append(
            {"id": "backward-loss-after", "group": ctx["after"], "caption": ctx["after"]["title"]}
        )
    return pieces
