r"""The results (h_t and c_t over time, a bidirectional layer's output, the final states)
and the steps that are not derived, in brief."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from lstm_tex.compute.trace import Direction, Step, Trace, directions_of
from lstm_tex.document import forms, matrices, measure
from lstm_tex.document.frames import (
    LINE,
    SYMBOLIC,
    VDOTS_ROWS,
    Frame,
    pack,
    set_rows,
)
from lstm_tex.document.medium import (
    Medium,
)
from lstm_tex.document.symbols import (
    example_tag,
    placement,
    superscript,
    time_label,
)
from lstm_tex.validate.model import ELISION_MIN


def result_entry(
    label: str,
    columns: np.ndarray,
    medium: Medium,
    label_em: float,
    mid: str = "",
    mid_em: float = 0.0,
    kind: str = "",
) -> dict[str, Any]:
    """One ``label = mid = value`` of a results row; ``columns`` (k, n) shows as n x k
    (as k x n with row vectors); ``kind`` names the quantity for an exercise's marks."""
    beside = label_em + mid_em + measure.OPERATOR_EM
    return {
        "label": label,
        "mid": mid,
        "value": medium.value(columns, kind, beside),
        "em": beside + medium.em(columns, beside=beside),
        "rows": medium.rows(columns),
    }


def over_steps(
    name: str,
    steps: Sequence[Step],
    b: int,
    sup: str,
    medium: Medium,
    tag: tuple[str, float] = ("", 0.0),
) -> dict[str, Any]:
    """``[h_t1 ... h_tk]`` (``name`` is ``h`` or ``c``) of example ``b``: a column per step.
    Its label's width is measured (:func:`~lstm_tex.document.measure.tex_em`) where it is
    one row: :data:`~lstm_tex.document.measure.TIME_LABEL_EM` and
    :data:`~lstm_tex.document.measure.SUP_EM` counted ``[h^{(0)}_1 h^{(0)}_2]`` 1.6 em
    wider, so that a 2-layer network's h_t and c_t at hidden 8, 11 pt, went one to a frame,
    each frame half empty (issue 12)."""
    columns = np.stack([getattr(s, name)[b] for s in steps])
    label = time_label(name, sup, [s.t for s in steps], medium.row_vectors)
    label_em = measure.ROWS_TIME_LABEL_EM + (measure.SUP_EM if sup else 0.0)
    if not medium.row_vectors:
        label_em = measure.tex_em(label)
    return result_entry(tag[0] + label, columns, medium, label_em + tag[1], kind=name)


def state_tag(name: str, tag: tuple[str, float]) -> tuple[str, float]:
    """h's label carries ``example b:``; c's has no text but shares the aligned block's left
    column with it, so its columns count the tag's width (a batched c showed all 8 columns
    beside h's tagged label and ran 11.45 pt past the article's line)."""
    return tag if name == "h" else ("", tag[1])


def entry_rows(groups: list[list[dict[str, Any]]], medium: Medium) -> list[dict[str, Any]]:
    """Each group of entries on one row, if that fits: the rows of an aligned block share
    their columns, so the widest entry of each column counts. Else one entry per row."""
    columns = max(len(group) for group in groups)
    gap = measure.OPERATOR_EM
    width = sum(max(g[k]["em"] for g in groups if len(g) > k) + gap for k in range(columns))
    if width > medium.layout.line_em:
        groups = [[entry] for group in groups for entry in group]
    return [{"entries": group, "height": max(e["rows"] for e in group) + LINE} for group in groups]


def _pack_rows(rows: list[dict[str, Any]], budget: float) -> list[Frame]:
    """Rows into frames of at most ``budget`` rows of height (at least one row each)."""
    frames = pack([(str(k), r["height"]) for k, r in enumerate(rows)], budget)
    return [Frame.of([rows[int(k)] for k in frame], frame.tall, frame.used) for frame in frames]


