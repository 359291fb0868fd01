"""The render options chosen in a file's ``render:`` or by the command line's flags.

``render.expand``, ``render.formats``, the view options (reveal, elision) and
``render.exercise`` (:mod:`lstm_tex.validate.exercise`) are read the same way from either;
:func:`with_render` and :func:`with_view` apply the flags to a validated example and raise
:class:`InputError` naming the flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from lstm_tex.compute.cells import LSTM, Cell
from lstm_tex.errors import InputError
from lstm_tex.read import document
from lstm_tex.validate.deck import file_deck, frame_flags
from lstm_tex.validate.exercise import (
    BadExercise,
    carry_and_exercise,
    exercise_option,
    exercise_quantities,
)
from lstm_tex.validate.messages import HINTS, counted, described, or_list, suggest
from lstm_tex.validate.model import (
    ELISION_MIN,
    FORMATS,
    GATES,
    SHOWN,
    SLIDES_MAX_COLS,
    SLIDES_MAX_ROWS,
    Example,
    Format,
    LstmConfig,
    RenderOptions,
)
from lstm_tex.validate.structs import RenderSection


def formats_option(formats: Sequence[str]) -> tuple[Format, ...]:
    """``render.formats`` without repeats, in :data:`FORMATS` order (validated before)."""
    return tuple(f for f in FORMATS if f in formats)


def with_render(example: Example, **changes: Any) -> Example:
    """``example`` with some ``render`` options replaced (the command line's flags):
    ``notation``, ``carry``, ``captions``, ``diagram``, ``plots`` as in the file,
    ``exercise`` as text (``all`` or ``f,c,h``); ``formats`` are added to the file's
    (``--html``, ``--markdown``). Raises :class:`InputError` naming the flag."""
    notation = changes.get("notation") or example.render.notation
    if notation not in SHOWN:
        raise InputError(f"expected {', '.join(SHOWN)}, found {notation!r}", field="--notation")
    if changes.get("carry") not in (None, "exact", "displayed"):
        raise InputError(
            f"expected exact or displayed, found {changes['carry']!r}", field="--carry"
        )
    exercise = changes.get("exercise")
    field_name = "--exercise"
    if isinstance(exercise, str):
        parts = [q.strip() for q in exercise.split(",") if q.strip()]
        value: Any = "all" if parts == ["all"] else parts
    else:
        value, field_name = list(example.render.exercise) or None, "render.exercise"
    try:
        quantities = exercise_quantities(
            value, notation, example.config.cell, example.backward is not None
        )
    except BadExercise as exc:
        raise InputError(str(exc), field=field_name) from None

    def switch(key: str) -> bool:
        given = changes.get(key)
        return bool(getattr(example.render, key) if given is None else given)

    given = example.render
    # A carry that is not the default of the file's exercise was chosen (also when an
    # Example is built in code without carry_chosen).
    has_backward = example.backward is not None
    default = carry_and_exercise(None, given.exercise, has_backward)["carry"]
    chosen = given.carry_chosen or given.carry != default
    carry = changes.get("carry") or (given.carry if chosen else None)
    options = replace(
        example.render,
        notation=notation,
        **carry_and_exercise(carry, quantities, has_backward),
        captions=switch("captions"),
        diagram=switch("diagram"),
        plots=switch("plots"),
        formats=formats_option((*example.render.formats, *changes.get("formats", ()))),
    )
    return replace(example, render=options)


class BadOption(ValueError):
    """An invalid render option: the message, and the path below the option at fault."""

    def __init__(self, message: str, where: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.where = where


_EXPAND_FORMS = "all, a gate, or a list such as [f, o] or [{gate: f, steps: [1]}]"


def expand_option(
    value: Any, steps: int, derived: tuple[int, ...] | None, cell: Cell = LSTM
) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
    """``render.expand``: which gates, at which steps, are written out row by row.

    ``None`` or ``[]`` is none; ``all`` is every gate; a gate (``f``) or a list of gates
    and ``{gate: ..., steps: ...}`` entries (``gate`` one of i, f, g, o, ``all`` or a list
    of them; ``steps`` as in ``render.steps``, default ``all``). The result has one
    ``(gate, steps)`` per gate, in the order i, f, g, o (``None``: every derived step).
    Raises :class:`BadOption` with the path below ``render.expand``. Another ``cell``
    than the LSTM has its own gates (r, z, n; an RNN's one block, ``h``), in its order.
    """
    gate_names = cell.gate_names
    if value is None or value == "all":
        return () if value is None else tuple((k, None) for k in gate_names)
    items = value if isinstance(value, list) else [value]
    chosen: dict[str, set[int] | None] = {}
    for k, item in enumerate(items):
        where: tuple[Any, ...] = (k,) if isinstance(value, list) else ()
        if isinstance(item, dict):
            unknown = [key for key in item if key not in ("gate", "steps")]
            if unknown:
                raise BadOption(
                    f"unknown key {unknown[0]!r}" + suggest(str(unknown[0]), ["gate", "steps"]),
                    (*where, unknown[0]),
                )
            if "gate" not in item:
                raise BadOption(
                    f"required key is missing (gate: {', '.join(gate_names)} or all)",
                    (*where, "gate"),
                )
            gates = _expand_gates(item["gate"], (*where, "gate"), gate_names)
            steps_of = _expand_steps(item.get("steps", "all"), steps, derived, (*where, "steps"))
        elif isinstance(item, str):
            gates, steps_of = _expand_gates(item, where, gate_names), None
        else:
            raise BadOption(f"expected {_EXPAND_FORMS}, found {described(item)}", where)
        for gate in gates:
            if steps_of is None or (gate in chosen and chosen[gate] is None):
                chosen[gate] = None
            else:
                chosen[gate] = (chosen.get(gate) or set()) | steps_of
    return tuple(
        (k, None if chosen[k] is None else tuple(sorted(chosen[k] or ())))
        for k in gate_names
        if k in chosen
    )


def _expand_gates(
    value: Any, where: tuple[Any, ...], gate_names: tuple[str, ...] = GATES
) -> tuple[str, ...]:
    if value == "all":
        return gate_names
    names = value if isinstance(value, list) else [value]
    for n, name in enumerate(names):
        at = (*where, n) if isinstance(value, list) else where
        if not isinstance(name, str):
            raise BadOption(
                f"expected a gate ({or_list(gate_names)}) or all, found {described(name)}", at
            )
        if name not in gate_names:
            raise BadOption(
                f"unknown gate {name!r}; expected {or_list(gate_names)} (torch's gate order) "
                "or all",
                at,
            )
    return tuple(names)


def _expand_steps(
    value: Any, steps: int, derived: tuple[int, ...] | None, where: tuple[Any, ...]
) -> set[int] | None:
    if value == "all":
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, list) or not items:
        raise BadOption(
            f"expected all or a list of steps such as [1], found {described(value)}", where
        )
    for n, t in enumerate(items):
        at = (*where, n) if isinstance(value, list) else where
        if isinstance(t, bool) or not isinstance(t, int):
            raise BadOption(f"expected a step number, found {described(t)}", at)
        if not 1 <= t <= steps:
            raise BadOption(
                f"there is no step {t}: x has {counted(steps, 'step')}, numbered "
                f"from 1, so expected 1 to {steps}",
                at,
            )
        if derived is not None and t not in derived:
            raise BadOption(
                f"step {t} is not derived in full (render.steps: "
                f"{list(derived)}), so it cannot be written out row by row; "
                f"expected one of {', '.join(map(str, derived))}",
                at,
            )
    return set(items)


def view_options(
    doc: document.Document,
    section: RenderSection,
    options: RenderOptions,
    steps: int,
    cell: Cell = LSTM,
) -> RenderOptions:
    """``options`` with the presentation keys of ``section`` (reveal, expand, elision)."""
    try:
        expand = expand_option(section.expand, steps, options.steps, cell)
    except BadOption as exc:
        raise doc.error(("render", "expand", *exc.where), str(exc)) from None
    return replace(
        options,
        reveal=section.reveal,
        expand=expand,
        max_rows=section.max_rows,
        max_cols=section.max_cols,
        text_size=section.text_size,
        deck=file_deck(doc, section.deck),
        article_full=section.article_full,
    )


def with_view(
    example: Example,
    *,
    reveal: bool | None = None,
    expand: Sequence[str] | None = None,
    max_rows: int | None = None,
    max_cols: int | None = None,
    article_full: bool | None = None,
    text_size: int | None = None,
    theme: str | None = None,
    aspect: str | None = None,
    font_size: int | None = None,
) -> Example:
    """``example`` with presentation options replaced (the command line's flags; ``None``
    keeps the file's). ``expand`` holds ``GATE`` or ``GATE:STEPS`` texts (``f``, ``all``,
    ``o:1,3``), one per ``--expand``; ``text_size``, ``theme``, ``aspect`` and
    ``font_size``: :func:`~lstm_tex.validate.deck.frame_flags`. Raises
    :class:`InputError` naming the flag."""
    changes: dict[str, Any] = {}
    if expand is not None:
        entries: list[Any] = []
        for text in [expand] if isinstance(expand, str) else expand:
            gate, _, steps_text = text.partition(":")
            entry: dict[str, Any] = {"gate": gate.strip()}
            if steps_text.strip():
                try:
                    entry["steps"] = [int(t) for t in steps_text.split(",") if t.strip()]
                except ValueError:
                    raise InputError(
                        f"expected GATE or GATE:STEPS such as f or o:1,3, found {text!r}",
                        field="--expand",
                    ) from None
            entries.append(entry)
        try:
            changes["expand"] = expand_option(
                entries, example.steps, example.render.steps, example.config.cell
            )
        except BadOption as exc:
            raise InputError(str(exc), field="--expand") from None
    for name, value, limit in (
        ("max_rows", max_rows, SLIDES_MAX_ROWS),
        ("max_cols", max_cols, SLIDES_MAX_COLS),
    ):
        if value is not None:
            if not ELISION_MIN <= value <= limit:
                raise InputError(
                    f"expected {ELISION_MIN} to {limit}, found {value}" + HINTS[("render", name)],
                    field="--" + name.replace("_", "-"),
                )
            changes[name] = value
    frame = {"text_size": text_size, "theme": theme, "aspect": aspect, "font_size": font_size}
    changes.update(frame_flags(example.render.deck, frame))
    if reveal is not None:
        changes["reveal"] = reveal
    if article_full is not None:
        changes["article_full"] = article_full
    return replace(example, render=replace(example.render, **changes)) if changes else example


def render_options(
    doc: document.Document,
    section: RenderSection,
    config: LstmConfig,
    steps: int,
    backward: bool = False,
) -> RenderOptions:
    """The file's ``render:`` section, every option checked against the example (which
    has a ``backward:`` section with ``backward``)."""
    options = RenderOptions(
        decimals=section.decimals,
        steps=selection(
            doc,
            ("render", "steps"),
            section.steps,
            1,
            steps,
            "step",
            f"x has {counted(steps, 'step')}, numbered from 1",
        ),
        layers=selection(
            doc,
            ("render", "layers"),
            section.layers,
            0,
            config.num_layers - 1,
            "layer",
            f"the {config.cell.label} has {counted(config.num_layers, 'layer')}, numbered "
            "from 0 as in the weight names",
        ),
        notation=section.notation,
        **carry_and_exercise(
            section.carry,
            exercise_option(doc, section.exercise, section.notation, config.cell, backward),
            backward,
        ),
        captions=section.captions,
        chosen=bool({"steps", "layers"} & set(doc.data.get("render") or ())),
        formats=formats_option(section.formats),
        diagram=section.diagram,
        plots=section.plots,
    )
    return view_options(doc, section, options, steps, config.cell)


def selection(
    doc: document.Document,
    path: tuple[Any, ...],
    value: Any,
    first: int,
    last: int,
    what: str,
    why: str,
) -> tuple[int, ...] | None:
    """``render.steps``/``render.layers``: ``all`` -> None, else sorted whole numbers."""
    if value == "all":
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, list):
        raise doc.error(
            path, f"expected all or a list of {what}s such as [{first}], found {described(value)}"
        )
    for k, item in enumerate(items):
        where = (*path, k) if isinstance(value, list) else path
        if isinstance(item, bool) or not isinstance(item, int):
            raise doc.error(where, f"expected a {what} number, found {described(item)}")
        if not first <= item <= last:
            raise doc.error(
                where, f"there is no {what} {item}: {why}, so expected {first} to {last}"
            )
    return tuple(sorted(set(items)))
