"""Readable from the back of the hall (issue 12), in a lecturer's own deck too: frames.tex
\\input into a Madrid 4:3 deck at 11 pt (Beamer's default page, whose text is 23 % narrower
than the 16:9 deck's), and the standalone deck's frame number. Measured on the PDFs; each
document is compiled once (session fixture)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lstm_tex.latex.tex import FOOTLINE, FRAME_NUMBER_SIZE
from tests import measure
from tests.conftest import EXAMPLES, compile_tex, init_example, lecturer_deck, run_cli
from tests.test_readable import MIN_PT, backward_section
from tests.test_readable_split import shown_columns

#: A GRU of hidden size 8 with a backward pass: its candidate's result line (five 8-row
#: vectors) stayed on one row 42 em wide, which the 4:3 deck scaled to 7.96 pt.
GRU8 = ("--cell", "gru", "--input-size", "5", "--hidden-size", "8", "--steps", "2")


@pytest.fixture(scope="session")
def hall(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The GRU's standalone deck and its frames.tex in a lecturer's Madrid 4:3 deck, each
    compiled once: their PDFs by name."""
    folder = tmp_path_factory.mktemp("hall")
    path = folder / "gru8.yaml"
    made = run_cli("init", path, *GRU8)
    assert made.exit_code == 0, made.output
    path.write_text(path.read_text() + backward_section(8, steps=2))
    result = run_cli("render", path, "--out", folder / "out", "--no-check")
    assert result.exit_code == 0, result.output
    out = folder / "out" / "gru8"
    pdfs = {}
    for name, tex in (
        ("deck", out / "gru8-slides.tex"),
        ("madrid43", lecturer_deck(out, out / "frames.tex")),
    ):
        compiled = compile_tex(tex)
        assert compiled.ok, (tex.name, compiled.errors)
        assert compiled.overfull == 0, (tex.name, compiled.overfull_hbox, compiled.overfull_vbox)
        pdfs[name] = tex.with_suffix(".pdf")
    return pdfs


@pytest.mark.latex
def test_no_number_below_8pt_in_a_madrid_43_deck(hall: dict[str, Path]) -> None:
    """frames.tex is laid out for the 16:9 deck's width and \\lstmfit scales a line to a
    4:3 deck's, 23 % narrower. The GRU candidate's result line (five 8-row vectors, 42 em)
    stayed on one row, as a line taller than a frame when broken does, so both decks
    scaled it, the 4:3 one to 7.96 pt: a result line, which has no columns to elide, now
    breaks where it fits a gate's frame of its own."""
    found = measure.numbers(hall["madrid43"])
    assert len({n.page for n in found}) > 20, "the measure reads too few pages"
    small = sorted({(n.page, round(n.size, 2)) for n in found if n.size < MIN_PT})
    assert not small, small


@pytest.mark.latex
def test_a_deck_of_another_width_or_class_size_is_warned(hall: dict[str, Path]) -> None:
    r"""frames.tex says in the log when the deck that \inputs it is narrower than, or of
    another class size than, the deck it was laid out for (its numbers shrink there); the
    standalone deck, laid out for itself, gets no warning."""
    log = hall["madrid43"].with_suffix(".log").read_text(errors="replace")
    warned = re.sub(r"\n", "", log.split("lstm-tex Warning: ", 1)[-1])
    assert "laid out for a text 398.34pt wide (default, 16:9), this deck's is 342" in warned
    assert "--theme, --aspect and --font-size" in warned
    assert log.count("lstm-tex Warning") == 1, "an 11 pt class is this deck's too"
    mine = hall["deck"].with_suffix(".log").read_text(errors="replace")
    assert "lstm-tex Warning" not in mine


@pytest.mark.latex
def test_frame_number_readable(hall: dict[str, Path]) -> None:
    """The standalone deck's frame number is set at the derivation's size (\\small, 10 pt),
    not in Beamer's 6 pt footline font, on every page after the title."""
    pages = measure._read(hall["deck"])
    sizes = set()
    for page in pages[1:]:
        feet = [w for w in page.words if w["top"] > 0.93 * page.height]
        assert feet and all(w["text"].isdigit() for w in feet), feet
        sizes |= {round(w["size"] * measure.PT_PER_BP, 2) for w in feet}
    assert sizes == {10.0}, sizes