def summary_context(trace: Trace, run: Sequence[Step], medium: Medium) -> dict[str, Any]:
    """Consecutive steps of one layer and direction that are not derived in full, in brief:
    the states they carry on, ``[h_a ... h_b]`` and ``[c_a ... c_b]``, one column per step
    (a row of them per example). The gates of every step are in values.json."""
    ex = trace.example
    cfg = ex.config
    ordered = sorted(run, key=lambda s: s.t)
    sup = superscript(ordered[0], cfg.num_layers, cfg.bidirectional)
    ts = [s.t for s in ordered]
    span = f"step {ts[0]}" if len(ts) == 1 else f"steps {ts[0]}--{ts[-1]}"
    title = ", ".join([*placement(ordered[0].layer, ordered[0].direction, cfg), span])
    groups = []
    states = forms.of(ex).state_names
    for b in range(ex.batch):
        tag = example_tag(ex.batched, b)
        groups.append(
            [over_steps(name, ordered, b, sup, medium, state_tag(name, tag)) for name in states]
        )
    return {
        "title": title[0].upper() + title[1:],
        "span": span,
        "count": len(ts),
        "frames": _pack_rows(entry_rows(groups, medium), medium.layout.frame_rows - 2 * SYMBOLIC),
    }


def derived_sequence(
    trace: Trace, steps: list[dict[str, Any]], medium: Medium
) -> list[dict[str, Any]]:
    """Derived steps and summaries of the others, in the order torch computes them."""
    by_key = {(s["layer"], s["direction"], s["t"]): s for s in steps}
    sequence: list[dict[str, Any]] = []
    run: list[Step] = []

    def flush() -> None:
        if run:
            sequence.append(
                {"kind": "summary", "summary": summary_context(trace, list(run), medium)}
            )
            run.clear()

    for step in trace.steps:
        derived = by_key.get(step.key)
        if derived is not None:
            flush()
            sequence.append({"kind": "step", "step": derived})
            continue
        if run and (run[-1].layer, run[-1].direction) != (step.layer, step.direction):
            flush()
        run.append(step)
    flush()
    return sequence


def concatenation(
    trace: Trace, layer: int, b: int, medium: Medium, tag: tuple[str, float]
) -> dict[str, Any]:
    r"""A bidirectional layer's output over time: ``[h^\rightarrow_t; h^\leftarrow_t]``
    stacked, one column per step; the next layer's input, or torch's ``output``."""
    ex = trace.example
    cfg = ex.config
    ts: list[int | None] = list(range(1, ex.steps + 1))
    if len(ts) > 2:
        ts = [1, None, ex.steps]

    def symbols(direction: Direction) -> str:
        sup = superscript(trace.step(layer, direction, 1), cfg.num_layers, True)
        return " & ".join("\\cdots" if t is None else f"h{sup}_{{{t}}}" for t in ts)

    mid = matrices.ruled_matrix(
        f"{symbols('forward')} \\\\ \\hline {symbols('reverse')}", "c" * len(ts)
    )
    if layer == cfg.num_layers - 1:
        label = "\\text{output}"
    else:
        label = time_label(
            f"x^{{({layer + 1})}}", "", list(range(1, ex.steps + 1)), medium.row_vectors
        )
    # The two directions as two blocks of one matrix, mirroring the symbols in ``mid``.
    halves = np.split(trace.layer_outputs[layer][:, b], 2, axis=-1)
    label_em = measure.TIME_LABEL_EM + measure.SUP_EM + tag[1]
    if medium.row_vectors:  # one row per step: [H-> H<-] side by side
        sups = [
            superscript(trace.step(layer, d, 1), cfg.num_layers, True)
            for d in ("forward", "reverse")
        ]
        rows = " \\\\ ".join(
            " & ".join("\\vdots" if t is None else f"h{sup}_{{{t}}}" for sup in sups) for t in ts
        )
        entry = result_entry(
            tag[0] + label,
            halves[0],
            medium,
            label_em,
            mid=f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}",
            mid_em=measure.ROWS_MID_EM,
            kind="h",
        )
        return side_by_side(entry, halves, medium, label_em)
    entry = result_entry(
        tag[0] + label,
        halves[0],
        medium,
        label_em,
        mid=mid,
        mid_em=measure.STACKED_SYMBOL_EM * len(ts) + measure.SYMBOL_BRACKETS_EM,
        kind="h",
    )
    return stacked(entry, halves, medium)


