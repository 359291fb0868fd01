"""Keras and ONNX models: built and run in their own framework, imported, and compared.

Keras runs on its torch backend (no TensorFlow needed); ONNX models are exported from
torch (``torch.onnx.export(..., dynamo=False)``) and run with onnxruntime. In each test
the framework's own output and final hidden state are the reference for lstm-tex's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from lstm_tex.validate import spec
from tests.conftest import run_cli

T, INPUT = 3, 3
X = np.round(np.linspace(-0.9, 0.8, T * INPUT).reshape(T, INPUT), 2)


def _import_and_render(model: Path, tmp_path: Path, *flags: str) -> tuple[str, dict[str, Any]]:
    yaml = tmp_path / "imported.yaml"
    result = run_cli("import", model, "-o", yaml, "--x", json.dumps(X.tolist()), *flags)
    assert result.exit_code == 0, result.output
    rendered = run_cli("render", yaml, "--out", tmp_path / "out")
    assert rendered.exit_code == 0, rendered.output
    values = json.loads((tmp_path / "out" / "imported" / "values.json").read_text())
    assert values["check"]["passed"]
    return yaml.read_text(), values


# ---------------------------------------------------------------- Keras


@pytest.fixture(scope="module")
def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    module = pytest.importorskip("keras")
    if module.backend.backend() != "torch":
        pytest.skip(f"Keras runs on {module.backend.backend()}, not torch")
    return module


def _keras_model(keras: Any, bidirectional: bool = False) -> tuple[Any, Any, Any, Any]:
    """Two LSTM layers, each returning its sequence and final states; the weights seeded."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((T, INPUT))
    encoder = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="encoder")
    if bidirectional:
        encoder = keras.layers.Bidirectional(encoder, name="both")
        out, h_fwd, _, h_rev, _ = encoder(inputs)
        h: Any = [h_fwd, h_rev]
    else:
        out, h, _ = encoder(inputs)
    decoder = keras.layers.LSTM(2, name="decoder")(out)
    model = keras.Model(inputs, [out, *(h if isinstance(h, list) else [h]), decoder])
    results = model.predict(X[None].astype(np.float32), verbose=0)
    return model, results[0][0], [r[0] for r in results[1:-1]], results[-1][0]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_layer_chosen_by_name_matches_keras(keras: Any, tmp_path: Path, suffix: str) -> None:
    model, output, (h_n,), _ = _keras_model(keras)
    saved = tmp_path / f"model{suffix}"
    model.save(saved)
    several = run_cli("import", saved, "-o", tmp_path / "x.yaml")
    assert several.exit_code == 2
    assert "'encoder'" in several.output and "'decoder'" in several.output
    text, values = _import_and_render(saved, tmp_path, "--prefix", "encoder")
    assert "bias: single" in text and "layer 'encoder'" in text
    assert values["lstm"]["bias"] == "single"
    np.testing.assert_allclose(values["output"], output, atol=2e-6)
    np.testing.assert_allclose(values["h_n"], [h_n], atol=2e-6)


def test_keras_bidirectional_and_a_reference(keras: Any, tmp_path: Path) -> None:
    model, output, (h_fwd, h_rev), _ = _keras_model(keras, bidirectional=True)
    saved = tmp_path / "bi.keras"
    model.save(saved)
    text, values = _import_and_render(saved, tmp_path, "--prefix", "both", "--weights", "reference")
    assert "file: bi.keras" in text and "prefix: both" in text
    np.testing.assert_allclose(values["output"], output, atol=2e-6)
    np.testing.assert_allclose(values["h_n"], [h_fwd, h_rev], atol=2e-6)
    # Written by hand, a reference needs no lstm: section: Keras's one bias is implied.
    (tmp_path / "hand.yaml").write_text(
        f"weights: {{file: bi.keras, prefix: both}}\nx: {json.dumps(X.tolist())}\n"
    )
    by_hand = spec.load(tmp_path / "hand.yaml")
    assert by_hand.config.bias == "single" and by_hand.config.bidirectional


def test_keras_other_activations_are_refused(keras: Any, tmp_path: Path) -> None:
    inputs = keras.Input((T, INPUT))
    model = keras.Model(
        inputs, keras.layers.LSTM(2, recurrent_activation="hard_sigmoid", name="hard")(inputs)
    )
    model.save(tmp_path / "hard.keras")
    result = run_cli("import", tmp_path / "hard.keras", "-o", tmp_path / "h.yaml")
    assert result.exit_code == 2
    assert "hard.keras" in result.output and "layer 'hard'" in result.output
    assert "recurrent_activation is hard_sigmoid" in result.output


