"""What an exercise sheet asks for, in words, for its introduction (moved out of
:mod:`lstm_tex.document.context`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lstm_tex.document import forms


#: How an exercise sheet names what it asks for.
QUANTITY_TEXT = {
    "ih": "$W_{ik} x_t + b_{ik}$",
    "hh": "$W_{hk} h_{t-1} + b_{hk}$",
    "pre": "the pre-activations",
    "dy": "$\\mathrm{d}\\hat y_t$",
    "E": "the loss's error",
    "dpre": "the deltas $\\delta_{k,t}$",
    "grads": "the gradients of the weights and of the initial state",
}


def asked(
    quantities: Sequence[str], exercise: str | None, form: forms.Form
) -> dict[str, Any] | None:
    """What the exercise sheet asks for, in words (``$f_t$, $c_t$ and $h_t$``);
    ``exercise``: ``sheet`` or ``answers`` (:data:`lstm_tex.document.context.Exercise`)."""
    if exercise is None:
        return None
    # Gradients (the backward exercise) are named d + the quantity, or grads.
    gradients = [q for q in quantities if q.startswith("d") or q == "grads"]
    forward = [q for q in quantities if q not in gradients]
    if gradients and "h" in forward:  # the loss's error and dy_t are h less the targets
        gradients = ["E", *(["dy"] if "dy" not in gradients else []), *gradients]

    def listed(chosen: Sequence[str]) -> str:
        names = [
            QUANTITY_TEXT.get(q, f"$\\mathrm{{d}}{q[1:]}_t$" if q in gradients else f"${q}_t$")
            for q in chosen
        ]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    text = listed(forward) if forward else ""
    if gradients:
        back = listed(gradients)
        text = f"{text} and, in the backward pass, {back}" if forward else f"{back} (backward pass)"
    # Working space goes only after the steps that have a blank: the forward pass's with a
    # forward quantity, the backward pass's with a gradient other than the parameters'.
    return {
        "mode": exercise,
        "quantities": text,
        "backward": bool(gradients),
        "forward": bool(forward),
        "backward_steps": any(q != "grads" for q in gradients),
    }
