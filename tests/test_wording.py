"""Wording that reads naturally across the whole range of values (issue 12): the notes of
the backward pass with a loss on the last step only, "direction" only where there are two,
short lists of steps written out, GRU captions without "only" for a majority, every
symbol in a note subscripted or defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lstm_tex
from tests.conftest import EXAMPLES

LSTM_BACKWARD = EXAMPLES / "backward-sequence.yaml"
GRU_BACKWARD = EXAMPLES / "gru-backward.yaml"
RNN = EXAMPLES / "rnn-sequence.yaml"


def _frames(tmp_path: Path, name: str, text: str) -> str:
    """The slides' frames.tex of the example ``text`` (rendered without the check)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / f"{name}.yaml"
    source.write_text(text)
    lstm_tex.load(source).render(tmp_path / "out", check=False)
    return (tmp_path / "out" / name / "frames.tex").read_text()


def _replace(text: str, key: str, value: str) -> str:
    """``text`` with the top-level ``key:`` line (and its continuation lines) replaced."""
    pattern = rf"^{key}:.*\n(?:[ \t]+\S.*\n)*"
    assert re.search(pattern, text, re.M), key
    return re.sub(pattern, f"{key}: {value}\n", text, count=1, flags=re.M)


#: Each cell's backward example with a loss on every step and on the last step only.
BACKWARD = {
    "lstm": (LSTM_BACKWARD.read_text(), "[0.9, 0.71]"),
    "gru": (GRU_BACKWARD.read_text(), "[0.9, 0.71]"),
    "rnn": (
        RNN.read_text()
        + "backward:\n  target: [[0.1, 0.2, 0.3], [0.3, -0.2, 0.1], [0.5, 0.1, -0.4], "
        "[0.2, 0.2, 0.2]]\n  loss: mse\n  lr: 0.1\n",
        "[0.2, 0.2, 0.2]",
    ),
}


@pytest.mark.parametrize("cell", sorted(BACKWARD))
def test_h_note_with_the_loss_on_the_last_step_only(tmp_path: Path, cell: str) -> None:
    """h_1 feeds no term of the loss: it reaches the loss only through step 2, so there is
    nothing to add up; with a loss on every step, both add up."""
    every, last = BACKWARD[cell]
    through = ", there through $W_{hh}$" if cell != "gru" else ", there through $W_{hh}$ and"
    lone = _frames(tmp_path / "last", cell, every.replace("  target:", f"  target: {last} #", 1))
    assert "feeds no term of the loss and" not in lone
    assert re.search(r"\\sum_\{j=1\}\^\{\d\} e_\{\d,j\}\^2 = ", lone)  # e_T's entries
    assert "both add up" not in lone
    for t in (1, 2):
        assert f"$h_{{{t}}}$ reaches the loss only through step {t + 1}{through}" in lone
    both = _frames(tmp_path / "every", cell, every)
    assert "reaches the loss only" not in both
    if cell != "gru":  # the GRU's h_t reaches step t + 1 through W_hh and directly
        assert r"$h_{1}$ feeds the loss (as $\hat y_{1}$) and step 2 (through $W_{hh}$), " in both
        assert "so both add up" in both


def test_initial_state_gradients_name_directions_only_when_bidirectional(
    tmp_path: Path,
) -> None:
    stacked = (EXAMPLES / "stacked.yaml").read_text() + (
        "backward:\n  target: [[0.1, 0.2, 0.3], [0.3, -0.2, 0.1]]\n  loss: mse\n  lr: 0.1\n"
    )
    frames = _frames(tmp_path, "stacked", stacked)
    assert r"\texttt{c0.grad}), one per layer." in frames
    assert "one per layer and direction" not in frames
    one_layer = (EXAMPLES / "bidirectional.yaml").read_text() + (
        "backward:\n  target: [[0.1, 0.2, 0.3, 0.1, 0.2, 0.3], [0.3, -0.2, 0.1, 0.3, -0.2, 0.1],"
        " [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]\n  loss: mse\n  lr: 0.1\n"
    )
    frames = _frames(tmp_path, "both", one_layer)
    assert r"\texttt{c0.grad}), one per direction." in frames


@pytest.mark.parametrize("steps,runs", [(1, "1"), (2, "2, 1"), (3, "3, 2, 1"), (4, r"4, \dots, 1")])
def test_reverse_direction_steps_written_out_when_short(
    tmp_path: Path, steps: int, runs: str
) -> None:
    xs = [[0.2, -0.5], [0.1, 0.3], [-0.6, 1.0], [0.4, 0.4]][:steps]
    text = _replace((EXAMPLES / "bidirectional.yaml").read_text(), "x", str(xs))
    frames = _frames(tmp_path, "both", text)
    assert f"runs $t = {runs}$ from its initial state" in frames
    assert (
        rf"Step~{steps} reads the reverse direction's initial state "
        rf"$h^{{\leftarrow}}_{{{steps + 1}}}, c^{{\leftarrow}}_{{{steps + 1}}}$ as given: "
        "that direction starts at the last step."
    ) in frames
    assert (
        r"Step~1 reads the initial state $h^{\rightarrow}_{0}, c^{\rightarrow}_{0}$ as given."
        in frames
    )