def side_by_side(
    entry: dict[str, Any], halves: list[np.ndarray], medium: Medium, label_em: float
) -> dict[str, Any]:
    """``entry`` (row vectors) with the two directions side by side as its value, ``[H->
    H<-]``. Off slides, where its ``[h->_t h<-_t; ...]`` leaves the value fewer columns than
    it has, the value goes without it: an exercise sheet's boxes of a bidirectional output
    ran 3.9 pt past the article's margin (each block keeps ELISION_MIN columns)."""
    beside = label_em + measure.ROWS_MID_EM + measure.OPERATOR_EM
    whole = np.concatenate(halves, axis=1)  # one row per step
    crowded = medium.row_cols(whole, "fixed", beside) < whole.shape[1]
    if not medium.layout.shrinks and medium.breaks_rows and crowded:
        entry["mid"] = ""
        beside -= measure.ROWS_MID_EM
        entry["em"] -= measure.ROWS_MID_EM
    entry["value"] = medium.blocks(halves, "h", beside)
    entry["em"] += medium.em(halves[1], beside=beside) + measure.BLOCK_RULE_EM
    return entry


def stacked(entry: dict[str, Any], halves: list[np.ndarray], medium: Medium) -> dict[str, Any]:
    """``entry`` with the two directions stacked as its value: on slides, each block shows
    as many rows as fit a frame with the intro above them, elided on its own rather than
    the frame shrunk (a hidden-8 output at 11 pt, 16 rows, was scaled to 9.38 pt; issue 12)."""
    rows, layout = entry["rows"], medium.layout
    room = layout.frame_rows - SYMBOLIC - LINE - measure.BLOCK_RULE_ROWS
    shown = rows
    if layout.shrinks and 2 * rows > room:
        shown = max(ELISION_MIN, int((room - 2 * VDOTS_ROWS) / 2))
    fewer = replace(medium, layout=replace(layout, max_rows=shown))  # each block's rows
    entry["value"] = fewer.blocks(halves, "h")
    entry["rows"] = 2 * shown + measure.BLOCK_RULE_ROWS + (shown < rows) * 2 * VDOTS_ROWS
    return entry


def result_frames(trace: Trace, medium: Medium) -> list[dict[str, Any]]:
    """The result blocks, split into frames: h_t and c_t over time for every layer,
    direction and example; a bidirectional layer's output, the concatenation; then the
    final states h_n, c_n in torch's order. No over-time block for one step, where the
    final states show the same numbers (a 2-layer network of one step had two frames of
    them; issue 12)."""
    ex = trace.example
    cfg = ex.config
    blocks: list[dict[str, Any]] = []
    if ex.steps > 1:
        blocks.append(over_time_block(trace, medium))
    if cfg.bidirectional:
        blocks.append(outputs_block(trace, medium))
    blocks.append(final_block(trace, medium))
    frames = []
    for block in blocks:
        # The intro heads the first frame; the cross-check note ends the last one.
        budget = medium.layout.frame_rows - SYMBOLIC * (3 if block is blocks[-1] else 1)
        chunks = _pack_rows(block["rows"], budget)
        for n, chunk in enumerate(chunks):
            frames.append({**block, "rows": chunk, "continued": n > 0, "tall": chunk.tall})
    share_frames(frames, medium.layout.frame_rows)
    return frames


#: Rows of the sentence that opens a result block on slides, by kind (one line, or two).
INTRO_ROWS = {"over_time": SYMBOLIC, "outputs": 2 * SYMBOLIC, "final": 2 * SYMBOLIC}
#: Rows of the cross-check note at the foot of the last result frame.
NOTE_ROWS = 2 * SYMBOLIC


