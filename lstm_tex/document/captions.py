r"""Sentences under a step's derivations that read its numbers (``render.captions``)."""

from __future__ import annotations

import numpy as np

from lstm_tex.compute.trace import Step
from lstm_tex.document import forms, numbers
from lstm_tex.document.medium import (
    Medium,
)
from lstm_tex.validate.model import GATES

CAPTION = 2.5  # height of a caption under a derivation (two lines of small text), in rows


def step_captions(
    form: forms.Form,
    step: Step,
    sup: str,
    prev_t: int,
    medium: Medium,
    first: bool,
    proj: bool,
    hidden_bias: bool = True,
) -> dict[str, str]:
    """Sentences that read the numbers of a step, by gate and state (see
    :func:`lstm_captions`, :func:`gated_captions`); with a batch, of example 1.
    ``hidden_bias``: the GRU's candidate adds ``b_hn`` to its hidden part (a bias, and not
    ``bias: single``)."""
    if form.carries_c:
        captions = lstm_captions(step, sup, prev_t, medium, first, proj)
    else:
        captions = gated_captions(form, step, sup, prev_t, medium, first, hidden_bias)
    if step.x.shape[0] > 1:
        captions = {key: f"Example~1: {text}" for key, text in captions.items()}
    return captions


class Entry:
    """``Entry(sup, t)("h", 1)`` is ``h_{t,2}``: entry 2 (units numbered from 1) of a
    quantity at step ``t`` (or ``when``), with the layer/direction superscript ``sup``."""

    def __init__(self, sup: str, t: int) -> None:
        self.sup, self.t = sup, t

    def __call__(self, name: str, j: int, when: int | None = None) -> str:
        return f"{name}{self.sup}_{{{self.t if when is None else when},{j + 1}}}"


class Said:
    """``Said(entry, 4)("f", 0, 0.38)`` is ``$f_{t,1} = 0.3800$``: an entry and its value as
    the derivation prints it."""

    def __init__(self, entry: Entry, decimals: int) -> None:
        self.entry, self.decimals = entry, decimals

    def __call__(
        self,
        name: str,
        j: int,
        value: float,
        when: int | None = None,
        style: numbers.Style = "fixed",
    ) -> str:
        number = numbers.format_number(value, style, self.decimals)
        return f"${self.entry(name, j, when)} = {number}$"


def _braces(tex: str) -> str:
    """``tex`` inside a :meth:`str.format` template: its braces doubled."""
    return tex.replace("{", "{{").replace("}", "}}")


def _shares(k: str, text: str, a: np.ndarray, said: Said, prev_t: int) -> str:
    """Gate ``k``'s sentence on its largest and smallest share ``a[j]``: ``text`` formatted
    with the share ``p``, the unit ``u`` and the entries ``n``, ``h`` and ``prev`` of it;
    the same words for both, as the LSTM's (no "only" for 52 % next to 68 %)."""
    sym = said.entry
    hi, lo = int(np.argmax(a)), int(np.argmin(a))
    return (
        "; ".join(
            f"{said(k, j, a[j])}: "
            + text.format(
                p=numbers.percent(a[j]),
                n=sym("n", j),
                h=sym("h", j),
                prev=sym("h", j, prev_t),
                u=j + 1,
            )
            for j in dict.fromkeys((hi, lo))
        )
        + "."
    )


