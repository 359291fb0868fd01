"""``render.expand``: each entry of W x + b written out as its sum, in the frames, the
article and the parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context, expansion, matrices, numbers
from lstm_tex.document.line import Line
from lstm_tex.errors import InputError
from lstm_tex.validate import overrides, spec
from tests.conftest import BUNDLED, EXAMPLES, run_cli
from tests.layout import assert_compiles_cleanly, render, with_render

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
SHORT = EXAMPLES / "short-sequence.yaml"


@pytest.mark.parametrize(
    "x,style,text",
    [
        (0.5, "written", "0.5"),
        (-0.36, "written", "(-0.36)"),
        (0.0, "written", "0"),
        (-0.0, "written", "0"),
        (-0.12345, "fixed", "(-0.1235)"),  # rounded to 4 decimals
        (-0.0, "fixed", "0.0000"),  # no negative zero, so no parentheses
        (-0.00001, "fixed", "(-0.00001)"),  # not 0: never 0.0000 (issue 12)
        (12.0, "fixed", "12.0000"),
    ],
)
def test_factor(x: float, style: numbers.Style, text: str) -> None:
    assert numbers.factor(x, style, 4) == text


@pytest.mark.parametrize(
    "w,v,bias,value,terms,shown",
    [
        # the notebook's first row of W_ii x_1 + b_ii
        (
            [-0.36, 0.03],
            [0.5, 0.1],
            0.47,
            0.293,
            ["(-0.36) \\cdot 0.5", "0.03 \\cdot 0.1", "0.47"],
            "0.2930",
        ),
        # negative vector entries and a negative bias are parenthesised too
        (
            [0.1, -0.19],
            [-0.5, 0.18],
            -0.13,
            -0.2142,
            ["0.1 \\cdot (-0.5)", "(-0.19) \\cdot 0.18", "(-0.13)"],
            "-0.2142",
        ),
        # no bias (lstm bias: false)
        ([2.0, -1.0], [0.25, 0.5], None, 0.0, ["2 \\cdot 0.25", "(-1) \\cdot 0.5"], "0.0000"),
    ],
)
def test_expansion(
    w: list[float], v: list[float], bias: float | None, value: float, terms: list[str], shown: str
) -> None:
    assert matrices.expansion(w, v, bias, value, vector_style="written") == (terms, shown)


def test_expansion_of_computed_vectors_rounds_them() -> None:
    terms, value = matrices.expansion([1.0], [0.123456], None, 0.123456, decimals=3)
    assert terms == ["1 \\cdot 0.123"] and value == "0.123"


@pytest.mark.parametrize(
    "n,limit,kept",
    [
        (5, None, ["0", "1", "2", "3", "4"]),
        (5, 5, ["0", "1", "2", "3", "4"]),
        (5, 3, ["0", "\\cdots", "4"]),
        (10, 4, ["0", "1", "\\cdots", "9"]),
    ],
)
def test_dot_terms_elide_like_matrix_columns(n: int, limit: int | None, kept: list[str]) -> None:
    terms = matrices.dot_terms(range(n), [1.0] * n, vector_style="written", max_terms=limit)
    assert [t.split(" ")[0] for t in terms] == kept


@pytest.mark.parametrize(
    "terms,first,rest,lines",
    [
        (["1 \\cdot 2", "3 \\cdot 4"], 40.0, 40.0, ["1 \\cdot 2 + 3 \\cdot 4"]),
        (
            ["0.25 \\cdot 0.5"] * 3,
            10.0,
            10.0,
            ["0.25 \\cdot 0.5", "+ 0.25 \\cdot 0.5", "+ 0.25 \\cdot 0.5"],
        ),
        (
            ["0.25 \\cdot 0.5"] * 3,
            17.0,
            30.0,
            ["0.25 \\cdot 0.5 + 0.25 \\cdot 0.5", "+ 0.25 \\cdot 0.5"],
        ),
    ],
)
def test_break_terms(terms: list[str], first: float, rest: float, lines: list[str]) -> None:
    assert expansion.break_terms(terms, "0.3750", first, rest) == lines


def _context(path: Path | dict[str, Any], slides: bool = False, **render: Any) -> dict[str, Any]:
    ex = spec.load(path) if isinstance(path, Path) else spec.from_mapping(path)
    ex = overrides.with_view(ex, **render)
    return context.build(engine.forward(ex), None, slides=slides)


def _lines(row: Line) -> list[str]:
    """The rows a row of an expansion is set on (a long sum goes on over more)."""
    return [term.left for term in row.terms]


def test_notebook_forget_gate_rows() -> None:
    ctx = _context(NOTEBOOK, expand=["f"])
    gates = ctx["steps"][0]["gates"]
    assert [g["expansion"] is not None for g in gates] == [False, True, False, False]
    rows = gates[1]["expansion"]["rows"]
    assert len(rows) == 8  # four rows of W_if x + b_if, four of W_hf h + b_hf
    first = rows[0]
    assert first.symbolic["label"] == "(W_{if} x_{1} + b_{if})_{1}"
    assert _lines(first) == ["(-0.46) \\cdot 0.5 + 0 \\cdot 0.1 + 0.02"]
    assert first.result == "-0.2100"
    assert (
        rows[4].symbolic["part_start"]
        and rows[4].symbolic["label"] == "(W_{hf} h_{0} + b_{hf})_{1}"
    )
    assert " + ".join(_lines(rows[4])).replace("+ + ", "+ ") == (
        "0.1 \\cdot (-0.5) + (-0.19) \\cdot 0.18 + (-0.24) \\cdot 0.11 + 0.45 \\cdot (-0.06) "
        "+ (-0.13)"
    )
    assert rows[4].result == "-0.2676"


def test_values_are_the_trace() -> None:
    """Every shown value is the trace's ih or hh, rounded; the rows add up."""
    ctx = _context(SHORT, expand=["all"])
    trace = engine.forward(spec.load(SHORT))
    for s, step in zip(ctx["steps"], trace.steps, strict=True):
        for k, g in zip("ifgo", s["gates"], strict=True):
            rows = [r for r in g["expansion"]["rows"] if r.kind != "gap"]
            shown = [float(r.result) for r in rows]
            exact = np.concatenate([step.gates[k].ih[0], step.gates[k].hh[0]])
            np.testing.assert_allclose(shown, exact, atol=5e-5)