def share_frames(frames: list[dict[str, Any]], rows: float) -> None:
    """Number the slides' frame of each result chunk (``frame``): consecutive chunks share
    one where they fit as set (:func:`~lstm_tex.document.frames.set_rows`) with their
    intros and the cross-check note. Alone, "h_t and c_t over time" filled 17 to 48 % of a
    frame and a bidirectional network's output 38 % (issue 12)."""
    group, used = -1, rows
    for frame in frames:
        chunk = frame["rows"]
        need = set_rows(chunk, [r["height"] for r in chunk])
        need += 0.0 if frame["continued"] else INTRO_ROWS[frame["kind"]]
        if used + need > rows - NOTE_ROWS:
            group, used = group + 1, 0.0
        used += need
        frame["frame"] = group


def over_time_block(trace: Trace, medium: Medium) -> dict[str, Any]:
    """h_t (and c_t) over time, one column per step, for every layer, example and
    direction."""
    ex = trace.example
    cfg = ex.config
    states = forms.of(ex).state_names
    groups = []
    for layer in range(cfg.num_layers):
        for b in range(ex.batch):
            tag = example_tag(ex.batched, b)
            for direction in directions_of(cfg.bidirectional):
                steps = sorted(
                    (s for s in trace.steps if s.layer == layer and s.direction == direction),
                    key=lambda s: s.t,
                )
                sup = superscript(steps[0], cfg.num_layers, cfg.bidirectional)
                groups.append(
                    [
                        over_steps(name, steps, b, sup, medium, state_tag(name, tag))
                        for name in states
                    ]
                )
    return {
        "kind": "over_time",
        "title": " and ".join(f"${name}_t$" for name in states) + " over time",
        "rows": entry_rows(groups, medium),
    }


def outputs_block(trace: Trace, medium: Medium) -> dict[str, Any]:
    """A bidirectional network's output of each layer, both directions stacked."""
    ex = trace.example
    cfg = ex.config
    groups = [
        [concatenation(trace, layer, b, medium, example_tag(ex.batched, b))]
        for layer in range(cfg.num_layers)
        for b in range(ex.batch)
    ]
    title = "each layer's output" if cfg.num_layers > 1 else "the output"
    return {
        "kind": "outputs",
        "title": f"{title}, both directions stacked",
        "rows": entry_rows(groups, medium),
    }


def final_block(trace: Trace, medium: Medium) -> dict[str, Any]:
    """The final states h_n (and c_n) in torch's order, each with the step it is."""
    ex = trace.example
    cfg = ex.config
    directions = directions_of(cfg.bidirectional)
    states = forms.of(ex).state_names
    groups = []
    for k, (layer, direction) in enumerate(
        (layer, d) for layer in range(cfg.num_layers) for d in directions
    ):
        last = trace.step(layer, direction, ex.steps if direction == "forward" else 1)
        sup = superscript(last, cfg.num_layers, cfg.bidirectional)
        index = f"[{k}]" if len(directions) * cfg.num_layers > 1 else ""
        finals = {"h": trace.h_n, "c": trace.h_n if trace.c_n is None else trace.c_n}
        groups.append(
            [final_entry(name, index, sup, last.t, finals[name][k], medium) for name in states]
        )
    title = "final states $h_n$ and $c_n$" if len(states) > 1 else "final state $h_n$"
    return {"kind": "final", "title": title, "rows": entry_rows(groups, medium)}


def final_entry(
    name: str, index: str, sup: str, t: int, value: np.ndarray, medium: Medium
) -> dict[str, Any]:
    """``h_n[k] = h^{(l)}_T = [...]``: with row vectors, its label as wide as set (a row of 8
    that fits its frame showed 6 beside a label estimated at twice its width; issue 12)."""
    label, mid = f"{name}_n{index}", f"{name}{sup}_{{{t}}}"
    label_em, mid_em = measure.FINAL_LABEL_EM, measure.FINAL_MID_EM
    if medium.row_vectors:
        label_em, mid_em = measure.tex_em(label), measure.tex_em(mid) + measure.OPERATOR_EM
    return result_entry(label, value, medium, label_em, mid=mid, mid_em=mid_em, kind=name)
