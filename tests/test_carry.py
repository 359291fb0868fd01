"""render.carry: displayed: every printed number follows from the printed numbers before it.

The check reads the article as a student reads it: it parses the matrices of each step
and recomputes every computed value from the values printed before it, in exact decimal
arithmetic (sigmoid and tanh in float), rounded half away from zero at the printed
precision, as on a calculator.
"""

from __future__ import annotations

import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_tex.compute import engine
from lstm_tex.document import numbers
from lstm_tex.validate import spec
from tests.conftest import EXAMPLES, run_cli

Matrix = list[list[Decimal]]


@pytest.mark.parametrize(
    "x,decimals,expected",
    [
        (0.06175, 4, 0.0618),  # a decimal tie whose float is a hair below: still up
        (-0.06175, 4, -0.0618),  # away from zero
        (0.1235 * 0.5, 4, 0.0618),  # the product of printed numbers a student multiplies
        (0.12344999, 4, 0.1234),
        (0.29299999, 4, 0.293),
        (-0.00001, 4, 0.0),  # no negative zero
        (2.5, 0, 3.0),
        (0.125, 2, 0.13),  # fixed() would print 0.12 (half to even)
        (1e20, 2, 1e20),
    ],
)
def test_rounder(x: float, decimals: int, expected: float) -> None:
    rounded = numbers.rounder(decimals)(np.array([x]))[0]
    assert rounded == expected and math.copysign(1.0, rounded) == math.copysign(1.0, expected)


@given(st.floats(-1e6, 1e6), st.integers(0, 8))
def test_rounder_gives_what_fixed_prints(x: float, decimals: int) -> None:
    """The rounded value prints as itself, within half a unit of the last decimal."""
    rounded = float(numbers.rounder(decimals)(np.array([x]))[0])
    assert float(numbers.fixed(rounded, decimals)) == rounded
    assert abs(rounded - x) <= 0.5 * 10.0**-decimals * (1 + 1e-6) + 1e-9 * abs(x)


# ---------------------------------------------------------------- reading the article


def _entry(text: str) -> Decimal:
    return Decimal(re.sub(r"\\phantom\{[^}]*\}", "", text).strip())


def matrices(tex: str) -> list[Matrix]:
    """The numeric bmatrices of ``tex``, in order (matrices of symbols are left out). The
    textbook notation's W_k = [W_hk | W_ik] is an ``array`` between brackets with a rule
    between the blocks, and [h; x] such an array with an ``\\hline``: both are read too."""
    found = []
    pattern = (
        r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}"
        r"|\\left\[\\begin\{array\}\{(?:[^{}]|\{\})*\}(.*?)\\end\{array\}\\right\]"
    )
    for bracketed, array in re.findall(pattern, tex, flags=re.S):
        body = (bracketed or array).replace("\\hline", "")
        try:
            found.append([[_entry(e) for e in row.split("&")] for row in body.split("\\\\")])
        except ArithmeticError:
            continue
    return found


def aligns(section: str) -> list[str]:
    return re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", section, flags=re.S)


def steps(article: str) -> dict[str, list[str]]:
    """The align* blocks of each derived step, by its section title."""
    found = {}
    for section in article.split("\\section*{")[1:]:
        title = section.split("}", 1)[0]
        if "step" in title.lower() and "not derived" not in title:
            found[title] = aligns(section)
    return found


class Calculator:
    """A student's calculator: exact decimals, rounded half away from zero when written."""

    def __init__(self, decimals: int) -> None:
        self.unit = Decimal(10) ** -decimals

    def round(self, values: list[Decimal]) -> list[Decimal]:
        return [v.quantize(self.unit, rounding=ROUND_HALF_UP) for v in values]

    def affine(self, w: Matrix, v: list[Decimal], b: list[Decimal]) -> list[Decimal]:
        return self.round(
            [
                sum((wi * vi for wi, vi in zip(row, v, strict=True)), Decimal(0)) + bi
                for row, bi in zip(w, b, strict=True)
            ]
        )

    def apply(self, fn: str, values: list[Decimal]) -> list[Decimal]:
        f = {"sigma": lambda z: 1.0 / (1.0 + math.exp(-z)), "tanh": math.tanh}[fn]
        return self.round([Decimal(repr(f(float(v)))) for v in values])


