"""render.notation: the equation lines of each profile, exact; the same numbers in each;
and every option on every bundled example compiles without an Overfull box."""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context
from lstm_tex.document import medium as media
from lstm_tex.validate import model, overrides, spec
from tests.conftest import BUNDLED, DATA, LSTM_BUNDLED, compile_tex, lecturer_deck, run_cli

TINY = DATA / "tiny.yaml"


def render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


def gate_lines(folder: Path, gate: str = "f") -> list[str]:
    """The rows of a gate's part (the forget gate of step 1), one line each."""
    text = (folder / "parts" / f"l0-forward-t1-{gate}.tex").read_text()
    body = text.split("\\def\\lstmpartrows{%\n")[1].split("\n}%")[0]
    return body.splitlines()


M = r"\begin{bmatrix} %s \end{bmatrix}"
#: A rule between blocks: an array whose rule stops inside the brackets (issue 12).
R = r"\left[\begin{array}{@{}c@{}} %s \end{array}\right]"
H0_X1 = R % r"h_{0} \\ \hline x_{1}"

LINES = [
    (
        "pytorch",
        0,
        r"f_{1} &= \sigma\left(W_{if} x_{1} + b_{if} + W_{hf} h_{0} + b_{hf}\right) \\*",
    ),
    (
        "pytorch",
        1,
        r"W_{if} x_{1} + b_{if} &= "
        + M % r"\phantom{-}0.3 & 0.2 \\ -0.1 & 0.6"
        + " "
        + M % r"1\phantom{.0} \\ 0.5"
        + " + "
        + M % r"-0.1 \\ \phantom{-}0.3"
        + " = "
        + M % r"0.30 \\ 0.50"
        + r" \\",
    ),
    (
        "pytorch",
        2,
        r"W_{hf} h_{0} + b_{hf} &= "
        + M % r"0.2 & \phantom{-}0.1 \\ 0.1 & -0.1"
        + " "
        + M % r"\phantom{-}0.2 \\ -0.1"
        + " + "
        + M % r"0.2 \\ 0.1"
        + " = "
        + M % r"0.23 \\ 0.13"
        + r" \\",
    ),
    (
        "pytorch",
        3,
        r"f_{1} &= \sigma\left("
        + M % r"0.30 \\ 0.50"
        + " + "
        + M % r"0.23 \\ 0.13"
        + r"\right) = \sigma\left("
        + M % r"0.53 \\ 0.63"
        + r"\right) = "
        + M % r"0.63 \\ 0.65",
    ),
    # Olah: one matrix [W_hf W_if] on [h_0; x_1], one bias b_if + b_hf (added as decimals)
    ("textbook", 0, r"f_{1} &= \sigma\left(W_{f} " + H0_X1 + r" + b_{f}\right) \\*"),
    (
        "textbook",
        1,
        r"W_{f} "
        + H0_X1
        + r" + b_{f} &= "
        # a rule between the h and the x columns, and between h and x (issue 12)
        + r"\left[\begin{array}{@{}cc|cc@{}} "
        + r"0.2 & \phantom{-}0.1 & \phantom{-}0.3 & 0.2 \\ 0.1 & -0.1 & -0.1 & 0.6"
        + r" \end{array}\right] "
        + R % r"\phantom{-}0.2 \\ -0.1 \\ \hline \phantom{-}1\phantom{.0} \\ \phantom{-}0.5"
        + " + "
        + M % r"0.1 \\ 0.4"
        + r" \\*",
    ),
    # the parts break their lines to fit any article (\\*: no page break inside)
    ("textbook", 2, r"  & = " + M % r"0.53 \\ 0.63" + r" \\"),
    (
        "textbook",
        3,
        r"f_{1} &= \sigma\left(" + M % r"0.53 \\ 0.63" + r"\right) = " + M % r"0.63 \\ 0.65",
    ),
    # d2l: row vectors, x_1 W_xf with W_xf = W_if transposed, one bias
    ("row-vector", 0, r"f_{1} &= \sigma\left(x_{1} W_{xf} + h_{0} W_{hf} + b_{f}\right) \\*"),
    (
        "row-vector",
        1,
        r"x_{1} W_{xf} + h_{0} W_{hf} + b_{f} &= "
        + M % "1 & 0.5"
        + " "
        + M % r"0.3 & -0.1 \\ 0.2 & \phantom{-}0.6"
        + r" \\*",
    ),
    (
        "row-vector",
        2,
        r"  & + " + M % "0.2 & -0.1" + " " + M % r"0.2 & \phantom{-}0.1 \\ 0.1 & -0.1" + r" \\*",
    ),
    ("row-vector", 3, r"  & + " + M % "0.1 & 0.4" + " = " + M % "0.53 & 0.63" + r" \\"),
    # its result row starts after the 12 em left-hand side's column: the activation breaks
    ("row-vector", 4, r"f_{1} &= \sigma\left(" + M % "0.53 & 0.63" + r"\right) \\*"),
    ("row-vector", 5, r"  & = " + M % "0.63 & 0.65"),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("notation")
    return {n: render(TINY, out / n, "--notation", n) for n in model.SHOWN}


@pytest.mark.parametrize("notation,index,line", LINES, ids=[f"{n}-{k}" for n, k, _ in LINES])
def test_gate_line(tiny: dict[str, Path], notation: str, index: int, line: str) -> None:
    assert gate_lines(tiny[notation])[index] == line


@pytest.mark.parametrize("notation", list(model.SHOWN))
def test_gate_has_exactly_these_lines(tiny: dict[str, Path], notation: str) -> None:
    assert len(gate_lines(tiny[notation])) == max(k for n, k, _ in LINES if n == notation) + 1


OVERVIEW = [
    ("pytorch", r"f_t &= \sigma\left(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}\right)"),
    (
        "textbook",
        r"f_t &= \sigma\left(W_f \left[\begin{array}{@{}c@{}} h_{t-1} \\ \hline x_t "
        r"\end{array}\right] + b_f\right)",
    ),
    (
        "textbook",
        r"g_t &= \tanh\left(W_g \left[\begin{array}{@{}c@{}} h_{t-1} \\ \hline x_t "
        r"\end{array}\right] + b_g\right)",
    ),
    ("row-vector", r"f_t &= \sigma\left(x_t W_{xf} + h_{t-1} W_{hf} + b_f\right)"),
    ("row-vector", r"h_t &= o_t \odot \tanh(c_t)"),
]


@pytest.mark.parametrize("notation,line", OVERVIEW)
def test_overview_equations(tiny: dict[str, Path], notation: str, line: str) -> None:
    """The cell's equations on the first frame and at the top of the article."""
    frames = (tiny[notation] / "frames.tex").read_text()
    article = (tiny[notation] / "tiny.tex").read_text()
    assert line in frames
    assert line in article


def _numbers(tex: str) -> list[float]:
    return [float(n) for n in re.findall(r"(?<![\w{])-?\d+\.\d+", tex)]


@pytest.mark.parametrize("example", LSTM_BUNDLED, ids=lambda p: p.stem)
def test_same_numbers_in_every_notation(example: Path) -> None:
    """Only the display changes: the pre-activations and gates, c and h that each notation
    prints are those of the one trace (a row-vector matrix is the transposed column one)."""
    ex = spec.load(example)
    trace = engine.forward(ex)
    shown: dict[str, list[list[float]]] = {}
    for notation in model.SHOWN:
        changed = overrides.with_render(ex, notation=notation)
        ctx = context.build(engine.forward(changed), None, slides=False)
        shown[notation] = [
            sorted(_numbers(text))
            for s in ctx["steps"]
            for g in s["gates"]
            for text in (g["lines"][-1].numbers["pre"], g["act"])  # the result line's
        ]
        shown[notation] += [
            sorted(_numbers(text))
            for s in ctx["steps"]
            for text in (s["state_lines"]["cell"].result, s["h"])
        ]
    assert shown["textbook"] == shown["pytorch"] == shown["row-vector"]
    assert len(shown["pytorch"]) == 10 * len(
        [s for s in trace.steps if ex.render.derives(s.layer, s.t)]
    )


def test_combined_bias_is_added_as_decimals() -> None:
    """b_k = b_ik + b_hk is printed as the decimal sum (0.3, not 0.30000000000000004)."""
    ex = spec.from_mapping(
        {
            "weights": {
                "weight_ih_l0": [[0.5]] * 4,
                "weight_hh_l0": [[0.5]] * 4,
                "bias_ih_l0": [0.1] * 4,
                "bias_hh_l0": [0.2] * 4,
            },
            "x": [1.0],
            "render": {"notation": "textbook"},
        }
    )
    ctx = context.build(engine.forward(ex), None, slides=True)
    (_, affine, _) = ctx["steps"][0]["gates"][0]["lines"]
    assert affine.numbers["b"] == M % "0.3"


def test_unknown_notation_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("  decimals: 2", "  decimals: 2\n  notation: olah"))
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert (
        "render.notation: expected pytorch, textbook or row-vector, found the text "
        "'olah'" in result.output
    )
    result = run_cli("render", TINY, "--out", tmp_path / "out", "--notation", "olah")
    assert result.exit_code == 2 and "--notation" in result.output


