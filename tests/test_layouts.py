"""batch_first, one bias per gate (``bias: single``) and nn.LSTMCell's key names (SPEC.md).

Each is compared with torch built the way a user builds it: ``nn.LSTM(batch_first=True)``,
``nn.LSTM`` with ``bias_hh`` fixed at zero and not trained, and ``nn.LSTMCell``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from lstm_tex import InputError, pipeline
from lstm_tex.validate import spec
from tests.conftest import compile_tex, run_cli


def _render(tmp_path: Path, data: dict[str, Any], *flags: str) -> dict[str, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "ex.yaml"
    path.write_text(json.dumps(data))
    result = run_cli("render", path, "--out", tmp_path / "out", *flags)
    assert result.exit_code == 0, result.output
    values: dict[str, Any] = json.loads((tmp_path / "out" / "ex" / "values.json").read_text())
    return values


# ---------------------------------------------------------------- batch_first


def test_batch_first_reads_x_and_writes_output_as_torch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 2, num_layers=2, batch_first=True).double()
    x = torch.randn(4, 5, 3, dtype=torch.float64)  # (batch 4, T 5, input 3)
    h0 = torch.randn(2, 4, 2, dtype=torch.float64)
    target = torch.randn(4, 5, 2, dtype=torch.float64)
    data = {
        "lstm": {"batch_first": True},
        "weights": {k: v.tolist() for k, v in lstm.state_dict().items()},
        "x": x.tolist(),
        "h0": h0.tolist(),
        "backward": {"target": target.tolist(), "lr": 0.1},
    }
    values = _render(tmp_path, data)
    output, (h_n, _) = lstm(x, (h0, torch.zeros(2, 4, 2, dtype=torch.float64)))
    assert values["lstm"]["batch_first"] is True
    np.testing.assert_allclose(values["output"], output.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(values["h_n"], h_n.detach().numpy(), atol=1e-12)
    assert values["check"]["passed"] and values["backward"]["check"]["passed"]
    loss = torch.nn.functional.mse_loss(output, target)
    loss.backward()
    assert values["backward"]["loss"] == pytest.approx(loss.item(), abs=1e-12)
    np.testing.assert_allclose(
        values["backward"]["grads"]["weight_ih_l0"], lstm.weight_ih_l0.grad.numpy(), atol=1e-12
    )


def test_batch_first_shape_errors_name_the_layout() -> None:
    data = {
        "lstm": {"batch_first": True},
        "weights": {k: v.tolist() for k, v in torch.nn.LSTM(3, 2).state_dict().items()},
        "x": np.zeros((4, 5, 2)).tolist(),
    }
    with pytest.raises(InputError) as caught:
        spec.from_mapping(data)
    assert caught.value.field == "x" and "(batch, T, 3)" in caught.value.message
    data["x"] = np.zeros((4, 5, 3)).tolist()
    data["backward"] = {"target": np.zeros((5, 4, 2)).tolist()}
    with pytest.raises(InputError) as caught:
        spec.from_mapping(data)
    assert "(4, 5, 2)" in caught.value.message


def test_batch_first_does_not_change_an_unbatched_sequence() -> None:
    weights = {k: v.tolist() for k, v in torch.nn.LSTM(2, 3).state_dict().items()}
    x = [[0.5, 0.1], [0.2, -0.3]]
    plain = pipeline.compute(spec.from_mapping({"weights": weights, "x": x}))
    first = pipeline.compute(
        spec.from_mapping({"lstm": {"batch_first": True}, "weights": weights, "x": x})
    )
    np.testing.assert_array_equal(plain.output, first.output)


# ---------------------------------------------------------------- bias: single


#: Two steps with one bias per gate: the well-known numerical BPTT example (hidden 1).
TWO_STEPS = {
    "lstm": {"bias": "single"},
    "weights": {
        "weight_ih_l0": [[0.95, 0.8], [0.7, 0.45], [0.45, 0.25], [0.6, 0.4]],
        "weight_hh_l0": [[0.8], [0.1], [0.15], [0.25]],
        "bias_ih_l0": [0.65, 0.15, 0.2, 0.1],
    },
    "x": [[1.0, 2.0], [0.5, 3.0]],
    "backward": {"target": [[0.5], [1.25]], "loss": "sse", "lr": 0.1},
}


def test_single_bias_moves_once_as_in_the_source(tmp_path: Path) -> None:
    values = _render(tmp_path, TWO_STEPS)
    backward = values["backward"]
    assert values["lstm"]["bias"] == "single"
    np.testing.assert_allclose(values["output"], [[0.53631340], [0.77198111]], atol=5e-9)
    assert backward["loss"] == pytest.approx(0.11491036, abs=5e-9)
    # One bias, moved once: the source's loss after the step (with bias_ih = b and a
    # trained bias_hh = 0 it would be 0.1104954).
    assert backward["sgd"]["loss_after"] == pytest.approx(0.1108808, abs=5e-8)
    assert set(backward["grads"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "h0", "c0"}
    assert set(backward["sgd"]["weights"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0"}
    assert values["check"]["passed"] and backward["check"]["passed"]


def test_single_bias_against_torch_with_a_frozen_zero_bias_hh(tmp_path: Path) -> None:
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_hh"):
                p.zero_()
                p.requires_grad_(False)
    x = torch.randn(3, 2, dtype=torch.float64)
    target = torch.randn(3, 6, dtype=torch.float64)
    weights = {k: v.tolist() for k, v in lstm.state_dict().items() if not k.startswith("bias_hh")}
    values = _render(
        tmp_path,
        {
            "lstm": {"bias": "single"},
            "weights": weights,
            "x": x.tolist(),
            "backward": {"target": target.tolist(), "lr": 0.5},
        },
        "--notation",
        "textbook",
    )
    output, _ = lstm(x)
    np.testing.assert_allclose(values["output"], output.detach().numpy(), atol=1e-12)
    torch.nn.functional.mse_loss(output, target).backward()
    for name, p in lstm.named_parameters():
        if p.requires_grad:
            np.testing.assert_allclose(
                values["backward"]["grads"][name], p.grad.numpy(), atol=1e-12, err_msg=name
            )
    assert not any(k.startswith("bias_hh") for k in values["backward"]["grads"])
    # Every step's ih holds the bias, hh none: hh = W_hh h only.
    step = values["steps"][0]
    w_hh = np.array(weights["weight_hh_l0"])[:3]
    np.testing.assert_allclose(step["gates"]["i"]["hh"], w_hh @ np.zeros(3), atol=0)


def test_single_bias_documents_show_one_bias_per_gate(tmp_path: Path) -> None:
    _render(tmp_path, TWO_STEPS, "--no-check")
    article = (tmp_path / "out" / "ex" / "ex.tex").read_text()
    assert "W_{ii} x_t + b_{i} + W_{hi} h_{t-1}\\right)" in article
    assert "b_{hi}" not in article and "b_{ii}" not in article
    assert "d}b_{i} = " in article or "b_{i} = " in article
    compiled = compile_tex(tmp_path / "out" / "ex" / "ex.tex", draft=True)
    assert compiled.ok and compiled.overfull_hbox == 0, compiled.errors


@pytest.mark.parametrize(
    ("lstm", "weights", "message"),
    [
        ({"bias": "single"}, {"bias_hh_l0": [0.0] * 4}, "bias_ih keys only"),
        ({"bias": "one"}, {}, "expected true, false or single"),
        ({}, {}, "bias: single"),
    ],
)
def test_single_bias_errors(lstm: dict[str, Any], weights: dict[str, Any], message: str) -> None:
    base = {"weight_ih_l0": [[0.1]] * 4, "weight_hh_l0": [[0.2]] * 4, "bias_ih_l0": [0.0] * 4}
    with pytest.raises(InputError) as caught:
        spec.from_mapping({"lstm": lstm, "weights": {**base, **weights}, "x": [0.5]})
    assert message in caught.value.message


# ---------------------------------------------------------------- nn.LSTMCell keys


def test_lstm_cell_keys_are_a_one_layer_network(tmp_path: Path) -> None:
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(3, 2).double()
    x = torch.randn(3, dtype=torch.float64)
    h0, c0 = torch.randn(2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    values = _render(
        tmp_path,
        {
            "weights": {k: v.tolist() for k, v in cell.state_dict().items()},
            "x": x.tolist(),
            "h0": h0.tolist(),
            "c0": c0.tolist(),
            "backward": {"target": [0.1, -0.2], "lr": 0.1},
        },
    )
    h, c = cell(x, (h0, c0))
    np.testing.assert_allclose(values["h_n"], [h.detach().numpy()], atol=1e-12)
    np.testing.assert_allclose(values["c_n"], [c.detach().numpy()], atol=1e-12)
    assert set(values["backward"]["grads"]) == {
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
        "h0",
        "c0",
    }
    assert values["check"]["passed"] and values["backward"]["check"]["passed"]


def test_lstm_cell_and_network_names_do_not_mix() -> None:
    with pytest.raises(InputError) as caught:
        spec.from_mapping(
            {"weights": {"weight_ih": [[0.1]] * 4, "weight_hh_l0": [[0.1]] * 4}, "x": [0.5]}
        )
    assert caught.value.field == "weights.weight_hh_l0" and "one kind" in caught.value.message
    with pytest.raises(InputError) as caught:
        spec.from_mapping({"weights": {"weight_ih": [[0.1]] * 4}, "x": [0.5]})
    assert caught.value.field == "weights.weight_hh"


@pytest.mark.parametrize("bias", ["single", "false"])
def test_init_writes_one_bias_or_none(tmp_path: Path, bias: str) -> None:
    path = tmp_path / "init.yaml"
    result = run_cli("init", path, "--bias", bias, "--steps", "2")
    assert result.exit_code == 0, result.output
    example = spec.load(path)
    assert example.config.bias == ("single" if bias == "single" else False)
    assert set(example.weights) == (
        {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0"}
        if bias == "single"
        else {"weight_ih_l0", "weight_hh_l0"}
    )
    assert f"--bias {bias}" in path.read_text()
    assert pipeline.check(pipeline.compute(example)).passed


def test_single_bias_in_every_notation_with_reveal_and_expand(tmp_path: Path) -> None:
    data = {**TWO_STEPS, "render": {"reveal": True, "expand": "all"}}
    for notation in ("textbook", "row-vector", "pytorch"):
        values = _render(tmp_path / notation, data, "--no-check", "--notation", notation)
        assert values["lstm"]["bias"] == "single"
        slides = (tmp_path / notation / "out" / "ex" / "ex-slides.tex").read_text()
        assert "b_{hi}" not in slides and "b_{i}" in slides
    compiled = compile_tex(tmp_path / "row-vector" / "out" / "ex" / "ex-slides.tex", draft=True)
    assert compiled.ok and compiled.overfull_hbox == 0, compiled.errors
