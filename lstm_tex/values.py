"""``values.json``: every number of the trace at full precision, in SPEC.md's layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lstm_tex.check import CheckReport
from lstm_tex.engine import Step, Trace
from lstm_tex.spec import GATES


def build(
    trace: Trace,
    report: CheckReport | None,
    backward: dict[str, Any] | None = None,
    shown: Trace | None = None,
) -> dict[str, Any]:
    """The ``values.json`` document. Vectors lose the batch axis unless x had one.

    ``shown``: with ``render.carry: displayed``, the trace the documents print (computed
    from rounded values); it is added as ``displayed_steps`` (the layout of ``steps``)
    and ``carry`` (its output and final states, and its largest difference from the
    exact values); ``steps`` stay the exact, cross-checked values.
    """
    ex = trace.example
    batched = ex.batched

    def state(a: np.ndarray) -> Any:
        return (a if batched else a[:, 0]).tolist()

    def sequence(a: np.ndarray) -> Any:
        """(T, B, n) as torch gives it back: (T, n) without a batch, (B, T, n) with
        batch_first."""
        if not batched:
            return a[:, 0].tolist()
        return (a.transpose(1, 0, 2) if ex.config.batch_first else a).tolist()

    kind = ex.config.kind
    doc: dict[str, Any] = {
        "cell": kind,  # SPEC: always present
        kind: ex.config.as_dict(),
        "steps": _steps(trace),
        "output": sequence(trace.output),
        "h_n": state(trace.h_n),
    }
    if trace.c_n is not None:  # an LSTM's only
        doc["c_n"] = state(trace.c_n)
    doc["check"] = report.as_json() if report is not None else None
    if ex.weights_file is not None:
        doc["weights_file"] = ex.weights_file
    if ex.notes:
        doc["notes"] = list(ex.notes)
    if backward is not None:
        doc["backward"] = backward
    if shown is not None:
        pairs = list(zip(shown.steps, trace.steps, strict=True))
        doc["displayed_steps"] = _steps(shown)
        doc["carry"] = {
            "mode": "displayed",
            "decimals": ex.render.decimals,
            "rounding": "half away from zero",
            "max_drift": {
                name: max(
                    float(np.max(np.abs(getattr(a, name) - getattr(b, name)))) for a, b in pairs
                )
                for name in (("h", "c") if shown.c_n is not None else ("h",))
            },
            "output": sequence(shown.output),
            "h_n": state(shown.h_n),
        }
        if shown.c_n is not None:
            doc["carry"]["c_n"] = state(shown.c_n)
    return doc


def _steps(trace: Trace) -> list[dict[str, Any]]:
    """Every step in SPEC.md's layout."""
    ex = trace.example
    batched = ex.batched

    def vec(a: np.ndarray) -> Any:
        return (a if batched else a[0]).tolist()

    cell = ex.config.cell
    if not cell.has_c:
        return [_step_without_c(s, vec, cell.kind) for s in trace.steps]
    steps = []
    for s in trace.steps:
        assert s.c_prev is not None and s.c is not None and s.m is not None  # an LSTM step
        item: dict[str, Any] = {
            "layer": s.layer,
            "direction": s.direction,
            "t": s.t,
            "x": vec(s.x),
            "h_prev": vec(s.h_prev),
            "c_prev": vec(s.c_prev),
            "gates": {
                k: {
                    "ih": vec(s.gates[k].ih),
                    "hh": vec(s.gates[k].hh),
                    "pre": vec(s.gates[k].pre),
                    "act": vec(s.gates[k].act),
                }
                for k in GATES
            },
            "c": vec(s.c),
            "h": vec(s.h),
        }
        if ex.config.proj_size:
            item["m"] = vec(s.m)
        steps.append(item)
    return steps


def _step_without_c(s: Step, vec: Callable[[np.ndarray], Any], kind: str) -> dict[str, Any]:
    """A GRU step (``gates`` r, z, n, then ``h``) or an RNN step (``ih``, ``hh``, ``pre``,
    ``h``: its one block), in SPEC.md's layout."""
    item: dict[str, Any] = {
        "layer": s.layer,
        "direction": s.direction,
        "t": s.t,
        "x": vec(s.x),
        "h_prev": vec(s.h_prev),
    }
    if kind == "rnn":
        (gate,) = s.gates.values()
        item |= {"ih": vec(gate.ih), "hh": vec(gate.hh), "pre": vec(gate.pre)}
    else:
        item["gates"] = {
            k: {"ih": vec(g.ih), "hh": vec(g.hh), "pre": vec(g.pre), "act": vec(g.act)}
            for k, g in s.gates.items()
        }
    item["h"] = vec(s.h)
    return item
