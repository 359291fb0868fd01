"""Weights from a checkpoint file (SPEC.md): references, any size, PyTorch, safetensors, .npz.

Each model is built in torch, saved as a user saves it, imported or referenced, and the
render's output and h_n are compared with the module's own forward pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import lstm_tex
from lstm_tex import InputError
from lstm_tex.commands import importer
from lstm_tex.validate import spec
from tests.conftest import run_cli

X = [[0.5, -0.2, 0.1], [0.1, 0.3, -0.4]]


def _lstm(seed: int, *args: Any, **kwargs: Any) -> torch.nn.LSTM:
    torch.manual_seed(seed)
    return torch.nn.LSTM(*args, **kwargs)


def _render(yaml: Path, out: Path) -> dict[str, Any]:
    result = run_cli("render", yaml, "--out", out)
    assert result.exit_code == 0, result.output
    values: dict[str, Any] = json.loads((out / yaml.stem / "values.json").read_text())
    return values


def _expect_forward(
    values: dict[str, Any], lstm: torch.nn.LSTM, x: list[Any], atol: float = 1e-12
) -> None:
    """The render's output and h_n are torch's (float64 of the saved weights): exactly
    for weights read from the file, within ``atol`` for decimals written by import."""
    with torch.no_grad():
        output, (h_n, _) = lstm.double()(torch.tensor(x, dtype=torch.float64))
    np.testing.assert_allclose(values["output"], output.numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(values["h_n"], h_n.numpy(), rtol=0, atol=atol)
    assert values["check"]["passed"]


# ---------------------------------------------------------------- references


@pytest.mark.parametrize("form", ["name", "file-and-prefix"])
def test_reference_relative_to_the_example_file(tmp_path: Path, form: str) -> None:
    lstm = _lstm(0, 3, 4, num_layers=2)
    (tmp_path / "models").mkdir()
    if form == "name":
        torch.save(lstm.state_dict(), tmp_path / "models" / "lstm.pt")
        weights: Any = "models/lstm.pt"
    else:
        state = {f"encoder.lstm.{k}": v for k, v in lstm.state_dict().items()}
        state["encoder.embed.weight"] = torch.zeros(3, 3)
        torch.save({"epoch": 3, "model_state_dict": state}, tmp_path / "models" / "lstm.pt")
        weights = {"file": "models/lstm.pt", "prefix": "encoder.lstm."}
    yaml = tmp_path / "ref.yaml"
    yaml.write_text(json.dumps({"weights": weights, "x": X}))
    values = _render(yaml, tmp_path / "out")
    _expect_forward(values, lstm, X)
    assert values["weights_file"].endswith("lstm.pt")


def test_reference_to_safetensors_and_npz_without_torch(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    lstm = _lstm(1, 3, 2, bidirectional=True)
    save_file(lstm.state_dict(), tmp_path / "m.safetensors")
    np.savez(tmp_path / "m.npz", **{k: v.numpy() for k, v in lstm.state_dict().items()})
    for name in ("m.safetensors", "m.npz"):
        yaml = tmp_path / f"{Path(name).suffix[1:]}.yaml"
        yaml.write_text(json.dumps({"weights": name, "x": X}))
        _expect_forward(_render(yaml, tmp_path / "out"), lstm, X)
    # Reading them needs no torch: a fresh interpreter, --no-check.
    import subprocess
    import sys

    code = (
        "import sys, lstm_tex; ex = lstm_tex.load(sys.argv[1]); ex.compute(); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    for name in ("safetensors.yaml", "npz.yaml"):
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("weights", "fragments"),
    [
        ("missing.pt", ("weights", "missing.pt", "no such file")),
        ({"file": "m.pt", "prefix": "decoder."}, ("weights.file", "m.pt", "'decoder.'", "'enc.'")),
        ({"file": "m.pt", "prefx": "enc."}, ("weights.prefx", "did you mean 'prefix'")),
        ({"file": "m.pt", "prefix": "enc.", "lstm": {"hidden_size": 5}}, ("hidden_size",)),
    ],
)
def test_reference_errors_name_the_file_and_the_key(
    tmp_path: Path, weights: Any, fragments: tuple[str, ...]
) -> None:
    torch.save({f"enc.{k}": v for k, v in _lstm(2, 3, 4).state_dict().items()}, tmp_path / "m.pt")
    data: dict[str, Any] = {"weights": weights, "x": X}
    if isinstance(weights, dict) and "lstm" in weights:
        data["lstm"] = weights.pop("lstm")
    yaml = tmp_path / "bad.yaml"
    yaml.write_text(json.dumps(data))
    result = run_cli("render", yaml, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "bad.yaml" in result.output and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_a_wrong_shape_in_the_checkpoint_names_its_key(tmp_path: Path) -> None:
    state = _lstm(2, 3, 4).state_dict()
    state["weight_hh_l0"] = torch.zeros(16, 3)
    torch.save({f"enc.{k}": v for k, v in state.items()}, tmp_path / "m.pt")
    yaml = tmp_path / "bad.yaml"
    yaml.write_text(json.dumps({"weights": "m.pt", "x": X}))
    with pytest.raises(InputError) as caught:
        spec.load(yaml)
    assert "weight_hh_l0" in str(caught.value) and "'enc.weight_hh_l0'" in str(caught.value)
    assert "m.pt" in str(caught.value) and "got 3" in str(caught.value)


# ---------------------------------------------------------------- any size


def test_import_writes_a_reference_beyond_the_inline_limit(tmp_path: Path) -> None:
    lstm = _lstm(3, 64, 128)  # 99,328 numbers, a 400 KB state_dict
    saved = tmp_path / "models" / "sentiment.pt"
    saved.parent.mkdir()
    torch.save({"state_dict": {f"rnn.{k}": v for k, v in lstm.state_dict().items()}}, saved)
    yaml = tmp_path / "examples" / "sentiment.yaml"
    yaml.parent.mkdir()
    x = np.round(np.linspace(-1, 1, 2 * 64).reshape(2, 64), 3).tolist()
    result = run_cli("import", saved, "-o", yaml, "--x", json.dumps(x))
    assert result.exit_code == 0, result.output
    text = yaml.read_text()
    assert 'file: "../models/sentiment.pt"' in text and "prefix: rnn." in text
    assert len(text) < 10_000 and "99328 numbers" in text
    _expect_forward(_render(yaml, tmp_path / "out"), lstm, x)
    small = _lstm(4, 2, 3)
    torch.save(small.state_dict(), tmp_path / "small.pt")
    assert run_cli("import", tmp_path / "small.pt", "-o", tmp_path / "small.yaml").exit_code == 0
    assert "weight_ih_l0: [[" in (tmp_path / "small.yaml").read_text()
    forced = run_cli(
        "import", tmp_path / "small.pt", "-o", tmp_path / "ref.yaml", "--weights", "reference"
    )
    assert forced.exit_code == 0 and "weights: small.pt" in (tmp_path / "ref.yaml").read_text()
    rounded = run_cli("import", saved, "-o", tmp_path / "r.yaml", "--decimals", "2")
    assert rounded.exit_code == 2 and "--weights inline" in rounded.output


def test_api_takes_arrays_of_any_size() -> None:
    lstm = _lstm(5, 20, 100)  # the sequence notebook's size: 48,800 numbers
    x = torch.randn(4, 20)
    example = lstm_tex.Example(weights=lstm.state_dict(), x=x)
    assert example.check().passed
    with torch.no_grad():
        output, _ = lstm.double()(x.double())
    np.testing.assert_allclose(example.compute().output[:, 0], output.numpy(), atol=1e-12)
    weights = {k: v.numpy().copy() for k, v in lstm.state_dict().items()}
    weights["bias_hh_l0"][3] = np.nan
    with pytest.raises(InputError) as caught:
        lstm_tex.Example(weights=weights, x=x.numpy())
    assert caught.value.field == "weights.bias_hh_l0[3]"


def test_importer_inline_limit_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"{importer.INLINE_LIMIT:,}" in readme


# ---------------------------------------------------------------- half precision


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_shortest_decimals(tmp_path: Path, dtype: torch.dtype) -> None:
    lstm = _lstm(6, 3, 4)
    state = {k: v.to(dtype) for k, v in lstm.state_dict().items()}
    state["bias_ih_l0"][0] = 0.02
    torch.save(state, tmp_path / "half.pt")
    yaml = tmp_path / "half.yaml"
    assert run_cli("import", tmp_path / "half.pt", "-o", yaml).exit_code == 0
    text = yaml.read_text()
    name = str(dtype).removeprefix("torch.")
    assert f"The {name} weights" in text and f"same {name} values" in text
    weights = text.split("\nweights:", 1)[1].split("\nx:", 1)[0]
    assert "bias_ih_l0: [0.02," in weights.replace("\n", " ")
    example = spec.load(yaml)
    for key, saved in state.items():
        written = torch.tensor(example.weights[key], dtype=torch.float64)
        assert torch.equal(written.to(dtype), saved), key  # the same saved values back
    # ... and no shorter decimals would do: one digit fewer changes some value.
    for value in re.findall(r"-?\d+\.\d+", weights):
        digits = len(value.lstrip("-").replace(".", "").lstrip("0"))
        if digits > 1:
            shorter = float(f"{float(value):.{digits - 1}g}")
            assert torch.tensor(shorter).to(dtype) != torch.tensor(float(value)).to(dtype), value


def test_bfloat16_safetensors_reference_reads_the_saved_values(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    lstm = _lstm(9, 3, 2)
    state = {k: v.to(torch.bfloat16) for k, v in lstm.state_dict().items()}
    save_file(state, tmp_path / "bf16.safetensors")
    yaml = tmp_path / "bf16.yaml"
    yaml.write_text(json.dumps({"weights": "bf16.safetensors", "x": X}))
    example = spec.load(yaml)
    for key, saved in state.items():
        np.testing.assert_array_equal(example.weights[key], saved.double().numpy())


# ---------------------------------------------------------------- AWD-LSTM, quantized


@pytest.mark.parametrize("style", ["salesforce", "fastai"])
def test_weight_drop_raw_keys_are_used_with_a_note(tmp_path: Path, style: str) -> None:
    lstm = _lstm(7, 3, 4)
    state = dict(lstm.state_dict())
    raw = state.pop("weight_hh_l0")
    if style == "salesforce":  # WeightDrop: the raw weight beside the others
        saved = {f"rnns.0.module.{k}": v for k, v in state.items()}
        saved["rnns.0.module.weight_hh_l0_raw"] = raw
    else:  # fastai's WeightDropout: raw one level up, a dropped copy inside
        saved = {f"0.rnns.0.module.{k}": v for k, v in state.items()}
        saved["0.rnns.0.weight_hh_l0_raw"] = raw
        saved["0.rnns.0.module.weight_hh_l0"] = torch.zeros_like(raw)
    torch.save(saved, tmp_path / "awd.pt")
    yaml = tmp_path / "awd.yaml"
    result = run_cli("import", tmp_path / "awd.pt", "-o", yaml, "--x", json.dumps(X))
    assert result.exit_code == 0, result.output
    assert "weight_hh_l0_raw" in result.output and "WeightDrop" in yaml.read_text()
    _expect_forward(_render(yaml, tmp_path / "out"), lstm, X, atol=1e-7)


def test_quantized_lstms(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torch.nn.Sequential(_lstm(8, 3, 4))
        quantized = torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.LSTM}, dtype=torch.qint8
        )
        torch.save(quantized.state_dict(), tmp_path / "packed.pt")
        lstm = quantized[0]
        torch.save({**lstm.get_weight(), **lstm.get_bias()}, tmp_path / "q.pt")
        dequantized = torch.nn.LSTM(3, 4)
        dequantized.load_state_dict(
            {k: v.dequantize() for k, v in {**lstm.get_weight(), **lstm.get_bias()}.items()}
        )
    packed = run_cli("import", tmp_path / "packed.pt", "-o", tmp_path / "p.yaml")
    assert packed.exit_code == 2 and "packed.pt" in packed.output
    assert "dynamically quantized" in packed.output and "get_weight()" in packed.output
    yaml = tmp_path / "q.yaml"
    result = run_cli("import", tmp_path / "q.pt", "-o", yaml, "--x", json.dumps(X))
    assert result.exit_code == 0, result.output
    assert "weight_ih_l0 is quantized (qint8)" in result.output
    _expect_forward(_render(yaml, tmp_path / "out"), dequantized, X, atol=1e-7)


@pytest.mark.parametrize(
    ("state", "fragments"),
    [
        (
            {"lstm.weight_ih_l0": torch.zeros(8, 2, dtype=torch.int64)},
            ("lstm.weight_ih_l0:", "floating-point", "int64"),
        ),
        ({"lstm.weight_ih_l0": torch.zeros(8, 2, device="meta")}, ("lstm.weight_ih_l0:", "meta")),
        ({"lstm.weight_ih_l0": torch.zeros(8, 2).to_sparse()}, ("lstm.weight_ih_l0:", "sparse")),
    ],
)
def test_bad_tensors_name_the_file_and_key(
    tmp_path: Path, state: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    state = {**state, "lstm.weight_hh_l0": torch.zeros(8, 2)}
    torch.save(state, tmp_path / "bad.pt")
    result = run_cli("import", tmp_path / "bad.pt", "-o", tmp_path / "bad.yaml")
    assert result.exit_code == 2 and "bad.pt" in result.output, result.output
    for fragment in fragments:
        assert fragment in result.output


def test_import_of_an_lstm_cell_and_batch_first(tmp_path: Path) -> None:
    torch.manual_seed(10)
    cell = torch.nn.LSTMCell(3, 2)
    torch.save({"decoder.cell." + k: v for k, v in cell.state_dict().items()}, tmp_path / "cell.pt")
    yaml = tmp_path / "cell.yaml"
    x = [[[0.5, -0.2, 0.1]], [[0.1, 0.3, -0.4]]]  # (batch 2, T 1, input 3)
    result = run_cli(
        "import", tmp_path / "cell.pt", "-o", yaml, "--batch-first", "--x", json.dumps(x)
    )
    assert result.exit_code == 0, result.output
    text = yaml.read_text()
    assert "nn.LSTMCell at key prefix 'decoder.cell.'" in text and "  weight_ih: [[" in text
    assert "batch_first: true" in text
    values = _render(yaml, tmp_path / "out")
    with torch.no_grad():
        h, _ = cell.double()(torch.tensor(x, dtype=torch.float64)[:, 0])
    np.testing.assert_allclose(values["h_n"], [h.numpy()], rtol=0, atol=1e-7)
    assert np.shape(values["output"]) == (2, 1, 2)  # (batch, T, hidden): batch_first
