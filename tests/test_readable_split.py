"""Forward lines split or elided before they are shrunk (issue 12), measured on the PDFs.

Decks that Beamer still scaled down on main: a GRU of input 5 and hidden 8 at 10 pt (its
candidate's result, five 8-row vectors, set after the product lines' wider left-hand
sides: 9.27 pt); a GRU of hidden 8 at 11 pt (that line on two rows, taller than a frame:
10.55 pt); the bundled stacked deck at 11 pt (g_t's result line, 10.45 pt); a hidden-16
LSTM and GRU at 10 pt (two lines of elided 8-row matrices and their ``\\vdots``: 9.84 pt);
a bidirectional hidden-8 LSTM's output at 11 pt (16 rows: 9.38 pt). Each deck is compiled
once; every number on every frame is at the text size, nothing overflows, and no frame
is less than half full unless it is the last of its group. A weight matrix shows the same
columns at every step, and never just two around ``\\cdots`` (at 11 pt W_hk h_1 showed 2
of 8 columns where W_hk h_0 showed 3: h_1 has 4 decimals and h_0 2).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from lstm_tex.document.line import CUTS, Line, Term, broken_height
from lstm_tex.latex.templates import environment
from tests import measure
from tests.conftest import EXAMPLES, compiled_deck, run_cli

#: name: (example, ``lstm-tex init`` flags or None for a bundled example, text size in pt)
DECKS: dict[str, tuple[str, tuple[str, ...] | None, int]] = {
    "gru-h8-i5-10pt": (
        "gru-h8-i5",
        ("--cell", "gru", "--input-size", "5", "--hidden-size", "8", "--steps", "2"),
        10,
    ),
    "gru-h8-11pt": (
        "gru-h8",
        ("--cell", "gru", "--input-size", "4", "--hidden-size", "8", "--steps", "2"),
        11,
    ),
    "stacked-11pt": ("stacked", None, 11),
    "lstm-h16-10pt": ("lstm-h16", ("--input-size", "4", "--hidden-size", "16"), 10),
    "gru-h16-10pt": ("gru-h16", ("--cell", "gru", "--input-size", "4", "--hidden-size", "16"), 10),
    "bidirectional-h8-11pt": (
        "bidirectional-h8",
        ("--input-size", "4", "--hidden-size", "8"),
        11,
    ),
}


def bidirectional(path: Path) -> None:
    """Make the generated LSTM example at ``path`` bidirectional: the reverse direction's
    weights are the forward one's (the layout is what is measured)."""
    data = yaml.safe_load(path.read_text())
    data["lstm"]["bidirectional"] = True
    weights = data["weights"]
    weights.update({f"{name}_reverse": value for name, value in list(weights.items())})
    for state in ("h0", "c0"):
        data[state] = [data[state], data[state][::-1]]
    path.write_text(yaml.safe_dump(data, default_flow_style=None, width=200))


