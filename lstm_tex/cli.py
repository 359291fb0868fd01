"""The ``lstm-tex`` command line: parse flags, call the pipeline, map errors to exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from lstm_tex import pipeline
from lstm_tex.commands import init as example_init
from lstm_tex.errors import CheckFailed, InputError, LstmTexError, printable
from lstm_tex.read import loader
from lstm_tex.validate import model

DEVICES = "cpu, cuda, cuda:N, mps or auto"
#: Most zero steps ``import --steps`` writes (more than 200 need render.steps anyway).
IMPORT_MAX_STEPS = 1000
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130
#: Exit status of a file in a batch that hit a bug (EX_SOFTWARE); the batch goes on.
BUG = 70


def _say(text: str, err: bool = True) -> None:
    """One message, each line prefixed with ``lstm-tex: ``, printable whatever the bytes."""
    click.echo(printable(f"lstm-tex: {text}".replace("\n", "\nlstm-tex: ")), err=err)


def _fail(exc: LstmTexError) -> NoReturn:
    text = exc.format() if isinstance(exc, InputError) else str(exc)
    _say(text)
    if isinstance(exc, CheckFailed) and exc.report is not None:
        _print_report(exc.report, err=True)
    raise SystemExit(exc.exit_code)


def _expand(paths: Iterable[str]) -> list[Path]:
    """Files as given; a folder stands for the .yaml files in it."""
    out: list[Path] = []
    for p in map(Path, paths):
        found = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
        if not found:
            _fail(
                InputError(
                    "is a folder with no .yaml files in it, expected an example "
                    "file or a folder of them",
                    file=printable(p),
                )
            )
        out.extend(found)
    return out


def _distinct_stems(paths: list[Path], out: Path) -> list[Path]:
    """The files of one render, refused (exit 2, before anything is written) when two of
    them share a stem: both would write ``out/<stem>/`` (the same file twice is rendered
    once)."""
    unique: list[Path] = []
    seen: dict[str, Path] = {}
    for path in paths:
        if any(os.path.abspath(path) == os.path.abspath(p) for p in unique):
            continue
        other = seen.get(path.stem.casefold())
        if other is not None:
            _fail(
                InputError(
                    f"{printable(other)} and {printable(path)} have the same stem "
                    f"{printable(path.stem)!r}, so both would be written to "
                    f"{printable(out / path.stem)}/ and the second would replace "
                    "the first; rename one of them, or render them in separate "
                    "runs with different --out folders"
                )
            )
        seen[path.stem.casefold()] = path
        unique.append(path)
    return unique


def _located(exc: LstmTexError, path: Path) -> LstmTexError:
    """An error about a key of the example (``check.device``) names the file and line."""
    if not isinstance(exc, InputError) or exc.file or not exc.field or exc.field.startswith("-"):
        return exc
    try:
        line = loader.read(path).line_of(exc.field.split("."))
    except LstmTexError:
        line = None
    return InputError(exc.message, file=printable(path), field=exc.field, line=line)


def _print_report(
    report: Any, err: bool = False, file: str | None = None, what: str = "forward pass"
) -> None:
    """A cross-check report: a heading line naming the file (never wrapped), then a table
    of the largest error per quantity."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(stderr=err)
    heading = (f"{file}: " if file else "") + (
        f"{what} vs torch {report.torch_version} on {report.device}, {report.dtype}, "
        f"atol {report.atol:g}"
    )
    console.print(Text(printable(heading)), soft_wrap=True)
    table = Table()
    table.add_column("quantity", no_wrap=True)
    table.add_column("max abs error", justify="right", no_wrap=True)
    table.add_column("ok", justify="center", no_wrap=True)
    for name, value in report.errors.items():
        table.add_row(name, f"{value:.3g}", "yes" if value <= report.atol else "NO")
    console.print(table)