# ---------------------------------------------------------------- ONNX


def _export(lstm: torch.nn.LSTM, path: Path) -> None:
    torch.onnx.export(
        lstm,
        (torch.tensor(X, dtype=torch.float32)[:, None],),
        path,
        input_names=["x"],
        output_names=["y", "h_n", "c_n"],
        dynamo=False,
    )


def _onnxruntime(path: Path) -> list[np.ndarray]:
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    result: list[np.ndarray] = session.run(None, {"x": X[:, None].astype(np.float32)})
    return result


@pytest.mark.parametrize("bidirectional", [False, True])
def test_onnx_lstm_node_matches_onnxruntime(tmp_path: Path, bidirectional: bool) -> None:
    pytest.importorskip("onnx")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(INPUT, 4, bidirectional=bidirectional)
    saved = tmp_path / "lstm.onnx"
    _export(lstm, saved)
    y, h_n, _ = _onnxruntime(saved)
    text, values = _import_and_render(saved, tmp_path)
    assert "ONNX LSTM node" in text and values["lstm"]["bidirectional"] is bidirectional
    np.testing.assert_allclose(values["output"], y[:, 0], atol=2e-6)  # torch's (T, 1, D*H)
    np.testing.assert_allclose(values["h_n"], h_n[:, 0], atol=2e-6)
    # The weights read back are torch's own: the gate blocks reordered from i, o, f, c.
    imported = spec.load(tmp_path / "imported.yaml")
    for name, saved in lstm.state_dict().items():
        np.testing.assert_array_equal(imported.weights[name].astype(np.float32), saved.numpy())


def test_onnx_nodes_chosen_by_name(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(INPUT, 4, num_layers=2)
    saved = tmp_path / "two.onnx"
    _export(lstm, saved)
    several = run_cli("import", saved, "-o", tmp_path / "x.yaml")
    assert several.exit_code == 2 and "2 ONNX LSTM nodes" in several.output
    nodes = [n for n in several.output.split("nodes: ", 1)[1].split(";")[0].split(", ")]
    first = nodes[0].strip("'")
    _, values = _import_and_render(saved, tmp_path, "--prefix", first)
    layer0 = torch.nn.LSTM(INPUT, 4).double()
    layer0.load_state_dict(
        {k: v.double() for k, v in lstm.state_dict().items() if k.endswith("_l0")}
    )
    with torch.no_grad():
        output, (h_n, _) = layer0(torch.tensor(X))
    np.testing.assert_allclose(values["output"], output.numpy(), atol=1e-7)
    np.testing.assert_allclose(values["h_n"], h_n.numpy(), atol=1e-7)


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("clip", 1.0, "clip is 1.0: torch.nn.LSTM does not clip"),
        ("input_forget", 1, "input_forget is 1"),
        ("direction", b"reverse", "direction is reverse"),
    ],
)
def test_onnx_nodes_torch_cannot_compute_are_refused(
    tmp_path: Path, attribute: str, value: Any, message: str
) -> None:
    onnx = pytest.importorskip("onnx")
    saved = tmp_path / "lstm.onnx"
    _export(torch.nn.LSTM(INPUT, 2), saved)
    model = onnx.load(str(saved))
    node = next(n for n in model.graph.node if n.op_type == "LSTM")
    kept = [a for a in node.attribute if a.name != attribute]
    del node.attribute[:]
    node.attribute.extend([*kept, onnx.helper.make_attribute(attribute, value)])
    onnx.save(model, str(tmp_path / "changed.onnx"))
    result = run_cli("import", tmp_path / "changed.onnx", "-o", tmp_path / "c.yaml")
    assert result.exit_code == 2, result.output
    assert "changed.onnx" in result.output and "node '" in result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("suffix", "package"), [(".keras", "keras"), (".onnx", "onnx"), (".safetensors", "safetensors")]
)
def test_a_missing_package_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, package: str
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, package, None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, f"{package}.numpy", None)
    model = tmp_path / f"model{suffix}"
    model.write_bytes(b"not read")
    result = run_cli("import", model, "-o", tmp_path / "m.yaml")
    assert result.exit_code == 2, result.output
    assert f"pip install {package}" in result.output and f"model{suffix}" in result.output
