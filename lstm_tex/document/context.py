r"""From a trace to the template context: every number already LaTeX text.

The templates compose equations from the symbols and ``bmatrix`` strings made
here; they never format a number themselves. The layout decisions that depend
on sizes (when to move a result onto its own line, when to split a derivation
over two frames, when to elide rows of a large matrix) are made here too, from
simple width and height estimates, so the templates stay declarative.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lstm_tex.compute.trace import Step, Trace, directions_of
from lstm_tex.document import exercise_text, expansion, forms, matrices, numbers, plots, reveal
from lstm_tex.document.line import Line
from lstm_tex.document.medium import (
    ARTICLE_FULL,
    FULL_ROWS,
    Medium,
    layout,
)
from lstm_tex.document.results import derived_sequence, result_frames
from lstm_tex.document.slides import hand_over, share
from lstm_tex.document.step import relined, step_contexts
from lstm_tex.errors import printable
from lstm_tex.latex.tex import NEEDS, PART_NEEDS, escape, needs_comment
from lstm_tex.latex.text import comment
from lstm_tex.validate.model import GATES, Example, LstmConfig, RenderOptions

if TYPE_CHECKING:  # the check's modules load only with the check (issue 17)
    from lstm_tex.check.forward import CheckReport

Exercise = Literal["sheet", "answers"]


def build(
    trace: Trace,
    report: CheckReport | None,
    *,
    slides: bool,
    exact: Trace | None = None,
    exercise: Exercise | None = None,
    parts: bool = False,
) -> dict[str, Any]:
    """The whole template context for one medium (slides, the article, or with ``parts``
    the fragments of ``parts/``, whose lines fit any article's text).

    ``trace`` is what the document shows: with ``render.carry: displayed`` the trace
    computed from the rounded values, and ``exact`` the exact one (for the drift between
    them). ``exercise``: the exercise sheet (the ``render.exercise`` quantities blank, no
    captions) or its answer key (those quantities boxed).
    """
    ex = trace.example
    form = forms.of(ex)
    medium = _medium(ex, slides, parts, exercise)
    derived = [s for s in trace.steps if ex.render.derives(s.layer, s.t)]
    steps = step_contexts(trace, derived, medium)
    drawn = ex.render.diagram and form.diagram
    _views(trace, derived, steps, medium, (slides, drawn))
    title = ex.title if ex.title is not None else f"{form.title} forward pass: {printable(ex.stem)}"
    pictures = _pictures(ex.render, ex.steps, ex.batch if ex.batched else 0, drawn)
    return {
        **_network(ex, form),
        "needs": needs_comment(pictures["needs"]),
        "part_needs": needs_comment(tuple(dict.fromkeys((*PART_NEEDS, *pictures["packages"])))),
        "results": result_frames(trace, medium),
        "sequence": derived_sequence(trace, steps, medium),
        "title": escape(title),
        "title_text": title,  # as written, for media that escape it their own way
        "title_comment": comment(title),
        "source": comment(printable(ex.file)),
        "source_name": Path(ex.file).name,
        "summary": escape(_summary(ex, form)),
        # the slides' body and note sizes (render.text_size) in the deck's class
        "text_size": dict(
            zip(("body", "note"), ex.render.deck.sizes(ex.render.text_size), strict=True)
        ),
        "steps": steps,
        "check": _check(report),
        "slides": slides,
        "reveal": slides and ex.render.reveal,
        "article_full": not slides and ex.render.article_full,
        "article_packages": (
            ("graphicx",) if (not slides and ex.render.article_full) or pictures["packages"] else ()
        )
        + pictures["packages"],
        "deck_packages": pictures["packages"],
        "diagram": pictures["diagram"],
        "plots": plots.build(trace, ex.render.decimals, medium.layout.max_rows)
        if ex.render.plots
        else [],
        "row_vectors": medium.row_vectors,
        "carry": _carry(trace, exact),
        "exercise": exercise_text.asked(ex.render.exercise, exercise, form),
    }


def _medium(ex: Example, slides: bool, parts: bool, exercise: Exercise | None) -> Medium:
    """The medium of the documents: its limits, notation, exercise marks and captions."""
    marks: dict[str, matrices.Mark] = {}
    if exercise is not None:
        marks = dict.fromkeys(ex.render.exercise, "blank" if exercise == "sheet" else "answer")
    medium = Medium(
        ex.render.decimals,
        layout(ex.render, slides, parts),
        row_vectors=ex.render.notation == "row-vector",
        marks=marks,
        captions=ex.render.captions and exercise != "sheet",
    )
    medium.paper_boxes = bool(marks) and not slides
    return medium


def _views(
    trace: Trace,
    derived: list[Step],
    steps: list[dict[str, Any]],
    medium: Medium,
    shown: tuple[bool, bool],
) -> None:
    """What the options add to each derived step (the drawn cell, ``article_full``'s rows,
    render.expand, reveal), and its slides. ``shown``: whether on slides, cell drawn."""
    ex = trace.example
    cfg = ex.config
    slides, drawn = shown
    if drawn:
        pictured = Medium(
            medium.decimals,
            replace(medium.layout, max_rows=min(medium.layout.max_rows, DIAGRAM_ROWS[slides])),
            marks=medium.marks,
        )
        for step, step_ctx in zip(derived, steps, strict=True):
            step_ctx["diagram"] = _diagram_values(step, step_ctx["first"], pictured)
    for step, step_ctx in zip(derived, steps, strict=True):
        if medium.layout is ARTICLE_FULL and max(cfg.input_size, cfg.hidden_size) > FULL_ROWS:
            relined(step_ctx, Line.unbroken)
        if (page := medium.layout.page_rows) is not None:
            relined(step_ctx, lambda line: line.paged(page))
        expansion.add(trace, step, step_ctx, medium)
        if slides and ex.render.reveal:
            reveal.add(trace, step, step_ctx, medium)
        share(step_ctx, medium.layout, overlays=slides and ex.render.reveal)
    if slides and not drawn and not ex.render.reveal:
        hand_over(steps, [s.key for s in trace.steps], medium.layout)


def _network(ex: Example, form: forms.Form) -> dict[str, Any]:
    """The network a document derives: its cell, sizes, options and notation."""
    cfg = ex.config
    return {
        "cell_kind": form.kind,  # not "cell": derivation.tex.j2 has a macro of that name
        "cell_title": form.title,
        "torch_class": form.torch_class,
        "gate_order": form.order,
        "carries_c": form.carries_c,
        "activation": form.gates[-1].act_fn,
        "diagram_omitted": ex.render.diagram and not form.diagram,
        "decimals": ex.render.decimals,
        "bias": cfg.bias,
        "single_bias": cfg.single_bias,
        "batched": ex.batched,
        "batch": ex.batch,
        "num_steps": ex.steps,
        "num_layers": cfg.num_layers,
        "hidden_size": cfg.hidden_size,
        "network": network_diagram(cfg, ex.steps),
        "network_rows": cfg.num_layers * (cfg.num_directions + 1) + 1,
        "out_size": cfg.out_size,
        "bidirectional": cfg.bidirectional,
        "proj": cfg.proj_size > 0,
        "h0_given": ex.h0_given,
        "c0_given": ex.c0_given,
        "notation": ex.render.notation,
    }


def _summary(ex: Example, form: forms.Form) -> str:
    """The network in one line: "input size 2, hidden size 3, 1 layer, ..., 2 steps"."""
    cfg = ex.config
    layers = f"{cfg.num_layers} layer" + ("s" if cfg.num_layers > 1 else "")
    return (
        f"input size {cfg.input_size}, hidden size {cfg.hidden_size}, {layers}"
        + (", bidirectional" if cfg.bidirectional else "")
        + (f", projection to {cfg.proj_size}" if cfg.proj_size else "")
        + ("" if cfg.bias is True else ", one bias per gate" if cfg.bias else ", no bias")
        + (", ReLU" if form.gates[0].act_fn == forms.RELU else "")
        + (f", batch of {ex.batch}" if ex.batched else "")
        + f", {ex.steps} step"
        + ("s" if ex.steps > 1 else "")
    )


def _check(report: CheckReport | None) -> dict[str, Any] | None:
    """The torch cross-check's verdict as the documents state it (None: ``--no-check``)."""
    if report is None:
        return None
    return {
        "device": escape(report.device),
        "dtype": escape(report.dtype),
        "torch": escape(report.torch_version),
        "max_abs_err": numbers.scientific(report.max_abs_err),
        "atol": numbers.scientific(report.atol),
        "passed": report.passed,
    }


def _pictures(render: RenderOptions, steps: int, batch: int, drawn: bool) -> dict[str, Any]:
    """What ``render.diagram`` (where the cell has a drawing: ``drawn``) and
    ``render.plots`` add: the packages the documents load and list in their ``% needs:``
    lines, and the diagram's spacing; with a ``batch`` (0: none), the note that the
    diagram shows its example 1."""
    packages = (("tikz",) if drawn else ()) + (("pgfplots",) if render.plots and steps > 1 else ())
    return {
        "needs": (*NEEDS, *packages),
        "packages": packages,
        "diagram": {
            "gap": DIAGRAM_GAP_MM,
            "batch_note": f"example~1 of {batch} in the batch" if batch else "",
        }
        if drawn
        else None,
    }


#: The diagram shows at most this many rows of a vector, on slides and in the article
#: (fewer where ``max_rows`` says so; the middle ones elided as in the matrices): taller
#: vectors would shrink the picture below 8 pt on a slide.
DIAGRAM_ROWS = {True: 4, False: 8}


def _diagram_values(step: Step, first: bool, medium: Medium) -> dict[str, Any]:
    """The values on the diagram's wires, always column vectors, printed as in the
    derivation: inputs and initial states as written, the rest with the document's
    decimals. With a batch, example 1 only (as the plots): a column per example would
    shrink the picture below 8 pt on a slide."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None

    def one(array: np.ndarray) -> np.ndarray:
        return array[:1] if array.ndim == 2 else array

    def state(array: np.ndarray, kind: str) -> str:
        return medium.given(one(array)) if first else medium.value(one(array), kind)

    x = one(step.x)
    return {
        "x": medium.given(x) if step.layer == 0 else medium.value(x, "h"),
        "h_prev": state(step.h_prev, "h"),
        "c_prev": state(step.c_prev, "c"),
        "act": {k: medium.value(one(step.gates[k].act), k) for k in GATES},
        "c": medium.value(one(step.c), "c"),
        "tanh_c": medium.value(one(step.tanh_c), "c"),
        "h": medium.value(one(step.h), "h"),
    }


#: Room between two columns of values in the diagram (mm): their wires run there.
DIAGRAM_GAP_MM = 2.5


def _carry(shown: Trace, exact: Trace | None) -> dict[str, str] | None:
    """With ``render.carry: displayed``: the largest |shown - exact| of h and of c over every
    step, as math (the document states how far the rounding drifts)."""
    if exact is None or shown.example.render.carry != "displayed":
        return None
    pairs = list(zip(shown.steps, exact.steps, strict=True))
    return {
        name: numbers.scientific(
            max(float(np.max(np.abs(getattr(a, name) - getattr(b, name)))) for a, b in pairs)
        )
        for name in forms.of(shown.example).state_names
    }


def network_diagram(cfg: LstmConfig, steps: int) -> str:
    r"""The unrolled network as an ``array`` of symbols, layer 0 at the bottom above x_t.

    One row of states per layer and direction (the reverse row above the forward one),
    horizontal arrows for the state carried from step to step (from h_0 on the left, or
    from h_{T+1} on the right for the reverse direction), vertical arrows for what each
    layer reads. More than four steps show as 1, 2, ..., T.
    """
    ts: list[int | None] = list(range(1, steps + 1)) if steps <= 4 else [1, 2, None, steps]
    width = 2 * len(ts) + 3  # initial state, arrow, then a node and an arrow per step, end
    rows: list[list[str]] = []
    for layer in reversed(range(cfg.num_layers)):
        for direction in reversed(directions_of(cfg.bidirectional)):
            parts = [f"({layer})"] if cfg.num_layers > 1 else []
            if cfg.bidirectional:
                parts.append("\\rightarrow" if direction == "forward" else "\\leftarrow")
            sup = f"^{{{''.join(parts)}}}" if parts else ""
            arrow = "\\rightarrow" if direction == "forward" else "\\leftarrow"
            row = [f"h{sup}_{{0}}" if direction == "forward" else "", arrow]
            for t in ts:
                row += ["\\cdots" if t is None else f"h{sup}_{{{t}}}", arrow]
            if direction == "forward":
                row[-1:] = ["", ""]
            else:
                row[1] = ""
                row.append(f"h{sup}_{{{steps + 1}}}")
            rows.append(row)
        rows.append(["", "", *(c for t in ts for c in ("" if t is None else "\\uparrow", "")), ""])
    rows.append(
        ["", "", *(c for t in ts for c in ("\\cdots" if t is None else f"x_{{{t}}}", "")), ""]
    )
    assert all(len(row) == width for row in rows)
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{array}}{{{'c' * width}}} {body} \\end{{array}}"


def parts(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One fragment per derivation piece: the cell drawn (with ``render.diagram``), inputs,
    each gate (and its rows written out, with ``render.expand``), the cell and the hidden
    state; with ``render.plots``, the values over time of each layer and direction."""
    pieces = [piece for s in ctx["steps"] for piece in _step_parts(ctx, s)]
    for p in ctx["plots"]:
        pieces.append(_part(p["id"], "plots", None, None, p["title"], plots=p))
    return pieces


def _part(
    id_: str,
    kind: str,
    step: dict[str, Any] | None,
    gate: dict[str, Any] | None,
    caption: str,
    **more: Any,
) -> dict[str, Any]:
    return {"id": id_, "kind": kind, "step": step, "gate": gate, "caption": caption, **more}


def _step_parts(ctx: dict[str, Any], s: dict[str, Any]) -> list[dict[str, Any]]:
    """The fragments of one derived step, in the order the documents show them."""
    pieces = []
    if ctx["diagram"]:
        batch = f", example 1 of {ctx['batch']} in the batch" if ctx["batched"] else ""
        pieces.append(
            _part(f"{s['id']}-diagram", "diagram", s, None, f"{s['title']}: the cell{batch}")
        )
    pieces.append(_part(f"{s['id']}-inputs", "inputs", s, None, f"{s['title']}: inputs"))
    for g in s["gates"]:
        name = f"{s['title']}: {g['name']}"
        pieces.append(_part(f"{s['id']}-{g['key']}", "gate", s, g, name))
        if g["expansion"] is not None:
            rows = f"{s['id']}-{g['key']}-rows"
            pieces.append(_part(rows, "rows", s, g, f"{name}, row by row"))
    states = [line.kind for frame in s["state_frames"] for line in frame]
    for kind, short, name in (("cell", "c", "cell state"), ("hidden", "h", "hidden state")):
        if kind in states:
            pieces.append(_part(f"{s['id']}-{short}", kind, s, None, f"{s['title']}: {name}"))
    return pieces
