"""The words of every validation message: "expected ..., found ...", suggestions, hints.

:func:`pydantic_errors` turns pydantic's verdicts into :class:`~lstm_tex.errors.InputError`
lines in the file format's own words; the other functions name what was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.compute.cells import Cell, kind_from_ratio
from lstm_tex.errors import InputError, InputErrors
from lstm_tex.read import document

if TYPE_CHECKING:  # pydantic is imported only to explain a file the schema rejects
    from pydantic import ValidationError

_MISSING_HINTS: dict[tuple[Any, ...], str] = {
    ("weights",): " (the LSTM's state_dict: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0)",
    ("x",): " (the input: [x1, x2, ...] for one step, or a list of steps)",
    ("backward", "target"): " (the target of the loss, shaped like the output)",
}


#: Keys of one configuration section written under another.
_OTHER_CELL_KEYS: dict[tuple[Any, ...], str] = {
    (kind, "proj_size"): f" (proj_size is nn.LSTM's only: nn.{kind.upper()} has no projections)"
    for kind in ("gru", "rnn")
} | {
    (kind, "nonlinearity"): " (nonlinearity, tanh or relu, is nn.RNN's only: write it under rnn:)"
    for kind in ("lstm", "gru")
}


def pydantic_errors(doc: document.Document, exc: ValidationError) -> InputError:
    """One :class:`InputError` per problem pydantic found, in the order of the file."""
    raw = exc.errors()
    suggested = set()
    errors: list[InputError] = []
    for err in raw:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = _OTHER_CELL_KEYS.get((*loc[:-1], key)) or suggest(key, _known_keys(loc[:-1]))
            suggested.add((*loc[:-1], hint.partition("'")[2].partition("'")[0]))
            errors.append(doc.error(loc, f"unknown key {key!r}{hint}"))
    for err in raw:
        loc = tuple(err["loc"])
        if err["type"] == "missing":
            if loc not in suggested:  # a typo of this key is reported already
                errors.append(
                    doc.error(loc, "required key is missing" + _MISSING_HINTS.get(loc, ""))
                )
        elif err["type"] != "extra_forbidden":
            errors.append(doc.error(loc, _pydantic_message(err) + HINTS.get(loc, "")))
    errors.sort(key=lambda e: e.line or 0)
    return errors[0] if len(errors) == 1 else InputErrors(errors)


HINTS: dict[tuple[Any, ...], str] = {
    ("render", "max_rows"): " (matrix rows a frame shows before eliding with \\vdots; "
    "render.article_full shows every number in the article)",
    ("render", "max_cols"): " (matrix columns a frame shows before eliding with \\cdots; "
    "render.article_full shows every number in the article)",
    ("render", "text_size"): " (the slides' text size in pt; a line too wide for it "
    "elides columns, numbers never go below 8 pt)",
    ("render", "deck", "aspect"): " (the aspect ratio of the deck the slides go into: 16:9 "
    "for \\documentclass[aspectratio=169]{beamer}, 4:3 for Beamer's default page)",
    ("render", "deck", "font_size"): " (the font size of that deck's class in pt, as in "
    "\\documentclass[10pt]{beamer}: 10, 11 (Beamer's default) or 12)",
    ("render", "formats"): " (a list of latex, html and markdown, such as [latex, html])",
}


def _pydantic_message(err: Any) -> str:
    """pydantic's verdict in the words of this file format: expected ..., found ...."""
    kind, ctx, found = err["type"], err.get("ctx") or {}, described(err.get("input"))
    if kind == "finite_number":
        return f"expected a finite number, found {err.get('input')!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value lines), found {found}"
    if kind.startswith("int_"):
        return f"expected a whole number, found {found}"
    if kind.startswith("float_"):
        return f"expected a number, found {found}"
    if kind.startswith("bool_"):
        return f"expected true or false, found {found}"
    if kind.startswith("string_type"):
        quote = (
            ""
            if isinstance(err.get("input"), (list, dict))
            else (" (put it in quotes to use it as text)")
        )
        return f"expected text, found {found}{quote}"
    if kind == "string_pattern_mismatch" and err["loc"][-1] == "device":
        return f"expected cpu, cuda, cuda:N, mps or auto, found {found}"
    if kind == "literal_error":
        return f"expected {str(ctx.get('expected', '')).replace(chr(39), '')}, found {found}"
    bounds = {
        "greater_than": "more than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        shown = f"{limit:g}" if isinstance(limit, float) else str(limit)
        return f"expected {bounds[kind]} {shown}, found {found}"
    text = str(err["msg"])
    return f"{text[:1].lower()}{text[1:]}, found {found}"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    from pydantic import BaseModel

    from lstm_tex.validate.schema import ExampleSection

    model: type[BaseModel] = ExampleSection
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        candidates = [
            a
            for a in getattr(annotation, "__args__", (annotation,))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not candidates:
            return []
        model = candidates[0]
    return list(model.model_fields)


def suggest(word: str, options: Sequence[str]) -> str:
    import difflib  # an unknown key's suggestion only: not on a valid file's path

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(options)}" if options else ""


def described(value: Any) -> str:
    """``found ...`` words for a value as YAML wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def kind_reason(w_hh: np.ndarray, cell: Cell) -> str:
    """Why a file without a configuration section was read as ``cell``'s kind."""
    rows, cols = w_hh.shape
    ratio = kind_from_ratio(int(rows), int(cols))
    why = (
        f"weight_hh_l0's {rows} rows / {cols} columns is {cell.blocks}"
        if ratio == cell.kind
        else f"weight_hh_l0's {rows} rows / {cols} columns is not 4, 3 or 1"
    )
    return (
        f" (no lstm:, gru: or rnn: section, and {why}, so read as "
        f"{'a' if cell.kind == 'gru' else 'an'} {cell.label}; write lstm:, gru: or rnn: to "
        "say which)"
    )


def as_yaml(value: Any) -> str:
    """A value as YAML writes it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def found_shape(shape: Sequence[int]) -> str:
    if not shape:
        return "a single number"
    return f"{len(shape)}-D shape {shape_text(shape)}"


def inference_reason(name: str, blocks: int = 4) -> str:
    return {
        "input_size": " (columns of weight_ih_l0)",
        "hidden_size": " (rows of weight_ih_l0" + (f" / {blocks})" if blocks > 1 else ")"),
        "bias": " (bias_* keys present or not; bias: single for bias_ih keys only)",
        "bidirectional": " (*_reverse keys present or not)",
        "proj_size": " (rows of weight_hr_l0, or 0 without it)",
    }.get(name, "")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def or_list(names: Sequence[str]) -> str:
    """``i, f, g or o``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
