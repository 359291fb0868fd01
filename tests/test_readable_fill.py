"""No frame more than half empty unless it is the last of its group (issue 12), measured on
decks that had such frames: a bidirectional backward deck whose reverse bias gradients
stood alone between dW_ik and dW_hk (34 %), a 2-layer deck whose h_t and c_t over time
took a frame each (49.7 %), a GRU deck whose dh_0 had a frame of its own (14 %). Every
number stays at the text size, and shared slides' titles read naturally. A frame under
35 % stands alone only where it fills either neighbour past what a slide holds: a GRU's
h_t and the next step's inputs (a quarter of a frame each at 11 pt) share a slide, and a
layer above's inputs go on the slide of the step before."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pdfplumber
import pytest
import yaml

from lstm_tex.document import measure as measure_tex
from lstm_tex.document import slides
from tests import measure
from tests.conftest import EXAMPLES, compiled_deck, init_example, run_cli
from tests.test_readable import backward_section

#: --text-size N is set at this size (LaTeX's 11 pt \normalsize is 10.95 pt).
NOMINAL = {10: 10.0, 11: 10.95}


def bidirectional(folder: Path, flags: tuple[str, ...], steps: int) -> Path:
    """A generated bidirectional example: ``lstm-tex init`` (seed 0) with the reverse
    direction's weights and initial states from seed 1, and a backward section."""
    path = init_example(folder / "bi.yaml", *flags, "--steps", str(steps))
    other = init_example(folder / "reverse.yaml", *flags, "--steps", str(steps), "--seed", "1")
    data, reverse = yaml.safe_load(path.read_text()), yaml.safe_load(other.read_text())
    data["lstm"]["bidirectional"] = True
    data["weights"].update({f"{key}_reverse": value for key, value in reverse["weights"].items()})
    for state in ("h0", "c0"):
        data[state] = [data[state], reverse[state]]
    hidden = data["lstm"]["hidden_size"]
    data.update(yaml.safe_load(backward_section(2 * hidden, steps)))
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def derive_first(path: Path) -> Path:
    """``path`` with only layer 0's step 1 derived in full (``render.steps``, ``layers``)."""
    data = yaml.safe_load(path.read_text())
    data.setdefault("render", {}).update(steps=[1], layers=[0])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def fill_decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """The decks, each compiled once (no Overfull box), with their text size. Only step 1
    (of layer 0) of the forward pass is derived: the frames measured here are the results
    and the backward pass."""
    folder = tmp_path_factory.mktemp("fill")
    flags = ("--input-size", "5", "--hidden-size", "8", "--layers", "2", "--steps", "2")
    layers = derive_first(init_example(folder / "layers2.yaml", *flags))
    bi = derive_first(bidirectional(folder, ("--input-size", "3", "--hidden-size", "4"), 2))
    rnn = init_example(folder / "rnn8.yaml", *RNN8)
    rnn.write_text(
        rnn.read_text().replace("  decimals: 4\n", "  decimals: 4\n  notation: row-vector\n")
    )
    runs = {
        "rnn-rowvector-10pt": (rnn, 10),
        "bi-backward-10pt": (bi, 10),
        "layers2-11pt": (layers, 11),
        "gru-backward-11pt": (EXAMPLES / "gru-backward.yaml", 11),
        # whole forward passes: test_readable compiles the 10 pt ones too (one compile)
        "gru-sequence-11pt": (EXAMPLES / "gru-sequence.yaml", 11),
        "gru-sequence-10pt": (EXAMPLES / "gru-sequence.yaml", 10),
        "stacked-10pt": (EXAMPLES / "stacked.yaml", 10),
    }
    pdfs = {}
    for name, (example, size) in runs.items():
        pdfs[name] = (compiled_deck(example, folder / name, size, name), size)
    return pdfs


