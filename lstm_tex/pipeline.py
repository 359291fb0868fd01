"""The front door: one function per command, one visible line per pipeline step.

    YAML file -> validated Example -> NumPy trace -> torch check -> contexts
              -> Jinja templates (+ PyLaTeX documents) -> files in <out>/<stem>/
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_tex import (
    backward,
    backward_context,
    backward_values,
    context,
    engine,
    latex,
    output,
    spec,
    values,
)
from lstm_tex.check import CheckReport
from lstm_tex.check_backward import GradientReport
from lstm_tex.errors import CheckFailed


@dataclass(frozen=True)
class RenderOptions:
    """What ``lstm-tex render`` was asked to do (the CLI flags)."""

    out: Path = Path("output")
    device: str | None = None
    check: bool = True
    templates: Path | None = None
    pdf: bool = False
    png: bool = False  # PNG pages next to the PDFs (needs pdf and pdftoppm)


@dataclass(frozen=True)
class Rendered:
    """The outcome of rendering one example."""

    example: spec.Example
    trace: engine.Trace
    report: CheckReport | None
    folder: Path
    files: tuple[str, ...]


def compute(source: str | Path | spec.Example) -> engine.Trace:
    """Load and validate an example file (or take a validated one), then run the NumPy
    forward pass."""
    return engine.forward(source if isinstance(source, spec.Example) else spec.load(source))


def check(trace: engine.Trace, device: str | None = None) -> CheckReport:
    """Cross-check ``trace`` against torch; raise :class:`CheckFailed` on disagreement."""
    from lstm_tex.check import cross_check

    report = cross_check(trace, device=device,
                         source="--device" if device else "check.device")
    if not report.passed:
        worst = ", ".join(f"{q} ({report.errors[q]:.3g})" for q in report.failures())
        raise CheckFailed(
            f"{trace.example.file}: torch ({report.device}, {report.dtype}) disagrees with "
            f"the NumPy trace beyond atol {report.atol:g} on: {worst}; nothing was written",
            report)
    return report


def differentiate(trace: engine.Trace) -> backward.Gradients | None:
    """The backward pass (BPTT, and the SGD step) when the example has ``backward:``."""
    return backward.backward(trace) if trace.example.backward is not None else None


def check_gradients(gradients: backward.Gradients, device: str | None = None
                    ) -> GradientReport:
    """Cross-check ``gradients`` against torch autograd; raise :class:`CheckFailed` on
    disagreement."""
    from lstm_tex.check_backward import verify

    return verify(gradients, device)


def documents(trace: engine.Trace, report: CheckReport | None,
              templates: Path | None = None, gradients: backward.Gradients | None = None,
              gradients_report: GradientReport | None = None) -> dict[str, Any]:
    """Every output file's content, by relative path; PyLaTeX documents under ``_docs``."""
    ex = trace.example
    env = latex.environment(templates)
    slides = context.build(trace, report, slides=True)
    paper = context.build(trace, report, slides=False)
    for ctx, on_slides in ((slides, True), (paper, False)):
        ctx["backward"] = None if gradients is None else backward_context.build(
            gradients, gradients_report, slides=on_slides)
    frames = latex.render_template(env, "frames.tex.j2", slides)
    body = latex.render_template(env, "article.tex.j2", paper)
    max_cols = max(ex.config.input_size, ex.config.out_size, ex.steps)
    article = latex.article(paper["title"], body, max_cols=max_cols)
    deck = latex.deck(slides["title"], frames, max_cols=max_cols,
                      subtitle=slides["summary"])
    files: dict[str, Any] = {
        f"{ex.stem}.tex": article.dumps() + "\n",
        f"{ex.stem}-slides.tex": deck.dumps() + "\n",
        "frames.tex": frames,
    }
    for part in context.parts(slides):
        files[f"parts/{part['id']}.tex"] = latex.render_template(
            env, "part.tex.j2", {**slides, "part": part})
    if gradients is not None:
        for part in backward_context.parts(paper["backward"]):
            files[f"parts/{part['id']}.tex"] = latex.render_template(
                env, "backward-part.tex.j2", {**paper, "part": part})
    grads = None if gradients is None else backward_values.build(gradients, gradients_report)
    files["values.json"] = json.dumps(values.build(trace, report, grads), indent=1) + "\n"
    files["_docs"] = {f"{ex.stem}.tex": article, f"{ex.stem}-slides.tex": deck}
    return files


def render(path: str | Path | spec.Example, options: RenderOptions = RenderOptions()
           ) -> Rendered:
    """Render one example file (or validated example) into ``options.out/<stem>/``, all or
    nothing."""
    output.writable_folder(options.out)
    if options.png:
        latex.pdftoppm()
    trace = compute(path)
    report = check(trace, options.device) if options.check else None
    gradients = differentiate(trace)
    gradients_report = (check_gradients(gradients, options.device)
                        if gradients is not None and options.check else None)
    files = documents(trace, report, options.templates, gradients, gradients_report)
    docs = files.pop("_docs")

    def compile_all(staging: Path) -> None:
        for name, doc in docs.items():
            pdf = latex.compile_pdf(doc, staging / name)
            if options.png:
                latex.pdf_to_png(pdf)

    folder = output.write_tree(options.out, trace.example.stem, files,
                               compile_all if options.pdf or options.png else None)
    return Rendered(example=trace.example, trace=trace, report=report, folder=folder,
                    files=tuple(sorted(files)))
