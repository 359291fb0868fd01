"""render.exercise: an exercise sheet whose boxes stand for the chosen quantities, and its
answer key with those values boxed; the sheet shows none of them, the key every one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pytest

from lstm_tex.compute import engine
from lstm_tex.compute.trace import Trace
from lstm_tex.document import context, numbers
from lstm_tex.validate import overrides, spec
from tests import measure
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


def printed(trace: Trace, quantity: str) -> set[str]:
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
    folder = render(NOTEBOOK, tmp_path / "ex", "--exercise", "f,c,h", "--carry", "exact")
    for name in (
        "notebook-step-exercise.tex",
        "notebook-step-exercise-slides.tex",
        "notebook-step-answers.tex",
    ):
        assert (folder / name).is_file(), name
    assert (folder / "notebook-step.tex").read_text() == (plain / "notebook-step.tex").read_text()


def test_the_key_carries_every_value_the_sheet_blanks(tmp_path: Path) -> None:
    folder = render(SEQUENCE, tmp_path, "--exercise", "f,c,h", "--carry", "exact")
    sheet = (folder / "short-sequence-exercise.tex").read_text()
    key = (folder / "short-sequence-answers.tex").read_text()
    blanks = boxes(derivation(sheet), r"\lstmblank")
    answers = boxes(derivation(key), r"\lstmanswer")
    assert len(blanks) == len(answers) > 0
    # Box for box the same documents: where the sheet has a box, the key has its answer.
    token = re.compile(r"\\lstm(blank|answer)\{(?:[^{}]|\{[^{}]*\})*\}")
    work = re.compile(r"\n\\par\\medskip\\noindent\\fbox\{\\parbox.*Working space\}\}\}\\par\n")
    assert len(work.findall(sheet)) == 3  # the working space after each step, on the sheet only
    assert token.sub("BOX", work.sub("", derivation(sheet))) == token.sub("BOX", derivation(key))
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


def test_an_exercise_carries_the_displayed_values_unless_told(tmp_path: Path) -> None:
    """carry: displayed is the default with an exercise (the documents go on from the
    printed values, as students do), and the command line says so; a chosen carry: exact
    stays, with a warning."""
    result = run_cli("render", SEQUENCE, "--out", tmp_path / "d", "--no-check", "--exercise", "h")
    assert result.exit_code == 0, result.output
    assert "exercise: carry: displayed (the default with an exercise)" in result.output
    told = render(SEQUENCE, tmp_path / "t", "--exercise", "h", "--carry", "displayed")
    for name in ("short-sequence-answers.tex", "short-sequence.tex", "values.json"):
        default = (tmp_path / "d" / "short-sequence" / name).read_text()
        assert default == (told / name).read_text(), name
    assert (
        "Compute each value from the rounded values before it"
        in (told / "short-sequence-exercise.tex").read_text()
    )
    bad = tmp_path / "exact.yaml"
    bad.write_text(SEQUENCE.read_text() + "render:\n  carry: exact\n  exercise: [h]\n")
    for flags in ((bad,), (SEQUENCE, "--exercise", "h", "--carry", "exact")):
        result = run_cli("render", *flags, "--out", tmp_path / "e", "--no-check")
        assert result.exit_code == 0, result.output
        assert "exercise with carry: exact: a student who goes on from rounded" in result.output
        assert "max_drift" not in (tmp_path / "e" / Path(flags[0]).stem / "values.json").read_text()
    plain = run_cli("render", SEQUENCE, "--out", tmp_path / "p", "--no-check")
    assert "carry" not in plain.output  # no exercise, no note
    assert spec.load(SEQUENCE).render.carry == "exact"


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
def test_the_exercise_deck_compiles(tmp_path: Path) -> None:
    """The pytorch notation's own quantities (ih, hh); the sheet and the key of them are
    compiled by :func:`printed_sheets`, every option with every example in test_notation."""
    folder = render(NOTEBOOK, tmp_path, "--exercise", "ih,hh")
    compiled = compile_tex(folder / "notebook-step-exercise-slides.tex")
    assert compiled.ok, compiled.errors
    assert compiled.overfull == 0
    # the "Exercise" frame is top-aligned as every other frame (it was centred: 34 % blank
    # above its text; issue 12)
    pdf = folder / "notebook-step-exercise-slides.pdf"
    (exercise,) = [f for f in measure.fills(pdf) if f.title == "Exercise"]
    assert exercise.above < 0.1, exercise  # as the other frames: 0.03 to 0.04


# ---------------------------------------------------------------- the printed sheet, measured

#: A handwritten number needs a box this tall (mm) and this many times the printed width.
BOX_MM = 8.0
BOX_WIDTH = 1.5
#: The working space after each step of the printed sheet (mm).
WORKING_MM = (150.0, 45.0)


@dataclass(frozen=True)
class Printed:
    """The exercise sheet and the answer key of one render, compiled once for the module."""

    sheet: Path
    key: Path
    sheet_tex: str
    key_tex: str


@pytest.fixture(scope="module")
def printed_sheets(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    folder = render(SEQUENCE, tmp_path_factory.mktemp("printed"), "--exercise", "ih,hh,f,c,h")
    pdfs = []
    for name in ("short-sequence-exercise.tex", "short-sequence-answers.tex"):
        compiled = compile_tex(folder / name)
        assert compiled.ok, compiled.errors
        assert compiled.overfull_hbox == 0, name
        pdfs.append((folder / name).with_suffix(".pdf"))
    return Printed(
        pdfs[0],
        pdfs[1],
        (folder / "short-sequence-exercise.tex").read_text(),
        (folder / "short-sequence-answers.tex").read_text(),
    )


def _answer_boxes(pdf: Path) -> list[measure.Framed]:
    return [b for b in measure.framed(pdf) if b.height < WORKING_MM[1]]


@pytest.mark.latex
def test_every_box_of_the_sheet_takes_a_handwritten_number(printed_sheets: Printed) -> None:
    drawn = _answer_boxes(printed_sheets.sheet)
    assert len(drawn) == len(boxes(derivation(printed_sheets.sheet_tex), r"\lstmblank")) > 0
    assert min(b.height for b in drawn) >= BOX_MM
    assert not any(b.number for b in drawn)


#: The pieces of a tall left bracket (Latin Modern's math extension font): top, middle.
BRACKET_TOP, BRACKET_MIDDLE = "\uf8ee", "\uf8ef"
MM = 72 / 25.4


def bracket_gaps(pdf: Path) -> tuple[list[float], list[float]]:
    """For each box in the first column of a matrix: the white (mm) between the left
    bracket's pieces and the box, and between the top of the bracket's top piece (its
    glyph's box) and the top of a first row's box."""
    side, above = [], []
    with pdfplumber.open(pdf) as opened:
        for b in _answer_boxes(pdf):
            pieces = [
                c
                for c in opened.pages[b.page - 1].chars
                if c["text"] in (BRACKET_TOP, BRACKET_MIDDLE)
                and -0.5 <= b.x0 - c["x1"] / MM < 5
                and c["bottom"] / MM > b.top
                and c["top"] / MM < b.bottom + 8
            ]
            beside = [c for c in pieces if c["top"] / MM < b.bottom]
            if not beside:
                continue
            side.append(b.x0 - max(c["x1"] for c in beside) / MM)
            tops = [c["top"] / MM for c in pieces if c["text"] == BRACKET_TOP]
            above += [b.top - t for t in tops if 0 < b.top - t < 8]
    return side, above


@pytest.mark.latex
def test_boxes_stand_clear_of_their_brackets(printed_sheets: Printed) -> None:
    """A box stood against its matrix's bracket (0.0 mm beside it, 1.9 mm below the top
    piece's glyph box, whose ink starts lower; issue 12): 0.6 mm beside, 2.6 mm below."""
    side, above = bracket_gaps(printed_sheets.sheet)
    assert len(side) > 100 and len(above) > 50
    assert min(side) >= 0.5, min(side)
    assert min(above) >= 2.4, min(above)


@pytest.mark.latex
def test_every_box_of_the_key_is_half_again_as_wide_as_its_number(printed_sheets: Printed) -> None:
    sheet = _answer_boxes(printed_sheets.sheet)
    key = _answer_boxes(printed_sheets.key)
    assert len(key) == len(sheet)
    assert {(b.page, round(b.width, 1), round(b.height, 1)) for b in key} <= {
        (b.page, round(b.width, 1), round(b.height, 1)) for b in sheet
    } | {(b.page + 1, round(b.width, 1), round(b.height, 1)) for b in sheet} | {
        (b.page - 1, round(b.width, 1), round(b.height, 1)) for b in sheet
    }  # the same boxes (the key's pages break elsewhere: it has no working space)
    assert all(b.number for b in key), [b for b in key if not b.number]
    assert min(b.height for b in key) >= BOX_MM
    assert min(b.width / b.number_mm for b in key) >= BOX_WIDTH
    assert {b.number.replace("\u2212", "-") for b in key} == answered(printed_sheets.key_tex)


@pytest.mark.latex
def test_the_sheet_has_a_name_line_and_working_space_after_each_step(
    printed_sheets: Printed,
) -> None:
    words = measure.words(printed_sheets.sheet, 1)
    lines = measure.rules(printed_sheets.sheet, 1)
    for label, least in (("Name:", 60.0), ("Date:", 30.0)):
        (x0, top) = next((x, t) for w, x, t in words if w == label)
        assert any(x > x0 and x1 - x >= least and top < y < top + 6 for x, x1, y in lines), label
        assert top < min(t for w, _, t in words if w == "Exercise."), label  # at the top
    working = [b for b in measure.framed(printed_sheets.sheet) if b.height >= WORKING_MM[1]]
    assert len(working) == 3  # one per step
    assert all(b.width >= WORKING_MM[0] for b in working)
    assert "Working space" in printed_sheets.sheet_tex
    assert "Name:" not in printed_sheets.key_tex and "Working space" not in printed_sheets.key_tex
    # after each step: after the sentence that opens it ("Step t reads ..."), before the next
    opens = [
        (page, top)
        for page in range(1, 1 + max(b.page for b in working))
        for text, _, top in measure.words(printed_sheets.sheet, page)
        if text == "reads"
    ]
    ends = [*opens[1:], (10**6, 0.0)]
    for space, start, end in zip(working, opens, ends, strict=True):
        assert start < (space.page, space.top) < end


# ---------------------------------------------------------------- the backward exercise

BACKWARD = EXAMPLES / "backward-sequence.yaml"
GRU_BACKWARD = EXAMPLES / "gru-backward.yaml"
RNN_BACKWARD = "backward: {target: [0.1, -0.2, 0.3], loss: sse}\n"


def backward_part(tex: str) -> str:
    """The backward pass of a document (from its heading on)."""
    return tex[tex.index("\\section*{Backward pass}") :]


def gradient_values(values: dict[str, Any], name: str) -> set[str]:
    """Every value of one gradient of values.json's backward steps as printed (4 decimals):
    ``dh``, ``dpre`` (every gate's), ``d`` + a gate (its ``dact``)."""
    found: list[float] = []
    for step in values["backward"]["steps"]:
        if name in step:
            found += list(np.ravel(step[name]))
        for k, gate in step.get("gates", {}).items():
            if name == "dpre" or name == f"d{k}":
                found += list(np.ravel(gate["dpre" if name == "dpre" else "dact"]))
    return {numbers.fixed(v, 4) for v in found}


@dataclass(frozen=True)
class Backward:
    """A backward exercise (LSTM: dh and the deltas) and its answer key, compiled once (the
    sheet has the same boxes, empty; the forward sheet's PDF is measured above)."""

    folder: Path
    key: Path


@pytest.fixture(scope="module")
def backward_sheets(tmp_path_factory: pytest.TempPathFactory) -> Backward:
    out = tmp_path_factory.mktemp("backward")
    result = run_cli("render", BACKWARD, "--out", out, "--no-check", "--exercise", "dh,dpre")
    assert result.exit_code == 0, result.output
    folder = out / BACKWARD.stem
    key = folder / "backward-sequence-answers.tex"
    compiled = compile_tex(key)
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0
    return Backward(folder, key.with_suffix(".pdf"))


def test_the_backward_key_has_the_gradients_of_values_json(backward_sheets: Backward) -> None:
    folder = backward_sheets.folder
    sheet = (folder / "backward-sequence-exercise.tex").read_text()
    key = (folder / "backward-sequence-answers.tex").read_text()
    values = json.loads((folder / "values.json").read_text())
    asked = gradient_values(values, "dh") | gradient_values(values, "dpre")
    in_key = {
        re.sub(r"\\phantom\{[^}]*\}", "", a) for a in boxes(backward_part(key), r"\lstmanswer")
    }
    assert in_key == asked
    forward = derivation(key)[: derivation(key).index("\\section*{Backward pass}")]
    assert not boxes(forward, r"\lstmanswer")
    token = re.compile(r"\\lstm(blank|answer)\{(?:[^{}]|\{[^{}]*\})*\}")
    work = re.compile(r"\n\\par\\medskip\\noindent\\fbox\{\\parbox.*Working space\}\}\}\\par\n")
    assert len(work.findall(backward_part(sheet))) == 3  # after each step of the backward pass
    assert len(work.findall(sheet)) == 3  # and none after the forward steps: no blank there
    # dh_3 = dy_3 at the last step: dy_3 is blanked too, not printed above dh_3's blank
    last_step = backward_part(sheet).split("\\subsection*{Backward, step 3}")[1]
    dy = next(q for q in last_step.splitlines() if q.startswith("\\mathrm{d}\\hat y_{3} &="))
    assert dy.split(" = ")[-1].count("\\lstmblank") == 2, dy
    assert (
        token.sub("BOX", work.sub("", sheet))
        .split("\\maketitle")[1]
        .split("\\section*{Backward pass}")[1]
        == token.sub("BOX", key).split("\\section*{Backward pass}")[1]
    )
    for blank in boxes(sheet, r"\lstmblank"):
        assert set(blank) <= set("-0."), blank
    assert "in the backward pass" not in sheet  # gradients only: named as such
    assert (
        "Fill in every box: $\\mathrm{d}h_t$ and the deltas $\\delta_{k,t}$ (backward pass) at "
        "every step" in " ".join(sheet.split())
    )
    assert "computed from the exact forward values" in " ".join(sheet.split())
    deck = (folder / "backward-sequence-exercise-slides.tex").read_text()
    assert len(boxes(backward_part_of_deck(deck), r"\lstmblank")) == len(in_key_boxes(key))


def test_each_gradient_is_asked_where_it_is_derived_only(backward_sheets: Backward) -> None:
    """dh_t and the deltas are blank on the line that derives them; where a later line uses
    one (do_t, W_hh^T delta_t, dW_ik, dW_hk, db_k) it stands by its name (issue 12: each
    delta was blank five times, 140 boxes; 32 now: 3 dh_t, 12 deltas of 2 rows, and
    dy_3, which dh_3 equals)."""
    sheet = backward_part((backward_sheets.folder / "backward-sequence-exercise.tex").read_text())
    assert len(boxes(sheet, r"\lstmblank")) == 32
    lines = [q for q in sheet.splitlines() if "\\lstmblank" in q]
    assert len(lines) == 16 and all(q.split(" &= ")[-1].count("\\lstmblank") == 2 for q in lines)
    assert (
        "\\mathrm{d}o_{2} &= \\mathrm{d}h_{2} \\odot \\tanh(c_{2}) = \\mathrm{d}h_{2} \\odot"
        in sheet
    )
    assert "\\end{bmatrix}\\delta_{i,3} + \\begin{bmatrix}" in sheet  # W_hi^T delta_i,3
    assert "& = \\delta_{i,1}\\begin{bmatrix} 0.38 & 0.99 \\end{bmatrix} + \\delta_{i,2}" in sheet
    # db_k: the deltas by name once, then the sum
    assert "= \\sum_{t} \\delta_{i,t} = \\delta_{i,1} + \\delta_{i,2} + \\delta_{i,3} = " in sheet


def backward_part_of_deck(tex: str) -> str:
    return tex[tex.index("\\lstmsection{Backward pass}") :]


def in_key_boxes(key: str) -> list[str]:
    return boxes(backward_part(key), r"\lstmanswer")


@pytest.mark.latex
def test_the_backward_boxes_take_a_handwritten_number(backward_sheets: Backward) -> None:
    key = _answer_boxes(backward_sheets.key)
    assert len(key) == len(in_key_boxes(backward_sheets.key.with_suffix(".tex").read_text())) > 0
    assert min(b.height for b in key) >= BOX_MM
    assert all(b.number for b in key)
    assert min(b.width / b.number_mm for b in key) >= BOX_WIDTH


@pytest.mark.parametrize(
    "example,chosen,extra",
    [
        (GRU_BACKWARD, ("dh", "dz", "dpre"), ""),
        (EXAMPLES / "rnn-sequence.yaml", ("dh",), RNN_BACKWARD),
    ],
    ids=["gru", "rnn"],
)
@pytest.mark.latex
def test_a_backward_exercise_for_a_gru_and_an_rnn(
    tmp_path: Path, example: Path, chosen: tuple[str, ...], extra: str
) -> None:
    source = tmp_path / example.name
    source.write_text(example.read_text() + extra)
    folder = render(source, tmp_path / "out", "--exercise", ",".join(chosen))
    stem = example.stem
    key = (folder / f"{stem}-answers.tex").read_text()
    values = json.loads((folder / "values.json").read_text())
    asked = set().union(*(gradient_values(values, q) for q in chosen))
    answers = {re.sub(r"\\phantom\{[^}]*\}", "", a) for a in in_key_boxes(key)}
    assert asked <= answers  # (the GRU's dpre boxes also hold r * delta_n)
    compiled = compile_tex(folder / f"{stem}-answers.tex", draft=True)  # the sheet's boxes
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0


@pytest.mark.parametrize(
    "example,flag,message",
    [
        (BACKWARD, "dh,dpree", "--exercise: unknown quantity 'dpree'; did you mean 'dpre'?"),
        (
            BACKWARD,
            "dq",
            "unknown quantity 'dq'; expected one of: ih, hh, pre, i, f, g, o, c, h, "
            "dy, dh, dc, di, df, dg, do, dpre, grads",
        ),
        (NOTEBOOK, "f,dh", "--exercise: dh is a gradient, and the example has no backward:"),
        (GRU_BACKWARD, "dc", "--exercise: unknown quantity 'dc'"),
        (EXAMPLES / "rnn-sequence.yaml", "dpre", "--exercise: dpre is a gradient, and the"),
    ],
)
def test_a_gradient_that_does_not_exist_is_an_input_error(
    tmp_path: Path, example: Path, flag: str, message: str
) -> None:
    result = run_cli("render", example, "--out", tmp_path, "--no-check", "--exercise", flag)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_gradient_in_the_file_without_backward_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        NOTEBOOK.read_text().replace("  decimals: 4", "  decimals: 4\n  exercise: [h, dh]")
    )
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert "render.exercise[1]" in result.output and "dh is a gradient" in result.output


