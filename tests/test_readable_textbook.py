"""The textbook notation (``--notation textbook``, Olah's ``sigma(W_k [h_{t-1}; x_t] + b_k)``)
readable at hidden 8 (issue 12): ``W_k = [W_hk | W_ik]`` and ``[h; x]`` are elided inside
their blocks, so that the rule between the h and the x columns (rows) stays and the rows
of ``[h; x]`` are the columns of ``W_k``; a gate's frame holds its two rows of 8-row
matrices at the text size. Measured on compiled decks (one LSTM and one GRU, compiled
once per session) and, without TeX, on the matrices of every size."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.document import context, matrices
from lstm_tex.document.blocks import block_slots
from lstm_tex.validate import overrides, spec
from tests import measure
from tests.conftest import compile_tex, run_cli

#: Generated hidden-8 decks: name -> ``lstm-tex init`` flags, and the titles of the frames
#: that hold a gate's affine line W_k [h; x] + b_k (the GRU's candidate n is written as
#: PyTorch's two products, r acting on one of them).
DECKS = {
    "lstm8": (("--input-size", "4", "--hidden-size", "8"), ("gate", "candidate g")),
    "gru8": (("--cell", "gru", "--input-size", "4", "--hidden-size", "8"), ("reset", "update")),
}
#: The text sizes (pt) each deck is compiled at: the LSTM also at 11 pt, where its affine
#: line (two rows of 8-row matrices) goes on over the next frame at its bias (Line.pieces).
SIZES = {"lstm8": ("10", "11"), "gru8": ("10",)}
INPUT = 4
#: A word that is an entry of a matrix: a number with or without decimals (``0``).
ENTRY = re.compile(r"^[−-]?\d+(?:\.\d+)?$")
DIGIT = re.compile(r"\d")
BRACKET = re.compile("[\uf8e0-\uf8ff]")


@pytest.fixture(scope="session")
def textbook_decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each deck rendered in the textbook notation and compiled once (the LSTM also at
    11 pt), its article with it (the same model of [W_hk | W_ik] and [h; x]): no error,
    no Overfull box."""
    folder = tmp_path_factory.mktemp("textbook")
    pdfs = {}
    for name, (flags, _) in DECKS.items():
        example = folder / f"{name}.yaml"
        result = run_cli("init", example, *flags)  # one step
        assert result.exit_code == 0, result.output
        for size in SIZES[name]:
            out = folder / f"out-{size}"
            args = ("--out", out, "--no-check", "--notation", "textbook", "--text-size", size)
            result = run_cli("render", example, *args)
            assert result.exit_code == 0, result.output
            slides = out / name / f"{name}-slides.tex"
            # the article once: the text size is the slides'
            for tex in (slides, out / name / f"{name}.tex")[: 2 if size == "10" else 1]:
                compiled = compile_tex(tex, draft=tex != slides)
                assert compiled.ok, (tex.name, compiled.errors)
                overfull = (compiled.overfull_hbox, compiled.overfull_vbox)
                assert overfull == (0, 0), (tex.name, overfull)
            pdfs[name + ("" if size == "10" else f"-{size}pt")] = slides.with_suffix(".pdf")
    return pdfs


def gate_pages(pdf: Path, titles: tuple[str, ...]) -> list[int]:
    """The first frame of each gate whose affine line the deck shows (its title, not
    continued)."""
    return [
        f.page
        for f in measure.fills(pdf)
        if not f.continued and any(t in f.title for t in titles) and "Step" in f.title
    ]


@pytest.mark.latex
@pytest.mark.parametrize(("deck", "size"), [("lstm8", 10.0), ("gru8", 10.0), ("lstm8-11pt", 10.95)])
def test_numbers_at_the_text_size(textbook_decks: dict[str, Path], deck: str, size: float) -> None:
    """Every number of the deck at its text size: at 10 pt the gate frames' W_k [h; x] and
    + b = pre rows under the symbolic line are no longer shrunk (9.58 pt before); at 11 pt
    the affine line goes on over the next frame at its bias (9.27 pt before; issue 12)."""
    found = measure.numbers(textbook_decks[deck])
    assert found
    small = sorted({(n.page, n.size) for n in found if n.size < size - 0.01})
    assert not small, small


