r"""A step's frames on slides: its inputs, gates and states share frames where they fit.

Alone, a step's inputs filled 17 to 27 % of a frame, a GRU's h_t 16 to 27 % and a gate of
2-row matrices 46 % (issue 12). :func:`share` puts consecutive frames of a step on one
slide where they fit as Beamer sets them (:func:`~lstm_tex.document.frames.set_rows`) in
:data:`SHARE` of a frame's body: at the usual spacing, or set closer (without the 1ex
between a gate's lines, and if need be with less space between rows too, as a gate's own
frames are when they hold more). Two gates of 2-row matrices (46 % each)
filled 97 % at the usual spacing and overflowed by 2 pt; set closer they fill 79 %. A
gate's continued frames stay its own; frames.tex.j2 sets each slide's parts in order.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from lstm_tex.document.backward_notes import note_rows
from lstm_tex.document.frames import GAINS, Frame, dotted_rows, set_rows
from lstm_tex.document.medium import Layout

#: A frame's body in rows as set (:func:`~lstm_tex.document.frames.set_rows`), by text
#: size (pt), measured in Beamer's 16:9 frame: a gate of 2-row (3-row) matrices, 9.4
#: (12.4) rows as set, fills 46 (62) % of the body at 10 pt, 45 (57) % at 9 pt and
#: 54 (70) % at 11 pt. Another deck's frame (``render.deck``) holds its body's height
#: (:attr:`~lstm_tex.latex.decks.Deck.height`) times as many.
BODY_ROWS = {9: 21.3, 10: 20.4, 11: 17.5}
#: The share of the body that a shared slide may take: Beamer's ``[shrink]`` scaled a
#: slide measured 92 % full (the frame's text ends a little above the footline), and the
#: estimate of a slide as set is 2 to 4 % short.
SHARE = 0.85
#: A lecturer's themed 16:9 deck holds less: Madrid's title bar and footline leave about
#: 82 % of the default theme's body (a slide of 88 % overflowed it by 12 pt). A shared
#: slide over this share of the body may be shrunk by Beamer (``[shrink]``: only as far as
#: needed, so never in the default theme, where it fits).
THEMED = 0.75
#: What a part adds where it follows another on a slide: the 1ex between them, and the
#: next symbolic line's spacing (two gates as set filled 5 % more than their sum).
BETWEEN_ROWS = 0.6
#: A step's last slide estimated under this share of a frame's body takes the next step's
#: inputs (:func:`hand_over`), even where they would have shared the next step's first
#: gate: a GRU's h_t alone filled 23 % of its frame at 10 pt (estimated 26 %), an LSTM's
#: c_t and h_t fill 54 % (51 %) and stay as they are.
LONELY = 0.4
#: A step's slide, but its last, holds at least this share of the body once its inputs went
#: to the slide before, else they stay: a row-vector RNN's h_t at hidden 8 fell from 0.75
#: to 0.49 of its frame, estimated 0.51 (half, and the estimate's few per cent of error).
HALF = 0.55


def parts(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Every frame of a step in order, as a part of a slide: its ``kind`` (``inputs``,
    ``gate``, ``states``), ``gate``, ``chunk`` (the packed Frame) and ``index`` in its
    group (a gate's second frame is 1)."""
    found: list[dict[str, Any]] = [
        {"kind": "inputs", "gate": None, "chunk": f, "index": n}
        for n, f in enumerate(ctx["input_frames"])
    ]
    for g in ctx["gates"]:
        found += [
            {"kind": "gate", "gate": g, "chunk": f, "index": n} for n, f in enumerate(g["frames"])
        ]
    found += [
        {"kind": "states", "gate": None, "chunk": f, "index": n}
        for n, f in enumerate(ctx["state_frames"])
    ]
    return found


def joins(before: dict[str, Any], part: dict[str, Any], overlays: bool) -> bool:
    """Whether ``part`` may go on the slide that ``before`` ends: a group's first frame
    after another group's last, not after a gate whose rows are written out on frames of
    their own, nor after a caption (it reads the frame's last result); with overlays
    (``render.reveal``) only after the inputs, which have none."""
    if not before["last"] or part["index"] != 0:
        return False
    g = before["gate"]
    if g is not None:
        captioned = g["caption"] and any(line.kind == "result" for line in before["chunk"])
        if g.get("expansion") or captioned:
            return False
    return not overlays or before["kind"] == "inputs"


