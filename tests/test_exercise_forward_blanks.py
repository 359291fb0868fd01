"""An exercise sheet with a backward pass gives none of its forward blanks away: the loss
and the backward lines write a blank quantity (h, c, a gate) by its name where they use it,
and a value computed from it (tanh(c_t), 1 - f_t, 1 - z_t) alike (newuser2 #2: the loss
printed every blank h_t, do_t printed tanh(c_t), df_t printed c_{t-1}, delta_f printed f_t).
And ``carry: displayed`` with ``backward:`` is warned about, with an exercise or without
(newuser2 #3)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_tex.document import numbers
from tests.conftest import EXAMPLES, compile_tex, init_example, run_cli

TANH = ("g", "n", "h")  # the LSTM's g, the GRU's n, the (tanh) RNN's one block

#: (cell, init flags, what the sheet asks): every forward quantity a backward line uses.
SHEETS = {
    "lstm": (
        ("--backward", "--hidden-size", "3", "--input-size", "2", "--steps", "2", "--seed", "1"),
        "i,f,g,o,c,h,dh,dpre,grads",
    ),
    "gru": (
        ("--cell", "gru", "--backward", "--hidden-size", "3", "--steps", "2", "--layers", "2"),
        "r,z,n,hh,h,dpre",
    ),
    "rnn": (("--cell", "rnn", "--backward", "--hidden-size", "3", "--steps", "3"), "h,dpre"),
}


@dataclass(frozen=True)
class Sheet:
    folder: Path
    stem: str
    asked: tuple[str, ...]
    said: str

    def tex(self, suffix: str = "-exercise") -> str:
        return (self.folder / f"{self.stem}{suffix}.tex").read_text()

    @property
    def values(self) -> dict[str, Any]:
        return json.loads((self.folder / "values.json").read_text())


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sheet]:
    out = tmp_path_factory.mktemp("forward-blanks")
    made = {}
    for cell, (flags, asked) in SHEETS.items():
        example = init_example(out / f"{cell}.yaml", *flags)
        result = run_cli("render", example, "--out", out, "--no-check", "--exercise", asked)
        assert result.exit_code == 0, result.output
        made[cell] = Sheet(out / cell, cell, tuple(asked.split(",")), result.output)
    return made


def forward_answers(values: dict[str, Any], asked: tuple[str, ...]) -> set[str]:
    """Every number of the asked forward quantities of values.json's steps as printed (4
    decimals), and of what a backward line computes from one: tanh(c_t); 1 - k_t (a
    sigmoid gate) or 1 - k_t^2 (a tanh gate); the GRU's h_{t-1} - n_t; with h, dy_t."""
    found: list[np.ndarray] = []
    for step in values["steps"]:
        h_prev = np.asarray(step["h_prev"])
        if "h" in asked:
            found.append(np.asarray(step["h"]))
        if "c" in asked:
            found += [np.asarray(step["c"]), np.tanh(step["c"]), 1 - np.tanh(step["c"]) ** 2]
        for k, gate in step.get("gates", {"h": step}).items():  # an RNN's one block: h
            act = np.asarray(gate["act"] if "act" in gate else gate["h"])
            if k in asked:
                found += [act, 1 - act**2 if k in TANH else 1 - act]
            if "hh" in asked:
                found.append(np.asarray(gate["hh"]))
            if k == "n" and ("n" in asked or "h" in asked):
                found.append(h_prev - act)
    back = values["backward"]["steps"]
    top = max(step["layer"] for step in back)
    if "h" in asked:  # the top layer's dy_t = 2/N (h_t - y_t) (and dh_T, which is dy_T)
        found += [np.asarray(step["dy"]) for step in back if step["layer"] == top]
    return {numbers.fixed(v, 4) for a in found for v in np.ravel(a) if abs(v) >= 1e-3}


#: What values.json holds of the forward quantities (and their copies: the output, h_n,
#: the next step's h_prev, the layer above's x; dy and dh_T, h less the targets): none of
#: it may be printed where asked.
FORWARD_KEYS = {"h", "c", "act", "hh", "output", "h_n", "c_n", "h_prev", "c_prev", "x"}
FORWARD_KEYS |= {"dy", "dh"}


def other_numbers(values: Any, key: str = "") -> set[str]:
    """Every number of values.json outside the forward quantities, as printed (4
    decimals): weights, inputs, the quantities not asked, the gradients, the SGD step.
    An answer equal to one of them (0.5046 is both o_1 and an entry of W_ii x_1 + b_ii)
    is printed as that, not given away."""
    if key in FORWARD_KEYS:
        return set()
    if isinstance(values, dict):
        return set().union(*(other_numbers(v, k) for k, v in values.items()))
    if isinstance(values, list):
        return set().union(*(other_numbers(v, key) for v in values))
    if isinstance(values, float | int) and not isinstance(values, bool):
        return {numbers.fixed(float(values), 4)}
    return set()


