"""The front door: one function per command, one visible line per pipeline step.

YAML file -> validated Example -> NumPy trace -> torch check -> contexts
          -> Jinja templates (+ PyLaTeX documents) -> files in <out>/<stem>/
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.compute import engine, limits
from lstm_tex.compute.trace import Trace
from lstm_tex.document import context, numbers
from lstm_tex.errors import InputError, import_torch
from lstm_tex.latex import documents as latex_documents
from lstm_tex.latex.templates import environment, render_template
from lstm_tex.output import atomic, values
from lstm_tex.validate import model, overrides, spec

if TYPE_CHECKING:  # imported where used (issue 17: tests/test_startup.py)
    from lstm_tex.check.report import Report
    from lstm_tex.compute import backward


#: The auxiliary files (.aux, .nav, ...) of every document compiled in this process, by
#: output folder, stem and file name: a re-render in watch mode starts from them, so that
#: one pdflatex pass is enough when the pages did not move (issue 17).
AUX_FILES: dict[tuple[str, str, str], dict[str, bytes]] = {}


@dataclass(frozen=True)
class RenderOptions:
    """What ``lstm-tex render`` was asked to do (the CLI flags)."""

    out: Path = Path("output")
    device: str | None = None
    check: bool = True
    templates: Path | None = None
    pdf: bool = False
    png: bool = False  # PNG pages next to the PDFs (needs pdf and pdftoppm)
    #: Presentation options from the command line (--reveal, --expand, --max-rows,
    #: --max-cols, --article-full) over the file's ``render:``: see :func:`overrides.with_view`.
    view: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # render: options given as flags (None: as in the file); exercise as text, "f,c,h"
    notation: str | None = None
    carry: str | None = None
    exercise: str | None = None
    captions: bool | None = None
    formats: tuple[str, ...] = ()  # added to render.formats (--html, --markdown)
    diagram: bool | None = None
    plots: bool | None = None

    def render_flags(self) -> dict[str, Any]:
        """The ``render:`` options given as flags, for :func:`overrides.with_render`."""
        flags = {
            "notation": self.notation,
            "carry": self.carry,
            "exercise": self.exercise,
            "captions": self.captions,
            "formats": self.formats or None,
            "diagram": self.diagram,
            "plots": self.plots,
        }
        return {name: value for name, value in flags.items() if value is not None}


@dataclass(frozen=True)
class Rendered:
    """The outcome of rendering one example."""

    example: model.Example
    trace: Trace
    report: Report | None
    folder: Path
    files: tuple[str, ...]
    #: Your files in the earlier output, carried into the new one (``output/keep.py``).
    kept: tuple[str, ...] = ()


def compute(source: str | Path | model.Example) -> Trace:
    """Load and validate an example file (or take a validated one), then run the NumPy
    forward pass. Finite inputs so large that float64 overflows are an input error."""
    example = source if isinstance(source, model.Example) else spec.load(source)
    with np.errstate(over="ignore", invalid="ignore"):
        trace = engine.forward(example)
    limits.require_finite(trace, example, "the forward pass")
    return trace


def check(trace: Trace, device: str | None = None) -> Report:
    """Cross-check ``trace`` against torch; raise :class:`CheckFailed` on disagreement."""
    from lstm_tex.check.forward import cross_check

    import_torch("the cross-check", "use --no-check to skip it", file=trace.example.file)
    import torch

    # One intra-op thread: the cross-check runs a few tiny products per gate and step,
    # where torch's second thread costs more in hand-offs than it saves (issue 17: at
    # T = 1000, hidden 256, 20 s of CPU with two threads on a busy machine, 0.8 s with one).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        report = cross_check(trace, device=device, source="--device" if device else "check.device")
    finally:
        torch.set_num_threads(threads)
    return report.require_passed(trace.example.file)


def differentiate(trace: Trace) -> backward.Gradients | None:
    """The backward pass (BPTT, and the SGD step) when the example has ``backward:``."""
    if trace.example.backward is None:
        return None
    from lstm_tex.compute import backward

    with np.errstate(over="ignore", invalid="ignore"):
        gradients = backward.backward(trace)
    # The forward pass is finite here, so the loss overflows through the larger of the
    # target and the outputs; the SGD step through lr times the gradients.
    example, before = trace.example, dataclasses.replace(gradients, sgd=None)
    assert example.backward is not None
    target = float(np.abs(example.backward.target).max(initial=0.0))
    if target >= float(np.abs(trace.output).max(initial=0.0)):
        limits.require_finite(
            before,
            example,
            "the backward pass",
            "backward.target",
            "the target is too large for a worked example (the loss squares "
            "output - target); scale it down",
        )
    else:
        limits.require_finite(before, example, "the backward pass")
    if gradients.sgd is not None:
        limits.require_finite(
            gradients.sgd,
            example,
            "the SGD step",
            "backward.lr",
            "lr times the gradients is too large for the weights; use a smaller lr",
        )
    return gradients


def check_gradients(gradients: backward.Gradients, device: str | None = None) -> Report:
    """Cross-check ``gradients`` against torch autograd; raise :class:`CheckFailed` on
    disagreement."""
    from lstm_tex.check.backward import verify

    import_torch("the cross-check", "use --no-check to skip it", file=gradients.trace.example.file)
    return verify(gradients, device)


def displayed(trace: Trace) -> Trace:
    """What the documents show: ``trace`` itself, or with ``render.carry: displayed`` the
    forward pass recomputed from the rounded values the documents print (ih and hh
    rounded on their own only in the notation that prints them)."""
    render_options = trace.example.render
    if render_options.carry != "displayed":
        return trace
    rounding = engine.Rounding(
        numbers.rounder(render_options.decimals), parts=render_options.notation == "pytorch"
    )
    return engine.forward(trace.example, rounding=rounding)


def documents(
    trace: Trace,
    report: Report | None,
    templates: Path | None = None,
    gradients: backward.Gradients | None = None,
    gradients_report: Report | None = None,
) -> dict[str, Any]:
    """Every output file's content, by relative path; PyLaTeX documents under ``_docs``."""
    ex = trace.example
    env = environment(templates)
    shown = displayed(trace)

    @functools.cache
    def medium(slides: bool, parts: bool = False) -> dict[str, Any]:
        ctx = context.build(shown, report, slides=slides, exact=trace, parts=parts)
        ctx["backward"] = None
        if gradients is not None:
            from lstm_tex.document import backward_context

            ctx["backward"] = backward_context.build(
                gradients, gradients_report, slides=slides, parts=parts
            )
        return ctx

    paper = medium(False)
    name = atomic.file_stem(ex.stem)
    files: dict[str, Any] = {"_docs": {}}
    if "latex" in ex.render.formats:
        both = medium(True), paper, medium(False, True)
        files.update(latex_documents.documents(env, *both, name, ex.render.deck))
    if set(ex.render.formats) - {"latex"}:
        from lstm_tex.output import web

        render_web = functools.partial(render_template, env)
        files.update(web.pages(render_web, paper, lambda: medium(True), ex.render.formats, name))
    grads = None
    if gradients is not None:
        from lstm_tex.output import backward_values

        grads = backward_values.build(gradients, gradients_report)
    files["values.json"] = values.Streamed(
        values.build(trace, report, grads, shown=None if shown is trace else shown, arrays=True)
    )
    if ex.render.exercise and "latex" in ex.render.formats:
        exercise = latex_documents.exercise(
            shown, trace, report, env, name, gradients, gradients_report
        )
        files["_docs"].update(exercise)
        files.update({doc_name: doc.dumps() + "\n" for doc_name, doc in exercise.items()})
    return files