@pytest.mark.latex
@pytest.mark.parametrize("deck", sorted(DECKS))
def test_block_rule_on_every_gate_frame(textbook_decks: dict[str, Path], deck: str) -> None:
    """On the first frame of every gate: W_k has a vertical rule as tall as its 8 rows,
    with its h columns (elided inside, with a \\cdots) left of it and all 4 x columns
    right of it; [h; x] beside it has a rule with as many numbers above it as W_k shows
    h columns and 4 below: the product reads row by row."""
    pdf = textbook_decks[deck]
    pages = gate_pages(pdf, DECKS[deck][1])
    assert len(pages) == (4 if deck.startswith("lstm") else 2), pages
    for page in pages:
        tall = [r for r in measure.vertical_rules(pdf, page) if r[2] - r[1] > 25.0]
        assert len(tall) == 1, (page, tall)
        rule_x, top, bottom = tall[0]
        # the stacked vector's rule: right of W's, within its rows
        across = [r for r in measure.rules(pdf, page) if r[0] > rule_x and top < r[2] < bottom]
        assert len(across) == 1, (page, across)
        v_x0, v_x1, v_rule = across[0]
        # a bracket's pieces (private-use glyphs) may join the entry beside them in a word
        words = [
            (BRACKET.sub("", text), x0, y)
            for text, x0, y in measure.words(pdf, page)
            if top < y < bottom
        ]
        # W's entries: from its leftmost number with decimals (its left-hand side's indices
        # are words too) to the vector, in rows a few mm apart
        w_x0 = min(x0 for text, x0, _ in words if "." in text) - 1.0
        rows: list[list[tuple[str, float]]] = []
        last_y = -10.0
        for text, x0, y in sorted(words, key=lambda w: (w[2], w[1])):
            if w_x0 < x0 < v_x0 - 4.0 and (ENTRY.match(text) or text == "···"):
                if y - last_y > 1.5:
                    rows.append([])
                rows[-1].append((text, x0))
                last_y = y
        assert len(rows) == 8, (page, rows)
        h_cols = set()
        for row in rows:
            left = [t for t, x in row if x < rule_x]
            right = [t for t, x in row if x > rule_x]
            assert "···" in left and len(left) >= 3, (page, row)  # some h columns, elided
            assert len(right) == INPUT and "···" not in right, (page, row)  # x whole
            h_cols.add(len(left) - 1)
        # the vector's rows: pdfplumber may cut its numbers into characters, so its rows
        # are counted by the heights of the digits in its column
        ys = sorted(y for text, x0, y in words if v_x0 - 4 <= x0 <= v_x1 and DIGIT.search(text))
        heights = [y for k, y in enumerate(ys) if k == 0 or y - ys[k - 1] > 1.5]
        above = [y for y in heights if y < v_rule]
        below = [y for y in heights if y > v_rule]
        assert h_cols == {len(above)} and len(below) == INPUT, (page, h_cols, above, below)


def test_w_columns_are_the_rows_of_hx(tmp_path: Path) -> None:
    """Without TeX, on the hidden-8 step in the slides' and the article's limits and at
    hidden 16 and 64: each gate's W_k shows, block by block, the columns whose entries
    [h; x] shows as rows, with a rule in both; numbers from the same indices."""
    for hidden, inputs in ((8, 4), (16, 4), (64, 5), (8, 20)):
        for slides in (True, False):
            path = tmp_path / f"h{hidden}-i{inputs}.yaml"
            if not path.exists():
                flags = ("--hidden-size", str(hidden), "--input-size", str(inputs))
                assert run_cli("init", path, *flags).exit_code == 0
            example = overrides.with_render(spec.load(path), notation="textbook")
            trace = engine.forward(example)
            step = context.build(trace, None, slides=slides)["steps"][0]
            slots = step["slots"]
            h_cols = matrices.block_indices([hidden, inputs], slots)
            assert h_cols.count(None) >= 1, (hidden, slides, slots)
            v = step["v"]
            assert v.count("\\hline") == 1, v
            rows = v.split("\\\\")
            assert len(rows) == len(h_cols), (len(rows), h_cols)
            for gate in step["gates"]:
                if gate.get("gated"):
                    continue
                w = gate["lines"][1].terms[0].left
                first = w.split("\\\\")[0]
                assert first.count("&") + 1 == len(h_cols), (first, h_cols)
                assert "|" in w.split("}", 3)[2], w[:80]  # the array's column spec


def test_block_slots_keep_a_small_x_block_whole() -> None:
    """The h block is elided first, down to 3 slots (first, \\cdots, last); x stays whole
    where it can, else is elided in turn."""
    fits = lambda total: lambda s: sum(s) <= total  # noqa: E731
    assert block_slots((8, 4), 8, fits(7)) == (3, 4)
    assert block_slots((8, 4), 8, fits(12)) == (8, 4)
    assert block_slots((64, 5), 8, fits(8)) == (3, 5)
    assert block_slots((8, 20), 8, fits(7)) == (3, 4)
    assert block_slots((2, 20), 8, fits(7)) == (2, 5)  # a block of 2 shows whole
    assert block_slots((8, 20), 8, fits(2)) == (3, 3)  # no fewer than first, dots, last
    assert np.array_equal(
        [k for k in matrices.block_indices([8, 4], (3, 4)) if k is not None],
        [0, 7, 8, 9, 10, 11],
    )


def test_affine_line_goes_on_at_its_bias_at_11pt(tmp_path: Path) -> None:
    """At 11 pt a hidden-8 gate's affine line, two rows of 8-row matrices, is cut at its
    bias: ``W_k [h; x] + b_k = [W] [h; x]`` on the gate's first frame, then ``W_k [h; x] +
    b_k = W_k [h; x] + [b] = [pre]`` on the next (Line.pieces), not shrunk."""
    path = tmp_path / "h8.yaml"
    assert run_cli("init", path, "--hidden-size", "8", "--input-size", "4").exit_code == 0
    text = path.read_text().replace("render:\n", "render:\n  notation: textbook\n  text_size: 11\n")
    path.write_text(text)
    example = spec.load(path)
    step = context.build(engine.forward(example), None, slides=True)["steps"][0]
    for gate in step["gates"]:
        first, second = gate["frames"][:2]
        assert [q.symbolic.get("upto") for q in first] == [None, "bias"], gate["key"]
        resumed = second[1]
        assert resumed.symbolic["resumes"] == "bias", gate["key"]
        assert resumed.symbolic["product"].startswith(f"W_{{{gate['key']}}} "), resumed.symbolic
        assert not any(f.tall for f in gate["frames"]), gate["key"]