@pytest.mark.latex
def test_wide_boxes_in_row_vectors_fit_the_page(tmp_path: Path) -> None:
    """A row vector cannot break: with boxes 1.5 times as wide, fewer of its columns show
    (hidden 8 in the row-vector notation was up to 82 pt too wide)."""
    example = tmp_path / "h8.yaml"
    made = run_cli("init", example, "--hidden-size", "8", "--input-size", "5")
    assert made.exit_code == 0, made.output
    folder = render(example, tmp_path / "out", "--notation", "row-vector", "--exercise", "pre,h")
    key = folder / "h8-answers.tex"
    assert "\\cdots & \\lstmanswer" in key.read_text()  # elided, not scaled down
    compiled = compile_tex(key, draft=True)  # the sheet has the same boxes, empty
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0


@pytest.mark.latex
def test_the_deltas_of_a_long_sequence_are_summed_term_by_term(tmp_path: Path) -> None:
    """From 5 steps the document writes dW as one product of stacked deltas, whose boxes
    would be wider than the page (6 steps: up to 99 pt); the sheet writes the sum's terms."""
    example = tmp_path / "t6.yaml"
    made = run_cli("init", example, "--hidden-size", "3", "--steps", "6", "--seed", "4")
    assert made.exit_code == 0, made.output
    example.write_text(example.read_text() + "backward: {target: [0.1, -0.2, 0.3]}\n")
    folder = render(example, tmp_path / "out", "--exercise", "dpre")
    key = folder / "t6-answers.tex"
    assert "\\delta_{i,1} x^{\\top}_{1} + \\delta_{i,2} x^{\\top}_{2}" in key.read_text()
    assert "\\delta_{i,1} x^{\\top}_{1}" not in (folder / "t6.tex").read_text()  # stacked
    compiled = compile_tex(key, draft=True)
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0