def render(path: str | Path | model.Example, options: RenderOptions = RenderOptions()) -> Rendered:
    """Render one example file (or validated example) into ``options.out/<stem>/``, all or
    nothing. Bad input creates no folder; a run killed earlier is cleaned up first."""
    stem = path.stem if isinstance(path, model.Example) else Path(path).stem
    atomic.usable_stem(stem, path.file if isinstance(path, model.Example) else str(path))
    atomic.check_out(options.out)
    atomic.recover(options.out, stem)
    if options.png:
        from lstm_tex.latex import pdf

        pdf.pdftoppm()
    if options.view:
        path = overrides.with_view(
            path if isinstance(path, model.Example) else spec.load(path), **options.view
        )
    flags = options.render_flags()
    if flags:
        path = overrides.with_render(
            path if isinstance(path, model.Example) else spec.load(path), **flags
        )
    trace = compute(path)
    limits.bounded(trace.example)
    atomic.check_target(options.out, stem)
    if (options.pdf or options.png) and "latex" not in trace.example.render.formats:
        raise InputError(
            "render.formats has no latex, so there is nothing to compile; add "
            "latex to render.formats or leave out --pdf and --png",
            file=trace.example.file,
            field="--pdf",
        )
    report = check(trace, options.device) if options.check else None
    gradients = differentiate(trace)
    gradients_report = (
        check_gradients(gradients, options.device)
        if gradients is not None and options.check
        else None
    )
    files = documents(trace, report, options.templates, gradients, gradients_report)
    docs = files.pop("_docs")

    def compile_all(staging: Path) -> None:
        from lstm_tex.latex import pdf  # only for a render that compiles (issue 17)

        for name, doc in docs.items():
            aux = AUX_FILES.setdefault((str(options.out.resolve()), stem, name), {})
            compiled = pdf.compile_pdf(doc, staging / name, aux)
            if options.png:
                pdf.pdf_to_png(compiled)

    compile_step = compile_all if options.pdf or options.png else None
    kept: list[str] = []  # your files in an earlier output, carried into the new one
    folder = atomic.write_tree(options.out, trace.example.stem, files, compile_step, kept)
    return Rendered(trace.example, trace, report, folder, tuple(sorted(files)), tuple(kept))
