"""The command line's flags, checked before any work: text that must be UTF-8, a title
LaTeX can set, a device, the file ``init`` and ``import`` write; and the options of
``render`` and ``import`` built from their flags. A bad flag exits 2 naming it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lstm_tex import pipeline
from lstm_tex.commands.batch import fail
from lstm_tex.commands.options import DEVICES
from lstm_tex.errors import InputError, LstmTexError

if TYPE_CHECKING:  # importer is imported when ``import`` runs, init when ``init`` does
    from lstm_tex.commands.importer import ImportOptions
    from lstm_tex.commands.init import InitOptions


def text_flag(value: str | None, flag: str) -> str | None:
    """A text flag as given, refused (exit 2) when it holds bytes that are not UTF-8."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = os.fsencode(value[exc.start : exc.end])[:1]
        found = f"the byte 0x{byte[0]:02x}" if byte else "a lone surrogate"
        fail(
            InputError(
                f"expected UTF-8 text, found {found} at character {exc.start + 1} "
                "(set the terminal to UTF-8, or write the text in the example "
                "file)",
                field=flag,
            )
        )
    return value


def title_flag(value: str | None) -> str | None:
    """``--title``: UTF-8 text without control characters (an example file cannot hold
    them, and LaTeX cannot show them)."""
    from lstm_tex.read.problems import unprintable

    value = text_flag(value, "--title")
    if value is not None:
        found = unprintable(value.replace("\n", " ").replace("\t", " "))
        if found is not None:
            char, position = found
            fail(
                InputError(
                    f"expected text without control characters, found U+"
                    f"{ord(char):04X} at character {position + 1}",
                    field="--title",
                )
            )
        from lstm_tex.latex.text import problem

        reason = problem(value)  # what render would refuse in the file (see README, Titles)
        if reason is not None:
            fail(InputError(reason, field="--title"))
    return value


def device_flag(device: str) -> None:
    from lstm_tex.validate.model import DEVICE_PATTERN

    text_flag(device, "--device")
    if not DEVICE_PATTERN.match(device):
        fail(InputError(f"expected {DEVICES}, found {device!r}", field="--device"))


def target_file(path: Path | None, output: Path | None, default: Path) -> Path:
    if path is not None and output is not None and path != output:
        fail(
            InputError(
                f"give the file once, as PATH or with -o, not both ({path} and {output})",
                field="-o",
            )
        )
    return output or path or default


def write_example(target: Path, text: str, force: bool) -> bool:
    """Write ``text`` to ``target`` (``-``: stdout); True when a file was written."""
    if str(target) == "-":
        click.echo(text, nl=False)
        return False
    from lstm_tex.commands import init as example_init

    try:
        example_init.write(target, text, force=force)
    except LstmTexError as exc:
        fail(exc)
    return True


#: ``init``'s flags (sizes, ``--backward``) that go to
#: :class:`lstm_tex.commands.init.InitOptions` as they are.
_SIZES = ("input_size", "hidden_size", "steps", "layers", "seed", "decimals", "backward")


def init_options(given: dict[str, Any]) -> InitOptions:
    """``init``'s options from its flags (sizes as given; the title checked)."""
    from lstm_tex.commands import init as example_init

    cell, nonlinearity = given["cell"], given["nonlinearity"]
    return example_init.InitOptions(
        **{key: given[key] for key in _SIZES},
        title=title_flag(given["title"]),
        bias={"true": True, "false": False}.get(given["bias"], "single"),
        cell="gru" if cell == "gru" else "rnn" if cell == "rnn" else "lstm",
        nonlinearity="relu" if nonlinearity == "relu" else "tanh",
    )


def render_options(
    out: Path, templates: Path | None, flags: dict[str, Any]
) -> pipeline.RenderOptions:
    """``render``'s options (:class:`lstm_tex.pipeline.RenderOptions`) from its flags."""
    if flags["device"] is not None:
        device_flag(flags["device"])
    exercise = text_flag(flags["exercise"], "--exercise")
    expand = tuple(text_flag(e, "--expand") or "" for e in flags["expand"])
    view = {
        key: value
        for key, value in (
            ("reveal", flags["reveal"] or None),
            ("expand", expand or None),
            ("max_rows", flags["max_rows"]),
            ("max_cols", flags["max_cols"]),
            ("text_size", flags["text_size"]),
            ("theme", text_flag(flags["theme"], "--theme")),
            ("aspect", flags["aspect"]),
            ("font_size", flags["font_size"]),
            ("article_full", flags["article_full"] or None),
        )
        if value is not None
    }
    return pipeline.RenderOptions(
        out=out,
        device=flags["device"],
        check=not flags["no_check"],
        templates=templates,
        pdf=flags["pdf"] or flags["png"],
        png=flags["png"],
        view=view,
        notation=flags["notation"],
        carry=flags["carry"],
        exercise=exercise,
        captions=flags["captions"],
        diagram=flags["diagram"],
        plots=flags["plots"],
        formats=("html",) * flags["html"] + ("markdown",) * flags["markdown"],
    )


def import_options(target: Path, flags: dict[str, Any]) -> ImportOptions:
    """``import``'s options (:class:`lstm_tex.commands.importer.ImportOptions`)."""
    from lstm_tex.commands import importer

    nonlinearity = flags["nonlinearity"]
    return importer.ImportOptions(
        prefix=text_flag(flags["prefix"], "--prefix"),
        decimals=flags["decimals"],
        x=text_flag(flags["x"], "--x"),
        h0=text_flag(flags["h0"], "--h0"),
        c0=text_flag(flags["c0"], "--c0"),
        steps=flags["steps"],
        title=title_flag(flags["title"]),
        batch_first=flags["batch_first"],
        weights=flags["weights"],
        output=target,
        nonlinearity="relu" if nonlinearity == "relu" else "tanh" if nonlinearity else None,
    )
