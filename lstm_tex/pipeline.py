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

from lstm_tex.check.report import Report
from lstm_tex.compute import engine
from lstm_tex.document import context, numbers
from lstm_tex.errors import InputError, import_torch
from lstm_tex.latex import tex
from lstm_tex.output import atomic, values, web
from lstm_tex.read import loader
from lstm_tex.validate import model, overrides, spec

if TYPE_CHECKING:  # the backward modules are imported when an example has ``backward:``
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
    trace: engine.Trace
    report: Report | None
    folder: Path
    files: tuple[str, ...]


def compute(source: str | Path | model.Example) -> engine.Trace:
    """Load and validate an example file (or take a validated one), then run the NumPy
    forward pass. Finite inputs so large that float64 overflows are an input error."""
    example = source if isinstance(source, model.Example) else spec.load(source)
    with np.errstate(over="ignore", invalid="ignore"):
        trace = engine.forward(example)
    _require_finite(trace, example, "the forward pass")
    return trace


def _require_finite(
    result: object,
    example: model.Example,
    what: str,
    field: str = "weights",
    why: str = "the weights and inputs are too large for a worked example; scale them down",
) -> None:
    where = _non_finite(result, "")
    if where is not None:
        raise InputError(
            f"{what} overflows float64 ({where.lstrip('.')} is not finite): {why}",
            file=example.file,
            field=field,
            line=_line_of(example, field) if field != "weights" else None,
        )


def _non_finite(value: object, path: str) -> str | None:
    """Path of the first non-finite number in a trace-like record, or None."""
    if isinstance(value, np.ndarray):
        return None if np.isfinite(value).all() else path
    if isinstance(value, float):
        return None if np.isfinite(value) else path
    if isinstance(value, (model.Example, engine.Trace)) and path:
        return None  # checked on its own
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found = _non_finite(getattr(value, f.name), f"{path}.{f.name}")
            if found:
                return found
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, (tuple, list)):
        for n, item in enumerate(value):
            found = _non_finite(item, f"{path}[{n}]")
            if found:
                return found
    return None


def _bounded(example: model.Example) -> None:
    """Refuse to derive more than :data:`model.MAX_DERIVED` steps unless the file chose
    them (``render.steps`` or ``render.layers``, ``all`` included)."""
    cfg, options = example.config, example.render
    derived = example.steps * cfg.num_layers * cfg.num_directions
    if options.chosen or derived <= model.MAX_DERIVED:
        return
    runs = f"{example.steps} steps" + (
        f" x {cfg.num_layers * cfg.num_directions} layers and directions"
        if derived != example.steps
        else ""
    )
    raise InputError(
        f"{runs} would all be derived in full, about {7 * derived + 4:,} files; more than "
        f"{model.MAX_DERIVED} derived steps need a choice: add render: {{steps: [1, 2, "
        f"{example.steps}]}} to derive those (the others are summarised), or render: "
        "{steps: all} to derive every one",
        file=example.file,
        field="x",
        line=_line_of(example, "x"),
    )


def _line_of(example: model.Example, key: str) -> int | None:
    try:
        return loader.read(example.file).line_of(key.split("."))
    except (InputError, OSError):
        return None


def check(trace: engine.Trace, device: str | None = None) -> Report:
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


def differentiate(trace: engine.Trace) -> backward.Gradients | None:
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
        _require_finite(
            before,
            example,
            "the backward pass",
            "backward.target",
            "the target is too large for a worked example (the loss squares "
            "output - target); scale it down",
        )
    else:
        _require_finite(before, example, "the backward pass")
    if gradients.sgd is not None:
        _require_finite(
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


def displayed(trace: engine.Trace) -> engine.Trace:
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
    trace: engine.Trace,
    report: Report | None,
    templates: Path | None = None,
    gradients: backward.Gradients | None = None,
    gradients_report: Report | None = None,
) -> dict[str, Any]:
    """Every output file's content, by relative path; PyLaTeX documents under ``_docs``."""
    ex = trace.example
    env = tex.environment(templates)
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
        files.update(latex_documents(env, medium(True), paper, medium(False, True), name))
    files.update(
        web.pages(
            lambda template, ctx: tex.render_template(env, template, ctx),
            paper,
            lambda: medium(True),
            ex.render.formats,
            name,
        )
    )
    grads = None
    if gradients is not None:
        from lstm_tex.output import backward_values

        grads = backward_values.build(gradients, gradients_report)
    files["values.json"] = values.Streamed(
        values.build(trace, report, grads, shown=None if shown is trace else shown, arrays=True)
    )
    if ex.render.exercise and "latex" in ex.render.formats:
        exercise = exercise_documents(shown, trace, report, env, gradients, gradients_report)
        files["_docs"].update(exercise)
        files.update({doc_name: doc.dumps() + "\n" for doc_name, doc in exercise.items()})
    return files