def test_gru_captions_read_the_smallest_share_as_the_largest(tmp_path: Path) -> None:
    """No "only" for a share of 52 % next to 68 %: both read the same way, as the LSTM's."""
    text = (EXAMPLES / "gru-sequence.yaml").read_text() + "render:\n  captions: true\n"
    frames = _frames(tmp_path, "gru", text)
    assert ": only" not in frames
    # gru-sequence, step 1: z_2 = 0.7150 is the largest, z_3 = 0.5548 the smallest
    assert (
        r"$z_{1,2} = 0.7150$: $h_{1,2}$ keeps 72\,\% of $h_{0,2}$ and takes the rest from "
        r"$n_{1,2}$; $z_{1,3} = 0.5548$: $h_{1,3}$ keeps 55\,\% of $h_{0,3}$ and takes the "
        r"rest from $n_{1,3}$."
    ) in frames


def test_gru_delta_n_note_subscripts_x(tmp_path: Path) -> None:
    frames = _frames(tmp_path, "gru", GRU_BACKWARD.read_text())
    assert r"From $n_{2} = \tanh(W_{in} x_{2} + b_{in} + r_{2} \odot (W_{hn} h_{1}" in frames
    assert "W_{in} x +" not in frames
    # the sum written once (a 4-line note squeezed its inline maths; 3 lines now), h with
    # its step, and inline + keeps room in our group only (issue 12)
    assert r"torch's $r$ multiplies the sum (the GRU paper and d2l multiply $h_{1}$ first)" in (
        frames
    )
    assert "W_{hn} h + b_{hn}$" not in frames
    group = frames.index("\\begingroup")
    assert frames.index("\\medmuskip=4mu plus 2mu minus 1mu\\relax") > group
    assert frames.rstrip().endswith("\\endgroup")


def test_ones_of_a_stacked_bias_sum_are_written_out(tmp_path: Path) -> None:
    """From five steps a bias's sum is [delta_1 ... delta_T] [1; ...; 1]: the column of ones
    is written out (a bold 1 needed a note, on the group's first frame; issue 12)."""
    text = _replace(
        LSTM_BACKWARD.read_text(),
        "x",
        "[[0.38, 0.99], [0.69, -0.14], [-0.91, -0.54], [0.2, 0.1], [0.5, -0.5]]",
    )
    text = _replace(text, "backward", "")
    text += "  target: [[0.81, -0.32], [-0.06, 0.15], [0.9, 0.71], [0.1, 0.1], [0.2, 0.3]]\n"
    text += "  loss: mse\n  lr: 0.1\n"
    frames = _frames(tmp_path, "long", text)
    assert r"\mathbf{1}" not in frames
    assert r"\begin{bmatrix} 1 \\ 1 \\ 1 \\ 1 \\ 1 \end{bmatrix} = " in frames
    assert r"the rows of the second the vectors." in frames


def test_backward_notes_and_lines_read_naturally(tmp_path: Path) -> None:
    """The looker's nits (issue 12): a noun after "the last", the loss summed over E's
    entries (not (E)_j), what the weights multiplied, one tanh(c_t), "Results:" and the
    final states without "each layer" in a one-layer, one-direction network."""
    frames = _frames(tmp_path, "lstm", LSTM_BACKWARD.read_text())
    assert "Start at step 3, the last step the network computes: " in frames
    assert "Step 1 is the first step the network computes, so" in frames
    assert r"L &= \frac{1}{6} \sum_{j=1}^{6} E_{j}^2 = " in frames
    assert r"L' &= \frac{1}{6} \sum_{j=1}^{6} (E'_{j})^2 = " in frames
    assert r"\right)_j" not in frames
    assert "times the transposed vector its weights multiplied in the forward pass" in frames
    assert "vector it multiplied" not in frames
    tanh = re.findall(r"\\tanh(?:\^2)?\s*(?:\\left)?\(?\s*c_", frames)
    assert len(tanh) > 10 and set(tanh) <= {r"\tanh(c_", r"\tanh^2(c_"}, set(tanh)
    assert "Results: $h_t$ and $c_t$ over time" in frames and "Result:" not in frames
    assert "The state after the last step. Torch's \\texttt{output} is $h_t$ at every" in frames
    assert "each layer" not in frames and "the last layer" not in frames


def test_final_states_of_each_layer_only_where_there_are_layers(tmp_path: Path) -> None:
    stacked = _frames(tmp_path / "st", "stacked", (EXAMPLES / "stacked.yaml").read_text())
    assert "The state after the last step of each layer, in torch's order." in stacked
    assert r"\texttt{output} is $h_t$ of the last layer at every step." in stacked
    assert "Results: $h_t$ and $c_t$ over time" in stacked and "Result:" not in stacked
    both = _frames(tmp_path / "bi", "bi", (EXAMPLES / "bidirectional.yaml").read_text())
    assert "The state after the last step of each direction (forward: $t = 3$" in both
    assert "each layer" not in both
