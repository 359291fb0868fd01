"""``lstm-tex import``: a saved nn.LSTM becomes an example whose render matches its forward."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_tex.validate import spec
from tests.conftest import run_cli


class Encoder(torch.nn.Module):
    """A small model with an LSTM inside, as a lecturer's trained model might be."""

    def __init__(self, bidirectional: bool = False, proj_size: int = 0) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(3, 2)
        self.lstm = torch.nn.LSTM(
            2, 3, num_layers=2, bidirectional=bidirectional, proj_size=proj_size
        )
        self.head = torch.nn.Linear(3, 1)


class Pickled:
    """Not a tensor or a plain container: torch.load(weights_only=True) must refuse it."""

    def __init__(self) -> None:
        self.weights = torch.zeros(2)


X = [[0.5, -0.2], [0.1, 0.3], [-0.4, 0.25]]


def model(seed: int = 0, **kwargs: int | bool) -> Encoder:
    torch.manual_seed(seed)
    return Encoder(**kwargs)  # type: ignore[arg-type]


def do_import(*args: str | Path) -> None:
    result = run_cli("import", *args)
    assert result.exit_code == 0, result.output


def test_state_dict_round_trip_matches_the_module(tmp_path: Path, out: Path) -> None:
    net = model()
    saved = tmp_path / "encoder.pt"
    torch.save(net.state_dict(), saved)
    yaml = tmp_path / "encoder.yaml"
    do_import(saved, "-o", yaml, "--x", json.dumps(X))
    result = run_cli("render", yaml, "--out", out)
    assert result.exit_code == 0, result.output
    values = json.loads((out / "encoder" / "values.json").read_text())
    assert values["lstm"]["num_layers"] == 2 and values["check"]["passed"]
    with torch.no_grad():
        output, (h_n, c_n) = net.lstm(torch.tensor(X))
        output64, (h_n64, c_n64) = net.lstm.double()(torch.tensor(X, dtype=torch.float64))
    np.testing.assert_allclose(values["output"], output.numpy(), atol=1e-6)
    np.testing.assert_allclose(values["h_n"], h_n.numpy(), atol=1e-6)
    np.testing.assert_allclose(values["c_n"], c_n.numpy(), atol=1e-6)
    # The written decimals give back the float32 weights: float64 forward within 1e-7.
    np.testing.assert_allclose(values["output"], output64.numpy(), atol=1e-7)
    np.testing.assert_allclose(values["h_n"], h_n64.numpy(), atol=1e-7)
    np.testing.assert_allclose(values["c_n"], c_n64.numpy(), atol=1e-7)


def test_weights_read_back_as_the_saved_float32(tmp_path: Path) -> None:
    net = model(3)
    saved = tmp_path / "m.pt"
    torch.save(net.state_dict(), saved)
    do_import(saved, "-o", tmp_path / "m.yaml")
    example = spec.load(tmp_path / "m.yaml")
    for name, tensor in net.lstm.state_dict().items():
        np.testing.assert_array_equal(
            example.weights[name].astype(np.float32), tensor.numpy(), err_msg=name
        )
    assert not example.x.any() and not example.h0.any() and not example.c0.any()


def test_checkpoint_dict_prefix_decimals_and_zero_steps(tmp_path: Path) -> None:
    net = model(1)
    saved = tmp_path / "ckpt.pt"
    torch.save({"epoch": 7, "model": net.state_dict(), "optimizer": {"lr": 0.1}}, saved)
    yaml = tmp_path / "ckpt.yaml"
    do_import(saved, "-o", yaml, "--prefix", "lstm", "--decimals", "2", "--steps", "3")
    text = yaml.read_text()
    weights = text.split("\nweights:", 1)[1].split("\nx:", 1)[0]
    assert all(len(n.split(".")[1]) <= 2 for n in re.findall(r"\d+\.\d+", weights))
    example = spec.load(yaml)
    assert example.x.shape == (3, 1, 2) and not example.x.any()
    expected = net.lstm.state_dict()["weight_hh_l1"].double().numpy().round(2)
    np.testing.assert_allclose(example.weights["weight_hh_l1"], expected, atol=1e-12)
    assert run_cli("render", yaml, "--out", tmp_path / "out").exit_code == 0


