"""``render.reveal``: Beamer overlays in the frames, highlights while W x + b is computed,
and no slide that moves from one overlay to the next."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context, reveal
from lstm_tex.document import medium as media
from lstm_tex.validate import model, overrides, spec
from tests.conftest import BUNDLED, EXAMPLES, ROOT, compile_tex, lecturer_deck
from tests.layout import (
    assert_compiles_cleanly,
    frame_pages,
    pages,
    render,
    with_render,
)

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
OVERLAY = re.compile(r"\\(uncover|onslide|only|pause|visible|invisible|alt)\b|\\textcolor<")


@pytest.mark.parametrize(
    "slides,spec_text",
    [
        ([3], "3"),
        ([3, 4], "3-4"),
        ([4, 3, 5], "3-5"),
        ([3, 5, 6], "3,5-6"),
        ([2, 4, 6], "2,4,6"),
    ],
)
def test_overlay_specifications(slides: list[int], spec_text: str) -> None:
    assert reveal.overlay(slides) == spec_text


class _Medium(media.Medium):
    def __init__(self, max_rows: int = 8, max_cols: int = 8) -> None:
        super().__init__(
            4, media.layout(model.RenderOptions(max_rows=max_rows, max_cols=max_cols), True)
        )


@pytest.mark.parametrize(
    "shape,batch,limits,walks",
    [
        ((4, 4), 1, (8, 8), True),
        ((4, 2), 2, (8, 8), True),
        ((5, 2), 1, (8, 8), False),  # more than 4 rows: the result at once
        ((4, 5), 1, (8, 8), False),  # more than 4 columns
        ((2, 2), 3, (8, 8), False),  # more than 2 examples
        ((4, 4), 1, (3, 8), False),  # the rows are elided on these slides
    ],
)
def test_walk_only_small_products(
    shape: tuple[int, int], batch: int, limits: tuple[int, int], walks: bool
) -> None:
    assert reveal.walks(np.zeros(shape), np.zeros((batch, shape[1])), _Medium(*limits)) is walks


def test_product_highlights_row_vector_bias_and_uncovers_each_element() -> None:
    w = np.array([[0.5, -0.25], [0.0, 1.0]])
    x = np.array([[1.0, -2.0]])
    b = np.array([0.1, -0.3])
    line, next_slide = reveal.product(w, x, b, x @ w.T + b, "written", _Medium(), 2)
    assert (line["on"], line["result"], next_slide) == (2, 3, 5)
    assert line["W"] == (
        r"\begin{bmatrix} \textcolor<3>{lstmrow}{0.5} & "
        r"\textcolor<3>{lstmrow}{-0.25} \\ \textcolor<4>{lstmrow}{0\phantom{.0}} & "
        r"\textcolor<4>{lstmrow}{\phantom{-}1\phantom{.00}} \end{bmatrix}"
    )
    assert line["v"] == (
        r"\begin{bmatrix} \textcolor<3-4>{lstmvec}{\phantom{-}1} \\ "
        r"\textcolor<3-4>{lstmvec}{-2} \end{bmatrix}"
    )
    assert line["b"] == (
        r"\begin{bmatrix} \textcolor<3>{lstmrow}{\phantom{-}0.1} \\ "
        r"\textcolor<4>{lstmrow}{-0.3} \end{bmatrix}"
    )
    assert line["r"] == (
        r"\begin{bmatrix} \uncover<3->{\textcolor<3>{lstmresult}{\phantom{-}1.1000}} \\ "
        r"\uncover<4->{\textcolor<4>{lstmresult}{-2.3000}} \end{bmatrix}"
    )


def test_product_of_a_batch_walks_example_by_example_without_bias() -> None:
    w = np.array([[1.0, 2.0]])
    x = np.array([[1.0, 0.0], [0.0, 1.0]])  # two examples: columns of the vector
    line, next_slide = reveal.product(w, x, None, x @ w.T, "written", _Medium(), 2)
    assert next_slide == 5 and line["b"] == ""
    assert line["W"] == (
        r"\begin{bmatrix} \textcolor<3-4>{lstmrow}{1} & "
        r"\textcolor<3-4>{lstmrow}{2} \end{bmatrix}"
    )
    assert line["v"] == (
        r"\begin{bmatrix} \textcolor<3>{lstmvec}{1} & "
        r"\textcolor<4>{lstmvec}{0} \\ \textcolor<3>{lstmvec}{0} & "
        r"\textcolor<4>{lstmvec}{1} \end{bmatrix}"
    )
    assert "\\uncover<3->" in line["r"] and "\\uncover<4->" in line["r"]


def test_large_product_shows_its_result_at_once() -> None:
    """Not walked: the line keeps its own numbers, uncovered, then its result."""
    line, next_slide = reveal.product(
        np.zeros((6, 2)), np.zeros((1, 2)), None, np.zeros((1, 6)), "fixed", _Medium(), 2
    )
    assert line == {"on": 2, "result": 3} and next_slide == 4


def _slides_context(path: Path, **render: object) -> dict[str, object]:
    ex = overrides.with_view(spec.load(path), **render)  # type: ignore[arg-type]
    return context.build(engine.forward(ex), None, slides=True)


def test_gate_frame_overlays_count_on() -> None:
    ctx = _slides_context(NOTEBOOK, reveal=True)
    (step,) = ctx["steps"]  # type: ignore[misc]
    gate = step["gates"][0]
    (frame,) = gate["reveal"]
    assert frame["symbolic"] == {"on": 1}
    assert (frame["ih"]["on"], frame["ih"]["result"]) == (2, 3)  # then 4 elements: 3..6
    assert (frame["hh"]["on"], frame["hh"]["result"]) == (7, 8)  # 4 elements: 8..11
    assert frame["result"] == {"on": 12, "pre": 13, "act": 14}
    (states,) = step["reveal_states"]
    assert states["cell"]["on"] == 1 and states["cell"]["result"] == 3
    assert states["hidden"]["on"] == 4 and states["hidden"]["result"] == 7


def test_reveal_only_in_the_frames(out: Path) -> None:
    folder = render(NOTEBOOK, out, "--reveal", "--expand", "f")
    frames = (folder / "frames.tex").read_text()
    assert "\\uncover<2->{W_{ii} x_{1} + b_{ii}}" in frames
    assert "\\textcolor<3>{lstmrow}{-0.36}" in frames
    assert "\\providecolor{lstmrow}" in frames
    used = {m.group(0) for m in OVERLAY.finditer(frames)}
    assert used == {"\\uncover", "\\textcolor<"}, "overlays that take space must not vanish"
    for path in [folder / f"{NOTEBOOK.stem}.tex", *sorted((folder / "parts").glob("*.tex"))]:
        assert not OVERLAY.search(path.read_text()), path.name
    slides = (folder / f"{NOTEBOOK.stem}-slides.tex").read_text()
    assert frames.strip() in slides


def test_reveal_flag_is_the_option(out: Path, tmp_path: Path) -> None:
    by_flag = render(NOTEBOOK, out / "flag", "--reveal")
    by_file = render(with_render(NOTEBOOK, tmp_path / "src", reveal=True), out / "file")

    def body(folder: Path) -> list[str]:  # the second line names the source file
        return (folder / "frames.tex").read_text().splitlines()[2:]

    assert body(by_flag) == body(by_file)
    plain = render(NOTEBOOK, out / "plain")
    assert "\\uncover" not in (plain / "frames.tex").read_text()
    assert "lstmrow" not in (plain / "frames.tex").read_text()


@pytest.mark.latex
def test_overlays_never_move_what_is_already_shown(out: Path) -> None:
    """More pages than frames, and every word of a slide stays where it was on the next."""
    folder = render(NOTEBOOK, out, "--reveal", "--expand", "f")
    deck = folder / f"{NOTEBOOK.stem}-slides.tex"
    compiled = compile_tex(deck)
    assert compiled.ok, compiled.errors
    ranges = frame_pages(deck.with_suffix(".nav"))
    shown = pages(deck.with_suffix(".pdf"))
    assert len(shown) > len(ranges) + 40  # four gates of 14 slides, the rows, the states
    overlaid = [(a, b) for a, b in ranges if b > a]
    assert len(overlaid) >= 6
    for first, last in overlaid:
        for n in range(first, last):
            before = set(shown[n - 1].words)
            after = set(shown[n].words)
            assert before <= after, (n, sorted(before - after, key=str)[:3])
        assert len(shown[last - 1].words) > len(shown[first - 1].words)


@pytest.mark.latex
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_reveal_compiles_for_every_example(example: Path, tmp_path: Path) -> None:
    # The first step only (both directions, every layer), to keep the decks short.
    source = with_render(example, tmp_path / "src", reveal=True, steps=[1])
    folder = render(source, tmp_path / "out")
    assert "\\uncover<" in (folder / "frames.tex").read_text()
    # The article has no overlays; Madrid 16:9 is the lecturer's deck with the least room.
    assert_compiles_cleanly(folder, article=False, lecturer=("aspectratio=169",))


@pytest.mark.latex
def test_colours_come_from_one_template_and_the_lecturers_win(tmp_path: Path) -> None:
    mine = tmp_path / "mycolours"
    mine.mkdir()
    text = (ROOT / "templates" / "colors.tex.j2").read_text()
    assert "\\providecolor{lstmrow}{RGB}{213,94,0}" in text
    (mine / "colors.tex.j2").write_text(text.replace("{RGB}{213,94,0}", "{rgb}{0.8,0,0}"))
    folder = render(NOTEBOOK, tmp_path / "out", "--reveal", "--templates", mine)
    frames = (folder / "frames.tex").read_text()
    assert "\\providecolor{lstmrow}{rgb}{0.8,0,0}" in frames
    deck = lecturer_deck(folder, folder / "frames.tex")
    deck.write_text(
        deck.read_text().replace(
            "\\begin{document}", "\\colorlet{lstmrow}{green!50!black}\n\\begin{document}"
        )
    )
    compiled = compile_tex(deck, draft=True)
    assert compiled.ok, compiled.errors


def test_textbook_notation_is_revealed_and_walked_when_small() -> None:
    """W_k [h; x] + b_k: the stacked vector is walked like x (hidden 2 + input 2 columns)."""
    data = {
        "weights": {
            "weight_ih_l0": [[0.5, -0.5]] * 8,
            "weight_hh_l0": [[0.25, 0.1]] * 8,
            "bias_ih_l0": [0.1] * 8,
            "bias_hh_l0": [0.2] * 8,
        },
        "x": [[1.0, 2.0]],
        "h0": [0.5, -0.5],
        "render": {"notation": "textbook"},
    }
    ex = overrides.with_view(spec.from_mapping(data), reveal=True)
    ctx = context.build(engine.forward(ex), None, slides=True)
    (frame,) = ctx["steps"][0]["gates"][0]["reveal"]
    affine = frame["affine"]
    assert (affine["on"], affine["result"]) == (2, 3)
    assert "\\textcolor<3>{lstmrow}{0.25}" in affine["W"]  # [W_hi W_ii], row 1
    assert "\\textcolor<3-4>{lstmvec}{\\phantom{-}0.5}" in affine["v"]  # h0 first
    assert "\\textcolor<3>{lstmrow}{0.3}" in affine["b"]  # b_ii + b_hi, as decimals
    assert frame["result"] == {"on": 5, "act": 6}


@pytest.mark.latex
@pytest.mark.parametrize("notation", ["textbook", "row-vector"])
def test_other_notations_reveal_line_by_line(notation: str, tmp_path: Path) -> None:
    source = with_render(NOTEBOOK, tmp_path / "src", notation=notation, reveal=True)
    folder = render(source, tmp_path / "out")
    frames = (folder / "frames.tex").read_text()
    assert "\\uncover<2->{" in frames and "\\uncover<4->{{}= \\sigma" in frames
    assert_compiles_cleanly(folder, article=False, lecturer=())


def test_exercise_slides_are_revealed_without_walking(out: Path, tmp_path: Path) -> None:
    """The walk would show the values the sheet leaves blank."""
    source = with_render(NOTEBOOK, tmp_path, exercise=["ih"], reveal=True)
    folder = render(source, out)
    sheet = (folder / f"{NOTEBOOK.stem}-exercise-slides.tex").read_text()
    assert "\\uncover<2->" in sheet and "\\textcolor<" not in sheet
    assert "\\textcolor<3>{lstmrow}" in (folder / "frames.tex").read_text()
