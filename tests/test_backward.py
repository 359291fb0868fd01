"""The backward pass (BPTT): gradients against torch autograd, values.json, documents, errors.

The property test builds a random configuration, computes the gradients with
``lstm_tex.compute.backward`` and compares them with ``torch.nn.LSTM`` and autograd, written
here (independently of ``lstm_tex.check.backward``). A central-difference test checks
the same gradients without torch at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.check.backward import cross_check_gradients
from lstm_tex.compute import backward, engine
from lstm_tex.compute.trace import Trace
from lstm_tex.validate import model, spec
from lstm_tex.validate.model import GATES
from tests.conftest import EXAMPLES, compile_tex, lecturer_deck, run_cli

EXAMPLE = EXAMPLES / "backward-sequence.yaml"
TOLERANCE = 1e-10


# ---------------------------------------------------------------- random configurations


def _example(cfg: dict[str, Any]) -> dict[str, Any]:
    """An example mapping for ``cfg``: torch-initialised weights widened to [-1, 1]."""
    torch.manual_seed(cfg["seed"])
    lstm = torch.nn.LSTM(
        cfg["n_in"],
        cfg["hidden"],
        num_layers=cfg["layers"],
        bias=cfg["bias"],
        bidirectional=cfg["bidirectional"],
        proj_size=cfg["proj"],
        dtype=torch.float64,
    )
    rng = np.random.default_rng(cfg["seed"])
    weights = {k: rng.uniform(-1, 1, v.shape).tolist() for k, v in lstm.state_dict().items()}
    directions = 2 if cfg["bidirectional"] else 1
    out = cfg["proj"] or cfg["hidden"]
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    T = cfg["steps"]
    ld = cfg["layers"] * directions
    target_shape = (*lead, directions * out) if cfg["last"] else (T, *lead, directions * out)
    return {
        "weights": weights,
        "x": rng.uniform(-1, 1, (T, *lead, cfg["n_in"])).tolist(),
        "h0": rng.uniform(-1, 1, (ld, *lead, out)).tolist(),
        "c0": rng.uniform(-1, 1, (ld, *lead, cfg["hidden"])).tolist(),
        "backward": {
            "target": rng.uniform(-1, 1, target_shape).tolist(),
            "loss": cfg["loss"],
            "lr": cfg["lr"],
        },
    }


def _torch_autograd(ex: model.Example) -> dict[str, Any]:
    """Loss, gradients and the loss after one SGD step, by nn.LSTM and autograd."""
    cfg = ex.config
    assert ex.backward is not None
    lstm = torch.nn.LSTM(
        cfg.input_size,
        cfg.hidden_size,
        num_layers=cfg.num_layers,
        bias=cfg.bias,
        bidirectional=cfg.bidirectional,
        proj_size=cfg.proj_size,
        dtype=torch.float64,
    )
    lstm.load_state_dict({k: torch.tensor(np.array(v)) for k, v in ex.weights.items()})
    h0 = torch.tensor(np.array(ex.h0), requires_grad=True)
    c0 = torch.tensor(np.array(ex.c0), requires_grad=True)
    target = torch.tensor(np.array(ex.backward.target))

    def loss_of(output: torch.Tensor) -> torch.Tensor:
        seen = output[-1] if ex.backward.last_step_only else output  # type: ignore[union-attr]
        if ex.backward.loss == "mse":  # type: ignore[union-attr]
            return torch.nn.functional.mse_loss(seen, target)
        return 0.5 * ((seen - target) ** 2).sum()

    x = torch.tensor(np.array(ex.x))
    loss = loss_of(lstm(x, (h0, c0))[0])
    torch.autograd.backward(loss)
    grads = {k: p.grad.numpy().copy() for k, p in lstm.named_parameters()}  # type: ignore[union-attr]
    with torch.no_grad():
        for p in lstm.parameters():
            p.sub_(ex.backward.lr * p.grad)  # type: ignore[operator]
        after = loss_of(lstm(x, (h0, c0))[0]).item()
    return {
        "loss": loss.item(),
        "grads": grads,
        "h0": h0.grad.numpy(),  # type: ignore[union-attr]
        "c0": c0.grad.numpy(),
        "loss_after": after,
    }  # type: ignore[union-attr]


configurations = st.fixed_dictionaries(
    {
        "layers": st.integers(1, 2),
        "bidirectional": st.booleans(),
        "hidden": st.integers(2, 3),
        "n_in": st.integers(1, 3),
        "proj": st.sampled_from([0, 1]),
        "batch": st.sampled_from([None, 1, 2]),
        "bias": st.booleans(),
        "steps": st.integers(1, 4),
        "last": st.booleans(),
        "loss": st.sampled_from(["mse", "sse"]),
        "lr": st.sampled_from([0.1, 0.5]),
        "seed": st.integers(0, 2**16),
    }
)


@settings(max_examples=25, deadline=None)
@given(cfg=configurations)
def test_gradients_agree_with_torch_autograd(cfg: dict[str, Any]) -> None:
    ex = spec.from_mapping(_example(cfg))
    ours = backward.backward(engine.forward(ex))
    theirs = _torch_autograd(ex)
    assert abs(ours.loss - theirs["loss"]) <= TOLERANCE * max(1.0, abs(theirs["loss"]))
    assert set(ours.grads) == set(ex.weights)
    for name, grad in ours.grads.items():
        assert grad.shape == ex.weights[name].shape
        np.testing.assert_allclose(
            grad, theirs["grads"][name], rtol=0, atol=TOLERANCE, err_msg=name
        )
    np.testing.assert_allclose(ours.dh0, theirs["h0"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(ours.dc0, theirs["c0"], rtol=0, atol=TOLERANCE)
    assert ours.sgd is not None
    assert abs(ours.sgd.loss_after - theirs["loss_after"]) <= TOLERANCE * max(
        1.0, abs(theirs["loss_after"])
    )
    # The module the pipeline uses agrees too, on every dh_t, dc_t and delta as well.
    report = cross_check_gradients(ours)
    assert report.passed and report.max_abs_err <= TOLERANCE, report.errors


def test_gradients_agree_with_central_differences() -> None:
    """Without torch: nudge every weight, h0 and c0 entry and watch the loss."""
    ex = spec.from_mapping(
        _example(
            {
                "layers": 2,
                "bidirectional": True,
                "hidden": 2,
                "n_in": 2,
                "proj": 1,
                "batch": 2,
                "bias": True,
                "steps": 3,
                "last": False,
                "loss": "mse",
                "lr": 0.1,
                "seed": 5,
            }
        )
    )
    grads = backward.backward(engine.forward(ex))
    assert ex.backward is not None
    h = 1e-6

    def loss(example: model.Example) -> float:
        return backward.loss_and_grad(engine.forward(example).output, ex.backward)[0]

    for name, w in ex.weights.items():
        numeric = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            up, down = w.copy(), w.copy()
            up[index] += h
            down[index] -= h
            numeric[index] = (
                loss(replace(ex, weights={**ex.weights, name: up}))
                - loss(replace(ex, weights={**ex.weights, name: down}))
            ) / (2 * h)
        np.testing.assert_allclose(grads.grads[name], numeric, rtol=0, atol=1e-8, err_msg=name)
    for field, ours in (("h0", grads.dh0), ("c0", grads.dc0)):
        state = getattr(ex, field)
        numeric = np.zeros_like(state)
        for index in np.ndindex(state.shape):
            up, down = state.copy(), state.copy()
            up[index] += h
            down[index] -= h
            numeric[index] = (
                loss(replace(ex, **{field: up})) - loss(replace(ex, **{field: down}))
            ) / (2 * h)
        np.testing.assert_allclose(ours, numeric, rtol=0, atol=1e-8, err_msg=field)


@pytest.mark.parametrize(
    ("loss", "last", "expected_loss", "expected_grad"),
    [
        # error y - target = [[0.5, -1.0], [2.0, 0.0]]
        ("mse", False, (0.25 + 1.0 + 4.0) / 4, [[0.25, -0.5], [1.0, 0.0]]),
        ("sse", False, (0.25 + 1.0 + 4.0) / 2, [[0.5, -1.0], [2.0, 0.0]]),
        ("mse", True, 4.0 / 2, [[0.0, 0.0], [2.0, 0.0]]),
        ("sse", True, 4.0 / 2, [[0.0, 0.0], [2.0, 0.0]]),
    ],
)
def test_loss_and_its_gradient(
    loss: str, last: bool, expected_loss: float, expected_grad: list[list[float]]
) -> None:
    output = np.array([[[1.0, -1.0]], [[2.0, 0.5]]])  # (T=2, B=1, 2)
    target = np.array([[0.5, 0.0], [0.0, 0.5]])
    target = target[-1:].reshape(1, 2) if last else target.reshape(2, 1, 2)
    bw = model.BackwardSpec(target=target, last_step_only=last, loss=loss)  # type: ignore[arg-type]
    value, error, d_output = backward.loss_and_grad(output, bw)
    assert value == pytest.approx(expected_loss, abs=1e-15)
    np.testing.assert_allclose(d_output[:, 0], expected_grad, rtol=0, atol=1e-15)
    if last:
        assert not error[0].any()


def test_bptt_order_and_the_reverse_direction_walks_forward() -> None:
    ex = spec.from_mapping(
        _example(
            {
                "layers": 1,
                "bidirectional": True,
                "hidden": 2,
                "n_in": 2,
                "proj": 0,
                "batch": None,
                "bias": True,
                "steps": 3,
                "last": True,
                "loss": "mse",
                "lr": 0.1,
                "seed": 1,
            }
        )
    )
    trace = engine.forward(ex)
    grads = backward.backward(trace)
    assert [s.key for s in grads.steps] == [s.key for s in trace.steps]
    rev = {s.t: s for s in grads.steps if s.direction == "reverse"}
    fwd = {s.t: s for s in grads.steps if s.direction == "forward"}
    # The loss sees only y_3: the reverse direction's h_3 (its first step) gets dy,
    # the others only what comes back from the step computed after them (t - 1).
    assert rev[3].dy.any() and not rev[2].dy.any() and not rev[1].dy.any()
    np.testing.assert_array_equal(rev[3].dh_next, rev[2].dh_prev)
    np.testing.assert_array_equal(rev[2].dc_next, rev[1].dc_prev)
    assert not rev[1].dh_next.any() and not fwd[3].dh_next.any()
    np.testing.assert_array_equal(grads.dh0[1], rev[3].dh_prev)
    np.testing.assert_array_equal(grads.dc0[0], fwd[1].dc_prev)


# ---------------------------------------------------------------- the bundled example


def _render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


def test_bundled_example_values_json_backward(out: Path) -> None:
    folder = _render(EXAMPLE, out)
    values = json.loads((folder / "values.json").read_text())
    ex = spec.load(EXAMPLE)
    bw = values["backward"]
    assert {"loss", "grads", "steps", "check", "sgd"} <= set(bw)
    assert set(bw["grads"]) == {*ex.weights, "h0", "c0"}
    for name, weight in ex.weights.items():
        assert np.shape(bw["grads"][name]) == weight.shape, name
    assert np.shape(bw["grads"]["h0"]) == (1, 2) and np.shape(bw["grads"]["c0"]) == (1, 2)
    assert [(s["layer"], s["direction"], s["t"]) for s in bw["steps"]] == [
        (s["layer"], s["direction"], s["t"]) for s in values["steps"]
    ]
    for step in bw["steps"]:
        assert np.shape(step["dh"]) == (2,) and np.shape(step["dc"]) == (2,)
        assert set(step["gates"]) == set(GATES)
        for gate in step["gates"].values():
            assert np.shape(gate["dpre"]) == (2,)
    check = bw["check"]
    assert check["passed"] and check["atol"] == 1e-10 and check["max_abs_err"] <= 1e-10
    sgd = bw["sgd"]
    assert sgd["lr"] == 0.1 and set(sgd["weights"]) == set(ex.weights)
    for name, weight in ex.weights.items():
        np.testing.assert_allclose(
            sgd["weights"][name], weight - 0.1 * np.array(bw["grads"][name]), atol=1e-15
        )
    assert sgd["loss_after"] < bw["loss"]  # the example is chosen so that the step helps
    theirs = _torch_autograd(ex)
    assert bw["loss"] == pytest.approx(theirs["loss"], abs=1e-12)  # full precision


def test_bundled_example_says_what_the_step_did(out: Path) -> None:
    folder = _render(EXAMPLE, out)
    frames = (folder / "frames.tex").read_text()
    article = (folder / f"{EXAMPLE.stem}.tex").read_text()
    for text in (frames, article):
        assert "The loss went down: from $0.3746$ to $0.3683$." in text
        assert "cross-checked against PyTorch" in text and "autograd" in text
    # Walking backwards from t = 3: step 3's frames come before step 2's and step 1's.
    positions = [frames.index(f"{{Backward, step {t}: ") for t in (3, 2, 1)]
    assert positions == sorted(positions)
    assert r"\mathsf{d}h_{0} = W_{hh}^{\top}\delta_{1}" in frames
    assert r"\mathrm{d}c_{0} &= \mathrm{d}c_{1} \odot f_{1}" in article
    parts = sorted(p.name for p in (folder / "parts").glob("backward-*.tex"))
    assert "backward-loss.tex" in parts and "backward-l0-forward-t3-delta.tex" in parts
    assert "backward-l0-forward-grad-i.tex" in parts and "backward-loss-after.tex" in parts


@pytest.mark.latex
def test_bundled_example_compiles_without_overfull_boxes(out: Path) -> None:
    folder = _render(EXAMPLE, out)
    for name in (f"{EXAMPLE.stem}.tex", f"{EXAMPLE.stem}-slides.tex"):
        compiled = compile_tex(folder / name, draft=True)
        assert compiled.ok, (name, compiled.errors)
        assert compiled.overfull_hbox == 0, (name, compiled.overfull_hbox)
        assert compiled.overfull_vbox == 0, (name, compiled.overfull_vbox)
    for aspect in ("", "aspectratio=169"):
        deck = lecturer_deck(folder, folder / "frames.tex", aspect)
        compiled = compile_tex(deck, draft=True)
        assert compiled.ok, (deck.name, compiled.errors)
        assert compiled.overfull == 0, (deck.name, compiled.overfull_hbox, compiled.overfull_vbox)


@pytest.mark.latex
def test_backward_parts_compile_on_their_own(out: Path) -> None:
    folder = _render(EXAMPLE, out, "--no-check")
    parts = sorted((folder / "parts").glob("backward-*.tex"))
    assert len(parts) > 15
    body = "\n".join(f"\\section*{{{p.stem}}}\n\\input{{parts/{p.name}}}" for p in parts)
    doc = folder / "all-parts.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n"
        "\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n"
        f"{body}\n\\end{{document}}\n"
    )
    compiled = compile_tex(doc, draft=True)
    assert compiled.ok, compiled.errors
    assert compiled.overfull == 0


def _configuration_yaml(tmp_path: Path, name: str, cfg: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    data = _example(cfg)
    data["weights"] = {k: np.round(v, 2).tolist() for k, v in data["weights"].items()}
    for key in ("x", "h0", "c0"):
        data[key] = np.round(data[key], 2).tolist()
    data["backward"]["target"] = np.round(data["backward"]["target"], 2).tolist()
    path.write_text(json.dumps(data))
    return path


COMBINATIONS = {
    "stacked-bidirectional": {
        "layers": 2,
        "bidirectional": True,
        "proj": 0,
        "batch": None,
        "bias": True,
        "steps": 2,
        "last": False,
        "loss": "mse",
    },
    "projection-batch": {
        "layers": 1,
        "bidirectional": False,
        "proj": 1,
        "batch": 2,
        "bias": False,
        "steps": 3,
        "last": True,
        "loss": "sse",
    },
    "long-sequence": {
        "layers": 1,
        "bidirectional": False,
        "proj": 0,
        "batch": None,
        "bias": True,
        "steps": 6,
        "last": False,
        "loss": "mse",
    },
}


@pytest.mark.latex
@pytest.mark.parametrize("name", sorted(COMBINATIONS))
def test_other_configurations_compile(name: str, tmp_path: Path) -> None:
    cfg = {"hidden": 2, "n_in": 2, "lr": 0.1, "seed": 3, **COMBINATIONS[name]}
    folder = _render(_configuration_yaml(tmp_path, name, cfg), tmp_path / "out")
    for tex in (f"{name}.tex", f"{name}-slides.tex"):
        compiled = compile_tex(folder / tex, draft=True)
        assert compiled.ok, (tex, compiled.errors)
        assert compiled.overfull == 0, (tex, compiled.overfull_hbox, compiled.overfull_vbox)


def test_render_steps_selects_backward_steps_too(tmp_path: Path) -> None:
    cfg = {"hidden": 2, "n_in": 2, "lr": 0.1, "seed": 3, **COMBINATIONS["long-sequence"]}
    path = _configuration_yaml(tmp_path, "select", cfg)
    data = json.loads(path.read_text())
    data["render"] = {"steps": [6]}
    path.write_text(json.dumps(data))
    folder = _render(path, tmp_path / "out", "--no-check")
    frames = (folder / "frames.tex").read_text()
    assert "{Backward, step 6: " in frames and "{Backward, step 5: " not in frames
    assert "values.json has the gradients of every step" in frames
    values = json.loads((folder / "values.json").read_text())
    assert len(values["backward"]["steps"]) == 6


# ---------------------------------------------------------------- checks and errors


def test_no_check_writes_null_and_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from lstm_tex.cli import main\n"
        f"try:\n    main(['render', {str(EXAMPLE)!r}, '--out', {str(tmp_path)!r}, "
        "'--no-check'])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    values = json.loads((tmp_path / EXAMPLE.stem / "values.json").read_text())
    assert values["backward"]["check"] is None
    assert values["backward"]["sgd"]["loss_after"] < values["backward"]["loss"]


def test_a_wrong_gradient_exits_1_and_writes_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    right_backward = backward.backward

    def wrong(trace: Trace) -> backward.Gradients:
        right = right_backward(trace)
        grads = dict(right.grads)
        grads["weight_hh_l0"] = grads["weight_hh_l0"] + 1e-6
        return replace(right, grads=MappingProxyType(grads))

    monkeypatch.setattr(backward, "backward", wrong)
    result = run_cli("render", EXAMPLE, "--out", out)
    assert result.exit_code == 1
    assert "autograd" in result.output and "grads" in result.output
    assert "nothing was written" in result.output
    assert not (out / EXAMPLE.stem).exists()


def test_check_command_checks_the_gradients_too() -> None:
    result = run_cli("check", EXAMPLE)
    assert result.exit_code == 0, result.output
    for quantity in ("grads", "dh", "dc", "dpre", "loss_after"):
        assert quantity in result.output
    result = run_cli("check", "--json", EXAMPLE)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["backward"]["passed"] and report["backward"]["max_abs_err"] <= TOLERANCE


BAD = [
    (
        "  target: [[0.81, -0.32], [-0.06, 0.15], [0.9, 0.71]]",
        "  target: [[0.81, -0.32], [-0.06, 0.15]]",
        "backward.target",
        "expected the shape of output (3, 2) or of its last step (2,), found (2, 2)",
    ),
    (
        "  target: [[0.81, -0.32], [-0.06, 0.15], [0.9, 0.71]]",
        "  target: [0.81, -0.32, 0.5]",
        "backward.target",
        "found (3,)",
    ),
    (
        "  target: [[0.81, -0.32], [-0.06, 0.15], [0.9, 0.71]]",
        "  target: [[0.81, -0.32], [-0.06, .nan], [0.9, 0.71]]",
        "backward.target[1][1]",
        "finite number",
    ),
    ("  loss: mse ", "  loss: mae ", "backward.loss", "expected mse or sse, found the text 'mae'"),
    ("  lr: 0.1", "  lr: 0", "backward.lr", "expected more than 0, found the number 0"),
    ("  lr: 0.1", "  lr: -0.5", "backward.lr", "expected more than 0"),
    ("  lr: 0.1", "  lr: 0.1\n  momentum: 0.9", "backward.momentum", "unknown key 'momentum'"),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "message"), BAD, ids=[b[2] + "-" + str(n) for n, b in enumerate(BAD)]
)
def test_bad_backward_input_exits_2_with_a_located_message(
    old: str, new: str, field: str, message: str, tmp_path: Path
) -> None:
    text = EXAMPLE.read_text()
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new))
    line = next(
        n
        for n, ln in enumerate(bad.read_text().splitlines(), 1)
        if ln.startswith(new.splitlines()[-1])
    )
    result = run_cli("render", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{bad}:{line}: {field}: " in result.output, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "bad").exists()