@pytest.fixture(scope="session")
def split_decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every deck above compiled once (forward pass only), by name: its PDF."""
    folder = tmp_path_factory.mktemp("readable-split")
    pdfs = {}
    for name, (stem, flags, size) in DECKS.items():
        if flags is None:
            example = EXAMPLES / f"{stem}.yaml"
        else:
            example = folder / f"{stem}.yaml"
            result = run_cli("init", example, *flags)
            assert result.exit_code == 0, result.output
            if stem.startswith("bidirectional"):
                bidirectional(example)
        pdfs[name] = compiled_deck(example, folder / f"out-{size}pt", size, name)
    return pdfs


@pytest.mark.latex
@pytest.mark.parametrize("deck", list(DECKS))
def test_numbers_at_the_text_size_on_every_frame(split_decks: dict[str, Path], deck: str) -> None:
    """Beamer's 11 pt class sets its \\normalsize at 10.95 pt; no line scaled to the width,
    no frame shrunk."""
    size = DECKS[deck][2]
    found = measure.numbers(split_decks[deck])
    assert found, "no number found: the measure reads nothing"
    small = [(n.page, n.text, n.size) for n in found if n.size < 0.99 * size]
    assert not small, small[:5]


@pytest.mark.latex
@pytest.mark.parametrize("deck", list(DECKS))
def test_frames_are_not_half_empty(split_decks: dict[str, Path], deck: str) -> None:
    """A line cut over two frames, or a gate on three, leaves no frame half empty but the
    last of its group."""
    fills = measure.fills(split_decks[deck])
    assert len(fills) > 3, fills
    empty = [
        (f.page, f.title, round(f.fill, 2)) for f in fills if f.fill < 0.5 and not f.last_of_group
    ]
    assert not empty, empty


@pytest.mark.latex
def test_a_tall_line_goes_on_over_the_next_frame(split_decks: dict[str, Path]) -> None:
    """At 11 pt a hidden-8 GRU's candidate ``n = tanh(ih + r * hh) = tanh(pre) = n`` on two
    rows of 8-row vectors is taller than a frame: its first row closes one frame, the rest
    (``n = tanh(pre) = n``, the left-hand side repeated) opens the next."""
    frames = (split_decks["gru-h8-11pt"].parent / "frames.tex").read_text()
    candidate = [f for f in frames.split("\\begin{frame}") if "candidate $n_{1}$" in f]
    assert len(candidate) == 4, len(candidate)
    numbers = [
        [row for row in f.splitlines() if row.startswith("n_{1} &= \\tanh\\left(\\begin")]
        for f in candidate[-2:]
    ]
    assert [len(rows) for rows in numbers] == [1, 1], numbers
    (first,), (second,) = numbers
    assert "\\odot \\begin{bmatrix}" in first and "= \\tanh" not in first.split("&=", 1)[1]
    assert "\\odot" not in second and second.count("\\begin{bmatrix}") == 2


#: A weight matrix of PyTorch's product lines in frames.tex: its symbol and its first row,
#: after ``W v + b &=`` or after its left-hand side's row of its own (``\\quad =``).
PRODUCT = re.compile(
    r"(W_\{[a-z]{2}\}\S*) [^&\n]*?(?:&=|\\\\\*\n\s*&\\quad =) \\begin\{bmatrix\}(.*?)\\\\"
)


def shown_columns(frames: str) -> dict[str, set[tuple[int, bool]]]:
    """By weight matrix (its symbol), the columns its product lines show at each step: how
    many numbers its first row has, and whether it is elided (``\\cdots``)."""
    found: dict[str, set[tuple[int, bool]]] = {}
    for symbol, row in PRODUCT.findall(frames):
        cells = [cell.strip() for cell in row.split("&")]
        shown = sum(cell != "\\cdots" for cell in cells)
        found.setdefault(symbol, set()).add((shown, "\\cdots" in cells))
    return found


@pytest.mark.latex
@pytest.mark.parametrize("deck", list(DECKS))
def test_a_weight_matrix_shows_the_same_columns_at_every_step(
    split_decks: dict[str, Path], deck: str
) -> None:
    """Each W of PyTorch's products is elided alike at every step (to the room of its
    widest), and never to two columns around ``\\cdots``: at 11 pt its left-hand side goes
    on a row of its own for a third (the frame holds it: the numbers and fill tests)."""
    frames = (split_decks[deck].parent / "frames.tex").read_text()
    found = shown_columns(frames)
    assert len(found) >= 6, found  # the measure reads the products
    assert all(len(counts) == 1 for counts in found.values()), found
    few = {w: counts for w, counts in found.items() if any(e and n < 3 for n, e in counts)}
    assert not few, few
    if deck == "gru-h8-11pt":  # W_hk h_1 and h_0: 3 of 8 columns with a row of their own
        assert frames.count("\\\\*\n  &\\quad = \\begin{bmatrix}") >= 6
        assert found["W_{hr}"] == {(3, True)}


# ---------------------------------------------------------------- the Line model's cut


def _result(breaks: dict[str, bool], rows: int = 8) -> Line:
    line = Line(
        "result",
        symbolic={"sym": "n_{1}", "act_fn": "\\tanh", "form": "gated"},
        numbers={"ih": "P", "hh": "Q", "r": "R", "pre": "S"},
        result="A",
        breaks=breaks,
    )
    return replace(line, height=broken_height(rows, line.rows))


def test_a_line_that_fits_is_one_piece() -> None:
    line = _result({"sum": False, "pre": True, "act": False})
    assert line.pieces(line.height) == (line,)
    assert line.closes


def test_a_line_is_cut_where_it_breaks_before_a_cut() -> None:
    """Two rows of 8-row matrices (18.0 rows) in 16 rows: one piece per row, each as tall
    as a line of one row; the first ends before ``pre``, the second resumes there."""
    line = _result({"sum": False, "pre": True, "act": False})
    first, second = line.pieces(16.0)
    assert first.height == second.height == pytest.approx(broken_height(8, 1))
    assert first.symbolic["upto"] == "pre" and "resumes" not in first.symbolic
    assert second.symbolic["resumes"] == "pre" and "upto" not in second.symbolic
    assert not first.closes and second.closes
    assert not any(first.breaks.values()) and not any(second.breaks.values())


def test_a_line_is_not_cut_inside_a_sum() -> None:
    """``sum`` (inside sigma's parentheses) is no cut: a line broken there alone stays whole;
    broken at ``sum`` and ``act``, it is cut before ``act`` only."""
    assert CUTS["result"] == ("pre", "act")
    whole = _result({"sum": True, "pre": False, "act": False})
    assert whole.pieces(10.0) == (whole,)
    first, second = _result({"sum": True, "pre": False, "act": True}).pieces(18.0)
    assert first.breaks["sum"] and first.symbolic["upto"] == "act"
    assert second.symbolic["resumes"] == "act"


@pytest.fixture(scope="module")
def macros() -> Any:
    return environment().get_template("line.tex.j2").make_module({})


#: (breaks, rows of room) -> the TeX of each piece: the left-hand side repeated
PIECES = [
    (
        {"sum": False, "pre": True, "act": False},
        16.0,
        [
            "n_{1} &= \\tanh\\left(P + R \\odot Q\\right)",
            "n_{1} &= \\tanh\\left(S\\right) = A",
        ],
    ),
    (
        {"sum": False, "pre": True, "act": True},
        16.0,
        [
            "n_{1} &= \\tanh\\left(P + R \\odot Q\\right)",
            "n_{1} &= \\tanh\\left(S\\right)",
            "n_{1} &= A",
        ],
    ),
]


@pytest.mark.parametrize(("breaks", "room", "tex"), PIECES)
def test_pieces_are_set_by_the_line_macro(
    macros: Any, breaks: dict[str, bool], room: float, tex: list[str]
) -> None:
    pieces = _result(breaks).pieces(room)
    assert [str(macros.line(q)) for q in pieces] == tex


def test_a_product_is_cut_before_its_result(macros: Any) -> None:
    """``W v + b = r`` on two rows of 8-row matrices: ``W v + b = [W] [v] + [b]`` on one
    frame, ``W v + b = [r]`` on the next."""
    line = Line(
        "hh",
        symbolic={"lhs": "W_{hn} h_{0} + b_{hn}"},
        numbers={"W": "W", "b": "B"},
        result="R",
        terms=(Term("W", "H"),),
        breaks={"lhs": False, "bias": False, "result": True},
        height=broken_height(8, 2),
    )
    first, second = line.pieces(12.0)
    assert str(macros.line(first)) == "W_{hn} h_{0} + b_{hn} &= W H + B"
    assert str(macros.line(second)) == "W_{hn} h_{0} + b_{hn} &= R"