def test_a_backward_exercise_keeps_the_exact_forward_pass(tmp_path: Path) -> None:
    """With backward:, an exercise keeps carry: exact by default: the backward pass starts
    from the exact forward values, so a displayed forward pass printed an h (-0.3025) other
    than the output its loss used (-0.3024, rounded). A chosen carry: displayed is warned
    about."""
    result = run_cli("render", BACKWARD, "--out", tmp_path, "--no-check", "--exercise", "h,dh")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "exercise with backward: and carry: exact (the default with backward:" in said
    assert "::" not in said
    values = json.loads((tmp_path / BACKWARD.stem / "values.json").read_text())
    assert "carry" not in values
    told = run_cli(
        "render", BACKWARD, "--out", tmp_path / "d", "--no-check", "--exercise", "h,dh",
        "--carry", "displayed",
    )  # fmt: skip
    assert told.exit_code == 0, told.output
    assert "may differ in a last digit from the printed h" in " ".join(told.output.split())
    assert "carry" in json.loads((tmp_path / "d" / BACKWARD.stem / "values.json").read_text())


def _page_openings(pdf: Path) -> list[tuple[int, str]]:
    """The first word of every page after the first (top to bottom, left to right)."""
    found = []
    with pdfplumber.open(pdf) as doc:
        for n, page in enumerate(doc.pages[1:], start=2):
            ws = sorted(page.extract_words(), key=lambda w: (round(w["top"]), w["x0"]))
            found.append((n, ws[0]["text"] if ws else ""))
    return found


