"""nn.GRU and nn.RNN in the example file (issue 14): the ``gru:``/``rnn:`` sections, the
kind inferred from the weights' shapes, cell-module keys, and bad input (exit 2, one
message naming file, line, field, expected and found) through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from lstm_tex.compute import cells
from lstm_tex.validate import model, spec
from tests.conftest import run_cli

RNG = np.random.default_rng(14)


def _weights(blocks: int, n_in: int, hidden: int, **extra: Any) -> dict[str, Any]:
    def draw(*shape: int) -> Any:
        return np.round(RNG.uniform(-1, 1, shape), 2).tolist()

    return {
        "weight_ih_l0": draw(blocks * hidden, n_in),
        "weight_hh_l0": draw(blocks * hidden, hidden),
        "bias_ih_l0": draw(blocks * hidden),
        "bias_hh_l0": draw(blocks * hidden),
        **extra,
    }


def _example(blocks: int, **top: Any) -> dict[str, Any]:
    return {"weights": _weights(blocks, 2, 3), "x": [[0.5, -0.1], [0.2, 0.3]], **top}


@pytest.mark.parametrize(
    ("blocks", "section", "kind", "nonlinearity"),
    [
        (4, None, "lstm", "tanh"),
        (3, None, "gru", "tanh"),
        (1, None, "rnn", "tanh"),
        (3, {"gru": {"hidden_size": 3}}, "gru", "tanh"),
        (1, {"rnn": {"nonlinearity": "relu"}}, "rnn", "relu"),
        (1, {"rnn": None}, "rnn", "tanh"),
    ],
)
def test_the_kind_follows_the_section_or_the_weights(
    blocks: int, section: dict[str, Any] | None, kind: str, nonlinearity: str
) -> None:
    example = spec.from_mapping(_example(blocks, **(section or {})))
    assert example.config.kind == kind
    assert example.config.nonlinearity == nonlinearity
    assert example.config.cell == cells.cell_of(kind, nonlinearity)  # type: ignore[arg-type]
    assert example.config.hidden_size == 3 and example.config.input_size == 2
    assert example.c0.shape == ((1, 1, 3) if kind == "lstm" else (1, 1, 0))


def test_weight_hr_means_an_lstm_with_projections() -> None:
    weights = _weights(4, 2, 3)
    weights["weight_hh_l0"] = np.zeros((12, 2)).tolist()  # rows / columns is 6
    weights["weight_hr_l0"] = np.zeros((2, 3)).tolist()
    example = spec.from_mapping({"weights": weights, "x": [0.1, 0.2]})
    assert (example.config.kind, example.config.proj_size) == ("lstm", 2)


@pytest.mark.parametrize(("kind", "blocks"), [("gru", 3), ("rnn", 1)])
def test_cell_module_keys_are_the_one_layer_network(kind: str, blocks: int) -> None:
    weights = {k.removesuffix("_l0"): v for k, v in _weights(blocks, 2, 3).items()}
    example = spec.from_mapping({"weights": weights, "x": [0.1, 0.2]})
    assert example.config.kind == kind and example.config.num_layers == 1
    assert dict(example.weight_names) == {k + "_l0": k for k in weights}


def test_config_sections_as_torch_writes_them() -> None:
    gru = spec.from_mapping(_example(3, gru={"batch_first": True})).config.as_dict()
    assert "proj_size" not in gru and "nonlinearity" not in gru and gru["batch_first"]
    rnn = spec.from_mapping(_example(1, rnn={"nonlinearity": "relu"})).config.as_dict()
    assert rnn["nonlinearity"] == "relu" and "proj_size" not in rnn
    assert "proj_size" in spec.from_mapping(_example(4)).config.as_dict()


def _write(tmp_path: Path, data: dict[str, Any], extra: str = "") -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) + extra, encoding="utf-8")
    return path


def _line(path: Path, marker: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(marker)].count("\n") + 1


def _ten_rows() -> dict[str, Any]:
    """A GRU's weights (hidden 3) with one row too many in weight_ih_l0."""
    weights = _weights(3, 2, 3)
    weights["weight_ih_l0"].append([0.1, 0.2])
    return weights


