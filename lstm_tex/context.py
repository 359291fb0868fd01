r"""From a trace to the template context: every number already LaTeX text.

The templates compose equations from the symbols and ``bmatrix`` strings made
here; they never format a number themselves. The layout decisions that depend
on sizes (when to move a result onto its own line, when to split a derivation
over two frames, when to elide rows of a large matrix) are made here too, from
simple width and height estimates, so the templates stay declarative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex import numbers
from lstm_tex.check import CheckReport
from lstm_tex.engine import Direction, Step, Trace, directions_of, layer_weights
from lstm_tex.latex import escape, needs_comment
from lstm_tex.spec import GATES, LstmConfig

GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
ACTIVATION = {"i": "\\sigma", "f": "\\sigma", "g": "\\tanh", "o": "\\sigma"}


@dataclass(frozen=True)
class Layout:
    """Size limits of one medium (slides or article), in ems of the body font."""

    line_em: float
    max_rows: int
    max_cols: int
    frame_rows: float
    shrinks: bool = False  # a line too wide is scaled down (\lstmfit), not broken inside W x


SLIDES = Layout(line_em=50.0, max_rows=8, max_cols=8, frame_rows=19.5, shrinks=True)
# The article's text is 17 cm wide: 44 em of 11 pt math (measured against pdflatex); its
# "frames" are the display blocks that results are split into, so that pages can break.
ARTICLE = Layout(line_em=44.0, max_rows=16, max_cols=12, frame_rows=36.0)


def _where(layer: int, direction: str, cfg: LstmConfig) -> list[str]:
    """``["Layer 1", "reverse"]``: the parts of a title that place a step in the network."""
    where = [f"Layer {layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        where.append(direction)
    return where


def _sup(step: Step, layers: int, bidirectional: bool) -> str:
    parts = []
    if layers > 1:
        parts.append(f"({step.layer})")
    if bidirectional:
        parts.append("\\rightarrow" if step.direction == "forward" else "\\leftarrow")
    return f"^{{{''.join(parts)}}}" if parts else ""


def _matrix_em(array: np.ndarray, decimals: int, style: numbers.Style, layout: Layout) -> float:
    """Estimated width of a bmatrix in ems (digits are half an em wide)."""
    a = array.reshape(array.shape[0], -1)
    cols = min(a.shape[1], layout.max_cols)
    widest = numbers.widest(a, style, decimals)
    return cols * (0.5 * widest + 1.0) + 0.6


class _Medium:
    """Formats the numbers of one medium with its limits."""

    def __init__(self, decimals: int, layout: Layout) -> None:
        self.decimals = decimals
        self.layout = layout
        # Weights are shown again at every step: each one is formatted once, by content.
        self._weights: dict[tuple[str, tuple[int, ...], bytes], Any] = {}

    def value(self, array: np.ndarray) -> str:
        return numbers.bmatrix(self._as_matrix(array), style="fixed", decimals=self.decimals,
                               max_rows=self.layout.max_rows, max_cols=self.layout.max_cols)

    def given(self, array: np.ndarray) -> str:
        return numbers.bmatrix(self._as_matrix(array), style="written",
                               max_rows=self.layout.max_rows, max_cols=self.layout.max_cols)

    @staticmethod
    def _as_matrix(array: np.ndarray) -> np.ndarray:
        # (B, n) batch rows become n x B: one column per example.
        return array.T if array.ndim == 2 else array

    def weights(self, array: np.ndarray) -> str:
        """A weight matrix (or bias vector) as written, not transposed."""
        key = ("tex", array.shape, array.tobytes())
        if key not in self._weights:
            self._weights[key] = numbers.bmatrix(array, style="written",
                                                 max_rows=self.layout.max_rows,
                                                 max_cols=self.layout.max_cols)
        text: str = self._weights[key]
        return text

    def em(self, array: np.ndarray, style: numbers.Style = "fixed") -> float:
        return _matrix_em(self._as_matrix(array), self.decimals, style, self.layout)

    def weights_em(self, array: np.ndarray) -> float:
        key = ("em", array.shape, array.tobytes())
        if key not in self._weights:
            self._weights[key] = _matrix_em(array.reshape(array.shape[0], -1), self.decimals,
                                            "written", self.layout)
        em: float = self._weights[key]
        return em

    def rows(self, array: np.ndarray) -> int:
        n = int(self._as_matrix(array).shape[0])
        return min(n, self.layout.max_rows)


SYMBOLIC = 1.6  # height of a line without matrices, in matrix rows
LINE = 1.4  # extra height of a line of matrices (brackets, spacing), in matrix rows


def _height(rows: int, broken: bool) -> float:
    """Estimated height of a derivation line of ``rows``-row matrices (two if broken)."""
    return (rows + LINE) * (2 if broken else 1)


def _pack(lines: list[tuple[str, float]], budget: float,
          first: tuple[str, float] | None = None) -> list[list[str]]:
    """Greedily fill frames with lines; ``first`` (the symbolic line) heads every frame."""
    head = [first[0]] if first else []
    used0 = first[1] if first else 0.0
    frames: list[list[str]] = []
    current, used = list(head), used0
    for name, height in lines:
        if current != head and used + height > budget:
            frames.append(current)
            current, used = list(head), used0
        current.append(name)
        used += height
    frames.append(current)
    return frames


def _input_lines(widths: dict[str, float], line_em: float) -> list[list[str]]:
    """x, h_{t-1} and c_{t-1} side by side if they fit, else x alone above the other two,
    else one per line."""
    if sum(widths.values()) + 4 <= line_em:
        return [["x", "h", "c"]]
    if widths["h"] + widths["c"] + 2 <= line_em:
        return [["x"], ["h", "c"]]
    return [["x"], ["h"], ["c"]]


def step_context(trace: Trace, step: Step, medium: _Medium, index: int) -> dict[str, Any]:
    """Symbols and formatted numbers of one step (all gates, c and h)."""
    ex = trace.example
    cfg = ex.config
    sup = _sup(step, cfg.num_layers, cfg.bidirectional)
    sup_em = SUP_EM / 2 * ((cfg.num_layers > 1) + cfg.bidirectional)  # per symbol
    t = step.t
    prev_t = t - 1 if step.direction == "forward" else t + 1
    w = layer_weights(ex, step.layer, step.direction)
    hidden = cfg.hidden_size
    x_sym = f"x_{{{t}}}" if step.layer == 0 else f"x^{{({step.layer})}}_{{{t}}}"
    inputs_given = step.layer == 0

    def given_or_value(a: np.ndarray) -> str:
        return medium.given(a) if inputs_given else medium.value(a)

    first = (step.direction == "forward" and t == 1) or (
        step.direction == "reverse" and t == ex.steps)
    state_style: numbers.Style = "written" if first else "fixed"
    x_style: numbers.Style = "written" if inputs_given else "fixed"
    h_prev = medium.given(step.h_prev) if first else medium.value(step.h_prev)
    c_prev = medium.given(step.c_prev) if first else medium.value(step.c_prev)
    gates: list[dict[str, Any]] = []
    for n, k in enumerate(GATES):
        block = slice(n * hidden, (n + 1) * hidden)
        gv = step.gates[k]
        w_ih = w["w_ih"][block]
        w_hh = w["w_hh"][block]
        b_ih = w["b_ih"][block] if w["b_ih"] is not None else None
        b_hh = w["b_hh"][block] if w["b_hh"] is not None else None
        ih_em = (medium.weights_em(w_ih) + medium.em(step.x, x_style)
                 + (medium.weights_em(b_ih) if b_ih is not None else 0)
                 + medium.em(gv.ih) + 9 + 2 * sup_em)
        hh_em = (medium.weights_em(w_hh) + medium.em(step.h_prev, state_style)
                 + (medium.weights_em(b_hh) if b_hh is not None else 0)
                 + medium.em(gv.hh) + 9 + 2 * sup_em)
        res_em = medium.em(gv.ih) + medium.em(gv.hh) + medium.em(gv.pre) + medium.em(
            gv.act) + 12 + sup_em
        # Wide inputs and batches need more breaks: inside W x, before "+ b", inside
        # sigma(ih + hh), before the activation's result.
        ih_part_em = medium.weights_em(w_ih) + medium.em(step.x, x_style) + 7 + 2 * sup_em
        hh_part_em = (medium.weights_em(w_hh) + medium.em(step.h_prev, state_style) + 7
                      + 2 * sup_em)
        sum_em = medium.em(gv.ih) + medium.em(gv.hh) + 7 + sup_em
        act_em = medium.em(gv.pre) + medium.em(gv.act) + 8
        gates.append({
            "key": k,
            "name": GATE_NAMES[k],
            "act_fn": ACTIVATION[k],
            "sym": f"{k}{sup}_{{{t}}}",
            "W_ih_sym": f"W_{{i{k}}}{sup}",
            "W_hh_sym": f"W_{{h{k}}}{sup}",
            "b_ih_sym": f"b_{{i{k}}}{sup}" if b_ih is not None else "",
            "b_hh_sym": f"b_{{h{k}}}{sup}" if b_hh is not None else "",
            "W_ih": medium.weights(w_ih),
            "W_hh": medium.weights(w_hh),
            "b_ih": medium.weights(b_ih) if b_ih is not None else "",
            "b_hh": medium.weights(b_hh) if b_hh is not None else "",
            "ih": medium.value(gv.ih),
            "hh": medium.value(gv.hh),
            "pre": medium.value(gv.pre),
            "act": medium.value(gv.act),
            "break_ih": ih_em > medium.layout.line_em,
            "break_hh": hh_em > medium.layout.line_em,
            "break_result": res_em > medium.layout.line_em,
            "break_ih_product": not medium.layout.shrinks and (
                ih_part_em > medium.layout.line_em),
            "break_hh_product": not medium.layout.shrinks and (
                hh_part_em > medium.layout.line_em),
            "break_ih_bias": b_ih is not None and (
                ih_part_em + medium.weights_em(b_ih) + 2 > medium.layout.line_em),
            "break_hh_bias": b_hh is not None and (
                hh_part_em + medium.weights_em(b_hh) + 2 > medium.layout.line_em),
            "break_sum": sum_em > medium.layout.line_em,
            "break_act": act_em > medium.layout.line_em,
        })
    rows = medium.rows(step.c)
    cell_em = 5 * medium.em(step.c) + 14
    proj = w["w_hr"]
    # Without a projection the template always breaks the h line after tanh(c).
    hidden_em = (5 if proj is not None else 4) * medium.em(step.c) + 16 + 3 * sup_em
    # Wide batches need more breaks: before "+ i g" in the cell line, before the result
    # of "o * tanh(c)", and before the result of the projection.
    cell_sum_em = 4 * medium.em(step.c) + 10
    hidden_result_em = 3 * medium.em(step.c) + 8
    hidden_symbolic_em = 2 * medium.em(step.c) + 14 + 3 * sup_em
    projection_em = (medium.weights_em(proj) + medium.em(step.m) + medium.em(step.h) + 10
                     if proj is not None else 0.0)
    # The hand-over: layer l > 0 reads the layer below's h at the same step.
    x_from = ""
    if step.layer > 0:
        below = f"({step.layer - 1})"
        if cfg.bidirectional:
            x_from = (f"\\begin{{bmatrix}} h^{{{below}\\rightarrow}}_{{{t}}} \\\\ "
                      f"h^{{{below}\\leftarrow}}_{{{t}}} \\end{{bmatrix}}")
        else:
            x_from = f"h^{{{below}}}_{{{t}}}"
    input_lines = _input_lines(
        {"x": medium.em(step.x, x_style) + 5 + sup_em + (5 if x_from else 0),
         "h": medium.em(step.h_prev, state_style) + 5 + sup_em,
         "c": medium.em(step.c_prev, state_style) + 5 + sup_em}, medium.layout.line_em)
    input_rows = {"x": medium.rows(step.x), "h": medium.rows(step.h_prev),
                  "c": medium.rows(step.c_prev)}
    input_frames = _pack([(str(n), max(input_rows[key] for key in line) + LINE)
                          for n, line in enumerate(input_lines)],
                         medium.layout.frame_rows - 2 * SYMBOLIC)
    title = ", ".join([*_where(step.layer, step.direction, cfg), f"step {t}"])
    ctx: dict[str, Any] = {
        "title": title[0].upper() + title[1:],
        "x_from": x_from,
        "index": index,
        "layer": step.layer,
        "direction": step.direction,
        "t": t,
        "prev_t": prev_t,
        "id": f"l{step.layer}-{step.direction}-t{t}",
        "sup": sup,
        "first": first,
        "x_sym": x_sym,
        "h_prev_sym": f"h{sup}_{{{prev_t}}}",
        "c_prev_sym": f"c{sup}_{{{prev_t}}}",
        "h_sym": f"h{sup}_{{{t}}}",
        "c_sym": f"c{sup}_{{{t}}}",
        "m_sym": f"m{sup}_{{{t}}}",
        "W_hr_sym": f"W_{{hr}}{sup}",
        "x": given_or_value(step.x),
        "h_prev": h_prev,
        "c_prev": c_prev,
        "gates": gates,
        "c": medium.value(step.c),
        "tanh_c": medium.value(step.tanh_c),
        "m": medium.value(step.m),
        "h": medium.value(step.h),
        "W_hr": medium.weights(proj) if proj is not None else "",
        "proj": proj is not None,
        "break_cell": cell_em > medium.layout.line_em,
        "input_lines": input_lines,
        "input_frames": [[input_lines[int(n)] for n in frame] for frame in input_frames],
        "break_hidden": hidden_em > medium.layout.line_em,
        "break_cell_sum": cell_sum_em > medium.layout.line_em,
        "break_hidden_result": hidden_result_em > medium.layout.line_em,
        "break_hidden_symbolic": hidden_symbolic_em > medium.layout.line_em,
        "break_projection": projection_em > medium.layout.line_em,
        "rows": rows,
    }
    in_rows = medium.rows(step.x)
    h_rows = medium.rows(step.h_prev)
    for g in gates:
        g["frames"] = _pack(
            [("ih", _height(max(rows, in_rows), g["break_ih"]) + _height(
                max(rows, in_rows), False) * (g["break_ih_bias"] + g["break_ih_product"])),
             ("hh", _height(max(rows, h_rows), g["break_hh"]) + _height(
                 max(rows, h_rows), False) * (g["break_hh_bias"] + g["break_hh_product"])),
             ("result", _height(rows, g["break_result"])
              + _height(rows, False) * (g["break_sum"] + g["break_act"]))],
            medium.layout.frame_rows, first=("symbolic", SYMBOLIC))
    cell_h = SYMBOLIC + _height(rows, ctx["break_cell"]) + (
        _height(rows, False) if ctx["break_cell_sum"] else 0.0)
    hidden_h = 2 * _height(rows, False) if not ctx["proj"] else (
        _height(rows, ctx["break_hidden"])
        + _height(max(rows, medium.rows(step.h)), ctx["break_projection"]))
    hidden_h += _height(rows, False) * (ctx["break_hidden_result"]
                                        + ctx["break_hidden_symbolic"])
    ctx["state_frames"] = _pack([("cell", cell_h), ("hidden", hidden_h)],
                                medium.layout.frame_rows)
    return ctx


def build(trace: Trace, report: CheckReport | None, *, slides: bool) -> dict[str, Any]:
    """The whole template context for one medium (slides or the article)."""
    ex = trace.example
    cfg = ex.config
    medium = _Medium(ex.render.decimals, SLIDES if slides else ARTICLE)
    derived = [s for s in trace.steps if ex.render.derives(s.layer, s.t)]
    steps = [step_context(trace, s, medium, n) for n, s in enumerate(derived)]
    title = ex.title if ex.title is not None else f"LSTM forward pass: {ex.stem}"
    layers = f"{cfg.num_layers} layer" + ("s" if cfg.num_layers > 1 else "")
    summary = (f"input size {cfg.input_size}, hidden size {cfg.hidden_size}, {layers}"
               + (", bidirectional" if cfg.bidirectional else "")
               + (f", projection to {cfg.proj_size}" if cfg.proj_size else "")
               + ("" if cfg.bias else ", no bias")
               + (f", batch of {ex.batch}" if ex.batched else "")
               + f", {ex.steps} step" + ("s" if ex.steps > 1 else ""))
    check = None
    if report is not None:
        check = {
            "device": escape(report.device),
            "dtype": escape(report.dtype),
            "torch": escape(report.torch_version),
            "max_abs_err": numbers.scientific(report.max_abs_err),
            "atol": numbers.scientific(report.atol),
            "passed": report.passed,
        }
    return {
        "needs": needs_comment(),
        "results": _results(trace, medium),
        "sequence": _sequence(trace, steps, medium),
        "title": escape(title),
        "source": escape(ex.file),
        "summary": escape(summary),
        "decimals": ex.render.decimals,
        "bias": cfg.bias,
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
        "steps": steps,
        "check": check,
        "slides": slides,
    }


TIME_LABEL_EM = 4.5  # width of a label like [h_1 \cdots h_T], in ems
SUP_EM = 2.0  # extra width of its superscripts, such as (1) and an arrow
EXAMPLE_EM = 6.0  # width of "example 1:" before a label


def _time_label(name: str, sup: str, ts: Sequence[int]) -> str:
    r"""``h_{2}``, ``\left[h_{1}\; h_{2}\right]`` or ``\left[h_{1} \cdots h_{5}\right]``."""
    if len(ts) == 1:
        return f"{name}{sup}_{{{ts[0]}}}"
    sep = "\\;" if len(ts) == 2 else " \\cdots "
    return f"\\left[{name}{sup}_{{{ts[0]}}}{sep}{name}{sup}_{{{ts[-1]}}}\\right]"


def _example_tag(batched: bool, b: int) -> tuple[str, float]:
    return (f"\\text{{example {b + 1}: }}", EXAMPLE_EM) if batched else ("", 0.0)


def _entry(label: str, columns: np.ndarray, medium: _Medium, label_em: float,
           mid: str = "", mid_em: float = 0.0) -> dict[str, Any]:
    """One ``label = mid = value`` of a results row; ``columns`` (k, n) shows as n x k."""
    return {"label": label, "mid": mid, "value": medium.value(columns),
            "em": label_em + mid_em + medium.em(columns) + 2.0,
            "rows": medium.rows(columns)}


def _over_steps(name: str, steps: Sequence[Step], b: int, sup: str, medium: _Medium,
                tag: tuple[str, float] = ("", 0.0)) -> dict[str, Any]:
    """``[h_t1 ... h_tk]`` (``name`` is ``h`` or ``c``) of example ``b``: a column per step."""
    columns = np.stack([getattr(s, name)[b] for s in steps])
    return _entry(tag[0] + _time_label(name, sup, [s.t for s in steps]), columns, medium,
                  TIME_LABEL_EM + (SUP_EM if sup else 0.0) + tag[1])


def _rows(groups: list[list[dict[str, Any]]], medium: _Medium) -> list[dict[str, Any]]:
    """Each group of entries on one row, if that fits: the rows of an aligned block share
    their columns, so the widest entry of each column counts. Else one entry per row."""
    columns = max(len(group) for group in groups)
    width = sum(max(g[k]["em"] for g in groups if len(g) > k) + 2.0 for k in range(columns))
    if width > medium.layout.line_em:
        groups = [[entry] for group in groups for entry in group]
    return [{"entries": group, "height": max(e["rows"] for e in group) + LINE}
            for group in groups]


def _pack_rows(rows: list[dict[str, Any]], budget: float) -> list[list[dict[str, Any]]]:
    """Rows into frames of at most ``budget`` rows of height (at least one row each)."""
    frames = _pack([(str(k), r["height"]) for k, r in enumerate(rows)], budget)
    return [[rows[int(k)] for k in frame] for frame in frames]


def summary_context(trace: Trace, run: Sequence[Step], medium: _Medium) -> dict[str, Any]:
    """Consecutive steps of one layer and direction that are not derived in full, in brief:
    the states they carry on, ``[h_a ... h_b]`` and ``[c_a ... c_b]``, one column per step
    (a row of them per example). The gates of every step are in values.json."""
    ex = trace.example
    cfg = ex.config
    ordered = sorted(run, key=lambda s: s.t)
    sup = _sup(ordered[0], cfg.num_layers, cfg.bidirectional)
    ts = [s.t for s in ordered]
    span = f"step {ts[0]}" if len(ts) == 1 else f"steps {ts[0]}--{ts[-1]}"
    title = ", ".join([*_where(ordered[0].layer, ordered[0].direction, cfg), span])
    groups = []
    for b in range(ex.batch):
        tag = _example_tag(ex.batched, b)
        groups.append([_over_steps("h", ordered, b, sup, medium, tag),
                       _over_steps("c", ordered, b, sup, medium)])
    return {
        "title": title[0].upper() + title[1:],
        "span": span,
        "count": len(ts),
        "frames": _pack_rows(_rows(groups, medium), medium.layout.frame_rows - 2 * SYMBOLIC),
    }


def _sequence(trace: Trace, steps: list[dict[str, Any]], medium: _Medium
              ) -> list[dict[str, Any]]:
    """Derived steps and summaries of the others, in the order torch computes them."""
    by_key = {(s["layer"], s["direction"], s["t"]): s for s in steps}
    sequence: list[dict[str, Any]] = []
    run: list[Step] = []

    def flush() -> None:
        if run:
            sequence.append({"kind": "summary",
                             "summary": summary_context(trace, list(run), medium)})
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


def _concatenation(trace: Trace, layer: int, b: int, medium: _Medium,
                   tag: tuple[str, float]) -> dict[str, Any]:
    r"""A bidirectional layer's output over time: ``[h^\rightarrow_t; h^\leftarrow_t]``
    stacked, one column per step; the next layer's input, or torch's ``output``."""
    ex = trace.example
    cfg = ex.config
    ts: list[int | None] = list(range(1, ex.steps + 1))
    if len(ts) > 2:
        ts = [1, None, ex.steps]

    def symbols(direction: Direction) -> str:
        sup = _sup(trace.step(layer, direction, 1), cfg.num_layers, True)
        return " & ".join("\\cdots" if t is None else f"h{sup}_{{{t}}}" for t in ts)

    mid = (f"\\begin{{bmatrix}} {symbols('forward')} \\\\ {symbols('reverse')} "
           f"\\end{{bmatrix}}")
    if layer == cfg.num_layers - 1:
        label = "\\text{output}"
    else:
        label = _time_label(f"x^{{({layer + 1})}}", "", list(range(1, ex.steps + 1)))
    # The two directions as two blocks of one matrix, mirroring the symbols in ``mid``.
    halves = np.split(trace.layer_outputs[layer][:, b], 2, axis=-1)
    entry = _entry(tag[0] + label, halves[0], medium, TIME_LABEL_EM + SUP_EM + tag[1],
                   mid=mid, mid_em=3.5 * len(ts) + 1)
    entry["value"] = (f"\\begin{{bmatrix}} {entry['value']} \\\\ {medium.value(halves[1])} "
                      f"\\end{{bmatrix}}")
    entry["em"] += 1.0
    entry["rows"] = 2 * entry["rows"] + 0.5
    return entry


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
        rows.append(["", "", *(c for t in ts for c in ("" if t is None else "\\uparrow", "")),
                     ""])
    rows.append(["", "", *(c for t in ts for c in ("\\cdots" if t is None else f"x_{{{t}}}",
                                                   "")), ""])
    assert all(len(row) == width for row in rows)
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{array}}{{{'c' * width}}} {body} \\end{{array}}"


def _results(trace: Trace, medium: _Medium) -> list[dict[str, Any]]:
    """The result blocks, split into frames: h_t and c_t over time for every layer,
    direction and example; a bidirectional layer's output, the concatenation; then the
    final states h_n, c_n in torch's order. No over-time block for one step of one
    layer and direction, where the step and the final states already show everything."""
    ex = trace.example
    cfg = ex.config
    directions = directions_of(cfg.bidirectional)
    blocks: list[dict[str, Any]] = []
    if ex.steps > 1 or cfg.num_layers > 1 or cfg.bidirectional:
        groups = []
        for layer in range(cfg.num_layers):
            for b in range(ex.batch):
                tag = _example_tag(ex.batched, b)
                for direction in directions:
                    steps = sorted((s for s in trace.steps
                                    if s.layer == layer and s.direction == direction),
                                   key=lambda s: s.t)
                    sup = _sup(steps[0], cfg.num_layers, cfg.bidirectional)
                    groups.append([_over_steps("h", steps, b, sup, medium, tag),
                                   _over_steps("c", steps, b, sup, medium)])
        blocks.append({"kind": "over_time", "title": "$h_t$ and $c_t$ over time",
                       "rows": _rows(groups, medium)})
    if cfg.bidirectional:
        groups = [[_concatenation(trace, layer, b, medium, _example_tag(ex.batched, b))]
                  for layer in range(cfg.num_layers) for b in range(ex.batch)]
        title = "each layer's output" if cfg.num_layers > 1 else "the output"
        blocks.append({"kind": "outputs", "title": f"{title}, both directions stacked",
                       "rows": _rows(groups, medium)})
    groups = []
    for k, (layer, direction) in enumerate(
            (layer, d) for layer in range(cfg.num_layers) for d in directions):
        last = trace.step(layer, direction, ex.steps if direction == "forward" else 1)
        sup = _sup(last, cfg.num_layers, cfg.bidirectional)
        index = f"[{k}]" if len(directions) * cfg.num_layers > 1 else ""
        groups.append([
            _entry(f"h_n{index}", trace.h_n[k], medium, 4, mid=f"h{sup}_{{{last.t}}}",
                   mid_em=3),
            _entry(f"c_n{index}", trace.c_n[k], medium, 4, mid=f"c{sup}_{{{last.t}}}",
                   mid_em=3)])
    blocks.append({"kind": "final", "title": "final states $h_n$ and $c_n$",
                   "rows": _rows(groups, medium)})
    frames = []
    for block in blocks:
        # The intro heads the first frame; the cross-check note ends the last one.
        budget = medium.layout.frame_rows - SYMBOLIC * (3 if block is blocks[-1] else 1)
        chunks = _pack_rows(block["rows"], budget)
        for n, chunk in enumerate(chunks):
            frames.append({**block, "rows": chunk, "continued": n > 0})
    return frames


def parts(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One fragment per derivation piece: inputs, each gate, the cell and the hidden state."""
    pieces = []
    for s in ctx["steps"]:
        pieces.append({"id": f"{s['id']}-inputs", "kind": "inputs", "step": s, "gate": None,
                       "caption": f"{s['title']}: inputs"})
        for g in s["gates"]:
            pieces.append({"id": f"{s['id']}-{g['key']}", "kind": "gate", "step": s,
                           "gate": g, "caption": f"{s['title']}: {g['name']}"})
        pieces.append({"id": f"{s['id']}-c", "kind": "cell", "step": s, "gate": None,
                       "caption": f"{s['title']}: cell state"})
        pieces.append({"id": f"{s['id']}-h", "kind": "hidden", "step": s, "gate": None,
                       "caption": f"{s['title']}: hidden state"})
    return pieces
