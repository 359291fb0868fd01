"""The command line's options, declared once with their help texts: what ``render``,
``check``, ``init`` and ``import`` accept. :mod:`lstm_tex.cli` puts them on its commands
with :func:`apply`; the commands' functions receive them as keyword arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

DEVICES = "cpu, cuda, cuda:N, mps or auto"
#: Most zero steps ``import --steps`` writes (more than 200 need render.steps anyway).
IMPORT_MAX_STEPS = 1000
#: A file to write: click checks nothing but that it is not a folder (an unreadable file
#: is ours to report, in our words).
FILE = click.Path(dir_okay=False, readable=False, path_type=Path)

#: Allowed ranges of ``init``'s options, (smallest, largest): click checks the flags,
#: :func:`lstm_tex.commands.init.generate` the options given through the API. Kept here
#: so that the command line is built without importing ``init`` (issue 17).
LIMITS = {
    "input_size": (1, 64),
    "hidden_size": (1, 64),
    "steps": (1, 50),
    "layers": (1, 4),
    "decimals": (1, 4),
}

#: A click option, as a decorator of a command's function.
Option = Callable[[Any], Any]


def apply(options: Sequence[Option]) -> Option:
    """One decorator putting ``options`` on a command, in this order in its ``--help``."""

    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def size_option(flag: str, metavar: str, default: int, help: str) -> Option:
    """An ``init`` option for a size or count, bounded by :data:`LIMITS` (keyed by the
    flag's name: ``--input-size`` is ``input_size``)."""
    low, high = LIMITS[flag.removeprefix("--").replace("-", "_")]
    return click.option(
        flag,
        type=click.IntRange(low, high),
        metavar=metavar,
        default=default,
        show_default=True,
        help=help,
    )


def choice_option(flag: str, choices: list[str], default: str, help: str) -> Option:
    """An option taking one of ``choices``, ``default`` shown in the help."""
    return click.option(
        flag, type=click.Choice(choices), default=default, show_default=True, help=help
    )


def output_option(help: str) -> Option:
    """``-o``/``--output``: the file ``init`` or ``import`` writes."""
    return click.option("-o", "--output", "output", type=FILE, help=help)


def nonlinearity_option(help: str, **default: Any) -> Option:
    """``--nonlinearity``: an nn.RNN's activation (``default``: click's, if any)."""
    return click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), help=help, **default)


#: ``--force`` of ``init`` and ``import``.
FORCE = click.option("--force", is_flag=True, help="Overwrite the file if it exists.")


