"""The row-vector notation (``--notation row-vector``, d2l's ``x_t W_xk + h_{t-1} W_hk +
b_k``) readable on slides (issue 12), measured on compiled decks: at hidden 8 its rows of
8 numbers were scaled down to 5.6-6.3 pt, a GRU's W_xn showed its first and last column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context
from lstm_tex.validate import overrides, spec
from tests import measure
from tests.conftest import compile_tex, init_example, run_cli

#: Generated examples: ``lstm-tex init`` flags.
EXAMPLES = {
    "lstm8": ("--input-size", "4", "--hidden-size", "8", "--steps", "2"),
    "gru8": ("--cell", "gru", "--input-size", "4", "--hidden-size", "8", "--steps", "2"),
    "lstm16": ("--input-size", "4", "--hidden-size", "16", "--steps", "2"),
}
#: Decks compiled once each: (example, text size in pt). The GRU at 11 pt had its
#: candidate's h W_hn line set on one row (taller than a frame when broken) at 3.8 pt.
DECKS = {
    "lstm8": ("lstm8", 10),
    "gru8": ("gru8", 10),
    "lstm16": ("lstm16", 10),
    "gru8-11pt": ("gru8", 11),
}
HIDDEN = {"lstm8": 8, "gru8": 8, "lstm16": 16, "gru8-11pt": 8}
MIN_PT = 8.0


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rowvector-examples")
    return {name: init_example(folder / f"{name}.yaml", *flags) for name, flags in EXAMPLES.items()}


@pytest.fixture(scope="session")
def decks(examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every deck rendered in the row-vector notation and compiled once: its PDF and the
    Overfull boxes of its log."""
    folder = tmp_path_factory.mktemp("rowvector")
    found: dict[str, Any] = {}
    for name, (example, size) in DECKS.items():
        out = folder / f"{size}pt"
        result = run_cli(
            "render",
            examples[example],
            "--out",
            out,
            "--no-check",
            "--notation",
            "row-vector",
            "--text-size",
            str(size),
        )
        assert result.exit_code == 0, result.output
        tex = out / example / f"{example}-slides.tex"
        compiled = compile_tex(tex)
        assert compiled.ok, (name, compiled.errors)
        found[name] = (tex.with_suffix(".pdf"), compiled)
        if name == "gru8":  # the article too, where lines break (no PDF is read)
            found["gru8-article"] = compile_tex(out / example / f"{example}.tex", draft=True)
    return found


@pytest.mark.latex
@pytest.mark.parametrize("deck", DECKS)
def test_no_number_below_8pt(decks: dict[str, Any], deck: str) -> None:
    found = measure.numbers(decks[deck][0])
    assert len(found) > 100, "the measure reads too few numbers"
    small = [(n.page, n.text, n.size) for n in found if n.size < MIN_PT]
    assert not small, small[:5]


@pytest.mark.latex
@pytest.mark.parametrize("deck", [d for d in DECKS if HIDDEN[d] <= 8])
def test_numbers_at_the_text_size_up_to_hidden_8(decks: dict[str, Any], deck: str) -> None:
    """Every number of a hidden-8 deck at the text size (was 5.6 pt at 10 pt): its row
    vectors are elided and its lines broken rather than scaled down."""
    size = DECKS[deck][1]
    found = measure.numbers(decks[deck][0])
    small = [(n.page, n.text, n.size) for n in found if n.size < size - 0.06]
    assert not small, small[:5]


@pytest.mark.latex
@pytest.mark.parametrize("deck", DECKS)
def test_no_overfull_box(decks: dict[str, Any], deck: str) -> None:
    compiled = decks[deck][1]
    assert compiled.overfull == 0, (compiled.overfull_hbox, compiled.overfull_vbox)


@pytest.mark.latex
def test_the_gru_article_fits_its_text(decks: dict[str, Any]) -> None:
    """The GRU's article at hidden 8: its candidate's ``+ r \\odot hh`` and ``z \\odot
    h_{t-1}`` break between their factors, and its row vectors leave room for the
    candidate's left-hand side (4 Overfull boxes, of 82 to 317 pt)."""
    compiled = decks["gru8-article"]
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0


@pytest.mark.latex
@pytest.mark.parametrize("deck", DECKS)
def test_frames_are_not_half_empty(decks: dict[str, Any], deck: str) -> None:
    """Every frame but the last of its group fills at least half its body (a hidden-8
    gate's second frame was 21 % full, its first 47 %)."""
    fills = measure.fills(decks[deck][0])
    assert any("gate" in f.title for f in fills), "no gate frame found"
    empty = [
        (f.page, f.title, round(f.fill, 2)) for f in fills if f.fill < 0.5 and not f.last_of_group
    ]
    assert not empty, empty


def _columns(bmatrix: str) -> int:
    """The columns a ``bmatrix`` shows (a ``\\cdots`` column counted)."""
    first = bmatrix.split("\\\\")[0]
    return first.count("&") + 1


def _gates(path: Path, size: int = 10) -> list[dict[str, Any]]:
    example = overrides.with_render(spec.load(path), notation="row-vector")
    example = overrides.with_view(example, text_size=size)
    ctx = context.build(engine.forward(example), None, slides=True)
    gates: list[dict[str, Any]] = ctx["steps"][0]["gates"]
    return gates