def latex_documents(
    env: Any, slides: dict[str, Any], paper: dict[str, Any], fragments: dict[str, Any], stem: str
) -> dict[str, Any]:
    """``render.formats: latex``: the article, the deck, frames.tex and the parts (the
    PyLaTeX documents to compile under ``_docs``); ``fragments`` is the context of the
    parts, whose lines fit any article."""
    frames = tex.render_template(env, "frames.tex.j2", slides)
    body = tex.render_template(env, "article.tex.j2", paper)
    article = tex.article(paper["title"], body, packages=paper["article_packages"])
    deck = tex.deck(
        slides["title"], frames, subtitle=slides["summary"], packages=slides["deck_packages"]
    )
    files: dict[str, Any] = {
        f"{stem}.tex": article.dumps() + "\n",
        f"{stem}-slides.tex": deck.dumps() + "\n",
        "frames.tex": frames,
    }
    for part in context.parts(fragments):
        files[f"parts/{part['id']}.tex"] = tex.render_template(
            env, "part.tex.j2", {**fragments, "part": part}
        )
    if fragments["backward"] is not None:
        from lstm_tex.document import backward_context

        for part in backward_context.parts(fragments["backward"]):
            files[f"parts/{part['id']}.tex"] = tex.render_template(
                env, "backward-part.tex.j2", {**fragments, "part": part}
            )
    files["_docs"] = {f"{stem}.tex": article, f"{stem}-slides.tex": deck}
    return files


#: The margins of the printed exercise sheet and its key: narrower than the article's 2 cm,
#: so that the room the layout counts on (44 em of 11 pt) holds the wide answer boxes, whose
#: lines cannot always break where a number would (the GRU's r ⊙ (W_hn h + b_hn) row).
EXERCISE_MARGIN = "1.5cm"


def exercise_documents(
    shown: engine.Trace,
    exact: engine.Trace,
    report: Report | None,
    env: Any,
    gradients: backward.Gradients | None = None,
    gradients_report: Report | None = None,
) -> dict[str, Any]:
    """``render.exercise``: the exercise sheet (article and deck), whose boxes stand for
    the chosen quantities, and its answer key (the article, those quantities boxed).
    The forward pass, without captions on the sheet (they read the numbers); the backward
    pass too when gradients (``dh``, ``dpre``, ...) are chosen."""
    stem = atomic.file_stem(shown.example.stem)
    docs: dict[str, Any] = {}
    ex = shown.example
    asks_gradients = any(q in ex.config.cell.gradients for q in ex.render.exercise)

    def backward_part(slides: bool, mode: context.Exercise) -> dict[str, Any] | None:
        if gradients is None or not asks_gradients:
            return None
        from lstm_tex.document import backward_context

        return backward_context.build(gradients, gradients_report, slides=slides, exercise=mode)

    modes: tuple[tuple[context.Exercise, str, str], ...] = (
        ("sheet", "exercise", "exercise"),
        ("answers", "answers", "answer key"),
    )
    for mode, suffix, heading in modes:
        paper = context.build(shown, report, slides=False, exact=exact, exercise=mode)
        paper["backward"] = backward_part(False, mode)
        body = tex.render_template(env, "article.tex.j2", paper)
        docs[f"{stem}-{suffix}.tex"] = tex.article(
            f"{paper['title']} --- {heading}",
            body,
            packages=paper["article_packages"],
            margin=EXERCISE_MARGIN,
        )
    slides = context.build(shown, report, slides=True, exact=exact, exercise="sheet")
    slides["backward"] = backward_part(True, "sheet")
    frames = tex.render_template(env, "frames.tex.j2", slides)
    docs[f"{stem}-exercise-slides.tex"] = tex.deck(
        f"{slides['title']} --- exercise",
        frames,
        subtitle=slides["summary"],
        packages=slides["deck_packages"],
    )
    return docs


def render(path: str | Path | model.Example, options: RenderOptions = RenderOptions()) -> Rendered:
    """Render one example file (or validated example) into ``options.out/<stem>/``, all or
    nothing. Bad input creates no folder; a run killed earlier is cleaned up first."""
    stem = path.stem if isinstance(path, model.Example) else Path(path).stem
    atomic.usable_stem(stem, path.file if isinstance(path, model.Example) else str(path))
    atomic.check_out(options.out)
    atomic.recover(options.out, stem)
    if options.png:
        tex.pdftoppm()
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
    _bounded(trace.example)
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
        for name, doc in docs.items():
            aux = AUX_FILES.setdefault((str(options.out.resolve()), stem, name), {})
            pdf = tex.compile_pdf(doc, staging / name, aux)
            if options.png:
                tex.pdf_to_png(pdf)

    folder = atomic.write_tree(
        options.out, trace.example.stem, files, compile_all if options.pdf or options.png else None
    )
    return Rendered(
        example=trace.example, trace=trace, report=report, folder=folder, files=tuple(sorted(files))
    )