def intro_note(ctx: dict[str, Any]) -> str:
    """The note that heads a step's inputs as derivation.tex.j2 writes it (``carry_note``
    and ``input_note``), for counting its lines: what the step reads, and a layer's
    input."""
    carried = f"${ctx['h_prev_sym']}$" + (f" and ${ctx['c_prev_sym']}$" if ctx["c_prev"] else "")
    reads = f"{carried} carried over from step~{ctx['prev_t']}"
    if ctx["first"]:
        state = ctx["h_prev_sym"] + (f", {ctx['c_prev_sym']}" if ctx["c_prev"] else "")
        reverse = ctx["direction"] == "reverse"
        reads = "the " + "reverse direction's " * reverse + f"initial state ${state}$ as given"
        reads += ": that direction starts at the last step" * reverse
    note = f"Step~{ctx['t']} reads {reads}. "
    if ctx["x_from"]:
        stacked = ", both directions stacked" if "leftarrow" in ctx["x_from"] else ""
        note += f"Its input is the output of layer~{ctx['layer'] - 1} at step~{ctx['t']}{stacked}."
    return note


def share(ctx: dict[str, Any], layout: Layout, overlays: bool = False, inputs: bool = True) -> None:
    """A step's ``slides``: its frames in order, consecutive ones sharing a slide where
    they fit as set in :data:`SHARE` of the body of a frame of ``layout`` (its text size
    and its deck's frame; ``inputs``: whether its inputs are among them): as few
    slides as may be, and of those the ones whose sparsest slide holds the most (the
    update gate and the candidate of a GRU at 9 pt filled 78 % and left h_t alone at
    16 %; the candidate and h_t fill 65 %)."""
    found = [part for part in parts(ctx) if inputs or part["kind"] != "inputs"]
    # the note that heads the inputs: what the step reads, and a layer's input, in lines
    # of text as the backward notes are counted (two lines of symbols, 3.2 rows, were
    # counted for a layer's note that takes one)
    note = note_rows(intro_note(ctx), layout.size, layout.deck.width)
    for part, after in zip(found, [*found[1:], None], strict=True):
        part["last"] = after is None or after["index"] == 0
        chunk = part["chunk"]
        heights = [line.height for line in chunk]
        first = part["kind"] == "inputs" and part["index"] == 0
        part["rows"] = set_rows(chunk, heights) + dotted_rows(chunk) + note * first
        # the gaps between a gate's lines, which a closer setting takes in (the parts
        # keep theirs, 1ex, to stand apart)
        part["gaps"] = len(chunk) - 1 if part["kind"] == "gate" else 0
    body = BODY_ROWS[round(layout.size)] * layout.deck.height
    room = SHARE * body
    # best[j]: (slides, minus the rows of the sparsest) for the first j parts, and where
    # the last of those slides starts
    best: list[tuple[tuple[int, float], int]] = [((0, -float("inf")), 0)]
    for j in range(1, len(found) + 1):
        options = []
        for i in range(j - 1, -1, -1):
            together = found[i:j]
            if len(together) > 1 and not joins(together[0], together[1], overlays):
                break
            rows = sum(p["rows"] for p in together) + BETWEEN_ROWS * (j - i - 1)
            if j - i > 1 and rows - GAINS["tight"] * sum(p["gaps"] for p in together) > room:
                break
            (count, sparsest), _ = best[i]
            options.append(((count + 1, max(sparsest, -rows)), i))
        best.append(min(options))
    starts, j = [], len(found)
    while j:
        starts.append(best[j][1])
        j = best[j][1]
    bounds = [*reversed(starts), len(found)]
    ctx["slides"] = [slide(found[a:b], room, THEMED * body) for a, b in pairwise(bounds)]
    for made in ctx["slides"]:
        made["title"] = title(ctx, made["parts"])
        made["handed"] = None  # the next step's context, whose inputs it shows (hand_over)


def state_names(ctx: dict[str, Any], lines: Any) -> str:
    """What a frame of a step's states holds: ``cell state $c_t$ and hidden state $h_t$``."""
    return " and ".join(
        f"cell state ${ctx['c_sym']}$" if line.kind == "cell" else f"hidden state ${ctx['h_sym']}$"
        for line in lines
    )