@pytest.mark.parametrize(("size", "columns"), [(9, 7), (10, 7), (11, 6)])
def test_gru_candidate_shows_the_columns_of_w_xn(
    examples: dict[str, Path], size: int, columns: int
) -> None:
    """The GRU's candidate ``x_t W_xn + b_in`` breaks inside its product: W_xn (4 x 8) on a
    row of its own shows the columns of its result (it showed its first and last beside
    x; then all 8 beside a result of 6 and the dots: issue 12), and its bias too."""
    (candidate,) = [g for g in _gates(examples["gru8"], size) if g["key"] == "n"]
    (ih,) = [line for line in candidate["lines"] if line.kind == "ih"]
    assert ih.terms[0].inside
    assert _columns(ih.terms[0].right) == columns, ih.terms[0].right
    assert _columns(ih.result) == _columns(ih.numbers["b"]) == columns, ih.result


def test_a_tall_gate_is_cut_into_parts(examples: dict[str, Path]) -> None:
    """A hidden-8 gate's affine line (26 rows, taller than a frame) is cut before h W_hk
    and the bias: each part goes on with ``+``, the last has the result, and the gate's
    frames hold them whole, its weights and its bias with the columns of its result and
    its rows elided alike (issue 12: W_hk showed 8 columns beside a result of 6)."""
    gates = _gates(examples["lstm8"])
    for gate in gates:
        parts = [line for line in gate["lines"] if line.kind == "affine"]
        assert len(parts) == 3, [line.symbolic for line in parts]
        first, *rest = parts
        assert first.symbolic["lhs"] and not any(p.symbolic["lhs"] for p in rest)
        assert [bool(p.result) for p in parts] == [False, False, True]
        shown = _columns(parts[-1].result)
        assert all(_columns(t.right) == shown for p in parts for t in p.terms)
        assert _columns(parts[-1].numbers["b"]) == shown
        vectors = [t.left for p in parts for t in p.terms] + [parts[-1].result]
        assert len({_columns(v) for v in vectors if v.count("&") > 3}) == 1, vectors
        assert len(gate["frames"]) >= 2


@pytest.mark.latex
def test_the_rows_break_where_the_tex_says(decks: dict[str, Any]) -> None:
    """The slides' TeX sets d2l's products broken inside (``\\qquad \\cdot``) and goes on
    with ``+`` on the gate's next frame, without a scaled line."""
    tex = decks["lstm8"][0].with_suffix(".tex").read_text()
    assert re.search(r"&\\quad\\qquad \\cdot \\begin\{bmatrix\}", tex)
    assert re.search(r"\n&\\quad \+ \\begin\{bmatrix\}", tex)


def test_a_revealed_gate_uncovers_its_parts_together(examples: dict[str, Path]) -> None:
    """Revealed (``--reveal``), the parts of a gate's line on one frame come on the slide
    after the symbolic line, the result on the next: no slide of a frame shows nothing new
    (each part took two slides, and the frame's first showed none of them)."""
    example = overrides.with_render(spec.load(examples["lstm8"]), notation="row-vector")
    ctx = context.build(
        engine.forward(overrides.with_view(example, reveal=True)), None, slides=True
    )
    shared = 0
    for gate in ctx["steps"][0]["gates"]:
        for frame, overlays in zip(gate["frames"], gate["reveal"], strict=True):
            if sum(line.kind == "affine" for line in frame) > 1:
                shared += 1
                assert overlays["affine"] == {"on": 2, "result": 3}, overlays
                assert overlays.get("result", {"on": 4})["on"] == 4, overlays
    assert shared == 4, "each of the 4 gates has a frame of two parts"


@pytest.mark.latex
@pytest.mark.parametrize("deck", ["lstm8", "gru8-11pt"])
def test_the_inputs_show_every_entry_that_fits(decks: dict[str, Any], deck: str) -> None:
    """On the inputs' frame h_0 (and c_0) have a row of their own: their 8 entries of 2
    decimals fit it and show whole at the text size (they were elided to 6, the columns
    that the step's 4-decimal values fit; issue 12), with no Overfull box
    (:func:`test_no_overfull_box`)."""
    pdf = decks[deck][0]
    tex = pdf.with_suffix(".tex").read_text()
    for sym in ("h_{0}", "c_{0}") if deck.startswith("lstm") else ("h_{0}",):
        row = re.search(rf"\n{re.escape(sym)} &= (\\begin\{{bmatrix\}}.*?\\end\{{bmatrix\}})", tex)
        assert row is not None, sym
        assert "\\cdots" not in row.group(1) and row.group(1).count("&") == 7, row.group(1)
    (page,) = [f.page for f in measure.fills(pdf) if f.title.startswith("Step 1: inputs")]
    given = [n for n in measure.numbers(pdf) if n.page == page and len(n.text.split(".")[1]) <= 2]
    size = {10: 10.0, 11: 10.95}[DECKS[deck][1]]
    assert len(given) >= 8 + 4, [n.text for n in given]  # h_0 (and c_0), x_1
    assert all(n.size >= size - 0.06 for n in given), [(n.text, n.size) for n in given]


@pytest.mark.latex
def test_the_results_show_every_entry_that_fits(decks: dict[str, Any]) -> None:
    """The results' rows of a hidden-8 LSTM at 10 pt, ``[h_1; h_2] = [...]`` and ``h_n = h_2
    = [...]``, show all 8 columns: their labels were estimated at twice their width, and
    they showed 6 of 8 with a quarter of the frame free (issue 12); the numbers stay at the
    text size and nothing is overfull (the tests above)."""
    tex = decks["lstm8"][0].with_suffix(".tex").read_text()
    rows = re.findall(
        r"\n(?:\\begin\{bmatrix\} [hc]_\{1\} \\\\ [hc]_\{2\} \\end\{bmatrix\}|[hc]_n) &= "
        r"(?:[hc]_\{2\} = )?(\\begin\{bmatrix\}.*?\\end\{bmatrix\})",
        tex,
    )
    assert len(rows) == 4, rows
    for row in rows:
        assert "\\cdots" not in row and row.split("\\\\")[0].count("&") == 7, row