RENDER: list[Option] = [
    click.option(
        "--out",
        type=click.Path(readable=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Folder that receives <stem>/ for each example.",
    ),
    click.option(
        "--device",
        help=f"Device for the torch cross-check: {DEVICES}. Overrides check.device in the file.",
    ),
    click.option(
        "--no-check", is_flag=True, help="Skip the torch cross-check (torch is not imported)."
    ),
    click.option(
        "--templates",
        type=click.Path(readable=False, path_type=Path),
        help="Folder of templates overriding the packaged ones, file by file.",
    ),
    click.option("--pdf", is_flag=True, help="Also compile the article and the deck to PDF."),
    click.option(
        "--png",
        is_flag=True,
        help="Also write every PDF page as a PNG next to the PDFs (implies --pdf; needs pdftoppm).",
    ),
    click.option(
        "--watch",
        is_flag=True,
        help="Keep running: render again whenever an example or a template changes (Ctrl-C stops).",
    ),
    click.option(
        "--reveal",
        is_flag=True,
        help="Uncover the derivations on the slides step by step (Beamer overlays; render.reveal).",
    ),
    click.option(
        "--expand",
        multiple=True,
        metavar="GATE[:STEPS]",
        help="Also write gate GATE out row by row (i, f, g, o for an LSTM; r, z, n "
        "for a GRU; h for an RNN; or all), at STEPS (f:1,2; default every derived "
        "step); repeatable (render.expand).",
    ),
    click.option(
        "--max-rows",
        type=int,
        help="Matrix rows shown on slides before the rest is "
        "elided, 3 to 16 (render.max_rows, default 8).",
    ),
    click.option(
        "--max-cols",
        type=int,
        help="Matrix columns shown on slides before the rest "
        "is elided, 3 to 16 (render.max_cols, default 8).",
    ),
    click.option(
        "--text-size",
        type=int,
        metavar="PT",
        help="The slides' text size in pt: 9, 10 (the default) or 11 (render.text_size). "
        "A line too wide for it elides matrix columns: numbers never go below 8 pt.",
    ),
    click.option(
        "--theme",
        metavar="NAME",
        help="Lay the slides out for a deck in this Beamer theme (render.deck.theme, "
        "default: default), such as Madrid: frames.tex then fits your own deck at the "
        "text size, and the standalone deck uses that theme.",
    ),
    click.option(
        "--aspect",
        type=click.Choice(["16:9", "4:3"]),
        help="The aspect ratio of that deck (render.deck.aspect): 16:9 (the default) or "
        "4:3 (Beamer's default page).",
    ),
    click.option(
        "--font-size",
        type=int,
        metavar="PT",
        help="The font size of that deck's class, as in \\documentclass[10pt]{beamer} "
        "(render.deck.font_size): 10, 11 (Beamer's default) or 12. The slides' text "
        "keeps --text-size in it.",
    ),
    click.option(
        "--article-full",
        is_flag=True,
        help="Show every row and column in the article (render.article_full).",
    ),
    click.option(
        "--notation",
        type=click.Choice(["pytorch", "textbook", "row-vector"]),
        help="How the equations are written (render.notation): pytorch (W_ii x + b_ii "
        "+ W_hi h + b_hi, the default), textbook (W [h; x] + b, as Olah) or "
        "row-vector (x W + h W + b, as d2l). The numbers are the same.",
    ),
    click.option(
        "--carry",
        type=click.Choice(["exact", "displayed"]),
        help="displayed: compute every shown value from the rounded values shown "
        "before it, so a calculator reproduces every digit (render.carry; default exact, "
        "displayed with an exercise unless the example has backward:).",
    ),
    click.option(
        "--exercise",
        metavar="QUANTITIES",
        help="Also write an exercise sheet whose boxes stand for QUANTITIES (all, or "
        "some of ih, hh, pre, the cell's gates, c and h, such as f,c,h for an LSTM or "
        "z,n,h for a GRU) and its answer key (render.exercise). With backward: also "
        "gradients, named as in values.json: dy, dh, dc, d + a gate (df, dz ...), dpre "
        "(the deltas), grads (weights and initial state), such as dh,dpre.",
    ),
    click.option(
        "--captions/--no-captions",
        default=None,
        help="Sentences under the derivations that read the gate values (render.captions).",
    ),
    click.option(
        "--html",
        is_flag=True,
        help="Also write <stem>.html, a web page of the "
        "article that works offline (KaTeX next to it; "
        "render.formats).",
    ),
    click.option(
        "--markdown",
        is_flag=True,
        help="Also write <stem>.md with $$ ... $$ maths, "
        "for Jupyter Book, MyST and Quarto "
        "(render.formats).",
    ),
    click.option(
        "--diagram/--no-diagram",
        default=None,
        help="Draw the cell (TikZ) with each derived step's numbers on it: a frame "
        "per step, a figure in the article, parts/<step>-diagram.tex "
        "(render.diagram).",
    ),
    click.option(
        "--plots/--no-plots",
        default=None,
        help="Plot the gates, c and h over time (pgfplots), a frame per layer and "
        "direction, for sequences of two steps or more (render.plots).",
    ),
]

CHECK: list[Option] = [
    click.option("--device", help=f"Device for the torch cross-check: {DEVICES}."),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the report as JSON on stdout (one object, or a list for several "
        "files) instead of tables; the exit status is the same.",
    ),
]

INIT: list[Option] = [
    output_option("The file to write (the same as PATH); - writes to stdout."),
    size_option("--input-size", "N", 2, "Size of each input x_t."),
    size_option("--hidden-size", "N", 4, "Size of h and c."),
    size_option("--steps", "T", 1, "Number of time steps of x."),
    size_option("--layers", "L", 1, "Number of stacked LSTM layers."),
    click.option(
        "--seed",
        type=click.IntRange(min=0),
        metavar="S",
        default=0,
        show_default=True,
        help="Random seed: the same seed gives the same file, byte for byte.",
    ),
    size_option(
        "--decimals", "D", 2, "Digits of the generated weights, inputs and initial states."
    ),
    choice_option(
        "--bias",
        ["true", "false", "single"],
        "true",
        "Biases: torch's two per gate (true), none (false), or one per gate as in textbooks "
        "(single).",
    ),
    choice_option(
        "--cell", ["lstm", "gru", "rnn"], "lstm", "The network: torch.nn.LSTM, nn.GRU or nn.RNN."
    ),
    nonlinearity_option(
        "The activation of an nn.RNN (--cell rnn).", default="tanh", show_default=True
    ),
    click.option("--title", help="Title of the documents (default: the network's shape)."),
    click.option(
        "--backward",
        is_flag=True,
        help="Also write a backward: section (a target for every step, torch's mse_loss, "
        "an SGD step with lr 0.1): the documents then derive the gradients (BPTT).",
    ),
    FORCE,
]

IMPORT: list[Option] = [
    output_option(
        "The file to write (default: MODEL's name with .yaml, in the current "
        "folder); - writes to stdout."
    ),
    click.option(
        "--prefix",
        help="Key prefix of the nn.LSTM inside a larger state_dict, such "
        "as encoder.lstm., or the name of the Keras layer or ONNX "
        "node (default: the only LSTM in the file).",
    ),
    choice_option(
        "--weights",
        ["auto", "inline", "reference"],
        "auto",
        "Write the weights into the example (inline), or name the model file "
        "(reference); auto: a reference beyond 10,000 numbers.",
    ),
    click.option(
        "--decimals",
        type=click.IntRange(0, 12),
        metavar="N",
        help="Round the weights to this many decimals (default: the shortest "
        "decimals that give back the saved values, in their dtype).",
    ),
    click.option(
        "--x",
        "x",
        metavar="JSON",
        help="The input as a JSON list: one step [0.5, 0.1] or a sequence "
        "[[0.5, 0.1], [0.2, 0.0]] (default: zeros).",
    ),
    click.option(
        "--h0", metavar="JSON", help="The initial hidden state as a JSON list (default: zeros)."
    ),
    click.option(
        "--c0", metavar="JSON", help="The initial cell state as a JSON list (default: zeros)."
    ),
    click.option(
        "--steps",
        type=click.IntRange(1, IMPORT_MAX_STEPS),
        metavar="N",
        help=f"Without --x: this many steps of zero input (default 1, at most {IMPORT_MAX_STEPS}).",
    ),
    click.option(
        "--batch-first",
        is_flag=True,
        help="The model is batch_first: --x with a batch is (batch, T, input), and "
        "the example says batch_first: true.",
    ),
    nonlinearity_option(
        "An nn.RNN's activation, which its state_dict does not save (default: tanh)."
    ),
    click.option("--title", help="Title of the documents (default: the model file's name)."),
    FORCE,
]
