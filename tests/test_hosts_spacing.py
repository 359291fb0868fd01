"""lstm-tex's frames and parts in a lecturer's deck whose matrices are spaced otherwise
(issue 12): frames.tex and every part set LaTeX's own \\arraystretch, \\arraycolsep and
\\jot inside their group, as the layout counts them, so a deck with \\arraystretch 1.1
and a wider \\arraycolsep sets their numbers exactly as a deck with LaTeX's spacing does,
with no Overfull box, and its own spacing is as it was after them (host-checks.tex stops
with an error otherwise). Each deck is compiled once (session fixture)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests import measure
from tests.conftest import HOSTS, compile_tex, init_example, lecturer_deck, run_cli

pytestmark = pytest.mark.latex

#: A generated LSTM of hidden size 8, one step: lines that fill a 16:9 frame's width.
HIDDEN8 = ("--input-size", "5", "--hidden-size", "8", "--steps", "1")
#: The spacing of each lecturer deck, set after tests/hosts/host-checks.tex (whose own is
#: \arraystretch 1.1 and \arraycolsep 4 pt): LaTeX's, and a roomier one.
SPACING = {
    "plain": "\\renewcommand{\\arraystretch}{1}\\setlength{\\arraycolsep}{5pt}",
    "spaced": "\\renewcommand{\\arraystretch}{1.1}\\setlength{\\arraycolsep}{8pt}"
    "\\setlength{\\jot}{6pt}",
}
#: Parts \\input into the lecturer's deck after frames.tex, a frame each.
PARTS = ("l0-forward-t1-inputs", "l0-forward-t1-c", "l0-forward-t1-h")


@pytest.fixture(scope="session")
def spaced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hidden-8 LSTM's frames.tex and three parts in a lecturer's Madrid 16:9 deck with
    each spacing of :data:`SPACING`, compiled once each: their PDFs by name."""
    folder = tmp_path_factory.mktemp("spacing")
    example = init_example(folder / "lstm8.yaml", *HIDDEN8)
    result = run_cli("render", example, "--out", folder / "out", "--no-check")
    assert result.exit_code == 0, result.output
    out = folder / "out" / "lstm8"
    frames = (out / "frames.tex").read_text()
    needs = "".join(f"{line}\n" for line in re.findall(r"^% needs: .*$", frames, flags=re.M))
    parts = "".join(
        f"\\begin{{frame}}[shrink]{{Part {p}}}\\input{{{(out / 'parts' / p).as_posix()}}}"
        "\\end{frame}\n"
        for p in PARTS
    )
    pdfs = {}
    for name, spacing in SPACING.items():
        host = folder / name
        host.mkdir()
        body = host / "body.tex"
        body.write_text(f"{needs}\\input{{{(out / 'frames.tex').as_posix()}}}\n{parts}")
        deck = lecturer_deck(host, body, "aspectratio=169")
        text = deck.read_text()
        checks = (HOSTS / "host-checks").as_posix()
        assert f"\\input{{{checks}}}" in text
        deck.write_text(text.replace(f"\\input{{{checks}}}", f"\\input{{{checks}}}\n{spacing}"))
        compiled = compile_tex(deck)
        assert compiled.ok, (name, compiled.errors[:5])
        assert "lstm-tex changed the host" not in compiled.log
        assert compiled.overfull == 0, (name, compiled.overfull_hbox, compiled.overfull_vbox)
        pdfs[name] = deck.with_suffix(".pdf")
    return pdfs


def test_a_deck_s_spacing_changes_no_number(spaced: dict[str, Path]) -> None:
    """Every number of the frames and parts has the same size and place in the deck with
    \\arraystretch 1.1, \\arraycolsep 8 pt and \\jot 6 pt as in the one with LaTeX's
    spacing (before, frames.tex took the deck's: its matrices were 13 % wider and 10 %
    taller than packed, and \\lstmfit and [shrink] scaled them down)."""
    plain, spaced_out = (measure.numbers(spaced[name]) for name in SPACING)
    assert len(plain) > 500, "the measure reads too few numbers"
    assert [(n.page, n.text, n.size) for n in spaced_out] == [
        (n.page, n.text, n.size) for n in plain
    ]
    for a, b in zip(plain, spaced_out, strict=True):
        assert max(abs(x - y) for x, y in zip(a.box, b.box, strict=True)) < 0.01, (a, b)


def test_a_leaking_spacing_is_caught(tmp_path: Path) -> None:
    """The host checks the deck above relies on stop with an error where a file sets the
    host's \\arraystretch (as frames.tex would without its group), so that test can fail."""
    shutil.copy(HOSTS / "article-11pt.tex", tmp_path / "host.tex")
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(
        "\\def\\arraystretch{1}\\[ \\begin{bmatrix} 1 & -1 \\end{bmatrix} \\]\n"
    )
    compiled = compile_tex(tmp_path / "host.tex", draft=True)
    assert not compiled.ok
    assert "lstm-tex changed the host" in compiled.log