#: What each exit status of a file in a batch means, for the summary table.
_OUTCOMES = {1: "torch disagrees", 2: "bad input", 3: "LaTeX failed", BUG: "bug"}


def _each(paths: list[Path], work: Callable[[Path], str]) -> None:
    """Run ``work`` on every file; report each, keep going, exit with the worst status."""
    worst = 0
    if len(paths) == 1:
        try:
            click.echo(work(paths[0]))
        except LstmTexError as exc:
            _fail(_located(exc, paths[0]))
        return
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    results: list[tuple[Path, int, str]] = []
    for path in track(paths, description="rendering", console=Console(stderr=True), transient=True):
        try:
            results.append((path, 0, work(path)))
        except LstmTexError as exc:
            exc, text = _message(exc, path)
            _say(
                text
                if isinstance(exc, InputError) or printable(path) in text
                else f"{printable(path)}: {text}"
            )
            results.append((path, exc.exit_code, ""))
            worst = max(worst, exc.exit_code)
        except Exception as exc:  # a bug on one file must not lose the others' summary
            _say(
                f"{printable(path)}: unexpected error (please report it): "
                f"{type(exc).__name__}: {exc}"
            )
            results.append((path, BUG, ""))
            worst = max(worst, BUG)
    # the summary: one row per file, paths in full (folded, never cut); the messages of
    # the files that failed are on stderr above, one line each
    table = Table(title="lstm-tex")
    table.add_column("file", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("result", overflow="fold")
    for path, code, text in results:
        table.add_row(
            printable(path),
            "ok" if code == 0 else f"exit {code}",
            printable(text).removeprefix(printable(path)).lstrip(": ")
            if code == 0
            else f"{_OUTCOMES.get(code, 'failed')} (message on stderr)",
        )
    Console().print(table)
    if worst:
        raise SystemExit(worst)


def _message(exc: LstmTexError, path: Path) -> tuple[LstmTexError, str]:
    """``exc`` located in ``path`` (:func:`_located`), and its one-line message."""
    exc = _located(exc, path)
    return exc, exc.format() if isinstance(exc, InputError) else str(exc)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, looked up only when asked for (importlib.metadata is slow to import)."""
    if value and not ctx.resilient_parsing:
        from lstm_tex import __version__

        click.echo(f"lstm-tex, version {__version__}")
        ctx.exit()


class _Main(click.Group):
    """The command group; Ctrl-C anywhere exits 130 with one line, not click's "Aborted!"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _say("interrupted (Ctrl-C): the file or folder being written was left as it was before")
            raise SystemExit(INTERRUPTED) from None


def _text(value: str | None, flag: str) -> str | None:
    """A text flag as given, refused (exit 2) when it holds bytes that are not UTF-8."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = os.fsencode(value[exc.start : exc.end])[:1]
        found = f"the byte 0x{byte[0]:02x}" if byte else "a lone surrogate"
        _fail(
            InputError(
                f"expected UTF-8 text, found {found} at character {exc.start + 1} "
                "(set the terminal to UTF-8, or write the text in the example "
                "file)",
                field=flag,
            )
        )
    return value


def _title(value: str | None) -> str | None:
    """``--title``: UTF-8 text without control characters (an example file cannot hold
    them, and LaTeX cannot show them)."""
    from lstm_tex.read.loader import unprintable

    value = _text(value, "--title")
    if value is not None:
        found = unprintable(value.replace("\n", " ").replace("\t", " "))
        if found is not None:
            char, position = found
            _fail(
                InputError(
                    f"expected text without control characters, found U+"
                    f"{ord(char):04X} at character {position + 1}",
                    field="--title",
                )
            )
        from lstm_tex.latex.text import problem

        reason = problem(value)  # what render would refuse in the file (see README, Titles)
        if reason is not None:
            _fail(InputError(reason, field="--title"))
    return value


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Typeset every number of an LSTM forward pass as LaTeX, cross-checked against torch.

    \b
    Examples:
      lstm-tex init step.yaml                 # a ready example with nice numbers
      lstm-tex render step.yaml --pdf         # output/step/: article, deck, parts, PDFs
      lstm-tex render step.yaml --watch       # re-render on every save
      lstm-tex check step.yaml --json         # the cross-check, for scripts
      lstm-tex import model.pt --prefix encoder.lstm. -o encoder.yaml

    Run "lstm-tex COMMAND --help" for a command's options. Shell completion:
    eval "$(_LSTM_TEX_COMPLETE=bash_source lstm-tex)" (zsh_source, fish_source).
    """


@main.command()
@click.argument("examples", nargs=-1, required=True, type=click.Path(readable=False))
@click.option(
    "--out",
    type=click.Path(readable=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder that receives <stem>/ for each example.",
)
@click.option(
    "--device",
    help=f"Device for the torch cross-check: {DEVICES}. Overrides check.device in the file.",
)
@click.option(
    "--no-check", is_flag=True, help="Skip the torch cross-check (torch is not imported)."
)
@click.option(
    "--templates",
    type=click.Path(readable=False, path_type=Path),
    help="Folder of templates overriding the packaged ones, file by file.",
)
@click.option("--pdf", is_flag=True, help="Also compile the article and the deck to PDF.")
@click.option(
    "--png",
    is_flag=True,
    help="Also write every PDF page as a PNG next to the PDFs (implies --pdf; needs pdftoppm).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: render again whenever an example or a template changes (Ctrl-C stops).",
)
@click.option(
    "--reveal",
    is_flag=True,
    help="Uncover the derivations on the slides step by step (Beamer overlays; render.reveal).",
)
@click.option(
    "--expand",
    multiple=True,
    metavar="GATE[:STEPS]",
    help="Also write gate GATE out row by row (i, f, g, o for an LSTM; r, z, n "
    "for a GRU; h for an RNN; or all), at STEPS (f:1,2; default every derived "
    "step); repeatable (render.expand).",
)
@click.option(
    "--max-rows",
    type=int,
    help="Matrix rows shown on slides before the rest is "
    "elided, 3 to 16 (render.max_rows, default 8).",
)
@click.option(
    "--max-cols",
    type=int,
    help="Matrix columns shown on slides before the rest "
    "is elided, 3 to 16 (render.max_cols, default 8).",
)
@click.option(
    "--text-size",
    type=int,
    metavar="PT",
    help="The slides' text size in pt: 9, 10 (the default) or 11 (render.text_size). "
    "A line too wide for it elides matrix columns: numbers never go below 8 pt.",
)
@click.option(
    "--article-full",
    is_flag=True,
    help="Show every row and column in the article (render.article_full).",
)
@click.option(
    "--notation",
    type=click.Choice(["pytorch", "textbook", "row-vector"]),
    help="How the equations are written (render.notation): pytorch (W_ii x + b_ii "
    "+ W_hi h + b_hi, the default), textbook (W [h; x] + b, as Olah) or "
    "row-vector (x W + h W + b, as d2l). The numbers are the same.",
)
@click.option(
    "--carry",
    type=click.Choice(["exact", "displayed"]),
    help="displayed: compute every shown value from the rounded values shown "
    "before it, so a calculator reproduces every digit (render.carry; default exact, "
    "displayed with an exercise unless the example has backward:).",
)
@click.option(
    "--exercise",
    metavar="QUANTITIES",
    help="Also write an exercise sheet whose boxes stand for QUANTITIES (all, or "
    "some of ih, hh, pre, the cell's gates, c and h, such as f,c,h for an LSTM or "
    "z,n,h for a GRU) and its answer key (render.exercise). With backward: also "
    "gradients, named as in values.json: dy, dh, dc, d + a gate (df, dz ...), dpre "
    "(the deltas), grads (weights and initial state), such as dh,dpre.",
)
@click.option(
    "--captions/--no-captions",
    default=None,
    help="Sentences under the derivations that read the gate values (render.captions).",
)
@click.option(
    "--html",
    is_flag=True,
    help="Also write <stem>.html, a web page of the "
    "article that works offline (KaTeX next to it; "
    "render.formats).",
)
@click.option(
    "--markdown",
    is_flag=True,
    help="Also write <stem>.md with $$ ... $$ maths, "
    "for Jupyter Book, MyST and Quarto "
    "(render.formats).",
)
@click.option(
    "--diagram/--no-diagram",
    default=None,
    help="Draw the cell (TikZ) with each derived step's numbers on it: a frame "
    "per step, a figure in the article, parts/<step>-diagram.tex "
    "(render.diagram).",
)
@click.option(
    "--plots/--no-plots",
    default=None,
    help="Plot the gates, c and h over time (pgfplots), a frame per layer and "
    "direction, for sequences of two steps or more (render.plots).",
)
def render(
    examples: tuple[str, ...],
    out: Path,
    device: str | None,
    no_check: bool,
    templates: Path | None,
    pdf: bool,
    png: bool,
    watch: bool,
    reveal: bool,
    expand: tuple[str, ...],
    max_rows: int | None,
    max_cols: int | None,
    text_size: int | None,
    article_full: bool,
    notation: str | None,
    carry: str | None,
    exercise: str | None,
    captions: bool | None,
    html: bool,
    markdown: bool,
    diagram: bool | None,
    plots: bool | None,
) -> None:
    """Render EXAMPLES (.yaml files or folders of them) into OUT/<stem>/.

    \b
    Examples:
      lstm-tex render examples/notebook-step.yaml
      lstm-tex render examples/ --out build --pdf
      lstm-tex render step.yaml --png              # PDFs and one PNG per page
      lstm-tex render step.yaml --watch --templates mytemplates
      lstm-tex render step.yaml --reveal --expand f:1 --pdf
      lstm-tex render step.yaml --notation textbook --exercise f,c,h --pdf
      lstm-tex render step.yaml --html --markdown  # a web page and a Markdown file
    """
    if device is not None:
        _valid_device(device)
    exercise = _text(exercise, "--exercise")
    expand = tuple(_text(e, "--expand") or "" for e in expand)
    view = {
        key: value
        for key, value in (
            ("reveal", reveal or None),
            ("expand", expand or None),
            ("max_rows", max_rows),
            ("max_cols", max_cols),
            ("text_size", text_size),
            ("article_full", article_full or None),
        )
        if value is not None
    }
    options = pipeline.RenderOptions(
        out=out,
        device=device,
        check=not no_check,
        templates=templates,
        pdf=pdf or png,
        png=png,
        view=view,
        notation=notation,
        carry=carry,
        exercise=exercise,
        captions=captions,
        diagram=diagram,
        plots=plots,
        formats=("html",) * html + ("markdown",) * markdown,
    )

    def work(path: Path) -> str:
        result = pipeline.render(path, options)
        check = (
            "not checked"
            if result.report is None
            else (f"max abs error vs torch {result.report.max_abs_err:.2g}")
        )
        written = sum(1 for p in result.folder.rglob("*") if p.is_file())  # PDFs, PNGs too
        done = f"{printable(path)} -> {printable(result.folder)}/ ({written} files, {check})"
        note = exercise_note(result.example.render, result.example.backward is not None)
        return f"{done}\n  {note}" if note else done

    paths = _distinct_stems(_expand(examples), out)
    if watch:
        _watch(examples, work, templates)
        return
    _each(paths, work)


def exercise_note(options: model.RenderOptions, backward: bool = False) -> str:
    """What the lecturer should know about an exercise's rounding (``render.carry``)."""
    if not options.exercise:
        return ""
    if backward and options.carry == "displayed":
        return (
            "exercise with backward: and carry: displayed: the backward pass starts from "
            "the exact forward values, so the output its loss uses may differ in a last "
            "digit from the printed h (carry: exact, the default with backward:, avoids this)"
        )
    if backward:
        return (
            "exercise with backward:: carry: exact (the default with backward:, whose pass "
            "starts from the exact forward values): every printed value is the exact one "
            "rounded, so a student who goes on from rounded values may miss a last digit"
        )
    if options.carry == "exact":
        return (
            "exercise with carry: exact: a student who goes on from rounded values may miss "
            "a last digit of the answer key (carry: displayed, the default with an "
            "exercise, avoids this)"
        )
    if options.carry_chosen:
        return ""
    return (
        "exercise: carry: displayed (the default with an exercise): every value is "
        "computed from the rounded values printed before it, so students match the answer "
        "key digit for digit; carry: exact in render: (or --carry exact) keeps exact values"
    )


@main.command()
@click.argument("examples", nargs=-1, required=True, type=click.Path(readable=False))
@click.option("--device", help=f"Device for the torch cross-check: {DEVICES}.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as JSON on stdout (one object, or a list for several "
    "files) instead of tables; the exit status is the same.",
)
def check(examples: tuple[str, ...], device: str | None, as_json: bool) -> None:
    """Compute and cross-check EXAMPLES against torch only; print a table of errors.

    \b
    Examples:
      lstm-tex check examples/notebook-step.yaml
      lstm-tex check examples/ --device auto
      lstm-tex check step.yaml --json | jq .max_abs_err
    """
    if device is not None:
        _valid_device(device)
    if as_json:
        _check_json(_expand(examples), device)
        return

    def work(path: Path) -> str:
        trace = pipeline.compute(path)
        try:
            report = pipeline.check(trace, device)
        except CheckFailed:
            raise
        _print_report(report, file=printable(path))
        gradients = pipeline.differentiate(trace)
        if gradients is not None:
            _print_report(
                pipeline.check_gradients(gradients, device),
                file=printable(path),
                what="backward pass",
            )
        return (
            f"{printable(path)}: passed (max abs error {report.max_abs_err:.2g} <= {report.atol:g})"
        )

    _each(_expand(examples), work)


def _valid_device(device: str) -> None:
    from lstm_tex.validate.model import DEVICE_PATTERN

    _text(device, "--device")
    if not DEVICE_PATTERN.match(device):
        _fail(InputError(f"expected {DEVICES}, found {device!r}", field="--device"))


# ---------------------------------------------------------------- render --watch, check --json


def _watch(examples: tuple[str, ...], work: Callable[[Path], str], templates: Path | None) -> None:
    """Render now and on every change until Ctrl-C (exit 0); errors keep the watch going."""
    import time

    from lstm_tex.commands import watch
    from lstm_tex.latex import tex

    def files() -> list[Path]:
        return _expand(examples)

    folders = tex.template_dirs(templates)
    click.echo(
        f"watching {_plural(len(files()), 'example file')} and the templates in "
        f"{', '.join(map(str, folders))}; press Ctrl-C to stop",
        err=True,
    )

    def notify(event: watch.Event) -> None:
        stamp = time.strftime("%H:%M:%S")
        if event.ok:
            click.echo(f"[{stamp}] {event.message} in {event.seconds:.2f} s")
        else:
            click.echo(
                printable(f"[{stamp}] lstm-tex: {event.message}".replace("\n", "\nlstm-tex: ")),
                err=True,
            )

    def located(path: Path) -> str:
        try:
            return work(path)
        except LstmTexError as exc:
            raise _located(exc, path) from None

    try:
        watch.watch(files, located, notify, templates=folders)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


def _check_json(paths: list[Path], device: str | None) -> None:
    """``check --json``: every report (or error) as JSON on stdout; exit with the worst."""
    results: list[dict[str, Any]] = []
    worst = 0
    for path in paths:
        item: dict[str, Any] = {"file": printable(path)}
        try:
            trace = pipeline.compute(path)
            item["cell"] = trace.example.config.kind
            item.update(pipeline.check(trace, device).as_json(), exit_code=0)
            gradients = pipeline.differentiate(trace)
            if gradients is not None:
                item["backward"] = pipeline.check_gradients(gradients, device).as_json()
        except LstmTexError as exc:
            exc, text = _message(exc, path)
            report = getattr(exc, "report", None)
            item.update(
                report.as_json() if report is not None else {"passed": False},
                error=text,
                exit_code=exc.exit_code,
            )
            _say(text)
            worst = max(worst, exc.exit_code)
        results.append(item)
    click.echo(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    if worst:
        raise SystemExit(worst)


# ---------------------------------------------------------------- init and import


def _target(path: Path | None, output: Path | None, default: Path) -> Path:
    if path is not None and output is not None and path != output:
        _fail(
            InputError(
                f"give the file once, as PATH or with -o, not both ({path} and {output})",
                field="-o",
            )
        )
    return output or path or default


def _write_example(target: Path, text: str, force: bool) -> bool:
    """Write ``text`` to ``target`` (``-``: stdout); True when a file was written."""
    if str(target) == "-":
        click.echo(text, nl=False)
        return False
    try:
        example_init.write(target, text, force=force)
    except LstmTexError as exc:
        _fail(exc)
    return True


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


#: A file to write: click checks nothing but that it is not a folder (an unreadable file
#: is ours to report, in our words).
_FILE = click.Path(dir_okay=False, readable=False, path_type=Path)


_F = TypeVar("_F", bound=Callable[..., Any])


def _size_option(flag: str, metavar: str, default: int, help: str) -> Callable[[_F], _F]:
    """An ``init`` option for a size or count, bounded by :data:`lstm_tex.commands.init.LIMITS`
    (keyed by the flag's name: ``--input-size`` is ``input_size``)."""
    low, high = example_init.LIMITS[flag.removeprefix("--").replace("-", "_")]
    return click.option(
        flag,
        type=click.IntRange(low, high),
        metavar=metavar,
        default=default,
        show_default=True,
        help=help,
    )


def _choice_option(flag: str, choices: list[str], default: str, help: str) -> Callable[[_F], _F]:
    """An option taking one of ``choices``, ``default`` shown in the help."""
    return click.option(
        flag, type=click.Choice(choices), default=default, show_default=True, help=help
    )


def _output_option(help: str) -> Callable[[_F], _F]:
    """``-o``/``--output``: the file ``init`` or ``import`` writes."""
    return click.option("-o", "--output", "output", type=_FILE, help=help)


def _nonlinearity_option(help: str, **default: Any) -> Callable[[_F], _F]:
    """``--nonlinearity``: an nn.RNN's activation (``default``: click's, if any)."""
    return click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), help=help, **default)


#: ``--force`` of ``init`` and ``import``.
_FORCE = click.option("--force", is_flag=True, help="Overwrite the file if it exists.")


@main.command()
@click.argument("path", required=False, type=_FILE)
@_output_option("The file to write (the same as PATH); - writes to stdout.")
@_size_option("--input-size", "N", 2, "Size of each input x_t.")
@_size_option("--hidden-size", "N", 4, "Size of h and c.")
@_size_option("--steps", "T", 1, "Number of time steps of x.")
@_size_option("--layers", "L", 1, "Number of stacked LSTM layers.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    metavar="S",
    default=0,
    show_default=True,
    help="Random seed: the same seed gives the same file, byte for byte.",
)
@_size_option("--decimals", "D", 2, "Digits of the generated weights, inputs and initial states.")
@_choice_option(
    "--bias",
    ["true", "false", "single"],
    "true",
    "Biases: torch's two per gate (true), none (false), or one per gate as in textbooks (single).",
)
@_choice_option(
    "--cell", ["lstm", "gru", "rnn"], "lstm", "The network: torch.nn.LSTM, nn.GRU or nn.RNN."
)
@_nonlinearity_option(
    "The activation of an nn.RNN (--cell rnn).", default="tanh", show_default=True
)
@click.option("--title", help="Title of the documents (default: the network's shape).")
@_FORCE
def init(
    path: Path | None,
    output: Path | None,
    input_size: int,
    hidden_size: int,
    steps: int,
    layers: int,
    seed: int,
    decimals: int,
    bias: str,
    cell: str,
    nonlinearity: str,
    title: str | None,
    force: bool,
) -> None:
    """Write a ready-to-render example file with nice numbers (default: example.yaml).

    Weights, inputs and states are random numbers with few decimals, drawn so that every
    gate pre-activation stays within +-2.5: the gates show values away from 0 and 1.

    \b
    Examples:
      lstm-tex init                                   # example.yaml: input 2, hidden 4
      lstm-tex init seq.yaml --steps 3 --seed 7
      lstm-tex init -o deep.yaml --layers 2 --hidden-size 3 --decimals 1
      lstm-tex init - --steps 2                       # print it instead
      lstm-tex init one-bias.yaml --bias single --steps 2   # b_k, as in textbooks
      lstm-tex init gru.yaml --cell gru --steps 3     # an nn.GRU (rnn: an nn.RNN)
    """
    target = _target(path, output, Path("example.yaml"))
    title = _title(title)
    options = example_init.InitOptions(
        input_size=input_size,
        hidden_size=hidden_size,
        steps=steps,
        layers=layers,
        seed=seed,
        decimals=decimals,
        title=title,
        bias={"true": True, "false": False}.get(bias, "single"),
        cell="gru" if cell == "gru" else "rnn" if cell == "rnn" else "lstm",
        nonlinearity="relu" if nonlinearity == "relu" else "tanh",
    )
    try:
        text = example_init.generate(options)
    except LstmTexError as exc:
        _fail(exc)
    if _write_example(target, text, force):
        click.echo(
            printable(
                f"wrote {target} (input size {input_size}, hidden size {hidden_size}, "
                f"{_plural(steps, 'step')}, {_plural(layers, 'layer')}, seed {seed}); "
                f"next: lstm-tex {_next_command(options.cell)} {target}"
            )
        )


def _next_command(kind: str) -> str:
    """``render``, or ``check`` for a cell whose documents are not built yet."""
    return "render" if kind in pipeline.DOCUMENTED else "check"


@main.command("import")
@click.argument("model", type=click.Path(readable=False, path_type=Path))
@_output_option(
    "The file to write (default: MODEL's name with .yaml, in the current "
    "folder); - writes to stdout."
)
@click.option(
    "--prefix",
    help="Key prefix of the nn.LSTM inside a larger state_dict, such "
    "as encoder.lstm., or the name of the Keras layer or ONNX "
    "node (default: the only LSTM in the file).",
)
@_choice_option(
    "--weights",
    ["auto", "inline", "reference"],
    "auto",
    "Write the weights into the example (inline), or name the model file "
    "(reference); auto: a reference beyond 10,000 numbers.",
)
@click.option(
    "--decimals",
    type=click.IntRange(0, 12),
    metavar="N",
    help="Round the weights to this many decimals (default: the shortest "
    "decimals that give back the saved values, in their dtype).",
)
@click.option(
    "--x",
    "x",
    metavar="JSON",
    help="The input as a JSON list: one step [0.5, 0.1] or a sequence "
    "[[0.5, 0.1], [0.2, 0.0]] (default: zeros).",
)
@click.option(
    "--h0", metavar="JSON", help="The initial hidden state as a JSON list (default: zeros)."
)
@click.option(
    "--c0", metavar="JSON", help="The initial cell state as a JSON list (default: zeros)."
)
@click.option(
    "--steps",
    type=click.IntRange(1, IMPORT_MAX_STEPS),
    metavar="N",
    help=f"Without --x: this many steps of zero input (default 1, at most {IMPORT_MAX_STEPS}).",
)
@click.option(
    "--batch-first",
    is_flag=True,
    help="The model is batch_first: --x with a batch is (batch, T, input), and "
    "the example says batch_first: true.",
)
@_nonlinearity_option("An nn.RNN's activation, which its state_dict does not save (default: tanh).")
@click.option("--title", help="Title of the documents (default: the model file's name).")
@_FORCE
def import_(
    model: Path,
    output: Path | None,
    prefix: str | None,
    weights: str,
    decimals: int | None,
    x: str | None,
    h0: str | None,
    c0: str | None,
    steps: int | None,
    batch_first: bool,
    nonlinearity: str | None,
    title: str | None,
    force: bool,
) -> None:
    """Write an example file from a saved LSTM (or nn.GRU, nn.RNN): PyTorch, safetensors,
    .npz, Keras, ONNX.

    A PyTorch MODEL (.pt, .pth, .ckpt) is read with torch.load(weights_only=True):
    tensors and plain containers only, never arbitrary pickled objects. The LSTM may sit
    inside a larger model (pick it with --prefix) or a checkpoint dict (under
    state_dict, model_state_dict or model). .safetensors and .npz are read without
    torch; .keras and .h5 with keras (pick the layer by name with --prefix), .onnx with
    onnx (an LSTM node). Large models get a reference to MODEL instead of the numbers.

    \b
    Examples:
      lstm-tex import lstm.pt                                     # -> lstm.yaml
      lstm-tex import model.pt --prefix encoder.lstm. -o encoder.yaml
      lstm-tex import lstm.pt --decimals 2 --x "[[0.5, 0.1], [0.2, -0.3]]"
      lstm-tex import ckpt.pt --steps 3 -o three-steps.yaml
      lstm-tex import model.keras --prefix encoder -o encoder.yaml
      lstm-tex import model.onnx -o onnx.yaml
      lstm-tex import rnn.pt --nonlinearity relu                  # an nn.RNN(relu)
    """
    from lstm_tex.commands import importer

    target = output or Path(model.stem + ".yaml")
    prefix, x, h0, c0 = (
        _text(prefix, "--prefix"),
        _text(x, "--x"),
        _text(h0, "--h0"),
        _text(c0, "--c0"),
    )
    title = _title(title)
    options = importer.ImportOptions(
        prefix=prefix,
        decimals=decimals,
        x=x,
        h0=h0,
        c0=c0,
        steps=steps,
        title=title,
        batch_first=batch_first,
        weights=weights,  # type: ignore[arg-type]
        output=target,
        nonlinearity="relu" if nonlinearity == "relu" else "tanh" if nonlinearity else None,
    )
    if str(target) != "-" and target.exists() and not force:
        _fail(
            InputError(
                "already exists; choose another name with -o or pass --force to overwrite it",
                file=printable(target),
            )
        )
    try:
        imported = importer.import_model(model, options)
    except LstmTexError as exc:
        _fail(exc)
    if _write_example(target, imported.text, force):
        cfg = imported.example.config
        kept = f"; weights: a reference to {model}" if imported.reference else ""
        shape = ", bidirectional" * cfg.bidirectional + (
            f", proj_size {cfg.proj_size}" if cfg.proj_size else ""
        )
        click.echo(
            printable(
                f"wrote {target}: the {imported.kind} of {model} (input size "
                f"{cfg.input_size}, hidden size {cfg.hidden_size}, "
                f"{_plural(cfg.num_layers, 'layer')}{shape}, {imported.dtype}{kept}); next: "
                f"lstm-tex {_next_command(cfg.kind)} {target}"
            )
        )
        for note in imported.notes:
            click.echo(printable(f"note: {note}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