@pytest.mark.latex
def test_a_gate_keeps_its_heading_and_lines_together(printed_sheets: Printed) -> None:
    """The printed sheet and key break pages before a gate's (the states', a result's)
    heading, never inside its lines: a GRU sheet left "Update gate z_2" at the foot of a
    page and its boxes on the next (lecturer-tester). No page opens with a bracket piece
    or a number, as one that breaks inside a derivation does."""
    for pdf in (printed_sheets.sheet, printed_sheets.key):
        opened = _page_openings(pdf)
        inside = [(n, w) for n, w in opened if not w[:1].isalpha()]
        assert not inside, (pdf.name, inside)


def _gate_breaks(ctx: dict[str, Any]) -> list[dict[str, bool]]:
    return [
        {k: v for k, v in g.items() if k.startswith(("break_ih", "break_hh"))}
        for s in ctx["steps"]
        for g in s["gates"]
    ]


def test_box_widths_count_only_where_boxes_are(tmp_path: Path) -> None:
    """The answer boxes' extra width is counted for the values that hold them, not for
    every matrix of a sheet: with f blanked (or c, or the pre-activations), the W x + b
    lines of a 2-layer, input-5, hidden-8 article break as without an exercise; they
    broke before their result (layer 0) and inside W x (layer 1) when every matrix was
    counted with boxes."""
    path = tmp_path / "layers2.yaml"
    made = run_cli("init", path, "--input-size", "5", "--hidden-size", "8", "--layers", "2")
    assert made.exit_code == 0, made.output
    example = spec.load(path)
    plain = _gate_breaks(context.build(engine.forward(example), None, slides=False))
    for quantity in ("f", "c", "pre"):
        sheet = overrides.with_render(example, exercise=quantity)
        built = context.build(engine.forward(sheet), None, slides=False, exercise="sheet")
        assert _gate_breaks(built) == plain, quantity