DECKS = ["bi-backward-10pt", "layers2-11pt", "gru-backward-11pt", "rnn-rowvector-10pt"]
#: A row-vector RNN, hidden 8: step 2's inputs went to step 1's last slide and left step 2's
#: first h_t slide 0.49 full (slides.HALF keeps them with their step there).
RNN8 = ("--cell", "rnn", "--hidden-size", "8", "--input-size", "5", "--steps", "2")
#: Decks whose forward pass had frames a quarter full, each the last of its group: "Step
#: N: inputs" and "Step N: hidden state h" at 11 pt, a layer above's inputs at 10 pt.
FORWARD = ["gru-sequence-11pt", "gru-sequence-10pt", "stacked-10pt"]
#: Under this share of its body a frame is a near-blank slide to a lecturer.
SPARSE = 0.35
#: Two frames' contents that fill more than this together do not go on one slide
#: (slides.SHARE, the share of a body that a shared slide may take).
FULL = slides.SHARE


@pytest.mark.latex
@pytest.mark.parametrize("deck", DECKS)
def test_no_frame_half_empty_unless_last(
    fill_decks: dict[str, tuple[Path, int]], deck: str
) -> None:
    pdf, _ = fill_decks[deck]
    fills = measure.fills(pdf)
    assert len(fills) > 6, "the measure reads no frames"
    empty = [
        (f.page, f.title, round(f.fill, 2)) for f in fills if f.fill < 0.5 and not f.last_of_group
    ]
    assert not empty, empty


@pytest.mark.latex
@pytest.mark.parametrize("deck", FORWARD)
def test_a_sparse_frame_stands_alone_only_where_nothing_fits(
    fill_decks: dict[str, tuple[Path, int]], deck: str
) -> None:
    """A frame under :data:`SPARSE` stands alone only where, with the frame before it or
    the frame after it, it would fill more than a slide holds (:data:`FULL`). A GRU's
    "Step 1: inputs" (26 % at 11 pt) follows the cell's frame (81 %) and precedes the reset
    gate's (73 %); the last step's h_t (25 %) follows the candidate's (84 %) and precedes
    the results (83 %). Before, 6 of 18 slides at 11 pt were a quarter full, and the
    layer-1 inputs of the stacked deck (25 %) had frames of their own."""
    pdf, size = fill_decks[deck]
    fills = measure.fills(pdf)
    assert len(fills) > 6, "the measure reads no frames"
    lonely = [
        (f.page, f.title, round(f.fill, 2))
        for before, f, after in zip(fills, fills[1:], fills[2:], strict=False)
        if f.fill < SPARSE and min(before.fill, after.fill) + f.fill <= FULL
    ]
    assert not lonely, lonely
    assert all(f.fill >= 0.5 or f.last_of_group for f in fills)
    assert min(n.size for n in measure.numbers(pdf)) >= NOMINAL[size] - 0.01


@pytest.mark.latex
@pytest.mark.parametrize("deck", ["gru-sequence-11pt", "gru-sequence-10pt"])
def test_the_next_steps_inputs_follow_h(fill_decks: dict[str, tuple[Path, int]], deck: str) -> None:
    """A GRU's step t's h_t and step t+1's inputs on one slide, titled for both; the
    step's inputs are not shown twice. At 11 pt each had a slide of its own (25 and 26 %);
    at 10 pt the inputs shared the reset gate's frame and h_t stood alone (23 %): the reset
    gate alone fills 65 %."""
    pdf, _ = fill_decks[deck]
    fills = measure.fills(pdf)
    shared = [f for f in fills if "step 2: inputs" in f.title or "step 3: inputs" in f.title]
    assert len(shared) == 2, [f.title for f in fills]
    assert all(f.title.startswith(f"Step {n}: hidden state") for n, f in enumerate(shared, 1))
    assert all(0.45 <= f.fill <= FULL for f in shared), shared  # 49 % at 10 pt
    tex = pdf.with_suffix(".tex").read_text()
    for t in (2, 3):
        assert tex.count(f"Step~{t} reads") == 1, t
        # the inputs come before the step's section mark, after the step before's h_t
        assert tex.index(f"Step~{t} reads") < tex.index(f"\\lstmsection{{Step {t}}}")
        assert tex.index(f"h_{{{t - 1}}} &=") < tex.index(f"Step~{t} reads")