def col(m: Matrix) -> list[Decimal]:
    """A column vector's entries (one example: no batch)."""
    assert all(len(row) == 1 for row in m)
    return [row[0] for row in m]


def check_article(article: str, decimals: int, notation: str) -> list[str]:
    """Every printed value of every derived step that is not what the calculator gets from
    the values printed before it (an empty list when the article is reproducible)."""
    calc = Calculator(decimals)
    wrong: list[str] = []

    def same(what: str, printed: list[Decimal], computed: list[Decimal]) -> None:
        if printed != computed:
            wrong.append(f"{what}: printed {printed}, calculator {computed}")

    printed: dict[tuple[int, int], tuple[list[Decimal], list[Decimal]]] = {}  # h, c
    for title, blocks in steps(article).items():
        inputs, *gates, state = blocks
        x, h_prev, c_prev = (col(m) for m in matrices(inputs))
        found = re.fullmatch(r"(?:Layer (\d+), )?[Ss]tep (\d+)", title)
        assert found is not None, title
        layer, t = int(found.group(1) or 0), int(found.group(2))
        if t > 1:  # a later step reads the h and c printed at the step before
            same(f"{title} h_prev", h_prev, printed[layer, t - 1][0])
            same(f"{title} c_prev", c_prev, printed[layer, t - 1][1])
        if layer > 0:  # a layer above reads the h printed by the layer below
            same(f"{title} x", x, printed[layer - 1, t][0])
        act = {}
        for k, fn, block in zip("ifgo", ("sigma", "sigma", "tanh", "sigma"), gates, strict=True):
            m = matrices(block)
            if notation == "pytorch":
                w_ih, x_, b_ih, ih, w_hh, h_, b_hh, hh, ih2, hh2, pre, a = m
                same(f"{title} {k} x", col(x_), x)
                same(f"{title} {k} h", col(h_), h_prev)
                same(f"{title} {k} ih", col(ih), calc.affine(w_ih, x, col(b_ih)))
                same(f"{title} {k} hh", col(hh), calc.affine(w_hh, h_prev, col(b_hh)))
                same(f"{title} {k} ih again", col(ih2), col(ih))
                same(f"{title} {k} hh again", col(hh2), col(hh))
                same(
                    f"{title} {k} pre",
                    col(pre),
                    calc.round([a_ + b_ for a_, b_ in zip(col(ih), col(hh), strict=True)]),
                )
            else:  # textbook: W [h; x] + b
                w, v, b, pre, pre2, a = m
                same(f"{title} {k} [h; x]", col(v), h_prev + x)
                same(f"{title} {k} pre", col(pre), calc.affine(w, col(v), col(b)))
                same(f"{title} {k} pre again", col(pre2), col(pre))
            same(f"{title} {k}", col(a), calc.apply(fn, col(pre)))
            act[k] = col(a)
        f, c_p, i, g, c, o, c2, o2, tanh_c, h = (col(m) for m in matrices(state))
        for name, shown, expected in (
            ("f", f, act["f"]),
            ("i", i, act["i"]),
            ("g", g, act["g"]),
            ("o", o, act["o"]),
            ("o", o2, act["o"]),
            ("c_prev", c_p, c_prev),
        ):
            same(f"{title} {name} in the cell and hidden lines", shown, expected)
        same(
            f"{title} c",
            c,
            calc.round([a * b + p * q for a, b, p, q in zip(f, c_prev, i, g, strict=True)]),
        )
        same(f"{title} c again", c2, c)
        same(f"{title} tanh(c)", tanh_c, calc.apply("tanh", c))
        same(f"{title} h", h, calc.round([a * b for a, b in zip(o, tanh_c, strict=True)]))
        printed[layer, t] = (h, c)
    return wrong


def render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


