"""Running a command on every example file: one line per error on stderr, a summary table,
and the worst exit status; ``check --json``'s reports. The CLI's commands call these."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from lstm_tex import pipeline
from lstm_tex.errors import CheckFailed, InputError, LstmTexError, printable
from lstm_tex.read import loader

#: Exit status of a file in a batch that hit a bug (EX_SOFTWARE); the batch goes on.
BUG = 70
#: What each exit status of a file in a batch means, for the summary table.
OUTCOMES = {1: "torch disagrees", 2: "bad input", 3: "LaTeX failed", BUG: "bug"}


def say(text: str, err: bool = True) -> None:
    """One message, each line prefixed with ``lstm-tex: ``, printable whatever the bytes."""
    click.echo(printable(f"lstm-tex: {text}".replace("\n", "\nlstm-tex: ")), err=err)


def fail(exc: LstmTexError) -> NoReturn:
    """Say what went wrong (and the report of a failed check); exit with its status."""
    text = exc.format() if isinstance(exc, InputError) else str(exc)
    say(text)
    if isinstance(exc, CheckFailed) and exc.report is not None:
        print_report(exc.report, err=True)
    raise SystemExit(exc.exit_code)


def expand_paths(paths: Iterable[str]) -> list[Path]:
    """Files as given; a folder stands for the .yaml files in it."""
    out: list[Path] = []
    for p in map(Path, paths):
        found = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
        if not found:
            fail(
                InputError(
                    "is a folder with no .yaml files in it, expected an example "
                    "file or a folder of them",
                    file=printable(p),
                )
            )
        out.extend(found)
    return out


def distinct_stems(paths: list[Path], out: Path) -> list[Path]:
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
            fail(
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


def located(exc: LstmTexError, path: Path) -> LstmTexError:
    """An error about a key of the example (``check.device``) names the file and line."""
    if not isinstance(exc, InputError) or exc.file or not exc.field or exc.field.startswith("-"):
        return exc
    try:
        line = loader.read(path).line_of(exc.field.split("."))
    except LstmTexError:
        line = None
    return InputError(exc.message, file=printable(path), field=exc.field, line=line)


def message(exc: LstmTexError, path: Path) -> tuple[LstmTexError, str]:
    """``exc`` located in ``path`` (:func:`located`), and its one-line message."""
    exc = located(exc, path)
    return exc, exc.format() if isinstance(exc, InputError) else str(exc)


def print_report(
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


def each(paths: list[Path], work: Callable[[Path], str]) -> None:
    """Run ``work`` on every file; report each, keep going, exit with the worst status."""
    worst = 0
    if len(paths) == 1:
        try:
            click.echo(work(paths[0]))
        except LstmTexError as exc:
            fail(located(exc, paths[0]))
        return
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    results: list[tuple[Path, int, str]] = []
    for path in track(paths, description="rendering", console=Console(stderr=True), transient=True):
        try:
            results.append((path, 0, work(path)))
        except LstmTexError as exc:
            exc, text = message(exc, path)
            say(
                text
                if isinstance(exc, InputError) or printable(path) in text
                else f"{printable(path)}: {text}"
            )
            results.append((path, exc.exit_code, ""))
            worst = max(worst, exc.exit_code)
        except Exception as exc:  # a bug on one file must not lose the others' summary
            say(
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
            else f"{OUTCOMES.get(code, 'failed')} (message on stderr)",
        )
    Console().print(table)
    if worst:
        raise SystemExit(worst)


def check_json(paths: list[Path], device: str | None) -> None:
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
            exc, text = message(exc, path)
            report = getattr(exc, "report", None)
            item.update(
                report.as_json() if report is not None else {"passed": False},
                error=text,
                exit_code=exc.exit_code,
            )
            say(text)
            worst = max(worst, exc.exit_code)
        results.append(item)
    click.echo(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    if worst:
        raise SystemExit(worst)


def watch_render(
    examples: tuple[str, ...], work: Callable[[Path], str], templates: Path | None
) -> None:
    """``render --watch``: render now and on every change until Ctrl-C (exit 0); errors keep
    the watch going."""
    import time

    from lstm_tex.commands import watch
    from lstm_tex.latex.templates import template_dirs

    def files() -> list[Path]:
        return expand_paths(examples)

    folders = template_dirs(templates)
    click.echo(
        f"watching {plural(len(files()), 'example file')} and the templates in "
        f"{', '.join(map(str, folders))}; {watch.how_to_stop()}",
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

    def render_one(path: Path) -> str:
        try:
            return work(path)
        except LstmTexError as exc:
            raise located(exc, path) from None

    try:
        watch.watch(files, render_one, notify, templates=folders)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


def plural(n: int, word: str) -> str:
    """``1 step``, ``2 steps``."""
    return f"{n} {word}" + ("" if n == 1 else "s")
