r"""The Python API: an example as an object that computes, checks and renders itself.

    >>> import lstm_tex
    >>> ex = lstm_tex.load("examples/notebook-step.yaml")
    >>> trace = ex.compute()          # every intermediate; a table in Jupyter
    >>> trace.steps[0]                # one step's derivation, typeset by Jupyter
    >>> report = ex.check()           # against torch (raises CheckFailed on disagreement)
    >>> ex.render("output")           # output/notebook-step/, as lstm-tex render writes it

:class:`Example` is a thin handle on a validated :class:`lstm_tex.validate.model.Example`;
every method goes through :mod:`lstm_tex.pipeline`, the same functions the
command line calls, so there is one code path and the data still flows one way.
:class:`Trace` and :class:`Step` are the engine's records with Jupyter displays
added (``_repr_html_``: a table of every step; ``_repr_latex_``: the step's
derivation, from the same templates as the documents).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from lstm_tex import pipeline
from lstm_tex.check.report import Report
from lstm_tex.compute import trace as records
from lstm_tex.document import medium as media
from lstm_tex.document import numbers
from lstm_tex.document.step import step_context
from lstm_tex.latex.templates import environment
from lstm_tex.validate import model, spec


class Example:
    """A validated example: build it from arrays, a mapping or a file; then use it.

    ``Example(weights, x, h0, c0, title=..., lstm=..., check=..., render=...)`` takes the
    keys of an example file (SPEC.md); ``gru=...`` or ``rnn=...`` (or weights shaped as
    theirs) make it an nn.GRU or nn.RNN, which has no ``c0``. Arrays may be nested lists,
    NumPy arrays or CPU tensors. ``name`` names it in messages and gives the output folder's name.
    Invalid input raises :class:`lstm_tex.InputError` naming the field.
    """

    validated: model.Example

    def __init__(
        self,
        weights: Mapping[str, Any],
        x: Any,
        h0: Any = None,
        c0: Any = None,
        *,
        title: str | None = None,
        lstm: Mapping[str, Any] | None = None,
        gru: Mapping[str, Any] | None = None,
        rnn: Mapping[str, Any] | None = None,
        check: Mapping[str, Any] | None = None,
        render: Mapping[str, Any] | None = None,
        backward: Mapping[str, Any] | None = None,
        name: str = "example",
    ) -> None:
        given = {
            "title": title,
            "lstm": lstm,
            "gru": gru,
            "rnn": rnn,
            "weights": weights,
            "x": x,
            "h0": h0,
            "c0": c0,
            "check": check,
            "render": render,
            "backward": backward,
        }
        data = {k: v for k, v in given.items() if v is not None}
        self.validated = spec.from_mapping(_plain_example(data), name=name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, name: str = "example") -> Example:
        """An example from a mapping shaped like an example file (e.g. parsed YAML)."""
        return cls._of(spec.from_mapping(_plain_example(data), name=name))

    @classmethod
    def load(cls, path: str | Path) -> Example:
        """Read and validate an example file (what ``lstm-tex render`` reads)."""
        return cls._of(spec.load(path))

    @classmethod
    def _of(cls, validated: model.Example) -> Example:
        self = cls.__new__(cls)
        self.validated = validated
        return self

    @property
    def config(self) -> model.LstmConfig:
        """The network's shape (input_size, hidden_size, num_layers, ...) and ``kind``
        (``lstm``, ``gru`` or ``rnn``; ``config.cell`` describes its gates)."""
        return self.validated.config

    @property
    def stem(self) -> str:
        """The output folder's name: the file's stem, or ``name``."""
        return self.validated.stem

    def compute(self) -> Trace:
        """The float64 NumPy forward pass with every intermediate."""
        return Trace.of(pipeline.compute(self.validated))

    def check(self, device: str | None = None) -> Report:
        """Cross-check against torch (``device`` overrides ``check.device``).

        Raises :class:`lstm_tex.CheckFailed` (with ``.report``) on a disagreement.
        """
        return pipeline.check(pipeline.compute(self.validated), device)

    def render(
        self,
        out: str | Path = "output",
        *,
        device: str | None = None,
        check: bool = True,
        templates: str | Path | None = None,
        pdf: bool = False,
        png: bool = False,
        html: bool = False,
        markdown: bool = False,
    ) -> pipeline.Rendered:
        """Write ``out/<stem>/`` exactly as ``lstm-tex render`` does, with the same options
        (``html``, ``markdown``: ``--html``, ``--markdown``)."""
        options = pipeline.RenderOptions(
            out=Path(out),
            device=device,
            check=check,
            templates=Path(templates) if templates is not None else None,
            pdf=pdf or png,
            png=png,
            formats=("html",) * html + ("markdown",) * markdown,
        )
        return pipeline.render(self.validated, options)

    def __repr__(self) -> str:
        cfg = self.config
        steps = self.validated.steps
        return (
            f"Example({self.stem!r}: input {cfg.input_size}, hidden {cfg.hidden_size}, "
            f"{cfg.num_layers} layer{'s' if cfg.num_layers > 1 else ''}, {steps} "
            f"step{'s' if steps > 1 else ''})"
        )


def load(path: str | Path) -> Example:
    """Read and validate an example file: ``lstm_tex.load("step.yaml").compute()``."""
    return Example.load(path)


def _plain_example(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` as plain values, but weights given as arrays or tensors stay NumPy arrays
    (any size: they are not written out as text)."""
    plain: dict[str, Any] = _plain({k: v for k, v in data.items() if k != "weights"})
    weights = data.get("weights")
    if isinstance(weights, Mapping) and weights and all(_is_array(v) for v in weights.values()):
        plain["weights"] = {str(k): _numpy(v) for k, v in weights.items()}
    elif "weights" in data:
        plain["weights"] = _plain(weights)
    return plain


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) or (
        type(value).__module__.startswith("torch") and hasattr(value, "detach")
    )


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    tensor = value.detach().cpu()
    return np.asarray(tensor.double() if tensor.is_floating_point() else tensor)