def test_step_latex_in_the_python_api_follows_the_notation() -> None:
    import lstm_tex

    ex = lstm_tex.Example.from_mapping({**_tiny_mapping(), "render": {"notation": "row-vector"}})
    text = ex.compute().steps[0].latex()
    assert r"f_{1} &= \sigma\left(x_{1} W_{xf} + h_{0} W_{hf} + b_{f}\right)" in text


def _tiny_mapping() -> dict[str, object]:
    from ruamel.yaml import YAML

    data: dict[str, object] = YAML(typ="safe").load(TINY.read_text())
    return data


def _projected(layers: int) -> dict[str, object]:
    """Stacked layers with projections (hidden 3 to 2), a batch of 2, no bias."""
    rng = np.random.default_rng(0)

    def r(*shape: int) -> list[object]:
        values: list[object] = np.round(rng.uniform(-0.6, 0.6, shape), 2).tolist()
        return values

    weights = {}
    for layer in range(layers):
        weights.update(
            {
                f"weight_ih_l{layer}": r(12, 2),
                f"weight_hh_l{layer}": r(12, 2),
                f"weight_hr_l{layer}": r(2, 3),
            }
        )
    return {"weights": weights, "x": r(2, 2, 2)}


@pytest.mark.parametrize("layers,symbol", [(1, r"W_{hr}^{\top}"), (2, r"W_{hr}^{(1)\top}")])
def test_row_vector_projection_transposes_w_hr(layers: int, symbol: str) -> None:
    """h_t = m_t W_hr^T, the transpose joining the layer mark (not a double superscript)."""
    ex = spec.from_mapping({**_projected(layers), "render": {"notation": "row-vector"}})
    trace = engine.forward(ex)
    ctx = context.build(trace, None, slides=True)
    step = ctx["steps"][-1]
    assert step["W_hr_sym"] == symbol
    w_hr = ex.weights[f"weight_hr_l{layers - 1}"]
    hidden = step["state_lines"]["hidden"]
    assert hidden.numbers["W_hr"] == media.Medium(4, media.SLIDES).weights(w_hr.T)