@pytest.mark.latex
def test_frame_number_keeps_the_text_height(tmp_path: Path) -> None:
    """The larger frame number leaves every frame as tall as the footline font's number did
    (its height is smashed to a digit of that font): frames packed for it still fit."""
    heights = []
    for name, footline in (
        ("small", FOOTLINE),
        ("footfont", FOOTLINE.replace(FRAME_NUMBER_SIZE, "")),
    ):
        tex = tmp_path / f"{name}.tex"
        tex.write_text(
            "\\documentclass[aspectratio=169,11pt]{beamer}\n"
            f"{footline}\n"
            "\\begin{document}\n"
            "\\begin{frame}{T}\\typeout{TEXTHEIGHT=\\the\\textheight}x\\end{frame}\n"
            "\\end{document}\n"
        )
        compiled = compile_tex(tex, draft=True)
        assert compiled.ok, compiled.errors
        heights.append(re.findall(r"TEXTHEIGHT=([\d.]+)pt", compiled.log))
    assert heights[0] == heights[1] and heights[0], heights


def test_quarto_slides_have_the_deck_titles(tmp_path: Path) -> None:
    """slides.qmd.j2 reads each shared slide's title from document/slides.py, as
    frames.tex.j2 does: the same titles, in the same order (the Quarto slides said "output
    gate $o_1$ and cell state $c_1$ and hidden state $h_1$" where the deck has a comma)."""
    example = EXAMPLES / "backward-sequence.yaml"
    result = run_cli("render", example, "--out", tmp_path, "--no-check", "--markdown")
    assert result.exit_code == 0, result.output
    folder = tmp_path / example.stem
    frames = (folder / "frames.tex").read_text()
    deck = re.findall(r"^\\begin\{frame\}(?:\[[^]]*\])?\{(Step .*)\}$", frames, flags=re.M)
    quarto = re.findall(
        r"^## (Step .*)$", (folder / f"{example.stem}-slides.qmd").read_text(), flags=re.M
    )
    assert any(" and " in t and ", " in t.split(": ", 1)[1] for t in deck), deck
    assert quarto == deck


@pytest.mark.latex
def test_overview_frames_start_at_the_top(hall: dict[str, Path]) -> None:
    """The cell's frame and the chain rule start at the top, as the derivations do (they
    were centred, with up to a third of the frame blank above them)."""
    fills = {f.title: f for f in measure.fills(hall["deck"])}
    overviews = [fills["The GRU cell"], fills["Backward pass: the chain rule"]]
    high = [(f.page, f.title, round(f.above, 2)) for f in overviews if f.above > 0.05]
    assert not high, high


#: The generated hidden-8 decks with their backward pass, laid out for a Madrid 4:3 deck (one
#: step: a second adds the same frames, and as many seconds of the suite).
THEMED = {
    cell: ("--cell", cell, "--input-size", "5", "--hidden-size", "8", "--steps", "1")
    for cell in ("lstm", "gru", "rnn")
}


@pytest.fixture(scope="session")
def themed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each of :data:`THEMED` rendered with ``--theme Madrid --aspect 4:3`` and its
    frames.tex in the lecturer's Madrid 4:3 deck, compiled once (no Overfull box): their
    PDFs by cell."""
    folder = tmp_path_factory.mktemp("themed")
    flags = ("--theme", "Madrid", "--aspect", "4:3")
    return {
        cell: in_lecturer_deck(folder, cell, flags, extra=backward_section(8, 1)) for cell in THEMED
    }


def in_lecturer_deck(folder: Path, cell: str, flags: tuple[str, ...], extra: str = "") -> Path:
    """:data:`THEMED`'s ``cell`` rendered with ``flags`` and its frames.tex in the lecturer's
    Madrid 4:3 deck, compiled (no error, no Overfull box): the PDF."""
    path = init_example(folder / f"{cell}8.yaml", *THEMED[cell], extra=extra)
    result = run_cli("render", path, "--out", folder / "out", "--no-check", *flags)
    assert result.exit_code == 0, result.output
    out = folder / "out" / f"{cell}8"
    tex = lecturer_deck(out, out / "frames.tex")
    compiled = compile_tex(tex)
    assert compiled.ok, (tex.name, compiled.errors)
    assert compiled.overfull == 0, (cell, compiled.overfull_hbox, compiled.overfull_vbox)
    return tex.with_suffix(".pdf")


@pytest.mark.latex
@pytest.mark.parametrize("cell", THEMED)
def test_every_number_at_the_text_size_in_the_deck_it_was_laid_out_for(
    themed: dict[str, Path], cell: str
) -> None:
    """Laid out for the lecturer's Madrid 4:3 deck (``render.deck``), every number of the
    frames, forward and backward, is at the text size there (10 pt): no line scaled to
    the width by \\lstmfit, no frame by [shrink]. Laid out for the 16:9 deck, 56 % of them
    were scaled, down to 8.96 pt."""
    found = measure.numbers(themed[cell])
    assert len({n.page for n in found}) > 10, "the measure reads too few pages"
    scaled = sorted({(n.page, n.size) for n in found if n.size != 10.0})
    assert not scaled, scaled


@pytest.mark.latex
@pytest.mark.parametrize("cell", THEMED)
def test_weights_show_three_columns_and_gate_frames_are_half_full_in_the_deck_laid_out_for(
    themed: dict[str, Path], cell: str
) -> None:
    """Laid out for Madrid 4:3 at 10 pt, no weight matrix of a product shows only its first
    and last column around ``\\cdots``: a product takes a frame of its own, its left-hand
    side on a row of its own, rather (each W_i* and W_h* showed 2 columns, both products on
    one frame and the activation 45 % full on the next; issue 12). Every frame of a step
    but a group's last is at least half full."""
    frames = (themed[cell].parent / "frames.tex").read_text()
    found = shown_columns(frames)
    assert len(found) >= (2 if cell == "rnn" else 6), found  # the measure reads the products
    few = {w: counts for w, counts in found.items() if any(e and n < 3 for n, e in counts)}
    assert not few, few
    fills = [f for f in measure.fills(themed[cell]) if f.title.startswith("Step")]
    assert len(fills) >= 3, fills
    low = [
        (f.page, f.title, round(f.fill, 2)) for f in fills if not f.last_of_group and f.fill < 0.5
    ]
    assert not low, low