def _plain(value: Any) -> Any:
    """Nested lists and dicts from NumPy arrays, tensors (``.tolist()``) and tuples."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


# ---------------------------------------------------------------- the engine's records, shown


@dataclass(frozen=True, repr=False)
class Step(records.Step):
    """One step of the trace (all of :class:`lstm_tex.compute.records.Step`) that Jupyter typesets.

    ``trace`` is the forward pass the step belongs to; its weights make the derivation.
    """

    trace: records.Trace | None = field(default=None, compare=False)

    @classmethod
    def of(cls, step: records.Step, trace: records.Trace) -> Step:
        return cls(**{f.name: getattr(step, f.name) for f in fields(records.Step)}, trace=trace)

    def latex(self) -> str:
        r"""The derivation of this step (inputs, the gates, the states: i, f, g, o, c, h of
        an LSTM; r, z, n, h of a GRU; h of an RNN) as ``$$\begin{aligned}``."""
        assert self.trace is not None
        ex = self.trace.example
        medium = media.Medium(
            ex.render.decimals,
            media.layout(ex.render, False, True),
            row_vectors=ex.render.notation == "row-vector",
        )
        medium.one_block = True
        # one aligned block for the whole step (each input on a line of its own)
        ctx = step_context(self.trace, self, medium, 0)
        macros: Any = environment().get_template("derivation.tex.j2").make_module({})
        pieces = [
            macros.input_lines(ctx["input_lines"]),
            *(macros.rows(g["lines"]) for g in ctx["gates"]),
            # the states after the gates: c and h (LSTM), h (GRU), none (RNN: its block is h)
            *(macros.rows([q]) for q in ctx["state_lines"].values()),
        ]
        body = " \\\\[1ex]\n".join(str(p).strip() for p in pieces)
        return f"$$\\begin{{aligned}}\n{body}\n\\end{{aligned}}$$"

    def _repr_latex_(self) -> str:
        return self.latex()

    def __repr__(self) -> str:
        return f"Step(layer={self.layer}, direction={self.direction!r}, t={self.t})"


@dataclass(frozen=True, repr=False)
class Trace(records.Trace):
    """The forward pass (all of :class:`lstm_tex.compute.records.Trace`); Jupyter shows it as a
    table.

    ``steps`` are :class:`Step` objects, each showing its own derivation.
    """

    @classmethod
    def of(cls, trace: records.Trace) -> Trace:
        values = {f.name: getattr(trace, f.name) for f in fields(records.Trace)}
        values["steps"] = tuple(Step.of(s, trace) for s in trace.steps)
        return cls(**values)

    def html(self) -> str:
        """Every step's x, h (and c) before, gate activations, (c and) h, as an HTML table
        (i, f, g, o for an LSTM; r, z, n for a GRU; an RNN's one gate is h itself)."""
        ex = self.example
        decimals = ex.render.decimals
        cell = ex.config.cell
        gates = [k for k in cell.gate_names if k != "h"]
        with_c = ["c<sub>t-1</sub>"] if cell.has_c else []
        head = ["layer", "direction", "t", "x", "h<sub>t-1</sub>", *with_c, *gates]
        head += ["c<sub>t</sub>"] * cell.has_c + ["h<sub>t</sub>"]
        rows = []
        for s in self.steps:
            acts = [s.gates[k].act for k in gates]
            if s.c_prev is not None and s.c is not None:
                arrays = [s.x, s.h_prev, s.c_prev, *acts, s.c, s.h]
            else:
                arrays = [s.x, s.h_prev, *acts, s.h]
            cells = [
                str(s.layer),
                s.direction,
                str(s.t),
                *(_vectors_html(a, decimals) for a in arrays),
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        count = f"{len(self.steps)} step" + ("" if len(self.steps) == 1 else "s")
        caption = html.escape(
            f"{ex.title or ex.stem}: {count}, values rounded to {decimals} decimals"
        )
        return (
            "<table>\n<caption>"
            + caption
            + "</caption>\n<thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody>\n</table>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        count = f"{len(self.steps)} step" + ("" if len(self.steps) == 1 else "s")
        return f"Trace({self.example.stem!r}: {count}, output shape {self.output.shape})"


def _vectors_html(array: np.ndarray, decimals: int) -> str:
    """(B, n) -> one bracketed vector per batch element, separated by line breaks."""
    lines = [
        "[" + ", ".join(numbers.fixed(v, decimals) for v in row) + "]"
        for row in np.atleast_2d(array)
    ]
    return "<br>".join(html.escape(line) for line in lines)