def printed_numbers(tex: str) -> set[str]:
    """Every number of ``tex`` as written, with its sign (``\\phantom{-}0.4293``: 0.4293);
    not the mantissas of a matrix under a shared power of ten (``10^{-3}[0.0826]``)."""
    scaled = r"10\^\{-?\d+\}\s*\\begin\{bmatrix\}.*?\\end\{bmatrix\}"
    return set(re.findall(r"(?<![\d.])-?\d+\.\d+", re.sub(scaled, "", tex, flags=re.S)))


@pytest.mark.parametrize("cell", list(SHEETS))
def test_no_forward_answer_is_printed_anywhere_on_the_sheet(
    sheets: dict[str, Sheet], cell: str
) -> None:
    """Not in the forward pass (blank), nor in the loss (E = Y-hat - Y writes [h_1 h_2],
    E blank) nor in any backward line (by name), on the sheet and its deck."""
    sheet = sheets[cell]
    answers = forward_answers(sheet.values, sheet.asked) - other_numbers(sheet.values)
    assert len(answers) >= 15
    for suffix in ("-exercise", "-exercise-slides"):
        tex = sheet.tex(suffix)
        assert "\\lstmblank" in tex[tex.index("Backward pass") :]
        given = sorted(answers & printed_numbers(tex))
        assert given == [], f"{cell}{suffix}: forward answers printed: {given}"


def test_the_backward_lines_name_the_forward_blanks(sheets: dict[str, Sheet]) -> None:
    """Where the loss and the backward lines use a blank, they write its name."""
    lstm = sheets["lstm"].tex()
    for written in (
        "E &= \\hat Y - Y = \\begin{bmatrix} h_{1} & h_{2} \\end{bmatrix} - ",
        "\\mathrm{d}o_{2} &= \\mathrm{d}h_{2} \\odot \\tanh(c_{2}) = \\mathrm{d}h_{2} "
        "\\odot \\tanh(c_{2}) = ",
        "\\odot c_{1} = ",
        "\\odot f_{2} \\odot \\left(1 - f_{2}\\right) = ",
        "\\odot \\left(1 - \\tanh^2(c_{2})\\right)",
        "\\delta_{i,2}h^{\\top}_{1}",
    ):
        assert written in lstm, written
    gru = sheets["gru"].tex()
    assert "\\odot \\left(1 - z^{(1)}_{2}\\right) = " in gru
    assert "\\left(h^{(0)}_{1} - n^{(0)}_{2}\\right) = " in gru
    rnn = sheets["rnn"].tex()
    assert "\\odot \\left(1 - {h_{3}}^2\\right) = " in rnn
    assert "\\left(h_{3} - " in rnn  # d y-hat_3 = 2/9 (h_3 - y_3)


@pytest.mark.latex
def test_the_named_sheets_compile(sheets: dict[str, Sheet]) -> None:
    """The sheets with names in their matrices' places compile, no Overfull box (the
    LSTM's deck: its frames; the GRU's n and the RNN's h: (1 - {n}^2))."""
    for cell, suffix in (("lstm", "-exercise-slides"), ("gru", "-exercise"), ("rnn", "-exercise")):
        compiled = compile_tex(sheets[cell].folder / f"{cell}{suffix}.tex", draft=True)
        assert compiled.ok, compiled.errors
        assert compiled.overfull_hbox == 0, cell


@pytest.mark.parametrize("exercise", [(), ("--exercise", "h")], ids=["plain", "exercise"])
def test_carry_displayed_with_backward_is_warned_about(
    tmp_path: Path, exercise: tuple[str, ...]
) -> None:
    """One line on stderr, in the CLI's style, whether or not an exercise is asked; and
    none with the default carry: exact."""
    example = EXAMPLES / "backward-sequence.yaml"
    flags = ("--no-check", *exercise)
    told = run_cli("render", example, "--out", tmp_path / "d", "--carry", "displayed", *flags)
    assert told.exit_code == 0, told.output
    warned = [q for q in told.stderr.splitlines() if "warning" in q]
    assert warned == [
        f"lstm-tex: {example}: warning: carry: displayed with a backward pass: "
        "it starts from the exact forward values, so the output its loss uses may differ "
        "in a last digit from the printed h (carry: exact, the default with backward:, "
        "avoids this)"
    ]
    assert "may differ" not in told.stdout
    quiet = run_cli("render", example, "--out", tmp_path / "e", *flags)
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.output
