"""The one line macro (issue 18): ``line(q, o)`` of templates/line.tex.j2 sets every
displayed derivation line of every pass from its Line record alone. A table per line
kind: a Line (and a reveal's overlay numbers) -> the exact TeX (as latexify_py's
exact-string tables); and no other template sets such a line itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lstm_tex import pipeline
from lstm_tex.compute import engine
from lstm_tex.document import backward_context
from lstm_tex.document.line import Line, Term, widest
from lstm_tex.document.medium import ARTICLE, Medium
from lstm_tex.document.step import step_context
from lstm_tex.latex.templates import environment
from lstm_tex.validate import overrides, spec
from tests.conftest import EXAMPLES

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PROJECTED = Path(__file__).resolve().parent / "data" / "rows-projected.yaml"

PYTORCH = {
    "sym": "i_{1}",
    "act_fn": r"\sigma",
    "form": "pytorch",
    "row_form": False,
    "W_ih_sym": "W_{ii}",
    "W_hh_sym": "W_{hi}",
    "b_ih_sym": "b_{ii}",
    "b_hh_sym": "b_{hi}",
    "x_sym": "x_{1}",
    "h_prev_sym": "h_{0}",
}
GATED = {
    **PYTORCH,
    "form": "gated",
    "sym": "n_{1}",
    "act_fn": r"\tanh",
    "row_form": True,
    "W_ih_sym": "W_{xn}",
    "W_hh_sym": "W_{hn}",
    "b_ih_sym": "",
    "b_hh_sym": "",
    "r_sym": "r_{1}",
}
TEXTBOOK = {
    "sym": "f_{1}",
    "act_fn": r"\sigma",
    "form": "textbook",
    "W_sym": "W_{f}",
    "v_sym": "V",
    "b_sym": "b_{f}",
}
ROW = {
    "sym": "f_{1}",
    "act_fn": r"\sigma",
    "form": "row-vector",
    "x_sym": "x_{1}",
    "h_prev_sym": "h_{0}",
    "Wx_sym": "W_{xf}",
    "Wh_sym": "W_{hf}",
    "b_sym": "",
}
LSTM_H = {
    "form": "lstm",
    "proj": False,
    "row_vectors": False,
    "o": "o_{1}",
    "c": "c_{1}",
    "m": "m_{1}",
    "h": "h_{1}",
    "W_hr": "W_{hr}",
}
INPUTS = {"x": "x_{1}", "x_from": "", "h_prev": "h_{0}", "c_prev": "c_{0}"}
SHOWN = {"x": "X", "h_prev": "H", "c_prev": "C"}
HIDDEN_BREAKS = dict.fromkeys(
    ("symbolic", "tanh", "then", "odot", "result", "product", "projection"), False
)
HIDDEN_NUMBERS = {"o": "O", "c": "C", "tanh_c": "T", "m": "M", "W_hr": "P", "h": "H"}

#: the backward pass's breaks: before the numbers, before the result, inside a product
B = {"numbers": False, "result": False, "inner": False}

#: A GRU's h_t symbols, as states.py records them (``inline``: numbers on the symbols' row).
GRU_H = {
    "form": "gru",
    "h": "h_{1}",
    "z": "z_{1}",
    "n": "n_{1}",
    "h_prev": "h_{0}",
    "inline": False,
}

#: name -> (Line, a reveal's overlay numbers or None, the exact TeX)
TABLE: dict[str, tuple[Line, dict[str, Any] | None, str]] = {
    "symbolic, pytorch": (
        Line("symbolic", symbolic=PYTORCH),
        None,
        ("i_{1} &= \\sigma\\left(W_{ii} x_{1} + b_{ii} + W_{hi} h_{0} + b_{hi}\\right)"),
    ),
    "symbolic, gru candidate with row vectors": (
        Line("symbolic", symbolic=GATED),
        None,
        ("n_{1} &= \\tanh\\left(x_{1} W_{xn} + r_{1} \\odot \\left(h_{0} W_{hn}\\right)\\right)"),
    ),
    "symbolic, textbook": (
        Line("symbolic", symbolic=TEXTBOOK),
        None,
        ("f_{1} &= \\sigma\\left(W_{f} V + b_{f}\\right)"),
    ),
    "symbolic, row-vector": (
        Line("symbolic", symbolic=ROW),
        None,
        ("f_{1} &= \\sigma\\left(x_{1} W_{xf} + h_{0} W_{hf}\\right)"),
    ),
    "ih, breaks inside and before the bias": (
        Line(
            "ih",
            symbolic={"lhs": "W_{ii} x_{1} + b_{ii}"},
            numbers={"b": "B"},
            result="R",
            terms=(Term("W", "X", inside=True),),
            breaks={"lhs": False, "bias": True, "result": False},
        ),
        None,
        ("W_{ii} x_{1} + b_{ii} &= W \\\\*\n  &\\qquad \\cdot X \\\\*\n  & + B = R"),
    ),
    "affine, own row, revealed": (
        Line(
            "affine",
            symbolic={"lhs": "W_{f} V"},
            numbers={"b": ""},
            result="S",
            terms=(Term("W", "V"),),
            breaks={"lhs": True, "bias": False, "result": True},
        ),
        {"on": 2, "result": 3},
        (
            "& \\uncover<2->{W_{f} V} \\\\*\n"
            "  &\\quad \\uncover<2->{{}= W V} \\\\*\n"
            "  &\\quad\\uncover<3->{{}= S}"
        ),
    ),
    "hh, walked": (
        Line(
            "hh",
            symbolic={"lhs": "W_{hi} h_{0}"},
            numbers={"b": ""},
            result="R",
            terms=(Term("W", "H"),),
            breaks={"lhs": False, "bias": False, "result": True},
        ),
        {"on": 2, "result": 3, "W": "W'", "v": "H'", "b": "", "r": "R'"},
        ("\\uncover<2->{W_{hi} h_{0}} &\\uncover<2->{{}= W' H'} \\\\*\n  &\\uncover<3->{{}= R'}"),
    ),
    "result, pytorch, broken sum": (
        Line(
            "result",
            symbolic=PYTORCH,
            numbers={"ih": "P", "hh": "Q", "pre": "S"},
            result="A",
            breaks={"sum": True, "pre": False, "act": True},
        ),
        None,
        (
            "i_{1} &= \\sigma\\left(P \\right. \\\\*\n"
            "  &\\qquad \\left. + Q\\right) = \\sigma\\left(S\\right) \\\\*\n"
            "  & = A"
        ),
    ),
    "affine, row vectors, the first of its parts": (
        Line(
            "affine",
            symbolic={"lhs": "x W + h W + b"},
            numbers={"b": ""},
            terms=(Term("X", "W", inside=True),),
            breaks={"lhs": True, "bias": False, "result": False},
        ),
        None,
        ("& x W + h W + b \\\\*\n  &\\quad = X \\\\*\n  &\\quad\\qquad \\cdot W"),
    ),
    "affine, row vectors, a part that goes on": (
        Line(
            "affine",
            symbolic={"lhs": ""},
            numbers={"b": ""},
            terms=(Term("H", "W", inside=True),),
            breaks={"lhs": True, "bias": False, "result": False},
        ),
        None,
        ("&\\quad + H \\\\*\n  &\\quad\\qquad \\cdot W"),
    ),
    "affine, row vectors, the last part, revealed": (
        Line(
            "affine",
            symbolic={"lhs": ""},
            numbers={"b": "B"},
            result="S",
            breaks={"lhs": True, "bias": False, "result": True},
        ),
        {"on": 2, "result": 3},
        ("&\\quad\\uncover<2->{{} + B} \\\\*\n  &\\quad\\uncover<3->{{}= S}"),
    ),
    "result, gated, row vectors": (
        Line(
            "result",
            symbolic=GATED,
            numbers={"ih": "P", "hh": "Q", "r": "R", "pre": "S"},
            result="A",
            breaks={"sum": True, "odot": True, "pre": True, "act": True},
        ),
        None,
        (
            "n_{1} &= \\tanh\\left(P \\right. \\\\*\n"
            "  &\\quad \\left. + R \\odot \\right. \\\\*\n"
            "  &\\qquad \\left.Q\\right) \\\\*\n"
            "  & = \\tanh\\left(S\\right) \\\\*\n"
            "  & = A"
        ),
    ),
    "result, gated, revealed": (
        Line(
            "result",
            symbolic=GATED,
            numbers={"ih": "P", "hh": "Q", "r": "R", "pre": "S"},
            result="A",
            breaks={"sum": False, "pre": True, "act": False},
        ),
        {"on": 4, "pre": 5, "act": 6},
        (
            "\\uncover<4->{n_{1}} &\\uncover<4->{{}= \\tanh\\left(P + R"
            " \\odot Q\\right)} \\\\*\n"
            "  &\\uncover<5->{{}= \\tanh\\left(S\\right)}\\uncover<6->{{}= A}"
        ),
    ),
    "result, textbook": (
        Line("result", symbolic=TEXTBOOK, numbers={"pre": "S"}, result="A", breaks={"act": False}),
        None,
        ("f_{1} &= \\sigma\\left(S\\right) = A"),
    ),
    "cell": (
        Line(
            "cell",
            symbolic={"lhs": "c_{1}", "f": "f_{1}", "i": "i_{1}", "g": "g_{1}", "c_prev": "c_{0}"},
            numbers={"f": "F", "c_prev": "C", "i": "I", "g": "G"},
            result="R",
            breaks={"prev": False, "sum": True, "g": False, "result": False},
        ),
        None,
        (
            "c_{1} &= f_{1} \\odot c_{0} + i_{1} \\odot g_{1} \\\\*\n"
            "  &= F \\odot C \\\\*\n"
            "  & + I \\odot G = R"
        ),
    ),
    "cell, revealed": (
        Line(
            "cell",
            symbolic={"lhs": "c_{1}", "f": "f_{1}", "i": "i_{1}", "g": "g_{1}", "c_prev": "c_{0}"},
            numbers={"f": "F", "c_prev": "C", "i": "I", "g": "G"},
            result="R",
            breaks={"prev": True, "sum": False, "g": False, "result": False},
        ),
        {"on": 1, "numbers": 2, "result": 3},
        (
            "\\uncover<1->{c_{1}} &\\uncover<1->{{}= f_{1} \\odot c_{0} +"
            " i_{1} \\odot g_{1}} \\\\*\n"
            "  &\\uncover<2->{{}= F} \\\\*\n"
            "  &\\uncover<2->{{} \\odot C + I \\odot G}\\uncover<3->{{}= R}"
        ),
    ),
    "hidden, lstm": (
        Line(
            "hidden",
            symbolic=LSTM_H,
            numbers=HIDDEN_NUMBERS,
            result="H",
            breaks={**HIDDEN_BREAKS, "then": True},
        ),
        None,
        (
            "h_{1} &= o_{1} \\odot \\tanh(c_{1}) = O \\odot"
            " \\tanh\\left(C\\right) \\\\*\n"
            "  & = O \\odot T = H"
        ),
    ),
    "hidden, lstm projected, row vectors": (
        Line(
            "hidden",
            symbolic={**LSTM_H, "proj": True, "row_vectors": True, "W_hr": r"W_{hr}^{\top}"},
            numbers=HIDDEN_NUMBERS,
            result="M",
            breaks={**HIDDEN_BREAKS, "product": True, "result": True},
        ),
        None,
        (
            "m_{1} &= o_{1} \\odot \\tanh(c_{1}) = O \\odot"
            " \\tanh\\left(C\\right) = O \\odot T \\\\*\n"
            "  & = M \\\\\n"
            "h_{1} &= m_{1} W_{hr}^{\\top} = M \\\\*\n"
            "  &\\qquad \\cdot P = H"
        ),
    ),
    "hidden, gru, row vectors": (
        Line(
            "hidden",
            symbolic=GRU_H,
            numbers={"z": "Z", "n": "N", "h_prev": "H"},
            result="R",
            breaks={"n": True, "sum": True, "prev": True, "result": True},
        ),
        None,
        (
            "h_{1} &= \\left(1 - z_{1}\\right) \\odot n_{1} + z_{1} \\odot"
            " h_{0} \\\\*\n"
            "  &= \\left(1 - Z\\right) \\\\*\n"
            "  & \\odot N \\\\*\n"
            "  & + Z \\\\*\n"
            "  & \\odot H \\\\*\n"
            "  & = R"
        ),
    ),
    "hidden, gru": (
        Line(
            "hidden",
            symbolic=GRU_H,
            numbers={"z": "Z", "n": "N", "h_prev": "H"},
            result="R",
            breaks={"n": False, "sum": True, "result": False},
        ),
        None,
        (
            "h_{1} &= \\left(1 - z_{1}\\right) \\odot n_{1} + z_{1} \\odot"
            " h_{0} \\\\*\n"
            "  &= \\left(1 - Z\\right) \\odot N \\\\*\n"
            "  & + Z \\odot H = R"
        ),
    ),
    "inputs": (
        Line("inputs", symbolic={"entries": ("x", "h", "c"), **INPUTS}, numbers=SHOWN),
        None,
        ("x_{1} &= X & h_{0} &= H & c_{0} &= C"),
    ),
    "inputs, from the layer below": (
        Line(
            "inputs",
            symbolic={"entries": ("x",), **INPUTS, "x": "x^{(1)}_{1}", "x_from": "h^{(0)}_{1}"},
            numbers=SHOWN,
            breaks={"x_from": True},
        ),
        None,
        ("x^{(1)}_{1} &= h^{(0)}_{1} \\\\*\n  & = X"),
    ),
    "row": (
        Line(
            "row",
            symbolic={"label": "(W x)_{1}", "part_start": False},
            result="R",
            terms=(Term("a + b"), Term(" + c", newline=True)),
        ),
        None,
        ("(W x)_{1} &= a + b \\\\*\n  &\\qquad  + c = R"),
    ),
    "row, revealed": (
        Line("row", symbolic={"label": "(W x)_{1}"}, result="R", terms=(Term("a"),)),
        {"on": 3},
        ("\\uncover<3->{(W x)_{1}} &\\uncover<3->{{}= a = R}"),
    ),
    "gap": (Line("gap", symbolic={"label": ""}), None, ("& \\vdots")),
    "matvec (backward)": (
        Line(
            "matvec",
            symbolic={"lhs": "dx", "W": "W^{\\top}", "v": "d"},
            numbers={"W": "A", "v": "B"},
            result="R",
            breaks={**B, "numbers": True, "result": False},
        ),
        None,
        ("dx &= W^{\\top} d \\\\*\n  & = A B = R"),
    ),
    "difference with a factor (backward)": (
        Line(
            "difference",
            symbolic={"lhs": "dy", "factor": "2", "a": "y", "b": "t"},
            numbers={"a": "Y", "b": "T"},
            result="R",
            breaks={**B, "numbers": False, "result": True},
        ),
        None,
        ("dy &= 2\\left(y - t\\right) = 2\\left(Y - T\\right) \\\\*\n  & = R"),
    ),
    "sum (backward)": (
        Line(
            "sum",
            symbolic={"lhs": "dW", "expansion": "\\sum_t d_t x_t^{\\top}"},
            result="R",
            terms=(Term("A", "B"), Term("C", "D", newline=True)),
            breaks={**B, "numbers": True, "result": False},
            page_breaks=True,
        ),
        None,
        # taller than a page (the article's 16-row terms: sweep #8): a page may break
        # before "+ term", never before "= R"
        ("dW &= \\sum_t d_t x_t^{\\top} \\\\*\n  & = AB \\\\\n  &\\quad + CD = R"),
    ),
    "sum, on one page (backward)": (
        Line(
            "sum",
            symbolic={"lhs": "dW", "expansion": "\\sum_t d_t x_t^{\\top}"},
            result="R",
            terms=(Term("A", "B"), Term("C", "D", newline=True)),
            breaks={**B, "numbers": True, "result": False},
        ),
        None,
        ("dW &= \\sum_t d_t x_t^{\\top} \\\\*\n  & = AB \\\\*\n  &\\quad + CD = R"),
    ),
    "sgd (backward)": (
        Line(
            "sgd",
            symbolic={"lhs": "W", "eta": "0.1", "dd": "d"},
            numbers={"w": "W", "d": "D"},
            result="R",
            breaks={**B, "numbers": False, "result": False, "inner": True},
        ),
        None,
        ("W &\\leftarrow W - 0.1\\,dW = W \\\\*\n  &\\quad - 0.1\\,D = R"),
    ),
    "loss (backward)": (
        Line(
            "loss",
            symbolic={
                "lhs": "L",
                "factor": "\\tfrac{1}{2}",
                "e": "e_{j}^2",
                "n": 4,
                "squares": "S",
                "r": "0.5",
            },
        ),
        None,
        ("L &= \\tfrac{1}{2} \\sum_{j=1}^{4} e_{j}^2 = \\tfrac{1}{2} \\cdot S = 0.5"),
    ),
    "dy_none (backward)": (
        Line("dy_none", symbolic={"lhs": "dy_1", "T": 2}),
        None,
        ("dy_1 &= 0 \\quad \\text{(the loss sees step 2 only)}"),
    ),
    "dy_above, one source (backward)": (
        Line("dy_above", symbolic={"lhs": "dy", "sources": ("a",)}, result="R"),
        None,
        ("dy &= a = R"),
    ),
    "dy_above, two sources (backward)": (
        Line(
            "dy_above",
            symbolic={"lhs": "dy", "sources": ("a", "b"), "rows": "1:2"},
            numbers={"s0": "A", "s1": "B"},
            result="R",
            breaks={**B, "numbers": False, "result": True, "inner": False},
        ),
        None,
        ("dy &= \\left(a + b\\right)_{1:2} = A + B \\\\*\n  & = R"),
    ),
    "dh_last (backward)": (
        Line("dh_last", symbolic={"lhs": "dh_2", "dy": "dy_2"}, result="R"),
        None,
        ("dh_2 &= dy_2 = R"),
    ),
    "dh (backward)": (
        Line(
            "dh",
            symbolic={"lhs": "dh_1", "dy": "dy_1", "next": "n"},
            numbers={"dy": "D", "next": "N"},
            result="R",
            breaks={**B, "numbers": True, "result": False, "inner": True},
            page_breaks=True,
        ),
        None,
        # taller than a page: a page may break before the operator that goes on, not "="
        ("dh_1 &= dy_1 + n \\\\*\n  & = D \\\\\n  &\\quad + N = R"),
    ),
    "product (backward)": (
        Line(
            "product",
            symbolic={"lhs": "do", "a": "dh", "b": "t"},
            numbers={"a": "A", "b": "B"},
            result="R",
            breaks={**B, "numbers": False, "result": False},
        ),
        None,
        ("do &= dh \\odot t = A \\odot B = R"),
    ),
    "product, numbers only (backward)": (
        Line(
            "product",
            symbolic={"lhs": "do", "a": ""},
            numbers={"a": "A", "b": "B"},
            result="R",
            breaks={**B, "result": True},
        ),
        None,
        ("do &= A \\odot B \\\\*\n  & = R"),
    ),
    "dc (backward)": (
        Line(
            "dc",
            symbolic={
                "lhs": "dc",
                "dm": "dh",
                "o": "o",
                "c": "c",
                "dc_next": "dc_2",
                "f_next": "f_2",
            },
            numbers={"dm": "D", "o": "O", "one_minus": "M", "next": "N"},
            result="R",
            breaks={**B, "numbers": True, "result": True, "inner": False},
        ),
        None,
        (
            "dc &= dh \\odot o \\odot \\left(1 - \\tanh^2(c)\\right) + dc_2"
            " \\odot f_2 \\\\*\n"
            "  & = D \\odot O \\odot M + N \\\\*\n"
            "  & = R"
        ),
    ),
    "delta_sigma (backward)": (
        Line(
            "delta_sigma",
            symbolic={"lhs": "\\delta", "d": "di", "k": "i"},
            numbers={"d": "D", "k": "K", "one_minus": "M"},
            result="R",
            breaks={**B, "numbers": False, "result": False},
        ),
        None,
        ("\\delta &= di \\odot i \\odot \\left(1 - i\\right) = D \\odot K \\odot M = R"),
    ),
    "delta_relu (backward)": (
        Line(
            "delta_relu",
            symbolic={"lhs": "\\delta", "d": "dh", "k": "h"},
            numbers={"d": "D", "mask": "M"},
            result="R",
            breaks={**B, "numbers": False, "result": False},
        ),
        None,
        ("\\delta &= dh \\odot \\left[h > 0\\right] = D \\odot M = R"),
    ),
    "delta_tanh (backward)": (
        Line(
            "delta_tanh",
            symbolic={"lhs": "\\delta", "d": "dg", "k": "g"},
            numbers={"d": "D", "one_minus": "M"},
            result="R",
            breaks={**B, "numbers": False, "result": False},
        ),
        None,
        ("\\delta &= dg \\odot \\left(1 - {g}^2\\right) = D \\odot M = R"),
    ),
    "plus_product (backward)": (
        Line(
            "plus_product",
            symbolic={"lhs": "dh", "a": "a", "b": "z", "c": "dh_2"},
            numbers={"a": "A", "b": "B", "c": "C"},
            result="R",
            breaks={**B, "numbers": False, "result": False},
        ),
        None,
        ("dh &= a + z \\odot dh_2 = A + B \\odot C = R"),
    ),
    "plus_product, numbers only (backward)": (
        Line(
            "plus_product",
            symbolic={"lhs": "dh", "a": ""},
            numbers={"a": "A", "b": "B", "c": "C"},
            result="R",
            breaks={**B, "result": False},
        ),
        None,
        ("dh &= A + B \\odot C = R"),
    ),
    "apply (backward)": (
        Line(
            "apply",
            symbolic={"lhs": "dx"},
            numbers={"W": "W", "v": "V"},
            result="R",
            breaks={**B, "result": False},
        ),
        None,
        ("dx &= W V = R"),
    ),
    "value (backward)": (Line("value", symbolic={"lhs": "db"}, result="R"), None, ("db &= R")),
    "value2 (backward)": (
        Line("value2", symbolic={"lhs": "dh_0", "lhs2": "dc_0"}, numbers={"r2": "C"}, result="H"),
        None,
        ("dh_0 &= H, \\qquad dc_0 = C"),
    ),
}


@pytest.fixture(scope="module")
def macros() -> Any:
    return environment().get_template("line.tex.j2").make_module({})


@pytest.mark.parametrize("name", list(TABLE))
def test_line_sets_each_kind(macros: Any, name: str) -> None:
    q, o, expected = TABLE[name]
    assert str(macros.line(q, o)) == expected


def test_table_covers_every_kind_the_macro_knows() -> None:
    assert known_kinds() == {q.kind for q, _, _ in TABLE.values()}


#: The equations other templates may set themselves: the overview's and the chain rule's
#: (written once from the example's shape, no Line) and the rows of results over time.
NOT_LINES = {
    "chain_rule_lstm",
    "chain_rule_gru",
    "chain_rule_rnn",
    "overview_gate",
    "candidate",
    "gated_overview",
    "pytorch_overview",
    "overview_equations",
    "entry_rows",
}
MACRO = re.compile(r"\\BLOCK\{ macro (\w+)\((.*?)\) \}(.*?)\\BLOCK\{- ?endmacro \}", re.S)
EQUATION = re.compile(r"&\s*=|&\s*\\leftarrow|&\\quad")


@pytest.mark.parametrize(
    "path", sorted(p for p in TEMPLATES.glob("*.j2") if p.name != "line.tex.j2"), ids=str
)
def test_no_other_template_sets_a_line(path: Path) -> None:
    text = path.read_text()
    # a Line's parts are read by line.tex.j2 alone
    assert not re.findall(r"\.(?:numbers|breaks|terms)\b", text)
    inside: set[int] = set()
    for m in MACRO.finditer(text):
        inside.update(range(m.start(), m.end()))
        if EQUATION.search(m.group(3)):
            assert m.group(1) in NOT_LINES, f"{path.name}: macro {m.group(1)} sets an equation"
    outside = [m.start() for m in EQUATION.finditer(text) if m.start() not in inside]
    assert not outside, f"{path.name}: an equation outside a macro at {outside}"


#: pieces (ems, whether a row breaks before it), indent -> the widest row: a row after a
#: break starts at the indent and an operator (2 ems), as frames.flow fills rows
WIDEST = [
    ([(10.0, False), (5.0, False)], 3.0, 15.0),
    ([(10.0, False), (5.0, True)], 3.0, 10.0),
    ([(4.0, False), (9.0, True)], 3.0, 14.0),
    ([(4.0, False), (9.0, True), (2.0, False), (1.0, True)], 1.0, 14.0),
    ([(4.0, True)], 3.0, 4.0),  # nothing breaks before the first piece
]


@pytest.mark.parametrize(("pieces", "indent", "width"), WIDEST)
def test_widest(pieces: list[tuple[float, bool]], indent: float, width: float) -> None:
    assert widest(pieces, indent) == pytest.approx(width)


def forward_lines(example: str, notation: str, line_em: float) -> dict[str, Line]:
    """Every forward line of an example's first derived step on lines of ``line_em`` ems
    (the article's limits: the numbers do not depend on the width), by where it is."""
    ex = overrides.with_render(spec.load(example), notation=notation)
    trace = engine.forward(ex)
    medium = Medium(4, replace(ARTICLE, line_em=line_em), row_vectors=notation == "row-vector")
    ctx = step_context(trace, trace.steps[0], medium, 0)
    lines = {f"inputs {','.join(q.symbolic['entries'])}": q for q in ctx["input_lines"]}
    lines |= {f"{g['key']} {q.kind}": q for g in ctx["gates"] for q in g["lines"]}
    return lines | {f"state {kind}": q for kind, q in ctx["state_lines"].items()}


@pytest.mark.parametrize("notation", ["pytorch", "textbook", "row-vector"])
@pytest.mark.parametrize(
    "example", [EXAMPLES / "notebook-step.yaml", EXAMPLES / "gru-sequence.yaml", PROJECTED]
)
def test_forward_width_is_the_widest_row_as_set(example: Path, notation: str) -> None:
    """A forward line's width is its widest row after its breaks (as the backward pass's):
    a line set on more rows than on a wide page is narrower than there, one set alike is
    as wide."""
    wide = forward_lines(str(example), notation, 400.0)
    assert all(q.width > 0 for q in wide.values())
    narrower = 0
    for line_em in (40.0, 25.0):
        for where, q in forward_lines(str(example), notation, line_em).items():
            if where not in wide:  # an input apart that shared a line on a wide page
                continue
            if q.rows > wide[where].rows:
                assert q.width < wide[where].width, where
                narrower += 1
            elif q.breaks == wide[where].breaks:
                assert q.width == pytest.approx(wide[where].width), where
            else:  # as many rows, broken elsewhere (the h line's numbers on one row or two)
                assert q.rows == wide[where].rows and where == "state hidden", where
    assert narrower


def known_kinds() -> set[str]:
    """The line kinds line.tex.j2 sets (its dispatch and its sub-macros' branches)."""
    text = (TEMPLATES / "line.tex.j2").read_text()
    kinds = set(re.findall(r'q\.kind == "(\w+)"', text))
    for group in re.findall(r"q\.kind in \(([^)]*)\)", text):
        kinds |= set(re.findall(r'"(\w+)"', group))
    return kinds


def lines_in(value: object) -> list[Line]:
    """Every Line in a template context (its dicts, lists, frames)."""
    if isinstance(value, Line):
        return [value]
    if isinstance(value, dict):
        return [q for v in value.values() for q in lines_in(v)]
    if isinstance(value, list | tuple):
        return [q for v in value for q in lines_in(v)]
    return []


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_line_the_builders_make_is_set_by_line(macros: Any, example: Path) -> None:
    """Every Line of a bundled example's forward steps (the three notations) and of its
    backward pass (slides and article) is of a kind line.tex.j2 knows, and the macro sets
    it from the Line alone as one equation (a row with its alignment point)."""
    lines: list[Line] = []
    for notation in ("pytorch", "textbook", "row-vector"):
        ex = overrides.with_render(spec.load(example), notation=notation)
        trace = engine.forward(ex)
        medium = Medium(4, ARTICLE, row_vectors=notation == "row-vector")
        lines += lines_in([step_context(trace, s, medium, n) for n, s in enumerate(trace.steps)])
    gradients = pipeline.differentiate(pipeline.compute(spec.load(example)))
    if gradients is not None:
        for slides in (True, False):
            lines += lines_in(backward_context.build(gradients, None, slides=slides))
    assert lines
    assert {q.kind for q in lines} <= known_kinds()
    for q in lines:
        assert "&" in str(macros.line(q)), q.kind
