"""``lstm-tex init``: nice numbers, unsaturated gates, deterministic files that render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.commands.example_yaml import number_text
from lstm_tex.commands.init import PRE_LIMIT, InitOptions, generate
from lstm_tex.compute import engine
from lstm_tex.validate import spec
from tests.conftest import compile_tex, run_cli

#: (seed, input size, hidden size, steps, layers, decimals)
SHAPES = [
    (0, 2, 4, 1, 1, 2),
    (1, 3, 2, 3, 1, 1),
    (7, 1, 3, 2, 2, 2),
    (42, 4, 5, 4, 1, 2),
]


def init(path: Path, *flags: str | int) -> Path:
    result = run_cli("init", path, *map(str, flags))
    assert result.exit_code == 0, result.output
    assert f"lstm-tex render {path}" in result.output
    return path


def gate_activations(values: dict) -> dict[str, np.ndarray]:
    return {
        k: np.array([s["gates"][k]["act"] for s in values["steps"]]) for k in ("i", "f", "g", "o")
    }


@pytest.mark.latex
@pytest.mark.parametrize(("seed", "n_in", "hidden", "steps", "layers", "decimals"), SHAPES)
def test_init_render_compile_round_trip(
    tmp_path: Path,
    out: Path,
    seed: int,
    n_in: int,
    hidden: int,
    steps: int,
    layers: int,
    decimals: int,
) -> None:
    example = init(
        tmp_path / "made.yaml",
        "--seed",
        seed,
        "--input-size",
        n_in,
        "--hidden-size",
        hidden,
        "--steps",
        steps,
        "--layers",
        layers,
        "--decimals",
        decimals,
    )
    result = run_cli("render", example, "--out", out)
    assert result.exit_code == 0, result.output
    folder = out / "made"
    values = json.loads((folder / "values.json").read_text())
    assert values["check"]["passed"]
    assert values["lstm"]["input_size"] == n_in and values["lstm"]["hidden_size"] == hidden
    assert values["lstm"]["num_layers"] == layers
    assert len(values["steps"]) == steps * layers
    acts = gate_activations(values)
    for k in ("i", "f", "o"):
        assert acts[k].min() >= 0.05 and acts[k].max() <= 0.95, (k, acts[k])
    assert np.abs(acts["g"]).max() <= 0.99
    for name in ("made.tex", "made-slides.tex"):
        compiled = compile_tex(folder / name, draft=True)
        assert compiled.ok, (name, compiled.errors)


@pytest.mark.latex
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_backward_adds_targets_and_keeps_the_weights(tmp_path: Path, out: Path, cell: str) -> None:
    """``--backward`` appends a section that renders the gradients, checked against torch;
    every number before it is the file ``init`` writes without the flag."""
    flags = ("--cell", cell, "--steps", 2, "--hidden-size", 3, "--seed", 5)
    plain = init(tmp_path / "plain.yaml", *flags).read_text()
    example = init(tmp_path / "bptt.yaml", *flags, "--backward")
    text = example.read_text()
    header, body = text.split("\n", 1)
    assert (
        header.endswith(" --backward")
        and plain.split("\n", 1)[1] == body.split("\nbackward:")[0] + "\n"
    )
    section = body.split("\nbackward:", 1)[1]
    target = json.loads(re.search(r"target: (\[\[.*?\]\])", section, re.S)[1])  # type: ignore[index]
    assert np.array(target).shape == (2, 3) and np.abs(target).max() <= 0.8
    assert "loss: mse" in section and "lr: 0.1" in section
    result = run_cli("render", example, "--out", out)
    assert result.exit_code == 0, result.output
    values = json.loads((out / "bptt" / "values.json").read_text())
    assert values["backward"]["check"]["passed"] and values["backward"]["loss_function"] == "mse"
    assert "sgd" in values["backward"]
    deck = out / "bptt" / "bptt-slides.tex"
    assert r"\mathsf{d}" in deck.read_text()
    compiled = compile_tex(deck, draft=True)
    assert compiled.ok, compiled.errors


def test_numbers_have_few_decimals(tmp_path: Path) -> None:
    example = init(tmp_path / "two.yaml", "--hidden-size", 3, "--steps", 2)
    text = example.read_text()
    body = text.split("\nweights:", 1)[1].split("\ncheck:", 1)[0]
    numbers = re.findall(r"-?\d+\.\d+", body)
    assert numbers and all(len(n.split(".")[1]) <= 2 for n in numbers)
    one = init(tmp_path / "one.yaml", "--decimals", 1)
    body = one.read_text().split("\nweights:", 1)[1].split("\ncheck:", 1)[0]
    assert all(len(n.split(".")[1]) == 1 for n in re.findall(r"-?\d+\.\d+", body))


def test_same_seed_same_bytes_other_seed_other_numbers(tmp_path: Path) -> None:
    flags = ("--steps", 3, "--hidden-size", 3, "--seed", 11)
    a = init(tmp_path / "a.yaml", *flags).read_bytes()
    b = init(tmp_path / "b.yaml", *flags).read_bytes()
    assert a == b
    c = init(tmp_path / "c.yaml", "--steps", 3, "--hidden-size", 3, "--seed", 12).read_bytes()
    assert c != a


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "example.yaml"
    target.write_text("mine\n")
    result = run_cli("init", target)
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert target.read_text() == "mine\n"
    result = run_cli("init", "-o", target, "--force")
    assert result.exit_code == 0, result.output
    assert spec.load(target).config.hidden_size == 4


def test_default_name_stdout_and_conflicting_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "example.yaml").is_file()
    printed = run_cli("init", "-")
    assert printed.exit_code == 0
    assert printed.output == (tmp_path / "example.yaml").read_text()
    both = run_cli("init", "a.yaml", "-o", "b.yaml")
    assert both.exit_code == 2 and "not both" in both.output


@pytest.mark.parametrize(
    ("flag", "value"), [("--hidden-size", 0), ("--steps", 51), ("--decimals", 0), ("--layers", 9)]
)
def test_out_of_range_options_exit_2(tmp_path: Path, flag: str, value: int) -> None:
    result = run_cli("init", tmp_path / "x.yaml", flag, value)
    assert result.exit_code == 2
    assert flag in result.output
    assert not (tmp_path / "x.yaml").exists()


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_in=st.integers(1, 8),
    hidden=st.integers(1, 8),
    steps=st.integers(1, 6),
    layers=st.integers(1, 3),
    decimals=st.integers(1, 3),
)
def test_generated_pre_activations_stay_off_saturation(
    seed: int, n_in: int, hidden: int, steps: int, layers: int, decimals: int
) -> None:
    text = generate(
        InitOptions(
            input_size=n_in,
            hidden_size=hidden,
            steps=steps,
            layers=layers,
            seed=seed,
            decimals=decimals,
        )
    )
    from lstm_tex.read import loader

    example = spec.validate(loader.parse(text, "gen.yaml"), stem="gen")
    trace = engine.forward(example)
    pre = np.concatenate([g.pre.ravel() for s in trace.steps for g in s.gates.values()])
    assert np.abs(pre).max() <= PRE_LIMIT
    for w in example.weights.values():  # nice numbers: exactly `decimals` digits or fewer
        np.testing.assert_array_equal(np.round(w, decimals), w)


@pytest.mark.parametrize(
    ("value", "decimals", "single", "text"),
    [
        (0.5, 2, False, "0.5"),
        (0.25, 2, False, "0.25"),
        (-0.07, 2, False, "-0.07"),
        (0.0, 2, False, "0.0"),
        (-0.0001, 2, False, "0.0"),
        (1.0, 1, False, "1.0"),
        (0.123456, 3, False, "0.123"),
        (np.float32(0.1), None, True, "0.1"),
        (float(np.float32(0.1)), None, False, "0.10000000149011612"),
        (-2.5e-05, None, False, "-0.000025"),
    ],
)
def test_number_text(value: float, decimals: int | None, single: bool, text: str) -> None:
    assert number_text(value, decimals, single=single) == text
