"""The ``lstm-tex`` command line: parse flags, call the pipeline, map errors to exit codes.

Each command checks its flags (:mod:`lstm_tex.commands.flags`), calls one function of
:mod:`lstm_tex.pipeline` (or :mod:`lstm_tex.commands`) per file and reports through
:mod:`lstm_tex.commands.batch`; the options are declared in :mod:`lstm_tex.commands.options`.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lstm_tex import pipeline
from lstm_tex.commands import batch, flags, options
from lstm_tex.errors import InputError, LstmTexError, printable
from lstm_tex.output import keep
from lstm_tex.validate import model

if TYPE_CHECKING:  # importer is imported when ``import`` runs
    from lstm_tex.commands.importer import Imported

#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, looked up only when asked for (importlib.metadata is slow to import)."""
    if value and not ctx.resilient_parsing:
        from lstm_tex import __version__

        click.echo(f"lstm-tex, version {__version__}")
        ctx.exit()


class _Main(click.Group):
    """The command group; Ctrl-C anywhere exits 130 with one line, not click's "Aborted!"."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if (args[0] if args else kwargs.get("args")) is None:  # the program, not a caller
            # What the imports made (modules, classes, functions) lives as long as the
            # process: the cyclic collector skips it from here on. Its passes over those
            # objects at exit cost about 30 ms of CPU per command (issue 17). Not for a
            # caller that passes arguments (tests, scripts): their objects stay collectable.
            gc.freeze()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a command's flag or argument: one line, as ours
            batch.say(_usage_line(exc))
            raise SystemExit(exc.exit_code) from None
        except KeyboardInterrupt:
            batch.say(
                "interrupted (Ctrl-C): the file or folder being written was left as it was before"
            )
            raise SystemExit(INTERRUPTED) from None


def _usage_line(exc: click.UsageError) -> str:
    """A command's bad flag or argument as one line in lstm-tex's own style, naming the
    flag, what was found and what was expected (click's three lines of usage, a blank
    and ``Error: Invalid value for '--aspect': ...`` read as another program's)."""
    command = exc.ctx.command_path if exc.ctx is not None else "lstm-tex"
    missing = isinstance(exc, click.MissingParameter)
    if isinstance(exc, click.BadParameter) and exc.param is not None and not missing:
        hint = exc.param_hint or (exc.param.opts[0] if exc.param.opts else exc.param.name)
        hint = hint if isinstance(hint, str) else " / ".join(hint)
        return f"{hint.strip(chr(39))}: {exc.message.rstrip('.')} (see {command} --help)"
    return f"{exc.format_message().rstrip('.')} (see {command} --help)"


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
@options.apply(options.RENDER)
def render(
    examples: tuple[str, ...], out: Path, templates: Path | None, watch: bool, **given: Any
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
    render_options = flags.render_options(out, templates, given)

    def work(path: Path) -> str:
        result = pipeline.render(path, render_options)
        if result.kept:
            click.echo(keep.summary(result.folder, list(result.kept)), err=True)
        check = (
            "not checked"
            if result.report is None
            else (f"max abs error vs torch {result.report.max_abs_err:.2g}")
        )
        written = sum(1 for p in result.folder.rglob("*") if p.is_file())  # PDFs, PNGs too
        done = f"{printable(path)} -> {printable(result.folder)}/ ({written} files, {check})"
        backward = result.example.backward is not None
        if backward and result.example.render.carry == "displayed":
            batch.say(f"{printable(path)}: warning: {DISPLAYED_BACKWARD}")
        note = exercise_note(result.example.render, backward)
        return f"{done}\n  {note}" if note else done

    paths = batch.distinct_stems(batch.expand_paths(examples), out)
    if watch:
        batch.watch_render(examples, work, templates)
        return
    batch.each(paths, work)


#: ``render`` warns on stderr whenever ``carry: displayed`` meets ``backward:``, with an
#: exercise or without (newuser2 #3: the document printed h_T = 0.0792 in the forward
#: pass and 0.0791 for the same y-hat in the loss, and nothing said so).
DISPLAYED_BACKWARD = (
    "carry: displayed with a backward pass: it starts from the exact forward "
    "values, so the output its loss uses may differ in a last digit from the printed h "
    "(carry: exact, the default with backward:, avoids this)"
)


def exercise_note(options: model.RenderOptions, backward: bool = False) -> str:
    """What the lecturer should know about an exercise's rounding (``render.carry``);
    carry: displayed with backward: is warned about on its own (:data:`DISPLAYED_BACKWARD`)."""
    if not options.exercise or (backward and options.carry == "displayed"):
        return ""
    if backward:
        return (
            "exercise with backward: and carry: exact (the default with backward:, whose pass "
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
@options.apply(options.CHECK)
def check(examples: tuple[str, ...], device: str | None, as_json: bool) -> None:
    """Compute and cross-check EXAMPLES against torch only; print a table of errors.

    \b
    Examples:
      lstm-tex check examples/notebook-step.yaml
      lstm-tex check examples/ --device auto
      lstm-tex check step.yaml --json | jq .max_abs_err
    """
    if device is not None:
        flags.device_flag(device)
    if as_json:
        batch.check_json(batch.expand_paths(examples), device)
        return

    def work(path: Path) -> str:
        trace = pipeline.compute(path)
        report = pipeline.check(trace, device)
        batch.print_report(report, file=printable(path))
        gradients = pipeline.differentiate(trace)
        if gradients is not None:
            batch.print_report(
                pipeline.check_gradients(gradients, device),
                file=printable(path),
                what="backward pass",
            )
        return (
            f"{printable(path)}: passed (max abs error {report.max_abs_err:.2g} <= {report.atol:g})"
        )

    batch.each(batch.expand_paths(examples), work)


@main.command()
@click.argument("path", required=False, type=options.FILE)
@options.apply(options.INIT)
def init(path: Path | None, output: Path | None, force: bool, **given: Any) -> None:
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
      lstm-tex init bptt.yaml --steps 2 --backward    # with targets: the gradients too
    """
    from lstm_tex.commands import init as example_init

    target = flags.target_file(path, output, Path("example.yaml"))
    made = flags.init_options(given)
    try:
        text = example_init.generate(made)
    except LstmTexError as exc:
        batch.fail(exc)
    if flags.write_example(target, text, force):
        click.echo(
            printable(
                f"wrote {target} (input size {made.input_size}, hidden size "
                f"{made.hidden_size}, {batch.plural(made.steps, 'step')}, "
                f"{batch.plural(made.layers, 'layer')}, seed {made.seed}); "
                f"next: lstm-tex render {target}"
            )
        )


@main.command("import")
@click.argument("model", type=click.Path(readable=False, path_type=Path))
@options.apply(options.IMPORT)
def import_(model: Path, output: Path | None, force: bool, **given: Any) -> None:
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
    import_options = flags.import_options(target, given)
    if str(target) != "-" and target.exists() and not force:
        batch.fail(
            InputError(
                "already exists; choose another name with -o or pass --force to overwrite it",
                file=printable(target),
            )
        )
    try:
        imported = importer.import_model(model, import_options)
    except LstmTexError as exc:
        batch.fail(exc)
    if flags.write_example(target, imported.text, force):
        _wrote(target, model, imported)


def _wrote(target: Path, model: Path, imported: Imported) -> None:
    """What ``import`` wrote: the network's shape, where its weights are, what comes next."""
    cfg = imported.example.config
    kept = f"; weights: a reference to {model}" if imported.reference else ""
    shape = ", bidirectional" * cfg.bidirectional + (
        f", proj_size {cfg.proj_size}" if cfg.proj_size else ""
    )
    click.echo(
        printable(
            f"wrote {target}: the {imported.kind} of {model} (input size "
            f"{cfg.input_size}, hidden size {cfg.hidden_size}, "
            f"{batch.plural(cfg.num_layers, 'layer')}{shape}, {imported.dtype}{kept}); next: "
            f"lstm-tex render {target}"
        )
    )
    for note in imported.notes:
        click.echo(printable(f"note: {note}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