def _tiny(bias: bool, batch: bool, hidden: int = 2, n_in: int = 2) -> dict[str, Any]:
    """Every row of W_ih is [0.5, -0.8, 0.1, 0.1, ...], of W_hh [0.2, 0.2, ...]."""
    weights = {
        "weight_ih_l0": [[0.5, -0.8, *[0.1] * (n_in - 2)]] * (4 * hidden),
        "weight_hh_l0": [[0.2] * hidden] * (4 * hidden),
    }
    if bias:
        weights["bias_ih_l0"] = [0.1] * (4 * hidden)
        weights["bias_hh_l0"] = [-0.2] * (4 * hidden)
    x = [[[0.5] * n_in, [-1.0] * n_in]] if batch else [[0.5] * n_in]
    return {"weights": weights, "x": x}


@pytest.mark.parametrize(
    "bias,batch,label,line",
    [
        (True, False, "(W_{ii} x_{1} + b_{ii})_{1}", "0.5 \\cdot 0.5 + (-0.8) \\cdot 0.5 + 0.1"),
        (False, False, "(W_{ii} x_{1})_{1}", "0.5 \\cdot 0.5 + (-0.8) \\cdot 0.5"),
        (True, True, "(W_{ii} x_{1} + b_{ii})_{1,1}", "0.5 \\cdot 0.5 + (-0.8) \\cdot 0.5 + 0.1"),
    ],
)
def test_rows_with_and_without_bias_and_batch(
    bias: bool, batch: bool, label: str, line: str
) -> None:
    ctx = _context(_tiny(bias, batch), expand=["i"])
    rows = ctx["steps"][0]["gates"][0]["expansion"]["rows"]
    assert rows[0].symbolic["label"] == label and _lines(rows[0]) == [line]
    if batch:  # then entry (1, 2): the same row of W, the second example
        assert rows[1].symbolic["label"] == "(W_{ii} x_{1} + b_{ii})_{1,2}"
        assert _lines(rows[1]) == ["0.5 \\cdot (-1) + (-0.8) \\cdot (-1) + 0.1"]
        assert len(rows) == 2 * 2 * 2  # rows x examples, for W_i x + b_i and W_h h + b_h
    else:
        assert len(rows) == 2 * 2


def test_large_rows_and_terms_are_elided() -> None:
    ctx = _context(
        _tiny(True, False, hidden=10, n_in=10), slides=True, expand=["g"], max_rows=3, max_cols=3
    )
    rows = ctx["steps"][0]["gates"][2]["expansion"]["rows"]
    ih = rows[:3]
    assert [r.kind == "gap" for r in ih] == [False, True, False]
    assert ih[0].symbolic["label"].endswith("_{1}") and ih[2].symbolic["label"].endswith("_{10}")
    assert _lines(ih[0])[0].count("\\cdots") == 1
    assert len(_lines(ih[0])[0].split(" + ")) == 4  # w1 x1, \cdots, w10 x10, b


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, ()),
        ([], ()),
        ("all", (("i", None), ("f", None), ("g", None), ("o", None))),
        ("f", (("f", None),)),
        (["o", "f"], (("f", None), ("o", None))),
        ([{"gate": "f", "steps": [2]}, {"gate": "f", "steps": 1}], (("f", (1, 2)),)),
        ([{"gate": "f", "steps": [2]}, "f"], (("f", None),)),
        ([{"gate": ["i", "g"], "steps": "all"}], (("i", None), ("g", None))),
        ([{"gate": "all", "steps": [3]}], tuple((k, (3,)) for k in "ifgo")),
    ],
)
def test_expand_forms(value: Any, expected: tuple[Any, ...]) -> None:
    assert overrides.expand_option(value, 3, None) == expected