@pytest.mark.latex
@pytest.mark.parametrize("deck", ["gru-sequence-11pt", "gru-sequence-10pt"])
def test_the_cell_frame_at_the_text_size(
    fill_decks: dict[str, tuple[Path, int]], deck: str
) -> None:
    """The cell's frame (page 2) follows --text-size as the derivation does: at 11 pt its
    equations and text were set at 10 pt, \\small, whatever the size."""
    pdf, size = fill_decks[deck]
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[1]
        found = page.extract_words(extra_attrs=["size"])
    body = [w for w in found if w["top"] > 0.2 * page.height and w["top"] < 0.93 * page.height]
    assert len(body) > 20, "the measure reads no text"
    # the most common size is the text's (sub- and superscripts are smaller)
    sizes = Counter(round(w["size"] * measure.PT_PER_BP, 2) for w in body)
    assert abs(sizes.most_common(1)[0][0] - NOMINAL[size]) < 0.1, sizes


def test_the_quarto_slides_show_the_handed_inputs(tmp_path: Path) -> None:
    """The Quarto slides follow the deck: step 2's inputs under step 1's h_t, once."""
    example = EXAMPLES / "gru-sequence.yaml"
    flags = ("--markdown", "--no-check", "--text-size", "11")
    result = run_cli("render", example, "--out", tmp_path, *flags)
    assert result.exit_code == 0, result.output
    qmd = (tmp_path / "gru-sequence" / "gru-sequence-slides.qmd").read_text()
    heading = "## Step 1: hidden state $h_{1}$; step 2: inputs"
    reads = [m.start() for m in re.finditer(r"Step\s2 reads", qmd)]  # ~ is a no-break space
    assert len(reads) == 1, qmd
    assert qmd.index(heading) < reads[0] < qmd.index("## Step 2: reset gate")


@pytest.mark.latex
@pytest.mark.parametrize("deck", DECKS)
def test_numbers_at_the_text_size(fill_decks: dict[str, tuple[Path, int]], deck: str) -> None:
    pdf, size = fill_decks[deck]
    found = measure.numbers(pdf)
    assert found, "no number found: the measure reads nothing"
    small = [(n.page, n.text, n.size) for n in found if n.size < NOMINAL[size] - 0.01]
    assert not small, small[:5]


def frames_titled(pdf: Path, title: str) -> list[measure.Fill]:
    return [f for f in measure.fills(pdf) if f.title == title]


@pytest.mark.latex
def test_reverse_biases_beside_their_weights(fill_decks: dict[str, tuple[Path, int]]) -> None:
    """Each gate's weight gradients take two frames in both directions: db_ik with dW_ik,
    then dW_hk. A reverse direction's db_ik was counted 2.4 em wider than the forward one's
    (``\\leftarrow`` in a script counted with a relation's spaces), broke onto two rows,
    and stood alone between dW_ik and dW_hk, 34 % full. Where a delta's power of ten
    (10^{-3}, e25c60b) widens db_ik past one row, it follows dW_hk as the last frame of
    its group (the two do not fit one frame: 0.69 + 0.34 measured), never between."""
    pdf, _ = fill_decks["bi-backward-10pt"]
    frames = re.findall(
        r"\\begin\{frame\}\[t\]\{(Gradients: [^}]*weights, \w+)(?: \(continued\))?\}"
        r"(.*?)\\end\{frame\}",
        pdf.with_suffix(".tex").read_text(),
        flags=re.S,
    )
    two = 0
    for gate in ("input gate", "forget gate", "cell candidate", "output gate"):
        for direction in ("forward", "reverse"):
            title = f"Gradients: {gate} weights, {direction}"
            fills = [f.fill for f in frames_titled(pdf, title)]
            bodies = [body for name, body in frames if name == title]
            assert len(bodies) == len(fills) in (2, 3), (title, fills)
            # never between dW_ik and dW_hk
            where = [n for n, body in enumerate(bodies) if "\\mathsf{d}b_{" in body]
            assert where in ([0], [len(bodies) - 1]), (title, where)
            if len(bodies) == 3:  # a db line that a power of ten (10^{-3}) widened past a row
                assert where == [2] and "10^{-" in bodies[2] and min(fills[:2]) > 0.5, title
            two += len(bodies) == 2
    assert two >= 5, two