def title(ctx: dict[str, Any], together: list[dict[str, Any]]) -> str:
    """A slide's title, as frames.tex.j2 and slides.qmd.j2 both set it: the step's title and
    what its parts are (``Step 1: inputs, input gate $i_1$ and forget gate $f_1$``), the
    last two joined by "and", unless the last is the two states (their own "and"). A gate's
    continued frame alone is marked ``(continued)``; on a shared slide it is the end of
    that gate, ``(end)``: "input gate $i_1$ (continued) and forget gate $f_1$" read as if
    the forget gate went on (issue 12)."""
    names = []
    mark = " (continued)" if len(together) == 1 else " (end)"
    for part in together:
        if part["kind"] == "inputs":
            name = "inputs"
        elif part["kind"] == "gate":
            name = f"{part['gate']['name']} ${part['gate']['sym']}$"
        else:
            name = state_names(ctx, part["chunk"])
        if part["kind"] != "states" and part["index"] > 0:
            name += mark
        names.append(name)
    *rest, last = names
    both_states = together[-1]["kind"] == "states" and len(together[-1]["chunk"]) > 1
    if rest and not both_states:
        return f"{ctx['title']}: {', '.join(rest)} and {last}"
    return f"{ctx['title']}: {', '.join(names)}"


def slide(together: list[dict[str, Any]], room: float, themed: float) -> dict[str, Any]:
    """One slide of ``together`` (parts): alone, a part keeps its frame as packed. Where
    they take more than ``room`` rows at the usual spacing, their gates' lines go without
    the 1ex between them (``closer``), and if that is not enough with ``\\jot`` 1 pt too
    (``tight``); marked ``tall`` (Beamer may shrink it) if more than ``themed`` rows."""
    if len(together) == 1:
        alone = together[0]
        return {"parts": together, "chunk": alone["chunk"], "closer": False, "rows": alone["rows"]}
    lines = [line for part in together for line in part["chunk"]]
    rows = sum(part["rows"] for part in together) + BETWEEN_ROWS * (len(together) - 1)
    gaps = sum(part["gaps"] for part in together)
    tight = any(part["chunk"].tight for part in together)
    closer = tight or rows > room
    if closer:
        tight = tight or rows - GAINS["closer"] * gaps > room
        rows -= GAINS["tight" if tight else "closer"] * gaps
    tall = rows > themed or any(part["chunk"].tall for part in together)
    chunk = Frame.of(lines, tall, rows)
    chunk.tight = tight
    return {"parts": together, "chunk": chunk, "closer": closer, "rows": rows}


def hand_over(
    steps: list[dict[str, Any]], order: list[tuple[int, str, int]], layout: Layout
) -> None:
    """A step's inputs on the last slide of the step before (``steps`` in the order of
    ``order``, torch's: the one computed just before it, of any layer or direction) where
    they fit in :data:`SHARE` of the body, as that slide's ``handed`` (the step's context;
    its ``slides`` then start at its first gate): where they had a slide of their own, or
    where that slide is under :data:`LONELY` of the body (issue 12: a GRU's h_t and the
    next step's inputs filled 23 and 26 % of a frame each at 11 pt; at 10 pt the inputs
    shared the reset gate's frame and h_t stood alone). A gate written out row by row
    (``render.expand``) ends its step with frames of its own: nothing is handed to it."""
    body = BODY_ROWS[round(layout.size)] * layout.deck.height
    for before, ctx in pairwise(steps):
        keys = [(c["layer"], c["direction"], c["t"]) for c in (before, ctx)]
        last, first = before["slides"][-1], ctx["slides"][0]
        inputs = first["parts"][0]
        expanded = any(p["gate"] is not None and p["gate"].get("expansion") for p in last["parts"])
        adjacent = order.index(keys[1]) == order.index(keys[0]) + 1
        if not adjacent or inputs["kind"] != "inputs" or not inputs["last"] or expanded:
            continue
        rows = last["rows"] + BETWEEN_ROWS + inputs["rows"]
        alone = len(first["parts"]) == 1
        if rows > SHARE * body or not (alone or last["rows"] < LONELY * body):
            continue
        if alone:
            del ctx["slides"][0]
        else:
            share(ctx, layout, inputs=False)
            if any(slide["rows"] < HALF * body for slide in ctx["slides"][:-1]):
                share(ctx, layout)  # as it was: a slide of the step would be half empty
                continue
        chunk = last["chunk"]
        last["chunk"] = Frame.of(chunk, chunk.tall or rows > THEMED * body, rows)
        last["chunk"].tight = chunk.tight
        last["rows"], last["handed"], last["handed_chunk"] = rows, ctx, inputs["chunk"]
        same = keys[0][:2] == keys[1][:2]
        name = f"step {ctx['t']}" if same else ctx["title"][0].lower() + ctx["title"][1:]
        last["title"] += f"; {name}: inputs"