@pytest.mark.latex
def test_row_vector_projection_batch_compiles(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    example = tmp_path / "projected.yaml"
    with example.open("w") as stream:
        YAML().dump(_projected(2), stream)
    folder = render(example, tmp_path / "out", "--notation", "row-vector", "--captions")
    for name in ("projected.tex", "projected-slides.tex"):
        compiled = compile_tex(folder / name, draft=True)
        assert compiled.ok, compiled.errors
        assert compiled.overfull == 0, name


def _compile_all(folder: Path) -> list[tuple[str, int, int, bool]]:
    texs = [p for p in sorted(folder.glob("*.tex")) if p.name != "frames.tex"]
    texs.append(lecturer_deck(folder, folder / "frames.tex"))
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(functools.partial(compile_tex, draft=True), texs))
    return [
        (t.name, c.overfull_hbox, c.overfull_vbox, c.ok) for t, c in zip(texs, done, strict=True)
    ]


@pytest.mark.latex
@pytest.mark.parametrize("notation", list(model.SHOWN))
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_every_option_compiles(
    example: Path, notation: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Each bundled example in each notation, with every other option of issue 6 on (carry
    displayed, captions, an exercise of every quantity the notation shows): the article,
    the deck, the frames in a lecturer's themed deck, the exercise sheet (article and deck)
    and, once per example, its answer key compile with no Overfull box."""
    folder = render(
        example,
        tmp_path,
        "--notation",
        notation,
        "--carry",
        "displayed",
        "--captions",
        "--exercise",
        "all",
    )
    if notation != "pytorch":  # the answer key has the sheet's layout: compiled once
        (folder / f"{example.stem}-answers.tex").unlink()
    results = _compile_all(folder)
    assert len(results) == (6 if notation == "pytorch" else 5)
    assert [r for r in results if r[1:] != (0, 0, True)] == []
