"""render.captions: sentences under the gate, cell and hidden-state derivations that read
their numbers (the numbers as the derivation prints them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context
from lstm_tex.validate import model, overrides, spec
from tests.conftest import EXAMPLES, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"

# The single-step notebook: i = [0.5284, 0.4833, 0.5617, 0.5484],
# f = [0.3828, 0.3494, 0.3847, 0.2945], g = [-0.3505, 0.1132, 0.4209, -0.0196],
# o = [0.4864, 0.3714, 0.5899, 0.5631], c0 = [-0.47, 0.32, -0.76, 0.47],
# c1 = [-0.3651, 0.1665, -0.0560, 0.1277], h1 = [-0.1701, 0.0613, -0.0330, 0.0715].
CAPTIONS = [
    (
        "i",
        r"$i_{1,3} = 0.5617$: 56\,\% of the candidate $g_{1,3}$ is written into the cell; "
        r"$i_{1,2} = 0.4833$: 48\,\% of the candidate $g_{1,2}$ is written into the cell.",
    ),
    (
        "f",
        r"$f_{1,3} = 0.3847$: 38\,\% of $c_{0,3}$ is kept; "
        r"$f_{1,4} = 0.2945$: 29\,\% of $c_{0,4}$ is kept.",
    ),
    (
        "g",
        r"$g_{1,3} = 0.4209$ pushes $c_{1,3}$ up, $g_{1,1} = -0.3505$ pushes $c_{1,1}$ down "
        r"(as far as the input gate lets it).",
    ),
    (
        "o",
        r"$o_{1,3} = 0.5899$: 59\,\% of $\tanh(c_{1,3})$ reaches $h_{1,3}$; "
        r"$o_{1,2} = 0.3714$: 37\,\% of $\tanh(c_{1,2})$ reaches $h_{1,2}$.",
    ),
    ("cell", r"The cell changes most in unit~3: $c_{0,3} = -0.76$ becomes $c_{1,3} = -0.0560$."),
    (
        "hidden",
        r"$h_{1,1} = -0.1701$: the output gate lets 49\,\% of "
        r"$\tanh(c_{1,1}) = -0.3497$ through.",
    ),
]


def captions(example: model.Example, slides: bool = True) -> dict[str, str]:
    ctx = context.build(engine.forward(example), None, slides=slides)
    step = ctx["steps"][0]
    found = {g["key"]: g["caption"] for g in step["gates"]}
    found.update(cell=step["cell_caption"], hidden=step["hidden_caption"])
    return found


@pytest.mark.parametrize("key,caption", CAPTIONS)
def test_caption(key: str, caption: str) -> None:
    assert captions(overrides.with_render(spec.load(NOTEBOOK), captions=True))[key] == caption


def test_off_by_default() -> None:
    assert set(captions(spec.load(NOTEBOOK)).values()) == {""}


def test_marks_and_batches() -> None:
    """A layer and direction keep their marks; a batch is read at its first example."""
    mapping = {
        "weights": {
            "weight_ih_l0": [[0.5], [0.1], [-0.3], [0.2]],
            "weight_hh_l0": [[0.4], [-0.2], [0.1], [0.3]],
            "weight_ih_l0_reverse": [[0.2], [0.3], [0.1], [-0.4]],
            "weight_hh_l0_reverse": [[0.1], [0.2], [0.3], [0.4]],
        },
        "x": [[[1.0], [0.5]], [[0.5], [-1.0]]],
        "render": {"captions": True},
    }
    found = captions(spec.from_mapping(mapping))
    assert found["f"].startswith(r"Example~1: $f^{\rightarrow}_{1,1} = ")
    assert r"of $c^{\rightarrow}_{0,1}$ is kept." in found["f"]
    assert found["f"].count("is kept") == 1  # one unit: its largest is its smallest


def test_shown_under_the_derivations(tmp_path: Path) -> None:
    result = run_cli(
        "render", NOTEBOOK, "--out", tmp_path, "--no-check", "--captions", "--exercise", "f"
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / NOTEBOOK.stem
    frames = (folder / "frames.tex").read_text()
    article = (folder / "notebook-step.tex").read_text()
    for _, caption in CAPTIONS:
        assert f"\\par\\medskip{{\\footnotesize {caption}\\par}}" in frames
        assert caption in article
    # after the gate's derivation: the forget gate's frame ends with its caption
    forget = frames.split(r"forget gate $f_{1}$")[1].split(r"\end{frame}")[0]
    assert forget.rstrip().endswith(CAPTIONS[1][1] + r"\par}")
    # they read the numbers, so the exercise sheet has none; its answer key has them
    assert "is kept" not in (folder / "notebook-step-exercise.tex").read_text()
    assert "is kept" not in (folder / "notebook-step-exercise-slides.tex").read_text()
    assert CAPTIONS[1][1] in (folder / "notebook-step-answers.tex").read_text()


def test_flag_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        NOTEBOOK.read_text().replace("  decimals: 4", "  decimals: 4\n  captions: maybe")
    )
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert "render.captions: expected true or false, found the text 'maybe'" in result.output
    on = tmp_path / "on.yaml"
    on.write_text(NOTEBOOK.read_text().replace("  decimals: 4", "  decimals: 4\n  captions: true"))
    result = run_cli("render", on, "--out", tmp_path / "out", "--no-check", "--no-captions")
    assert result.exit_code == 0, result.output
    assert "is kept" not in (tmp_path / "out" / "on" / "frames.tex").read_text()


@pytest.mark.parametrize(
    "bias,notation,part",
    [
        (True, "pytorch", r"W_{hn} h_{1} + b_{hn}"),
        ("single", "pytorch", r"W_{hn} h_{1}"),
        (False, "pytorch", r"W_{hn} h_{1}"),
        (True, "row-vector", r"h_{1} W_{hn} + b_{hn}"),
    ],
)
def test_gru_reset_reads_its_steps_hidden_part(bias: object, notation: str, part: str) -> None:
    """The reset gate's sentence names that step's hidden part and entry, as the
    candidate's line writes it (no b_hn without it), not the generic W_hn h_{t-1}."""
    weights = {
        "weight_ih_l0": [[0.5], [0.1], [-0.3], [0.2], [0.4], [-0.1]],
        "weight_hh_l0": [[0.4, 0.1], [-0.2, 0.3], [0.1, 0.2], [0.3, -0.4], [0.2, 0.1], [0.5, 0.3]],
        "bias_ih_l0": [0.1, -0.2, 0.3, 0.0, 0.2, -0.1],
    }
    if bias is True:
        weights["bias_hh_l0"] = [0.2, 0.1, -0.1, 0.3, 0.0, 0.4]
    elif bias is False:
        del weights["bias_ih_l0"]
    mapping = {
        "gru": {"bias": bias},
        "weights": weights,
        "x": [[1.0], [0.5]],
        "render": {"captions": True, "notation": notation},
    }
    ctx = context.build(engine.forward(spec.from_mapping(mapping)), None, slides=True)
    caption = next(g["caption"] for g in ctx["steps"][1]["gates"] if g["key"] == "r")
    entries = caption.split("; ")
    assert all(rf"of $({part})_{{" in entry for entry in entries), caption
    assert all(entry.split("_{2,")[1][0] == entry.split(")_{")[1][0] for entry in entries)
    assert "t-1" not in caption
