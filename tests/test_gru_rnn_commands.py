"""nn.GRU and nn.RNN through the commands (issue 14), end to end: ``init --cell``,
``import`` of nn.GRU / nn.RNN / nn.GRUCell / nn.RNNCell state_dicts, ``check --json``,
the Python API and values.json's layout (SPEC "nn.GRU and nn.RNN beside nn.LSTM")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import lstm_tex
from lstm_tex.check.forward import cross_check
from lstm_tex.compute import engine
from lstm_tex.output import values
from lstm_tex.validate import spec
from tests.conftest import ROOT, run_cli

# ---------------------------------------------------------------- init --cell


@pytest.mark.parametrize(
    ("args", "kind", "nonlinearity"),
    [
        (["--cell", "gru"], "gru", "tanh"),
        (["--cell", "rnn"], "rnn", "tanh"),
        (["--cell", "rnn", "--nonlinearity", "relu", "--bias", "single"], "rnn", "relu"),
    ],
)
def test_init_writes_a_checked_example_of_the_cell(
    tmp_path: Path, args: list[str], kind: str, nonlinearity: str
) -> None:
    path = tmp_path / "net.yaml"
    made = run_cli("init", path, "--steps", "3", "--layers", "2", *args)
    assert made.exit_code == 0, made.output
    assert f"next: lstm-tex render {path}" in made.output
    text = path.read_text(encoding="utf-8")
    assert text.count(f"\n{kind}:\n") == 1 and "lstm:" not in text and "c0" not in text
    assert f"--cell {kind}" in text.splitlines()[0]
    example = spec.load(path)
    assert (example.config.kind, example.config.nonlinearity) == (kind, nonlinearity)
    assert (example.config.num_layers, example.steps) == (2, 3)
    trace = engine.forward(example)
    largest = max(float(np.abs(g.pre).max()) for s in trace.steps for g in s.gates.values())
    assert largest <= 2.5  # drawn off saturation, as for the LSTM
    checked = run_cli("check", path)
    assert checked.exit_code == 0, checked.output
    again = tmp_path / "again.yaml"
    assert run_cli("init", again, "--steps", "3", "--layers", "2", *args).exit_code == 0
    assert again.read_bytes() == path.read_bytes()  # the same options, the same bytes


def test_init_refuses_a_nonlinearity_for_another_cell(tmp_path: Path) -> None:
    result = run_cli("init", tmp_path / "x.yaml", "--cell", "gru", "--nonlinearity", "relu")
    assert result.exit_code == 2
    assert "--nonlinearity: nonlinearity is nn.RNN's only" in result.output
    assert not (tmp_path / "x.yaml").exists()


# ---------------------------------------------------------------- import


def _saved(tmp_path: Path, module: torch.nn.Module, name: str, prefix: str = "") -> Path:
    torch.manual_seed(3)
    module = module.double()  # float64 weights: the example holds exactly their values
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-1, 1)
    path = tmp_path / name
    torch.save({prefix + k: v for k, v in module.state_dict().items()}, path)
    return path


@pytest.mark.parametrize(
    ("module", "extra", "kind", "label"),
    [
        (torch.nn.GRU(2, 3, num_layers=2, bidirectional=True), [], "gru", "nn.GRU"),
        (torch.nn.RNN(2, 3, nonlinearity="relu"), ["--nonlinearity", "relu"], "rnn", "nn.RNN"),
        (torch.nn.RNN(2, 3, bias=False), [], "rnn", "nn.RNN"),
        (torch.nn.GRUCell(2, 3), [], "gru", "nn.GRUCell"),
        (
            torch.nn.RNNCell(2, 3, nonlinearity="relu"),
            ["--nonlinearity", "relu"],
            "rnn",
            "nn.RNNCell",
        ),
    ],
)
def test_import_of_a_state_dict_agrees_with_the_module(
    tmp_path: Path, module: torch.nn.Module, extra: list[str], kind: str, label: str
) -> None:
    model = _saved(tmp_path, module, "model.pt", prefix="enc.")
    target = tmp_path / "imported.yaml"
    x = [[0.5, -0.2], [0.1, 0.9], [-0.7, 0.3]]
    result = run_cli(
        "import", model, "--prefix", "enc.", "-o", target, "--x", json.dumps(x), *extra
    )
    assert result.exit_code == 0, result.output
    assert f"the {label} at key prefix 'enc.'" in result.output
    example = spec.load(target)
    assert example.config.kind == kind
    assert example.c0.shape[-1] == 0 and "c0" not in target.read_text(encoding="utf-8")
    trace = engine.forward(example)
    cell = label.endswith("Cell")
    with torch.no_grad():
        xs = torch.tensor(x, dtype=torch.float64)
        if cell:
            h = torch.zeros(3, dtype=torch.float64)
            for x_t in xs:
                h = module(x_t, h)
            expected = h.numpy()
        else:
            expected = module(xs)[0][-1].numpy()
    np.testing.assert_allclose(trace.output[-1, 0], expected, rtol=0, atol=1e-10)
    assert run_cli("check", target).exit_code == 0


def test_import_refuses_c0_and_a_nonlinearity_for_a_gru(tmp_path: Path) -> None:
    model = _saved(tmp_path, torch.nn.GRU(2, 3), "gru.pt")
    out = tmp_path / "g.yaml"
    c0 = run_cli("import", model, "-o", out, "--c0", "[0, 0, 0]")
    assert c0.exit_code == 2
    assert "--c0: nn.GRU has no cell state c, so expected no c0" in c0.output
    relu = run_cli("import", model, "-o", out, "--nonlinearity", "relu")
    assert relu.exit_code == 2
    assert "--nonlinearity: nonlinearity is nn.RNN's only" in relu.output
    assert not out.exists()


# ---------------------------------------------------------------- check --json, render


@pytest.fixture(scope="module")
def gru_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gru") / "gru.yaml"
    assert run_cli("init", path, "--cell", "gru", "--steps", "2").exit_code == 0
    return path


def test_check_json_reports_a_gru(gru_file: Path) -> None:
    result = run_cli("check", gru_file, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cell"] == "gru" and report["passed"] is True
    assert set(report["errors"]) == {"ih", "hh", "pre", "r", "z", "n", "h", "output", "h_n"}
    assert report["max_abs_err"] <= 1e-10


# ---------------------------------------------------------------- API and values.json


def _api_example(kind: str, **section: Any) -> lstm_tex.Example:
    blocks = {"gru": 3, "rnn": 1}[kind]
    rng = np.random.default_rng(7)
    weights = {
        "weight_ih_l0": rng.uniform(-1, 1, (blocks * 3, 2)),
        "weight_hh_l0": rng.uniform(-1, 1, (blocks * 3, 3)),
        "bias_ih_l0": rng.uniform(-1, 1, blocks * 3),
        "bias_hh_l0": rng.uniform(-1, 1, blocks * 3),
    }
    x = torch.tensor(rng.uniform(-1, 1, (2, 4, 2)))  # (batch 2, T 4, input) batch_first
    return lstm_tex.Example(
        weights, x, name=f"{kind}.yaml", **{kind: {"batch_first": True, **section}}
    )


@pytest.mark.parametrize(("kind", "section"), [("gru", {}), ("rnn", {"nonlinearity": "relu"})])
def test_api_computes_and_checks_a_gru_or_rnn(kind: str, section: dict[str, Any]) -> None:
    example = _api_example(kind, **section)
    assert example.config.kind == kind
    trace = example.compute()
    assert trace.c_n is None and trace.output.shape == (4, 2, 3)
    assert example.check().passed
    table = trace.html()
    assert table.count("<tr>") == 1 + 4  # the head and one row per step
    assert ("<th>r</th><th>z</th><th>n</th>" in table) == (kind == "gru")
    assert "c<sub>t</sub>" not in table


def test_values_json_has_specs_gru_layout() -> None:
    trace = _api_example("gru").compute()
    doc = json.loads(json.dumps(values.build(trace, cross_check(trace))))
    assert doc["cell"] == "gru" and "lstm" not in doc and "c_n" not in doc
    assert doc["gru"] == {
        "input_size": 2,
        "hidden_size": 3,
        "num_layers": 1,
        "bias": True,
        "bidirectional": False,
        "batch_first": True,
    }
    step = doc["steps"][0]
    assert list(step) == ["layer", "direction", "t", "x", "h_prev", "gates", "h"]
    assert list(step["gates"]) == ["r", "z", "n"]
    for gate in step["gates"].values():
        assert list(gate) == ["ih", "hh", "pre", "act"]
    g = {k: {p: np.array(v) for p, v in gate.items()} for k, gate in step["gates"].items()}
    np.testing.assert_allclose(g["n"]["pre"], g["n"]["ih"] + g["r"]["act"] * g["n"]["hh"])
    h_prev, h = np.array(step["h_prev"]), np.array(step["h"])
    z, n = g["z"]["act"], g["n"]["act"]
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, rtol=0, atol=1e-15)
    assert np.array(doc["output"]).shape == (2, 4, 3)  # batch_first: (batch, T, hidden)
    assert np.array(doc["h_n"]).shape == (1, 2, 3)
    assert doc["check"]["passed"] is True


def test_values_json_has_specs_rnn_layout() -> None:
    trace = _api_example("rnn", nonlinearity="relu").compute()
    doc = values.build(trace, None)
    assert doc["cell"] == "rnn" and doc["rnn"]["nonlinearity"] == "relu"
    assert "c_n" not in doc and doc["check"] is None
    step = doc["steps"][0]
    assert list(step) == ["layer", "direction", "t", "x", "h_prev", "ih", "hh", "pre", "h"]
    pre, h = np.array(step["pre"]), np.array(step["h"])
    np.testing.assert_array_equal(h, np.maximum(pre, 0.0))
    np.testing.assert_allclose(pre, np.array(step["ih"]) + np.array(step["hh"]))


def test_values_json_of_an_lstm_keeps_c() -> None:
    example = spec.from_mapping(
        {
            "weights": {
                "weight_ih_l0": np.ones((8, 1)),
                "weight_hh_l0": np.ones((8, 2)) / 2,
            },
            "x": [0.5],
        }
    )
    doc = values.build(engine.forward(example), None)
    assert doc["cell"] == "lstm" and "c_n" in doc and "c" in doc["steps"][0]
    assert "proj_size" in doc["lstm"]


def test_computing_a_gru_and_its_values_does_not_import_torch(gru_file: Path) -> None:
    """What ``--no-check`` runs (validation, the engine, values.json) needs no torch."""
    code = (
        "import json, os, sys\n"
        "from lstm_tex import pipeline\nfrom lstm_tex.output import values\n"
        f"trace = pipeline.compute({str(gru_file)!r})\n"
        "json.dumps(values.build(trace, None))\n"
        "assert trace.example.config.kind == 'gru'\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