def test_state_dict_under_state_dict_key_and_a_bare_lstm(tmp_path: Path) -> None:
    lstm = torch.nn.LSTM(2, 3)
    bare = tmp_path / "bare.pt"
    torch.save(lstm.state_dict(), bare)
    wrapped = tmp_path / "wrapped.pt"
    torch.save({"state_dict": {f"rnn.{k}": v for k, v in lstm.state_dict().items()}}, wrapped)
    do_import(bare, "-o", tmp_path / "bare.yaml")
    do_import(wrapped, "-o", tmp_path / "wrapped.yaml")
    a, b = spec.load(tmp_path / "bare.yaml"), spec.load(tmp_path / "wrapped.yaml")
    for name in lstm.state_dict():
        np.testing.assert_array_equal(a.weights[name], b.weights[name])


def test_bidirectional_with_projection_renders_and_checks(tmp_path: Path) -> None:
    net = model(2, bidirectional=True, proj_size=2)
    saved = tmp_path / "bi.pt"
    torch.save(net.state_dict(), saved)
    yaml = tmp_path / "bi.yaml"
    do_import(saved, "-o", yaml, "--x", json.dumps(X[:2]))
    example = spec.load(yaml)
    assert example.config.bidirectional and example.config.proj_size == 2
    assert example.h0.shape == (4, 1, 2) and example.c0.shape == (4, 1, 3)
    result = run_cli("render", yaml, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_two_lstms_need_a_prefix(tmp_path: Path) -> None:
    state = {
        **{f"enc.{k}": v for k, v in torch.nn.LSTM(2, 3).state_dict().items()},
        **{f"dec.{k}": v for k, v in torch.nn.LSTM(3, 3).state_dict().items()},
    }
    saved = tmp_path / "seq2seq.pt"
    torch.save(state, saved)
    result = run_cli("import", saved, "-o", tmp_path / "s.yaml")
    assert result.exit_code == 2
    assert "'dec.'" in result.output and "'enc.'" in result.output
    assert "--prefix" in result.output
    wrong = run_cli("import", saved, "-o", tmp_path / "s.yaml", "--prefix", "encoder.")
    assert wrong.exit_code == 2 and "'enc.'" in wrong.output
    do_import(saved, "-o", tmp_path / "s.yaml", "--prefix", "dec.")
    assert spec.load(tmp_path / "s.yaml").config.input_size == 3


@pytest.mark.parametrize("payload", ["object", "module"])
def test_arbitrary_pickles_are_refused(tmp_path: Path, payload: str) -> None:
    saved = tmp_path / "evil.pt"
    torch.save(Pickled() if payload == "object" else model(), saved)
    target = tmp_path / "evil.yaml"
    result = run_cli("import", saved, "-o", target)
    assert result.exit_code == 2, result.output
    assert "arbitrary Python objects" in result.output
    assert "weights_only=True" in result.output and "state_dict" in result.output
    assert "Traceback" not in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"definitely not a torch file", "not a file torch.load can read"),
        (None, "no such file"),
    ],
)
def test_unreadable_files_exit_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    saved = tmp_path / "broken.pt"
    if content is not None:
        saved.write_bytes(content)
    result = run_cli("import", saved, "-o", tmp_path / "b.yaml")
    assert result.exit_code == 2
    assert message in result.output and "broken.pt" in result.output


def test_no_lstm_in_the_file(tmp_path: Path) -> None:
    saved = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), saved)
    result = run_cli("import", saved, "-o", tmp_path / "l.yaml")
    assert result.exit_code == 2
    assert "no nn.LSTM weights found" in result.output and "'weight'" in result.output


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--x", "[0.5, 0.1, 0.3]"), "--x"),
        (("--x", "not json"), "--x: expected a JSON list"),
        (("--h0", "[1, 2]"), "--h0"),
        (("--x", "[0.5, 0.1]", "--steps", "2"), "not both"),
    ],
)
def test_bad_flags_exit_2(tmp_path: Path, flags: tuple[str, ...], message: str) -> None:
    saved = tmp_path / "m.pt"
    torch.save(torch.nn.LSTM(2, 3).state_dict(), saved)
    result = run_cli("import", saved, "-o", tmp_path / "m.yaml", *flags)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "m.yaml").exists()


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    torch.save(torch.nn.LSTM(1, 2).state_dict(), "tiny.pt")
    do_import("tiny.pt")  # default name: tiny.yaml in the current folder
    before = Path("tiny.yaml").read_text()
    again = run_cli("import", "tiny.pt", "--x", "[1.0]")
    assert again.exit_code == 2 and "--force" in again.output
    assert Path("tiny.yaml").read_text() == before
    do_import("tiny.pt", "--x", "[1.0]", "--force")
    assert spec.load("tiny.yaml").x[0, 0, 0] == 1.0
