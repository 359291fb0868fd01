"""``render.exercise``: the quantities (and gradients) an exercise sheet leaves blank, from
the file or ``--exercise``, and the ``carry`` that goes with an exercise.
"""

from __future__ import annotations

from typing import Any

from lstm_tex.compute.cells import LSTM, Cell
from lstm_tex.read import document
from lstm_tex.validate.messages import described, suggest


class BadExercise(ValueError):
    """An invalid ``render.exercise``: the message, and the list index at fault (or None)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def shown_quantities(cell: Cell, notation: str) -> tuple[str, ...]:
    """The quantities ``notation`` prints for ``cell`` (:data:`SHOWN` for the LSTM):
    every one of :attr:`Cell.quantities` in ``pytorch``; from ``pre`` on in the others."""
    everything = cell.quantities
    return everything if notation == "pytorch" else everything[2:]


def exercise_quantities(
    value: Any, notation: str, cell: Cell = LSTM, backward: bool = False
) -> tuple[str, ...]:
    """``render.exercise``: ``all`` (what ``notation`` shows) or a list of the ``cell``'s
    quantities (:data:`QUANTITIES` for the LSTM) and gradients (:attr:`Cell.gradients`,
    with ``backward``: the example has a backward section), returned in the order a step
    computes them, the gradients last; ``None`` is no exercise, ``()``."""
    shown = shown_quantities(cell, notation)
    known = cell.quantities + cell.gradients
    if value is None:
        return ()
    if value == "all":
        return shown
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise BadExercise(
            f"expected all or a list of quantities such as [f, c, h] "
            f"(any of {', '.join(known)}), found {described(value)}"
        )
    for k, item in enumerate(items):
        where = k if isinstance(value, list) else None
        if not isinstance(item, str) or item not in known:
            hint = (
                suggest(item, known)
                if isinstance(item, str)
                else (f"; expected one of: {', '.join(known)}")
            )
            shown_item = repr(item) if isinstance(item, str) else described(item)
            raise BadExercise(f"unknown quantity {shown_item}{hint}", where)
        if item in cell.gradients and not backward:
            raise BadExercise(
                f"{item} is a gradient, and the example has no backward: section to derive "
                f"it; add one (backward: {{target: ...}}) or choose from "
                f"{', '.join(shown)}",
                where,
            )
        if item in cell.quantities and item not in shown:
            raise BadExercise(
                f"{item} is not shown in the {notation} notation (one "
                f"affine line per gate, straight to pre), so it cannot be "
                f"blanked; expected one of {', '.join(shown)}",
                where,
            )
    return tuple(q for q in known if q in items)


def exercise_option(
    doc: document.Document, value: Any, notation: str, cell: Cell, backward: bool = False
) -> tuple[str, ...]:
    try:
        return exercise_quantities(value, notation, cell, backward)
    except BadExercise as exc:
        where = ("render", "exercise") + (() if exc.index is None else (exc.index,))
        raise doc.error(where, str(exc)) from None


def carry_and_exercise(
    carry: str | None, exercise: tuple[str, ...], backward: bool = False
) -> dict[str, Any]:
    """``render.carry`` as chosen, or by default ``displayed`` with an exercise (so that a
    student who goes on from rounded values matches the answer key) and ``exact`` without,
    or with a ``backward:`` section (its pass starts from the exact forward values, so a
    displayed forward pass would print an output other than the one its loss uses);
    with ``render.exercise``."""
    default = "displayed" if exercise and not backward else "exact"
    return {"carry": carry or default, "carry_chosen": carry is not None, "exercise": exercise}