@pytest.mark.parametrize(
    ("data", "extra", "marker", "message"),
    [
        (
            _example(3, h0=[0.1, 0.2, 0.3]),
            "c0: [0.1, 0.2, 0.3]\n",
            "c0:",
            "c0: nn.GRU has no cell state c, so expected no c0 (only h0, the initial hidden "
            "state), found a list of 3",
        ),
        (_example(1), "c0: [[0.1, 0.2, 0.3]]\n", "c0:", "c0: nn.RNN has no cell state c"),
        (
            {"gru": {"hidden_size": 3}, "weights": _ten_rows(), "x": [0.1, 0.2]},
            "",
            "weight_ih_l0:",
            "weights.weight_ih_l0: expected 3 x hidden_size rows = 9 (gate blocks r, z, n of "
            "nn.GRU), got 10, not a multiple of 3",
        ),
        (
            {"gru": {"hidden_size": 4}, "weights": _weights(3, 2, 3), "x": [0.1, 0.2]},
            "",
            "hidden_size:",
            "gru.hidden_size: is 4, but the weights imply 3 (rows of weight_ih_l0 / 3)",
        ),
        (
            {"rnn": {"proj_size": 1}, "weights": _weights(1, 2, 3), "x": [0.1, 0.2]},
            "",
            "proj_size:",
            "rnn.proj_size: unknown key 'proj_size' (proj_size is nn.LSTM's only",
        ),
        (
            {"gru": {"nonlinearity": "relu"}, "weights": _weights(3, 2, 3), "x": [0.1, 0.2]},
            "",
            "nonlinearity:",
            "gru.nonlinearity: unknown key 'nonlinearity' (nonlinearity, tanh or relu, is "
            "nn.RNN's only",
        ),
        (
            {"rnn": {"nonlinearity": "sigmoid"}, "weights": _weights(1, 2, 3), "x": [0.1]},
            "",
            "nonlinearity:",
            "rnn.nonlinearity: expected tanh or relu, found the text 'sigmoid'",
        ),
        (
            {"lstm": {}, "gru": {}, "weights": _weights(3, 2, 3), "x": [0.1, 0.2]},
            "",
            "gru:",
            "gru: expected at most one of lstm:, gru:, rnn: (the kind of network), found lstm: "
            "and gru:",
        ),
        (
            {
                "gru": {},
                "weights": _weights(3, 2, 3, weight_hr_l0=[[0.1, 0.2, 0.3]]),
                "x": [0.1, 0.2],
            },
            "",
            "weight_hr_l0:",
            "weights.weight_hr_l0: not a weight of this GRU",
        ),
    ],
    ids=[
        "c0-for-a-gru",
        "c0-for-an-rnn",
        "rows-not-a-multiple",
        "hidden-size-disagrees",
        "proj-size-for-an-rnn",
        "nonlinearity-for-a-gru",
        "unknown-nonlinearity",
        "two-sections",
        "projection-for-a-gru",
    ],
)
def test_bad_gru_and_rnn_input_exits_2_naming_file_line_and_field(
    tmp_path: Path, data: dict[str, Any], extra: str, marker: str, message: str
) -> None:
    path = _write(tmp_path, data, extra)
    result = run_cli("check", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"bad.yaml:{_line(path, marker)}: {message}" in result.output, result.output


@pytest.mark.parametrize(
    ("cell", "blocks", "quantities", "activations"),
    [
        (cells.LSTM, 4, model.QUANTITIES, ("sigmoid", "sigmoid", "tanh", "sigmoid")),
        (cells.GRU, 3, ("ih", "hh", "pre", "r", "z", "n", "h"), ("sigmoid", "sigmoid", "tanh")),
        (cells.RNN_TANH, 1, ("ih", "hh", "pre", "h"), ("tanh",)),
        (cells.RNN_RELU, 1, ("ih", "hh", "pre", "h"), ("relu",)),
    ],
)
def test_cell_descriptions(
    cell: cells.Cell, blocks: int, quantities: tuple[str, ...], activations: tuple[str, ...]
) -> None:
    assert cell.blocks == blocks
    assert cell.quantities == quantities
    assert tuple(cell.activation(k) for k in cell.gate_names) == activations
    assert cell.has_c == cell.can_project == (cell.kind == "lstm")
    assert cells.LSTM.gate_names == model.GATES


@pytest.mark.parametrize(
    ("rows", "cols", "kind"), [(16, 4, "lstm"), (9, 3, "gru"), (5, 5, "rnn"), (8, 3, None)]
)
def test_kind_from_the_ratio_of_weight_hh(rows: int, cols: int, kind: str | None) -> None:
    assert cells.kind_from_ratio(rows, cols) == kind