@pytest.mark.parametrize(
    "render,message",
    [
        ({"expand": "x"}, "render.expand: unknown gate 'x'; expected i, f, g or o"),
        ({"expand": 3}, "render.expand: expected all, a gate, or a list such as [f, o]"),
        (
            {"expand": [{"gate": "f", "step": 1}]},
            "render.expand[0].step: unknown key 'step'; did you mean 'steps'?",
        ),
        ({"expand": [{"steps": [1]}]}, "render.expand[0].gate: required key is missing"),
        (
            {"expand": [{"gate": "f", "steps": [4]}]},
            "render.expand[0].steps[0]: there is no step 4: x has 3 steps",
        ),
        (
            {"steps": [1], "expand": [{"gate": "f", "steps": [2]}]},
            "render.expand[0].steps[0]: step 2 is not derived in full (render.steps: [1])",
        ),
    ],
)
def test_expand_errors_name_the_field(tmp_path: Path, render: dict[str, Any], message: str) -> None:
    source = with_render(SHORT, tmp_path, **render)
    with pytest.raises(InputError) as caught:
        spec.load(source)
    assert message in caught.value.format()
    result = run_cli("render", source, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--expand", "q"], "--expand: unknown gate 'q'"),
        (["--expand", "f:x"], "--expand: expected GATE or GATE:STEPS such as f or o:1,3"),
        (["--expand", "f:9"], "--expand: there is no step 9"),
    ],
)
def test_expand_flag_errors(out: Path, flags: list[str], message: str) -> None:
    result = run_cli("render", SHORT, "--out", out, "--no-check", *flags)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_expand_writes_frames_article_and_parts(out: Path) -> None:
    folder = render(SHORT, out, "--expand", "o:2", "--expand", "i:1")
    parts = sorted(p.name for p in (folder / "parts").glob("*-rows.tex"))
    assert parts == ["l0-forward-t1-i-rows.tex", "l0-forward-t2-o-rows.tex"]
    frames = (folder / "frames.tex").read_text()
    assert frames.count("row by row}") == 2
    article = (folder / f"{SHORT.stem}.tex").read_text()
    assert article.count("Row by row:") == 2
    assert "(W_{io} x_{2} + b_{io})_{1} &= " in article


@pytest.mark.latex
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_expand_all_compiles_for_every_example(example: Path, tmp_path: Path) -> None:
    folder = render(with_render(example, tmp_path / "src", expand="all"), tmp_path / "out")
    assert "row by row" in (folder / "frames.tex").read_text()
    assert_compiles_cleanly(folder)


def test_exercise_sheet_leaves_the_sums_out(out: Path, tmp_path: Path) -> None:
    """The written-out sums would give the sheet's blanks away; the answer key keeps them."""
    source = with_render(SHORT, tmp_path, exercise=["ih", "hh"], expand=["f"], steps=[2])
    folder = render(source, out)
    stem = SHORT.stem
    assert "row by row" not in (folder / f"{stem}-exercise-slides.tex").read_text()
    assert "Row by row" not in (folder / f"{stem}-exercise.tex").read_text()
    assert "Row by row" in (folder / f"{stem}-answers.tex").read_text()
    assert "row by row" in (folder / "frames.tex").read_text()


@pytest.mark.parametrize(
    "notation,label,line",
    [
        (
            "textbook",
            "(W_{i} [h_{0}; x_{1}] + b_{i})_{1}",
            "0.2 \\cdot 0.5 + 0.2 \\cdot (-0.5) + 0.5 \\cdot 0.5 + (-0.8) \\cdot 0.5 + (-0.1)",
        ),
        (
            "row-vector",
            "(x_{1} W_{xi} + h_{0} W_{hi} + b_{i})_{1}",
            "0.5 \\cdot 0.5 + 0.5 \\cdot (-0.8) + 0.5 \\cdot 0.2 + (-0.5) \\cdot 0.2 + (-0.1)",
        ),
    ],
)
def test_other_notations_write_out_their_own_line(notation: str, label: str, line: str) -> None:
    """One part per gate, on the notation's stacked vector, with its one bias b_ik + b_hk."""
    data = {**_tiny(True, False), "h0": [0.5, -0.5], "render": {"notation": notation}}
    ctx = _context(data, expand=["i"])
    gate = ctx["steps"][0]["gates"][0]
    rows = gate["expansion"]["rows"]
    assert len(rows) == 2 and not any(r.symbolic["part_start"] for r in rows)
    assert rows[0].symbolic["label"] == label and " ".join(_lines(rows[0])) == line
    assert float(rows[0].result) == pytest.approx(0.2 * 0.5 - 0.2 * 0.5 + 0.25 - 0.4 - 0.1)
