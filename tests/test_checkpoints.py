"""Weights from a checkpoint file (SPEC.md): references, any size, PyTorch, safetensors, .npz.

Each model is built in torch, saved as a user saves it, imported or referenced, and the
render's output and h_n are compared with the module's own forward pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import lstm_tex
from lstm_tex import InputError, importer, spec
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


def _expect_forward(values: dict[str, Any], lstm: torch.nn.LSTM, x: list[Any]) -> None:
    with torch.no_grad():
        output, (h_n, _) = lstm.double()(torch.tensor(x, dtype=torch.float64))
    np.testing.assert_allclose(values["output"], output.numpy(), atol=1e-12)
    np.testing.assert_allclose(values["h_n"], h_n.numpy(), atol=1e-12)
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

    code = ("import sys, lstm_tex; ex = lstm_tex.load(sys.argv[1]); ex.compute(); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    for name in ("safetensors.yaml", "npz.yaml"):
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path / name)],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("weights", "fragments"), [
    ("missing.pt", ("weights", "missing.pt", "no such file")),
    ({"file": "m.pt", "prefix": "decoder."}, ("weights.file", "m.pt", "'decoder.'", "'enc.'")),
    ({"file": "m.pt", "prefx": "enc."}, ("weights.prefx", "did you mean 'prefix'")),
    ({"file": "m.pt", "prefix": "enc.", "lstm": {"hidden_size": 5}}, ("hidden_size",)),
])
def test_reference_errors_name_the_file_and_the_key(tmp_path: Path, weights: Any,
                                                    fragments: tuple[str, ...]) -> None:
    torch.save({f"enc.{k}": v for k, v in _lstm(2, 3, 4).state_dict().items()},
               tmp_path / "m.pt")
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
    forced = run_cli("import", tmp_path / "small.pt", "-o", tmp_path / "ref.yaml",
                     "--weights", "reference")
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
