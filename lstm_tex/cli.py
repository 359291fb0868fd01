"""The ``lstm-tex`` command line: parse flags, call the pipeline, map errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from lstm_tex import __version__, loader, pipeline
from lstm_tex.errors import CheckFailed, InputError, LstmTexError

DEVICES = "cpu, cuda, cuda:N, mps or auto"


def _fail(exc: LstmTexError) -> NoReturn:
    text = exc.format() if isinstance(exc, InputError) else str(exc)
    click.echo(f"lstm-tex: {text}".replace("\n", "\nlstm-tex: "), err=True)
    if isinstance(exc, CheckFailed) and exc.report is not None:
        _print_report(exc.report, err=True)
    raise SystemExit(exc.exit_code)


def _expand(paths: Iterable[str]) -> list[Path]:
    """Files as given; a folder stands for the .yaml files in it."""
    out: list[Path] = []
    for p in map(Path, paths):
        found = sorted(p.glob("*.yaml")) if p.is_dir() else [p]
        if not found:
            _fail(InputError("is a folder with no .yaml files in it, expected an example "
                             "file or a folder of them", file=str(p)))
        out.extend(found)
    return out


def _located(exc: LstmTexError, path: Path) -> LstmTexError:
    """An error about a key of the example (``check.device``) names the file and line."""
    if not isinstance(exc, InputError) or exc.file or not exc.field or \
            exc.field.startswith("-"):
        return exc
    try:
        line = loader.read(path).line_of(exc.field.split("."))
    except LstmTexError:
        line = None
    return InputError(exc.message, file=str(path), field=exc.field, line=line)


def _print_report(report: Any, err: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"torch {report.torch_version} on {report.device}, {report.dtype}, "
                        f"atol {report.atol:g}")
    table.add_column("quantity")
    table.add_column("max abs error", justify="right")
    table.add_column("ok", justify="center")
    for name, value in report.errors.items():
        table.add_row(name, f"{value:.3g}", "yes" if value <= report.atol else "NO")
    Console(stderr=err).print(table)


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
    for path in track(paths, description="rendering", console=Console(stderr=True),
                      transient=True):
        try:
            results.append((path, 0, work(path)))
        except LstmTexError as exc:
            exc = _located(exc, path)
            text = exc.format() if isinstance(exc, InputError) else str(exc)
            results.append((path, exc.exit_code, text))
            worst = max(worst, exc.exit_code)
    table = Table(title="lstm-tex")
    table.add_column("file")
    table.add_column("status")
    table.add_column("result")
    for path, code, text in results:
        table.add_row(str(path), "ok" if code == 0 else f"exit {code}", text)
    Console().print(table)
    if worst:
        raise SystemExit(worst)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lstm-tex")
def main() -> None:
    """Typeset every number of an LSTM forward pass as LaTeX, cross-checked against torch."""


@main.command()
@click.argument("examples", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(path_type=Path),
              default=Path("output"), show_default=True,
              help="Folder that receives <stem>/ for each example.")
@click.option("--device", help=f"Device for the torch cross-check: {DEVICES}. "
                               "Overrides check.device in the file.")
@click.option("--no-check", is_flag=True, help="Skip the torch cross-check (torch is not "
                                               "imported).")
@click.option("--templates", type=click.Path(path_type=Path),
              help="Folder of templates overriding the packaged ones, file by file.")
@click.option("--pdf", is_flag=True, help="Also compile the article and the deck to PDF.")
def render(examples: tuple[str, ...], out: Path, device: str | None, no_check: bool,
           templates: Path | None, pdf: bool) -> None:
    """Render EXAMPLES (.yaml files or folders of them) into OUT/<stem>/."""
    if device is not None:
        _valid_device(device)
    options = pipeline.RenderOptions(out=out, device=device, check=not no_check,
                                     templates=templates, pdf=pdf)

    def work(path: Path) -> str:
        result = pipeline.render(path, options)
        check = "not checked" if result.report is None else (
            f"max abs error vs torch {result.report.max_abs_err:.2g}")
        return f"{path} -> {result.folder}/ ({len(result.files)} files, {check})"

    _each(_expand(examples), work)


@main.command()
@click.argument("examples", nargs=-1, required=True, type=click.Path())
@click.option("--device", help=f"Device for the torch cross-check: {DEVICES}.")
def check(examples: tuple[str, ...], device: str | None) -> None:
    """Compute and cross-check EXAMPLES against torch only; print a table of errors."""
    if device is not None:
        _valid_device(device)

    def work(path: Path) -> str:
        trace = pipeline.compute(path)
        try:
            report = pipeline.check(trace, device)
        except CheckFailed:
            raise
        _print_report(report)
        return f"{path}: passed (max abs error {report.max_abs_err:.2g} <= {report.atol:g})"

    _each(_expand(examples), work)


def _valid_device(device: str) -> None:
    from lstm_tex.spec import DEVICE_PATTERN

    if not DEVICE_PATTERN.match(device):
        _fail(InputError(f"expected {DEVICES}, found {device!r}", field="--device"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
