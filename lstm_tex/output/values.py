"""``values.json``: every number of the trace at full precision, in SPEC.md's layout.

:class:`Arrays` and :func:`step_header` are the layout both passes share: the
``backward`` section (:mod:`lstm_tex.output.backward_values`) writes its vectors the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from lstm_tex.compute.trace import Direction, Step, Trace
from lstm_tex.validate.model import Example

if TYPE_CHECKING:  # the check's modules load only with the check (issue 17)
    from lstm_tex.check.report import Report


@dataclass(frozen=True)
class Arrays:
    """How values.json writes an example's arrays: without the batch axis unless x had one
    (``batched``), sequences batch first when the file says so (``batch_first``)."""

    batched: bool
    batch_first: bool
    #: NumPy arrays (C order) instead of lists of floats: for :func:`dumps`, which writes
    #: them without making a Python float of each number.
    keep_arrays: bool = False

    @classmethod
    def of(cls, example: Example, keep_arrays: bool = False) -> Arrays:
        """The layout of ``example``'s arrays."""
        return cls(example.batched, example.config.batch_first, keep_arrays)

    def _out(self, a: np.ndarray) -> Any:
        return np.ascontiguousarray(a) if self.keep_arrays else a.tolist()

    def vec(self, a: np.ndarray) -> Any:
        """A step's vector, (B, n): (n) without a batch."""
        return self._out(a if self.batched else a[0])

    def state(self, a: np.ndarray) -> Any:
        """A state of every layer and direction, (L*D, B, H): (L*D, H) without a batch."""
        return self._out(a if self.batched else a[:, 0])

    def sequence(self, a: np.ndarray) -> Any:
        """(T, B, n) as torch gives it back: (T, n) without a batch, (B, T, n) with
        batch_first."""
        if not self.batched:
            return self._out(a[:, 0])
        return self._out(a.transpose(1, 0, 2) if self.batch_first else a)


def step_header(key: tuple[int, Direction, int]) -> dict[str, Any]:
    """The first entries of a step in values.json: ``layer``, ``direction`` and ``t``."""
    layer, direction, t = key
    return {"layer": layer, "direction": direction, "t": t}


def build(
    trace: Trace,
    report: Report | None,
    backward: dict[str, Any] | None = None,
    shown: Trace | None = None,
    *,
    arrays: bool = False,
) -> dict[str, Any]:
    """The ``values.json`` document. Vectors lose the batch axis unless x had one.
    ``arrays``: vectors stay NumPy arrays, for :func:`dumps` (lists of floats otherwise).

    ``shown``: with ``render.carry: displayed``, the trace the documents print (computed
    from rounded values); it is added as ``displayed_steps`` (the layout of ``steps``)
    and ``carry`` (its output and final states, and its largest difference from the
    exact values); ``steps`` stay the exact, cross-checked values.
    """
    ex = trace.example
    layout = Arrays.of(ex, keep_arrays=arrays)
    state, sequence = layout.state, layout.sequence
    kind = ex.config.kind
    doc: dict[str, Any] = {
        "cell": kind,  # SPEC: always present
        kind: ex.config.as_dict(),
        "steps": _steps(trace, layout),
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
        doc["displayed_steps"] = _steps(shown, layout)
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


def _steps(trace: Trace, arrays: Arrays) -> list[dict[str, Any]]:
    """Every step in SPEC.md's layout."""
    ex = trace.example
    return [_step(s, arrays, ex.config.kind, bool(ex.config.proj_size)) for s in trace.steps]


def _step(s: Step, arrays: Arrays, kind: str, projected: bool) -> dict[str, Any]:
    """One step: ``x``, ``h_prev`` (an LSTM's ``c_prev``), the ``gates`` with ``ih``, ``hh``,
    ``pre`` and ``act`` (an RNN's ``ih``, ``hh``, ``pre`` of its one block), (``c``), ``h``
    (and an LSTM with projections' ``m``)."""
    vec = arrays.vec
    item = step_header(s.key) | {"x": vec(s.x), "h_prev": vec(s.h_prev)}
    if s.c_prev is not None:
        item["c_prev"] = vec(s.c_prev)
    if kind == "rnn":
        (gate,) = s.gates.values()
        item |= {"ih": vec(gate.ih), "hh": vec(gate.hh), "pre": vec(gate.pre)}
    else:
        item["gates"] = {
            k: {"ih": vec(g.ih), "hh": vec(g.hh), "pre": vec(g.pre), "act": vec(g.act)}
            for k, g in s.gates.items()
        }
    if s.c is not None:
        item["c"] = vec(s.c)
    item["h"] = vec(s.h)
    if projected:
        assert s.m is not None  # an LSTM step with projections
        item["m"] = vec(s.m)
    return item


def dumps(doc: Any) -> str:
    """``doc`` as JSON text: objects and lists of lists one item per line (indented by one
    space a level), each list of numbers on one line, written by orjson.

    ``json.dumps(doc, indent=1)`` put every number on its own line and, with an indent,
    runs ``json``'s pure-Python encoder: at T = 1000, hidden 256 (5.4 million numbers)
    that took over two minutes and 140 MB. orjson writes the shortest decimal that reads
    back as the same float64 (``0.00001`` where ``json`` writes ``1e-05``).
    """
    return "".join(_pieces(doc, ""))


class Streamed:
    """values.json written piece by piece into the staged file (``output.atomic``): the
    text of :func:`dumps`, never held whole (at T = 1000, hidden 256 it is over 100 MB,
    and a joined copy and its UTF-8 bytes were held besides; issue 17)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def __call__(self, out: BinaryIO) -> None:
        for piece in _pieces(self.doc, ""):
            out.write(piece.encode("utf-8"))


def _leaf(value: Any) -> str:
    import orjson

    try:
        text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    except orjson.JSONEncodeError:  # an int beyond 64 bits
        text = "null"
    # orjson writes NaN and infinities as null; json's NaN/Infinity say what they were
    if "null" not in text:
        return text
    return json.dumps(value.tolist() if isinstance(value, np.ndarray) else value)


def _pieces(value: Any, indent: str) -> Iterator[str]:
    """The text of :func:`dumps` in pieces: one per key, vector or bracket."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        children: Iterable[tuple[str, Any]] = (
            (f"{inner}{_leaf(str(key))}: ", item) for key, item in value.items()
        )
    elif isinstance(value, list) and any(isinstance(item, (list, dict)) for item in value[:1]):
        children = ((inner, item) for item in value)
    else:
        yield _leaf(value)
        if not indent:
            yield "\n"
        return
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    yield f"{opening}\n"
    for n, (prefix, item) in enumerate(children):
        yield ",\n" + prefix if n else prefix
        yield from _pieces(item, inner)
    yield f"\n{indent}{closing}" + ("" if indent else "\n")
