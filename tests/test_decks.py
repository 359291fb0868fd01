"""``render.deck`` (``--theme``, ``--aspect``): the table of Beamer frames the slides are laid
out for (lstm_tex/latex/deck_frames.py, written by benchmarks/decks.py), how the option is
read and refused, and the standalone deck it writes. What the layout makes of it, measured
on a lecturer's Madrid 4:3 deck, is in tests/test_readable_hall.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import decks as measuring
from lstm_tex.document import measure as measure_tex
from lstm_tex.document.medium import SLIDES, slides_layout
from lstm_tex.latex.deck_frames import FRAMES, SIZED
from lstm_tex.latex.decks import DEFAULT, FONT_SIZES, THEMES, Deck
from tests import measure
from tests.conftest import (
    EXAMPLES,
    compile_tex,
    have_pdflatex,
    init_example,
    lecturer_deck,
    run_cli,
)

NOTEBOOK = EXAMPLES / "notebook-step.yaml"


@pytest.mark.latex
@pytest.mark.parametrize(
    ("theme", "aspect", "size"),
    [("default", "16:9", 11), ("Madrid", "4:3", 11), ("Berlin", "16:9", 11), ("Madrid", "4:3", 12)],
)
def test_the_table_is_what_pdflatex_sets(theme: str, aspect: str, size: int) -> None:
    """A few entries compiled again as benchmarks/decks.py does: the default deck's, which
    the layout was calibrated in, two themes of other widths and title bars, and Madrid
    4:3 in a 12 pt class (its margins are 1 em, its title \\Large)."""
    if not have_pdflatex():
        pytest.skip("pdflatex is not installed")
    found = measuring.measure(theme, aspect, size)
    assert found == pytest.approx(Deck(theme, aspect, size).frame, abs=0.01)  # type: ignore[arg-type]


def test_the_table_covers_the_themes_asked_for() -> None:
    """Both aspects of every theme, the issue's themes among them, and their frames as
    Beamer makes them: Madrid's 1 em margins are wider than the default's 1 cm, Berlin's
    navigation bars take off height, and 4:3 is narrower and taller than 16:9."""
    named = ("default", "Madrid", "Warsaw", "Berlin", "Boadilla", "CambridgeUS", "Singapore")
    assert set(named) <= set(THEMES)
    assert {(t, a) for t in THEMES for a in ("16:9", "4:3")} == set(FRAMES)
    assert Deck("Madrid", "4:3").text_pt > Deck("default", "4:3").text_pt
    assert Deck("Berlin", "16:9").body_pt < DEFAULT.body_pt - 40
    for theme in THEMES:
        wide, narrow = Deck(theme, "16:9"), Deck(theme, "4:3")
        assert narrow.text_pt < wide.text_pt and narrow.body_pt > wide.body_pt, theme
    # in every class font size: a larger one's title takes as much of the body or more
    assert {(t, a, s) for t in THEMES for a in ("16:9", "4:3") for s in (10, 12)} == set(SIZED)
    for theme, aspect in FRAMES:
        small, usual, large = (Deck(theme, aspect, s) for s in FONT_SIZES)  # type: ignore[arg-type]
        assert small.body_pt >= usual.body_pt >= large.body_pt, (theme, aspect)
    assert Deck("Madrid", "4:3", 10).body_pt > Deck("Madrid", "4:3", 12).body_pt + 4


@pytest.mark.parametrize(
    ("font_size", "sizes"),
    [
        (
            11,
            {
                9: ("\\footnotesize",) * 2,
                10: ("\\small", "\\footnotesize"),
                11: ("\\normalsize", "\\small"),
            },
        ),
        (
            10,
            {
                9: ("\\small",) * 2,
                10: ("\\normalsize", "\\small"),
                11: ("\\fontsize{10.95}{13.6}\\selectfont", "\\normalsize"),
            },
        ),
        (
            12,
            {
                9: ("\\fontsize{9}{11.0}\\selectfont",) * 2,
                10: ("\\footnotesize", "\\fontsize{9}{11.0}\\selectfont"),
                11: ("\\small", "\\footnotesize"),
            },
        ),
    ],
)
def test_the_text_size_in_each_class(font_size: int, sizes: dict[int, tuple[str, str]]) -> None:
    """A slide's body and notes at ``text_size`` in a deck of each class font size: Beamer's
    size command of that size, or \\fontsize where the class has none (11 pt's is the
    11 pt class's, so the goldens stay as they were)."""
    deck = Deck("Madrid", "4:3", font_size)
    assert {size: deck.sizes(size) for size in sizes} == sizes
    if font_size == 11:
        assert sizes == measure_tex.SLIDE_SIZES


def test_the_default_deck_is_the_layout_it_was_calibrated_in() -> None:
    """The default deck scales nothing (the golden files stay as they were); another frame
    scales the line's ems by its width and the frame's rows by its height."""
    assert DEFAULT.width == 1.0 and DEFAULT.height == 1.0
    assert slides_layout(10) == SLIDES
    madrid = slides_layout(11, Deck("Madrid", "4:3"))
    default = slides_layout(11)
    assert madrid.line_em + 0.3 == pytest.approx((default.line_em + 0.3) * 342.44 / 398.34)
    assert madrid.frame_rows == pytest.approx(default.frame_rows * 232.81 / 227.0)


def _example(tmp_path: Path, render: str) -> Path:
    """The notebook example with ``render`` lines added to its ``render:`` (its last)."""
    assert NOTEBOOK.read_text().rstrip().endswith("render:\n  decimals: 4")
    path = tmp_path / "step.yaml"
    path.write_text(NOTEBOOK.read_text() + render)
    return path


@pytest.mark.latex
def test_the_file_chooses_the_deck_and_the_standalone_deck_follows(tmp_path: Path) -> None:
    """``render.deck`` (aspect unquoted, as YAML 1.2 reads ``4:3``: text): the standalone
    deck is a Madrid 4:3 deck, with Madrid's own footline and title bar, which compiles
    with no Overfull box (a title of 50 characters ran 12.6 pt past Madrid's footline) and
    every number at the text size."""
    path = _example(tmp_path, "  deck: {theme: Madrid, aspect: 4:3}\n")
    long = "title: One LSTM step, number by number, from the notebook of week 5 of the course"
    path.write_text(path.read_text().replace("title: One LSTM step, number by number", long))
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 0, result.output
    deck = (tmp_path / "out" / "step" / "step-slides.tex").read_text()
    assert deck.startswith("\\documentclass[11pt]{beamer}")
    assert "\\usetheme{Madrid}" in deck and "\\setbeamertemplate{footline}" not in deck
    frames = (tmp_path / "out" / "step" / "frames.tex").read_text()
    assert "\\def\\arraystretch{1}\\arraycolsep=5pt" in frames
    assert "% Laid out for a Madrid 4:3 deck (render.deck)" in frames
    compiled = compile_tex(tmp_path / "out" / "step" / "step-slides.tex")
    assert compiled.ok and compiled.overfull == 0, (compiled.errors, compiled.overfull)
    sizes = {n.size for n in measure.numbers(tmp_path / "out" / "step" / "step-slides.pdf")}
    assert sizes == {10.0}, sizes


def test_the_flags_override_the_file(tmp_path: Path) -> None:
    path = _example(tmp_path, "  deck: {theme: Madrid, aspect: '4:3'}\n")
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check", "--theme", "Warsaw")
    assert result.exit_code == 0, result.output
    deck = (tmp_path / "out" / "step" / "step-slides.tex").read_text()
    assert deck.startswith("\\documentclass[11pt]{beamer}") and "\\usetheme{Warsaw}" in deck
    result = run_cli("render", path, "--out", tmp_path / "o2", "--no-check", "--aspect", "16:9")
    assert result.exit_code == 0, result.output
    deck = (tmp_path / "o2" / "step" / "step-slides.tex").read_text()
    assert deck.startswith("\\documentclass[aspectratio=169,11pt]{beamer}")
    assert "\\usetheme{Madrid}" in deck


def test_the_default_deck_writes_what_it_wrote(tmp_path: Path) -> None:
    """No ``render.deck``, or the default written out: the same files, byte for byte."""
    plain = run_cli("render", NOTEBOOK, "--out", tmp_path / "a", "--no-check")
    path = _example(tmp_path, "  deck: {theme: default, aspect: '16:9'}\n")
    path = path.rename(tmp_path / "notebook-step.yaml")
    chosen = run_cli("render", path, "--out", tmp_path / "b", "--no-check")
    assert plain.exit_code == chosen.exit_code == 0, (plain.output, chosen.output)
    for name in ("notebook-step-slides.tex", "frames.tex"):
        a = (tmp_path / "a" / "notebook-step" / name).read_text()
        b = (tmp_path / "b" / "notebook-step" / name).read_text()
        assert a == b.replace(str(tmp_path / "notebook-step.yaml"), str(NOTEBOOK)), name


@pytest.mark.parametrize(
    ("render", "flags", "expected"),
    [
        pytest.param(
            "  deck: {theme: Madird}\n",
            (),
            r"step\.yaml:\d+: render\.deck\.theme: expected a Beamer theme whose frame "
            r"lstm-tex has measured, found 'Madird' \(did you mean 'Madrid'\?\); the measured "
            r"themes: default, Madrid, Warsaw, Berlin, .*Singapore",
            id="file-theme",
        ),
        pytest.param(
            "  deck: {aspect: '5:4'}\n",
            (),
            r"step\.yaml:\d+: render\.deck\.aspect: expected 16:9 or 4:3, found the text '5:4'",
            id="file-aspect",
        ),
        pytest.param(
            "  deck: {theme: Madrid, colour: red}\n",
            (),
            r"render\.deck\.colour: unknown key 'colour'; expected one of: theme, aspect, "
            r"font_size",
            id="file-key",
        ),
        pytest.param(
            "",
            ("--theme", "metropolis"),
            r"--theme: expected a Beamer theme whose frame lstm-tex has measured, found "
            r"'metropolis'; the measured themes: default, Madrid",
            id="flag-theme",
        ),
        pytest.param("", ("--aspect", "5:4"), r"'5:4' is not one of '16:9', '4:3'", id="flag"),
        pytest.param(
            "  deck: {theme: Madrid, font_size: 14}\n",
            (),
            r"step\.yaml:\d+: render\.deck\.font_size: expected 10, 11 or 12, found the number "
            r"14 \(the font size of that deck's class in pt, as in \\documentclass\[10pt\]",
            id="file-font-size",
        ),
        pytest.param(
            "",
            ("--font-size", "9"),
            r"--font-size: expected 10, 11 or 12, found 9 \(the font size of that deck's class",
            id="flag-font-size",
        ),
    ],
)
def test_a_bad_deck_exits_2_and_says_why(
    tmp_path: Path, render: str, flags: tuple[str, ...], expected: str
) -> None:
    path = _example(tmp_path, render)
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check", *flags)
    assert result.exit_code == 2, result.output
    assert re.search(expected, result.output), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


#: A generated LSTM of hidden size 8, one step: lines that fill a Madrid 4:3 frame.
HIDDEN8 = ("--input-size", "5", "--hidden-size", "8", "--steps", "1")


@pytest.mark.latex
@pytest.mark.parametrize("font_size", [10, 12])
def test_a_lecturer_s_deck_of_another_class_size(tmp_path: Path, font_size: int) -> None:
    """``--font-size`` (``render.deck.font_size``): frames.tex laid out for a lecturer's
    Madrid 4:3 deck of ``\\documentclass[10pt]{beamer}`` or ``[12pt]``, \\input into it,
    compiles with no Overfull box and sets every number at the text size (10 pt), its
    notes too. Laid out for Beamer's 11 pt class, the 10 pt deck set its numbers at 9 pt
    (``\\small`` there) and the 12 pt one at 10.95 pt, scaled down where they did not fit."""
    example = init_example(tmp_path / "lstm8.yaml", *HIDDEN8)
    flags = ("--theme", "Madrid", "--aspect", "4:3", "--font-size", str(font_size))
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check", *flags)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "lstm8"
    frames = (out / "frames.tex").read_text()
    assert f"% Laid out for a Madrid 4:3 deck of {font_size} pt (render.deck)" in frames
    slides = (out / "lstm8-slides.tex").read_text()
    assert slides.startswith(f"\\documentclass[{font_size}pt]{{beamer}}")
    deck = lecturer_deck(out, out / "frames.tex")
    text = deck.read_text()
    assert text.startswith("\\documentclass[]{beamer}") or "\\documentclass[]{beamer}" in text
    deck.write_text(
        text.replace("\\documentclass[]{beamer}", f"\\documentclass[{font_size}pt]{{beamer}}")
    )
    compiled = compile_tex(deck)
    assert compiled.ok, compiled.errors[:5]
    assert compiled.overfull == 0, (compiled.overfull_hbox, compiled.overfull_vbox)
    assert "lstm-tex changed the host" not in compiled.log
    assert "lstm-tex Warning" not in compiled.log, "the deck it was laid out for is warned"
    found = measure.numbers(deck.with_suffix(".pdf"))
    assert len(found) > 300, "the measure reads too few numbers"
    assert {n.size for n in found} == {10.0}, sorted(
        {(n.page, n.size) for n in found if n.size != 10.0}
    )
