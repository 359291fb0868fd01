r"""From a trace to the template context: every number already LaTeX text.

The templates compose equations from the symbols and ``bmatrix`` strings made
here; they never format a number themselves. The layout decisions that depend
on sizes (when to move a result onto its own line, when to split a derivation
over two frames, when to elide rows of a large matrix) are made here too, from
simple width and height estimates, so the templates stay declarative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_tex import numbers
from lstm_tex.check import CheckReport
from lstm_tex.engine import Step, Trace, layer_weights
from lstm_tex.latex import escape, needs_comment
from lstm_tex.spec import GATES

GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
ACTIVATION = {"i": "\\sigma", "f": "\\sigma", "g": "\\tanh", "o": "\\sigma"}


@dataclass(frozen=True)
class Layout:
    """Size limits of one medium (slides or article), in ems of the body font."""

    line_em: float
    max_rows: int
    max_cols: int
    frame_rows: float


SLIDES = Layout(line_em=50.0, max_rows=8, max_cols=8, frame_rows=19.5)
ARTICLE = Layout(line_em=56.0, max_rows=16, max_cols=12, frame_rows=10_000)


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
    widest = max((len(numbers.format_number(v, style, decimals)) for v in a.flat), default=1)
    return cols * (0.5 * widest + 1.0) + 0.6


class _Medium:
    """Formats the numbers of one medium with its limits."""

    def __init__(self, decimals: int, layout: Layout) -> None:
        self.decimals = decimals
        self.layout = layout

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
        return numbers.bmatrix(array, style="written", max_rows=self.layout.max_rows,
                               max_cols=self.layout.max_cols)

    def em(self, array: np.ndarray, style: numbers.Style = "fixed") -> float:
        return _matrix_em(self._as_matrix(array), self.decimals, style, self.layout)

    def weights_em(self, array: np.ndarray) -> float:
        return _matrix_em(array.reshape(array.shape[0], -1), self.decimals, "written",
                          self.layout)

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


def step_context(trace: Trace, step: Step, medium: _Medium, index: int) -> dict[str, Any]:
    """Symbols and formatted numbers of one step (all gates, c and h)."""
    ex = trace.example
    cfg = ex.config
    sup = _sup(step, cfg.num_layers, cfg.bidirectional)
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
        ih_em = (medium.weights_em(w_ih) + medium.em(step.x, state_style)
                 + (medium.weights_em(b_ih) if b_ih is not None else 0)
                 + medium.em(gv.ih) + 9)
        hh_em = (medium.weights_em(w_hh) + medium.em(step.h_prev, state_style)
                 + (medium.weights_em(b_hh) if b_hh is not None else 0)
                 + medium.em(gv.hh) + 9)
        res_em = medium.em(gv.ih) + medium.em(gv.hh) + medium.em(gv.pre) + medium.em(
            gv.act) + 12
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
        })
    rows = medium.rows(step.c)
    cell_em = 5 * medium.em(step.c) + 14
    hidden_em = 4 * medium.em(step.c) + 16
    proj = w["w_hr"]
    where = [f"Layer {step.layer}"] if cfg.num_layers > 1 else []
    if cfg.bidirectional:
        where.append(step.direction)
    title = ", ".join([*where, f"step {t}"])
    handover = ""
    if step.layer > 0:
        below = f"({step.layer - 1})"
        if cfg.bidirectional:
            h_below = (f"\\begin{{bmatrix}} h^{{{below}\\rightarrow}}_{{{t}}} \\\\ "
                       f"h^{{{below}\\leftarrow}}_{{{t}}} \\end{{bmatrix}}")
        else:
            h_below = f"h^{{{below}}}_{{{t}}}"
        handover = f"{x_sym} = {h_below} = {medium.value(step.x)}"
    ctx: dict[str, Any] = {
        "title": title[0].upper() + title[1:],
        "handover": handover,
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
        "break_hidden": hidden_em > medium.layout.line_em,
        "rows": rows,
    }
    in_rows = medium.rows(step.x)
    h_rows = medium.rows(step.h_prev)
    for g in gates:
        g["frames"] = _pack(
            [("ih", _height(max(rows, in_rows), g["break_ih"])),
             ("hh", _height(max(rows, h_rows), g["break_hh"])),
             ("result", _height(rows, g["break_result"]))],
            medium.layout.frame_rows, first=("symbolic", SYMBOLIC))
    cell_h = SYMBOLIC + _height(rows, ctx["break_cell"])
    hidden_h = 2 * _height(rows, False) if not ctx["proj"] else (
        _height(rows, ctx["break_hidden"]) + _height(max(rows, medium.rows(step.h)), False))
    ctx["state_frames"] = _pack([("cell", cell_h), ("hidden", hidden_h)],
                                medium.layout.frame_rows)
    return ctx


def build(trace: Trace, report: CheckReport | None, *, slides: bool) -> dict[str, Any]:
    """The whole template context for one medium (slides or the article)."""
    ex = trace.example
    cfg = ex.config
    medium = _Medium(ex.render.decimals, SLIDES if slides else ARTICLE)
    steps = [step_context(trace, s, medium, n) for n, s in enumerate(trace.steps)]
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
        "h_n": medium.value(_columns(trace.h_n)),
        "c_n": medium.value(_columns(trace.c_n)),
        "over_time": _over_time(trace, medium),
        "title": escape(title),
        "source": escape(ex.file),
        "summary": escape(summary),
        "decimals": ex.render.decimals,
        "bias": cfg.bias,
        "batched": ex.batched,
        "batch": ex.batch,
        "num_steps": ex.steps,
        "num_layers": cfg.num_layers,
        "bidirectional": cfg.bidirectional,
        "proj": cfg.proj_size > 0,
        "h0_given": ex.h0_given,
        "c0_given": ex.c0_given,
        "steps": steps,
        "check": check,
        "slides": slides,
    }


def _columns(state: np.ndarray) -> np.ndarray:
    """(L*D, B, n) final states as an (L*D*B, n) stack: one column each when displayed."""
    return state.reshape(-1, state.shape[-1])


def _over_time(trace: Trace, medium: _Medium) -> list[dict[str, str]]:
    r"""``[h_1 ... h_T]`` and ``[c_1 ... c_T]`` per layer and direction, one column per step.

    With a batch, the matrices show the first example (values.json has all of them).
    Empty for a single step of a single layer (the step itself shows everything).
    """
    ex = trace.example
    cfg = ex.config
    if ex.steps == 1 and cfg.num_layers == 1 and not cfg.bidirectional:
        return []
    rows = []
    for layer in range(cfg.num_layers):
        for direction in ("forward", "reverse") if cfg.bidirectional else ("forward",):
            steps = sorted((s for s in trace.steps if s.layer == layer
                            and s.direction == direction), key=lambda s: s.t)
            sup = _sup(steps[0], cfg.num_layers, cfg.bidirectional)
            row = {}
            for name in ("h", "c"):
                cols = np.stack([getattr(s, name)[0] for s in steps])
                ts = [s.t for s in steps]
                if len(ts) == 1:
                    label = f"{name}{sup}_{{{ts[0]}}}"
                else:
                    sep = "\\;" if len(ts) == 2 else " \\cdots "
                    label = (f"\\left[{name}{sup}_{{{ts[0]}}}{sep}"
                             f"{name}{sup}_{{{ts[-1]}}}\\right]")
                row[f"{name}_label"] = label
                row[name] = medium.value(cols)
            rows.append(row)
    return rows


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