def gated_captions(
    form: forms.Form,
    step: Step,
    sup: str,
    prev_t: int,
    medium: Medium,
    first: bool,
    hidden_bias: bool = True,
) -> dict[str, str]:
    r"""The GRU's and the RNN's sentences: "$z_{1,2} = 0.71$: $h_{1,2}$ keeps 71 % of
    $h_{0,2}$ and takes the rest from $n_{1,2}$", "$r_{1,2} = 0.52$: 52 % of $(W_{hn} h_0
    + b_{hn})_2$ enters $n_{1,2}$" (that step's hidden part, as the candidate's line writes
    it: ``h_0 W_hn`` with row vectors, no ``b_hn`` without it; plain parentheses, so that a
    line of text may break at its "+"); the unit of h that changes most; with ReLU, how
    many units it cuts to zero."""
    t = step.t
    sym = Entry(sup, t)
    said = Said(sym, medium.decimals)
    prev = f"h{sup}_{{{prev_t}}}"
    part = f"{prev} W_{{hn}}" if medium.row_vectors else f"W_{{hn}} {prev}"
    part += " + b_{hn}" if hidden_bias else ""

    acts = {k: step.gates[k].act[0] for k in form.keys}
    shares = {
        "r": "{p} of $(" + _braces(part) + ")_{{{u}}}$ enters ${n}$",
        "z": "${h}$ keeps {p} of ${prev}$ and takes the rest from ${n}$",
    }
    captions = {
        k: _shares(k, text, acts[k], said, prev_t) for k, text in shares.items() if k in acts
    }
    if "n" in acts:
        a = acts["n"]
        words = []
        for j in dict.fromkeys((int(np.argmax(a)), int(np.argmin(a)))):
            way = "up" if a[j] > 0 else "down" if a[j] < 0 else "nowhere"
            words.append(f"{said('n', j, a[j])} pulls ${sym('h', j)}$ {way}")
        captions["n"] = ", ".join(words) + " (as far as $1 - z_t$ lets it)."
    change = np.abs(step.h[0] - step.h_prev[0])
    j = int(np.argmax(change))
    before = said("h", j, step.h_prev[0, j], prev_t, "written" if first else "fixed")
    moved = f"The state changes most in unit~{j + 1}: {before} becomes {said('h', j, step.h[0, j])}"
    key = "hidden" if "hidden" in form.states else form.keys[-1]
    captions[key] = moved + "."
    if form.gates[-1].act_fn == forms.RELU:
        zero = int(np.sum(step.h[0] == 0.0))
        captions[key] = (
            f"{moved}; {zero} of {step.h.shape[1]} units are $0$ "
            "(ReLU cuts a negative pre-activation to zero)."
        )
    return captions


def lstm_captions(
    step: Step, sup: str, prev_t: int, medium: Medium, first: bool, proj: bool
) -> dict[str, str]:
    """Sentences that read the numbers of a step, by gate (``i``, ``f``, ``g``, ``o``) and
    for the ``cell`` and the ``hidden`` state: "$f_{1,1} = 0.3828$: 38 % of $c_{0,1}$
    is kept". Each gate names its largest and its smallest entry (units numbered from 1);
    the cell, the unit that changes most; the hidden state, its largest entry. With a
    batch, they read example 1. The numbers are the ones the derivation shows."""
    assert step.c_prev is not None and step.c is not None  # an LSTM step (a GRU/RNN has no c)
    assert step.tanh_c is not None and step.m is not None
    t = step.t
    sym = Entry(sup, t)
    said = Said(sym, medium.decimals)

    act = {k: step.gates[k].act[0] for k in GATES}
    out_name = "m" if proj else "h"
    shares = {
        "f": ("{p} of ${c}$ is kept", "c", prev_t),
        "i": ("{p} of the candidate ${c}$ is written into the cell", "g", t),
        "o": ("{p} of $\\tanh({c})$ reaches ${m}$", "c", t),
    }
    captions: dict[str, str] = {}
    for k in GATES:
        a = act[k]
        hi, lo = int(np.argmax(a)), int(np.argmin(a))
        if k == "g":
            words = []
            for j in dict.fromkeys((hi, lo)):
                way = "up" if a[j] > 0 else "down" if a[j] < 0 else "nowhere"
                words.append(f"{said('g', j, a[j])} pushes ${sym('c', j)}$ {way}")
            captions[k] = ", ".join(words) + " (as far as the input gate lets it)."
            continue
        text, other, when = shares[k]
        sentence = f"{said(k, hi, a[hi])}: " + text.format(
            p=numbers.percent(a[hi]), c=sym(other, hi, when), m=sym(out_name, hi)
        )
        if lo != hi:  # the same words, whatever the share (no "only" for 69 %)
            sentence += f"; {said(k, lo, a[lo])}: " + text.format(
                p=numbers.percent(a[lo]), c=sym(other, lo, when), m=sym(out_name, lo)
            )
        captions[k] = sentence + "."
    change = np.abs(step.c[0] - step.c_prev[0])
    j = int(np.argmax(change))
    before = said("c", j, step.c_prev[0, j], prev_t, "written" if first else "fixed")
    captions["cell"] = (
        f"The cell changes most in unit~{j + 1}: {before} becomes {said('c', j, step.c[0, j])}."
    )
    out = step.m[0] if proj else step.h[0]
    j = int(np.argmax(np.abs(out)))
    captions["hidden"] = (
        f"{said(out_name, j, out[j])}: the output gate lets {numbers.percent(act['o'][j])} of "
        f"$\\tanh({sym('c', j)}) = {numbers.fixed(step.tanh_c[0, j], medium.decimals)}$ through"
        + ("; the projection then maps $m_t$ to $h_t$." if proj else ".")
    )
    return captions
