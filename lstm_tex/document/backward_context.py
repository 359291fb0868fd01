r"""From the backward pass to the template context: every number already LaTeX text.

The backward derivation is a list of *lines*, each a :class:`~lstm_tex.document.line.Line`
(the record the forward pass's lines use too) whose ``kind`` ``line(q)`` of
``templates/line.tex.j2`` turns into one equation (the symbolic form, the
same with the numbers, the result): its symbols (``symbolic``), its numbers as finished
``bmatrix`` strings (``numbers``, ``result``), the terms of a sum where it has them, and
the layout decided here from width and height estimates: whether the numbers and the
result move onto rows of their own (``breaks``: ``numbers``, ``result``, ``inner``) and
the line's height. Lines come in groups (per step: dh; do and dc; di, df, dg; the
deltas; what goes back to the step before), and each group is packed into frames by the
one packer (:func:`lstm_tex.document.frames.pack_lines`): on slides by what pdflatex
sets, so that nothing is scaled (issue 12; ``\lstmcap`` remains a guard for themes),
with a step's groups that fit one frame together sharing it. In the article, a group is
split into align* blocks shorter than a page.

Notation: ``\mathrm{d}v`` is dL/dv (``\mathsf{d}v`` on slides, whose math is sans
serif); ``\delta_{k,t}`` is dL/d(pre-activation of gate k).
"""

from __future__ import annotations

from typing import Any

from lstm_tex.check.report import Report
from lstm_tex.compute.backward import BackwardStep, Gradients
from lstm_tex.document import backward_cells, backward_lstm, matrices, numbers
from lstm_tex.document.backward_params import ParamLines
from lstm_tex.document.backward_sgd import SgdLines
from lstm_tex.document.backward_steps import StepLines
from lstm_tex.document.backward_symbols import Symbols, placement


class Builder(StepLines, ParamLines, SgdLines):
    """Builds the backward context of one medium."""

    def step(self, b: BackwardStep) -> dict[str, Any]:
        """The groups of one step (the cell's chain rule), under the step's title."""
        s = self.g.trace.step(b.layer, b.direction, b.t)
        sy = Symbols(s, self.cfg, self.dd)
        if self.cell.kind == "lstm":
            groups = backward_lstm.groups(self, b, s, sy)
        else:
            groups = backward_cells.groups(self, b, s, sy)
        if self.text_em is not None:
            groups = self.merged(groups)
        where = placement(s.layer, s.direction, self.cfg)
        return {
            "title": "Backward, " + (f"{where}, " if where else "") + f"step {s.t}",
            "id": f"l{s.layer}-{s.direction}-t{s.t}",
            "layer": s.layer,
            "direction": s.direction,
            "t": s.t,
            "groups": groups,
        }

    def merged(self, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """On slides, neighbouring groups of a step that fit one frame together share it
        (issue 12: a step's "dh" and "do and dc" frames were 30 to 44 % full): their
        titles joined by a semicolon, their notes one after the other."""
        out: list[dict[str, Any]] = []
        for g in groups:
            if out and len(out[-1]["frames"]) == 1 and len(g["frames"]) == 1:
                a = out[-1]
                both = self.group(
                    f"{a['name']}+{g['name']}",
                    f"{a['title']}; {g['title']}",
                    " ".join(n for n in (a["note"], g["note"]) if n),
                    [*a["lines"], *g["lines"]],
                )
                if len(both["frames"]) == 1:
                    out[-1] = both
                    continue
            out.append(g)
        return out

    def steps(self) -> list[dict[str, Any]]:
        """Every step derived, from the last layer's last step back, each weight's products
        W^T v showing the same columns at every step: the room of its widest
        (:meth:`Show.settle`; built again where they differed)."""
        steps = self.derived()
        while self.show.settle():
            steps = self.derived()
        return steps

    def derived(self) -> list[dict[str, Any]]:
        """The steps derived (:meth:`step`), in the order the backward pass walks them."""
        steps = []
        for layer in reversed(range(self.cfg.num_layers)):
            for direction in self.directions:
                computed = [
                    b for b in self.g.steps if b.layer == layer and b.direction == direction
                ]
                steps += [
                    self.step(b) for b in reversed(computed) if self.ex.render.derives(b.layer, b.t)
                ]
        return steps

    def build(self, report: Report | None) -> dict[str, Any]:
        spec = self.g.spec
        steps = self.steps()
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
    marks: dict[str, matrices.Mark] = {}
    blanks: frozenset[str] = frozenset()
    if exercise is not None:
        ex = gradients.trace.example
        chosen = [q for q in ex.render.exercise if q in ex.config.cell.gradients]
        marks = dict.fromkeys(chosen, "blank" if exercise == "sheet" else "answer")
        blanks = frozenset(q for q in ex.render.exercise if q in ex.config.cell.quantities)
        if "h" in blanks:
            # the loss's E = Y-hat - Y and dy_t = 2/N (y-hat_t - y_t): the blank outputs
            # less the given targets, asked with them (exercise_text says so)
            marks["E"] = "blank" if exercise == "sheet" else "answer"
    return Builder(gradients, slides, parts, marks, blanks).build(report)


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