def test_a_product_stays_with_its_result_at_11pt_in_a_madrid_43_deck(tmp_path: Path) -> None:
    """Laid out for Madrid 4:3 at 11 pt, a product ``W x + b = r`` broken before its result
    was cut over two frames, the result apart from its factors: every gate of a hidden-8
    LSTM took 5 or 6 frames. With its left-hand side on a row of its own, a product and its
    result share a row: 3 frames a gate (frames.tex only, not compiled)."""
    path = init_example(tmp_path / "lstm8.yaml", *THEMED["lstm"])
    flags = ("--theme", "Madrid", "--aspect", "4:3", "--text-size", "11")
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check", *flags)
    assert result.exit_code == 0, result.output
    titles = re.findall(
        r"\\begin\{frame\}\[t\]\{Step 1: (.*?) \$",
        (tmp_path / "out" / "lstm8" / "frames.tex").read_text(),
    )
    gates = {t: titles.count(t) for t in titles if "gate" in t}
    assert len(gates) == 3, titles
    assert max(gates.values()) <= 3, gates


#: Madrid 4:3 at 11 pt (``--text-size 11``: ``\normalsize``, 10.95 pt in the lecturer's 11 pt
#: deck), forward only: one step of each cell, compiled once per cell (:func:`hall11`).
HALL11 = ("--theme", "Madrid", "--aspect", "4:3", "--text-size", "11")
TEXT_PT = 10.95


@pytest.fixture(scope="session")
def hall11(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hidden-8 LSTM and GRU of :data:`THEMED` laid out for Madrid 4:3 at 11 pt and their
    frames.tex in the lecturer's Madrid 4:3 deck, compiled once (no Overfull box): their PDFs
    by cell."""
    folder = tmp_path_factory.mktemp("hall11")
    return {cell: in_lecturer_deck(folder, cell, HALL11) for cell in ("lstm", "gru")}


@pytest.mark.latex
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_number_at_the_text_size_at_11pt_in_a_madrid_43_deck(
    hall11: dict[str, Path], cell: str
) -> None:
    """Every number of the frames is at the text size (issue 12, note-26 item 3), where
    three lines were scaled:

    - the LSTM's cell line ``= [f] \\odot [c] + [i] \\odot [g] = [c]`` (28.5 em as
      pdflatex sets it, of a 31.3 em line), estimated 33.9 em, put its result on a row of
      its own, and [shrink] set the frame at 10.24 pt;
    - the GRU candidate's result line (37.8 em) was estimated 13 em of symbols in its first
      row (10.3 measured), so it stayed whole and \\lstmfit scaled it to 8.86 pt: it now
      goes on over the next frame, broken before ``= \\tanh``;
    - the GRU's h_t, its symbols and two rows of numbers, was shrunk to 10.24 pt: its
      numbers now start on the symbols' row, as the LSTM's h_t does."""
    found = measure.numbers(hall11[cell])
    assert len({n.page for n in found}) >= 10, "the measure reads too few pages"
    scaled = sorted({(n.page, round(n.size, 2)) for n in found if round(n.size, 2) != TEXT_PT})
    assert not scaled, scaled
