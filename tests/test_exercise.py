"""render.exercise: an exercise sheet whose boxes stand for the chosen quantities, and its
answer key with those values boxed; the sheet shows none of them, the key every one."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.document import numbers
from lstm_tex.validate import spec
from tests.conftest import EXAMPLES, compile_tex, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
SEQUENCE = EXAMPLES / "short-sequence.yaml"


def render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


def boxes(tex: str, macro: str) -> list[str]:
    r"""The arguments of every ``\lstmblank{...}`` or ``\lstmanswer{...}`` (one brace level)."""
    return re.findall(macro.replace("\\", "\\\\") + r"\{((?:[^{}]|\{[^{}]*\})*)\}", tex)


def answered(key: str) -> set[str]:
    """The numbers in the answer key's boxes."""
    return {re.sub(r"\\phantom\{[^}]*\}", "", a) for a in boxes(derivation(key), r"\lstmanswer")}


def derivation(tex: str) -> str:
    """The document from the first step on (after the title and the introduction)."""
    return tex[tex.index("\\section*{") :]


def printed(trace: engine.Trace, quantity: str) -> set[str]:
    """Every value of a quantity as the documents print it (4 decimals)."""
    arrays = (
        [getattr(s, quantity) for s in trace.steps]
        if quantity in ("c", "h")
        else [s.gates[quantity].act for s in trace.steps]
    )
    return {numbers.fixed(v, 4) for a in arrays for v in np.ravel(a)}


def test_files_are_written_only_when_asked(tmp_path: Path) -> None:
    plain = render(NOTEBOOK, tmp_path / "plain")
    assert not list(plain.glob("*exercise*")) and not list(plain.glob("*answers*"))
    folder = render(NOTEBOOK, tmp_path / "ex", "--exercise", "f,c,h")
    for name in (
        "notebook-step-exercise.tex",
        "notebook-step-exercise-slides.tex",
        "notebook-step-answers.tex",
    ):
        assert (folder / name).is_file(), name
    assert (folder / "notebook-step.tex").read_text() == (plain / "notebook-step.tex").read_text()


def test_the_key_carries_every_value_the_sheet_blanks(tmp_path: Path) -> None:
    folder = render(SEQUENCE, tmp_path, "--exercise", "f,c,h")
    sheet = (folder / "short-sequence-exercise.tex").read_text()
    key = (folder / "short-sequence-answers.tex").read_text()
    blanks = boxes(derivation(sheet), r"\lstmblank")
    answers = boxes(derivation(key), r"\lstmanswer")
    assert len(blanks) == len(answers) > 0
    # Box for box the same documents: where the sheet has a box, the key has its answer.
    token = re.compile(r"\\lstm(blank|answer)\{(?:[^{}]|\{[^{}]*\})*\}")
    assert token.sub("BOX", derivation(sheet)) == token.sub("BOX", derivation(key))
    trace = engine.forward(spec.load(SEQUENCE))
    asked = printed(trace, "f") | printed(trace, "c") | printed(trace, "h")
    in_key = answered(key)
    assert asked <= in_key  # every value the sheet asks for is answered ...
    assert in_key <= asked | {
        numbers.fixed(np.tanh(s.c[0, j]), 4) for s in trace.steps for j in range(3)
    }  # ... and only those (and tanh c)
    for value in asked:  # ... and shown nowhere on the sheet
        assert not re.search(rf"(?<![\d.]){re.escape(value)}(?!\d)", sheet), value
    for blank in blanks:
        assert set(blank) <= set("-0."), blank  # the width of a number, none of its digits


def test_all_is_what_the_notation_shows(tmp_path: Path) -> None:
    folder = render(NOTEBOOK, tmp_path, "--exercise", "all", "--notation", "textbook")
    key = (folder / "notebook-step-answers.tex").read_text()
    trace = engine.forward(spec.load(NOTEBOOK))
    step = trace.steps[0]
    for k in "ifgo":
        assert {numbers.fixed(v, 4) for v in step.gates[k].pre[0]} <= answered(key)
    sheet = (folder / "notebook-step-exercise.tex").read_text()
    assert (
        "Fill in every box: the pre-activations, $i_t$, $f_t$, $g_t$, $o_t$, $c_t$ and "
        "$h_t$, from the numbers given, rounded to 4~decimals." in " ".join(sheet.split())
    )


def test_the_key_of_the_displayed_carry_is_the_displayed_trace(tmp_path: Path) -> None:
    folder = render(SEQUENCE, tmp_path, "--exercise", "h", "--carry", "displayed")
    key = (folder / "short-sequence-answers.tex").read_text()
    shown = engine.forward(spec.load(SEQUENCE), rounding=engine.Rounding(numbers.rounder(4)))
    assert answered(key) == printed(shown, "h")


@pytest.mark.parametrize(
    "value,message",
    [
        ("[ih]", "render.exercise[0]: ih is not shown in the textbook notation"),
        ("[f, cc]", "render.exercise[1]: unknown quantity 'cc'; did you mean 'c'?"),
        ("5", "render.exercise: expected all or a list of quantities such as [f, c, h]"),
        ("[]", "render.exercise: expected all or a list of quantities"),
    ],
)
def test_bad_exercise_is_an_input_error(tmp_path: Path, value: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        NOTEBOOK.read_text().replace(
            "  decimals: 4", f"  decimals: 4\n  notation: textbook\n  exercise: {value}"
        )
    )
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert message in result.output


def test_bad_exercise_flag_is_an_input_error(tmp_path: Path) -> None:
    result = run_cli("render", NOTEBOOK, "--out", tmp_path, "--no-check", "--exercise", "f,x")
    assert result.exit_code == 2
    assert "--exercise: unknown quantity 'x'" in result.output
    result = run_cli(
        "render",
        NOTEBOOK,
        "--out",
        tmp_path,
        "--no-check",
        "--exercise",
        "ih",
        "--notation",
        "row-vector",
    )
    assert result.exit_code == 2
    assert "--exercise: ih is not shown in the row-vector notation" in result.output


@pytest.mark.latex
def test_sheet_and_key_compile(tmp_path: Path) -> None:
    """The pytorch notation's own quantities (ih, hh); every option is compiled with every
    example in test_notation."""
    folder = render(NOTEBOOK, tmp_path, "--exercise", "ih,hh")
    for name in (
        "notebook-step-exercise.tex",
        "notebook-step-exercise-slides.tex",
        "notebook-step-answers.tex",
    ):
        compiled = compile_tex(folder / name, draft=True)
        assert compiled.ok, compiled.errors
        assert compiled.overfull == 0, name