@pytest.mark.latex
def test_h_and_c_over_time_side_by_side(fill_decks: dict[str, tuple[Path, int]]) -> None:
    """A 2-layer network of hidden 8 at 11 pt: each layer's [h_1 h_2] and [c_1 c_2] on one
    row of one frame (they took a frame each, 49.7 % full)."""
    pdf, _ = fill_decks["layers2-11pt"]
    over_time = frames_titled(pdf, "Results: h and c over time")
    assert len(over_time) == 2, over_time
    for f in over_time:
        lines = {round(top) for text, _, top in measure.words(pdf, f.page) if text == "="}
        assert len(lines) == 1, (f.page, lines)  # one row: both labels on one line


@pytest.mark.latex
def test_blocks_of_their_own_share_a_frame(fill_decks: dict[str, tuple[Path, int]]) -> None:
    """GRU at 11 pt, "back to the initial state": the W^T delta line and dh_0 = W^T delta +
    z . dh, too wide to share an aligned block's left column, are two blocks on one frame
    (dh_0 had a frame of its own, 14 % full)."""
    pdf, _ = fill_decks["gru-backward-11pt"]
    title = "Backward, step 1: back to the initial state"
    (frame,) = frames_titled(pdf, title)
    assert frame.fill >= 0.5, frame
    tex = pdf.with_suffix(".tex").read_text()
    assert "\\lstmblockskip\n" in tex


def test_script_arrows_counted_alike() -> None:
    """A script's ``\\leftarrow`` is an arrow, as wide as ``\\rightarrow``; the relation
    ``W \\leftarrow W - ...`` keeps its spaces."""
    assert measure_tex.tex_em("h^{\\leftarrow}_{1}") == measure_tex.tex_em("h^{\\rightarrow}_{1}")
    assert measure_tex.tex_em("W \\leftarrow W") > measure_tex.tex_em("W \\rightarrow W")


def part(kind: str, index: int = 0, gate: str = "") -> dict[str, Any]:
    """A part of a slide as :func:`lstm_tex.document.slides.parts` makes it."""
    names = {"i": "input gate", "f": "forget gate", "o": "output gate"}
    g = {"name": names[gate], "sym": f"{gate}_{{1}}"} if gate else None
    states = [SimpleNamespace(kind="cell"), SimpleNamespace(kind="hidden")]
    return {"kind": kind, "index": index, "gate": g, "chunk": states if kind == "states" else []}


@pytest.mark.parametrize(
    "together, title",
    [
        ([part("inputs"), part("gate", 0, "i")], "Step 1: inputs and input gate $i_{1}$"),
        ([part("gate", 1, "i")], "Step 1: input gate $i_{1}$ (continued)"),
        (
            [part("gate", 1, "i"), part("gate", 0, "f")],
            "Step 1: input gate $i_{1}$ (end) and forget gate $f_{1}$",
        ),
        (
            [part("gate", 2, "o"), part("states")],
            "Step 1: output gate $o_{1}$ (end), cell state $c_{1}$ and hidden state $h_{1}$",
        ),
    ],
)
def test_shared_titles_read_naturally(together: list[dict[str, Any]], title: str) -> None:
    """A gate's continued frame alone says "(continued)"; on a shared slide it ends the
    gate: "input gate i1 (continued) and forget gate f1" read as if the forget gate went
    on."""
    ctx = {"title": "Step 1", "c_sym": "c_{1}", "h_sym": "h_{1}"}
    assert slides.title(ctx, together) == title