@pytest.mark.parametrize("notation", ["pytorch", "textbook"])
@pytest.mark.parametrize("name", ["short-sequence", "stacked"])
def test_every_printed_number_follows_from_the_printed_ones(
    name: str, notation: str, tmp_path: Path
) -> None:
    example = EXAMPLES / f"{name}.yaml"
    folder = render(example, tmp_path, "--carry", "displayed", "--notation", notation)
    article = (folder / f"{name}.tex").read_text()
    assert len(steps(article)) == len(engine.forward(spec.load(example)).steps)
    assert check_article(article, 4, notation) == []


def test_the_exact_mode_is_not_reproducible_so_the_check_can_fail(tmp_path: Path) -> None:
    """The default rounds only what it prints: the same check finds last digits that a
    calculator working from the printed values does not get."""
    folder = render(EXAMPLES / "short-sequence.yaml", tmp_path)
    wrong = check_article((folder / "short-sequence.tex").read_text(), 4, "pytorch")
    assert wrong and all("printed" in w for w in wrong)


def test_values_json_keeps_both_and_the_document_states_the_drift(tmp_path: Path) -> None:
    example = EXAMPLES / "short-sequence.yaml"
    folder = render(example, tmp_path, "--carry", "displayed")
    values = json.loads((folder / "values.json").read_text())
    exact = engine.forward(spec.load(example))
    assert values["steps"][2]["h"] == exact.steps[2].h[0].tolist()  # exact, as SPEC says
    shown = values["displayed_steps"]
    assert [s["t"] for s in shown] == [s["t"] for s in values["steps"]]
    for step in shown:  # rounded to the printed decimals
        for v in step["h"] + step["c"] + step["gates"]["f"]["act"]:
            assert v == round(v, 4)
    drift = values["carry"]["max_drift"]
    expected = max(
        abs(a - b)
        for s, e in zip(shown, values["steps"], strict=True)
        for a, b in zip(s["h"], e["h"], strict=True)
    )
    assert drift["h"] == expected and 0 < drift["h"] < 1e-3
    assert values["carry"]["mode"] == "displayed" and values["carry"]["decimals"] == 4
    assert values["carry"]["h_n"] == [shown[-1]["h"]]
    statement = (
        f"differ from the exact values by at most ${numbers.scientific(drift['h'])}$ "
        f"and ${numbers.scientific(drift['c'])}$"
    )
    assert statement in " ".join((folder / "short-sequence.tex").read_text().split())
    assert statement in " ".join((folder / "frames.tex").read_text().split())


def test_exact_is_the_default_and_adds_nothing(tmp_path: Path) -> None:
    folder = render(EXAMPLES / "short-sequence.yaml", tmp_path)
    values = json.loads((folder / "values.json").read_text())
    assert "displayed_steps" not in values and "carry" not in values
    assert "calculator" not in (folder / "short-sequence.tex").read_text()


def test_the_engine_goes_on_from_the_rounded_values() -> None:
    ex = spec.load(EXAMPLES / "short-sequence.yaml")
    rounding = engine.Rounding(numbers.rounder(2))
    shown = engine.forward(ex, rounding=rounding)
    step = shown.steps[1]
    assert np.array_equal(step.h_prev, shown.steps[0].h)  # carried over rounded
    for value in (step.gates["f"].ih, step.gates["f"].pre, step.c, step.h):
        assert np.array_equal(value, np.round(value, 2))
    assert np.array_equal(
        step.c,
        rounding.values(
            step.gates["f"].act * step.c_prev + step.gates["i"].act * step.gates["g"].act
        ),
    )
    # Where ih and hh are not printed (textbook, row-vector), only their sum is rounded.
    parts_off = engine.forward(ex, rounding=engine.Rounding(numbers.rounder(2), parts=False))
    gates = parts_off.steps[1].gates.values()
    assert any(not np.array_equal(g.hh, np.round(g.hh, 2)) for g in gates)
    assert all(np.array_equal(g.pre, np.round(g.pre, 2)) for g in gates)


def test_bad_carry_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "short-sequence.yaml").read_text()
    bad.write_text(text + "render:\n  carry: rounded\n")
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert "render.carry: expected exact or displayed, found the text 'rounded'" in result.output
