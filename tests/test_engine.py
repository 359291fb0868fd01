"""The NumPy engine: the notebook's numbers, a stable sigmoid, agreement with torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.check.forward import cross_check
from lstm_tex.compute import engine, recurrence
from lstm_tex.validate import model, spec
from tests.conftest import EXAMPLES

# Printed by shared/seeds/single-step-notebook.txt (In [24] and In [25]).
NOTEBOOK = {
    "ih": [
        [0.29299999, 0.107, 0.46400001, -0.31699999],
        [-0.21, -0.35, -0.24499999, -0.212],
        [-0.39799999, 0.095, 0.30400001, 0.129],
        [0.27199998, -0.414, 0.11200002, -0.012],
    ],
    "hh": [
        [-0.1792, -0.17389999, -0.2158, 0.51109999],
        [-0.26759999, -0.27170001, -0.22449999, -0.6617],
        [0.032, 0.0187, 0.14480001, -0.1486],
        [-0.3265, -0.1123, 0.25159999, 0.2659],
    ],
    "i": [0.52841933, 0.48328124, 0.56173341, 0.54837322],
    "f": [0.38281901, 0.34939491, 0.3847346, 0.29448499],
    "g": [-0.350488, 0.11321255, 0.42091212, -0.0195975],
    "o": [0.48637837, 0.37138027, 0.58991161, 0.56313619],
    "c": [-0.36512957, 0.16651987, -0.05595789, 0.1276612],
    "h": [-0.17009832, 0.06127686, -0.0329758, 0.07150263],
}


def test_notebook_numbers_reproduced_to_5e_8() -> None:
    trace = engine.forward(spec.load(EXAMPLES / "notebook-step.yaml"))
    (step,) = trace.steps
    for n, k in enumerate("ifgo"):
        np.testing.assert_allclose(step.gates[k].act[0], NOTEBOOK[k], rtol=0, atol=5e-8)
        np.testing.assert_allclose(step.gates[k].ih[0], NOTEBOOK["ih"][n], rtol=0, atol=5e-8)
        np.testing.assert_allclose(step.gates[k].hh[0], NOTEBOOK["hh"][n], rtol=0, atol=5e-8)
    np.testing.assert_allclose(step.c[0], NOTEBOOK["c"], rtol=0, atol=5e-8)
    np.testing.assert_allclose(step.h[0], NOTEBOOK["h"], rtol=0, atol=5e-8)
    np.testing.assert_array_equal(trace.output[:, 0], step.h)


@pytest.mark.parametrize("z", [-1000.0, -745.2, -40.0, 0.0, 40.0, 745.2, 1000.0, 1e308])
def test_sigmoid_is_stable(z: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = float(recurrence.sigmoid(np.array([z]))[0])
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(1.0 / (1.0 + np.exp(-np.clip(z, -700, 700))), rel=1e-15)


def test_sigmoid_symmetry() -> None:
    z = np.linspace(-30, 30, 1001)
    np.testing.assert_allclose(
        recurrence.sigmoid(z) + recurrence.sigmoid(-z), 1.0, rtol=0, atol=1e-15
    )


def _example(input_size: int, hidden: int, steps: int, scale: float, seed: int) -> model.Example:
    rng = np.random.default_rng(seed)
    weights = {
        "weight_ih_l0": (rng.standard_normal((4 * hidden, input_size)) * scale).tolist(),
        "weight_hh_l0": (rng.standard_normal((4 * hidden, hidden)) * scale).tolist(),
        "bias_ih_l0": (rng.standard_normal(4 * hidden) * scale).tolist(),
        "bias_hh_l0": (rng.standard_normal(4 * hidden) * scale).tolist(),
    }
    return spec.from_mapping(
        {
            "weights": weights,
            "x": (rng.standard_normal((steps, input_size)) * scale).tolist(),
            "h0": rng.standard_normal(hidden).tolist(),
            "c0": rng.standard_normal(hidden).tolist(),
        }
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 5),
    st.sampled_from([0.01, 0.5, 1.0, 3.0]),
    st.integers(0, 2**32 - 1),
)
def test_every_intermediate_agrees_with_torch(
    input_size: int, hidden: int, steps: int, scale: float, seed: int
) -> None:
    trace = engine.forward(_example(input_size, hidden, steps, scale, seed))
    report = cross_check(trace)
    assert report.passed, report.errors
    assert report.max_abs_err <= 1e-10
    assert set(report.errors) >= {"ih", "hh", "pre", "i", "f", "g", "o", "c", "h"}


@pytest.mark.parametrize("scale", [1e-12, 1000.0])
def test_extreme_values_no_warnings_and_check_passes(scale: float) -> None:
    """Weights and inputs of +-1000 saturate every gate; pre-activations reach 1e6,
    where the verdict is relative (float64 cannot promise 1e-10 absolute there)."""
    example = _example(3, 4, 3, scale, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = engine.forward(example)
        report = cross_check(trace)
    assert np.all(np.isfinite(trace.output))
    assert report.passed, report.scaled
    assert report.scaled["h"] <= 1e-12


def test_float32_check_uses_its_own_tolerance() -> None:
    base = spec.load(EXAMPLES / "notebook-step.yaml")
    from dataclasses import replace

    example = replace(base, check=model.CheckOptions(dtype="float32", atol=1e-5))
    report = cross_check(engine.forward(example))
    assert report.dtype == "float32" and report.passed
    assert 1e-10 < report.max_abs_err < 1e-5  # float32 really ran, and is within its atol
    strict = replace(base, check=model.CheckOptions(dtype="float32", atol=1e-12))
    assert not cross_check(engine.forward(strict)).passed


def _per_gate(example: model.Example) -> list[dict[str, np.ndarray]]:
    """One layer, written gate by gate with the first sigmoid formula: the engine batches
    the gates (and, for the input, the steps) into one matmul call and must give these
    numbers to 1e-15 of the terms' magnitude (issue 17; the last bits may differ)."""
    w, hidden = example.weights, example.config.hidden_size
    h, c = example.h0[0], example.c0[0]
    steps = []
    for x_t in example.x:
        got: dict[str, np.ndarray] = {}
        for n, k in enumerate(model.GATES):
            rows = slice(n * hidden, (n + 1) * hidden)
            ih = x_t @ w["weight_ih_l0"][rows].T + w["bias_ih_l0"][rows]
            hh = h @ w["weight_hh_l0"][rows].T + w["bias_hh_l0"][rows]
            pre = ih + hh
            e = np.exp(-np.abs(pre))
            sigma = np.where(pre >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            got |= {
                f"{k}.ih": ih,
                f"{k}.hh": hh,
                f"{k}.pre": pre,
                k: np.tanh(pre) if k == "g" else sigma,
            }
        c = got["f"] * c + got["i"] * got["g"]
        h = got["o"] * np.tanh(c)
        steps.append(got | {"c": c, "h": h})
    return steps


@pytest.mark.parametrize(
    ("input_size", "hidden", "steps", "batch"),
    [(1, 1, 2, 1), (2, 3, 3, 1), (3, 4, 2, 3), (20, 64, 3, 16)],
)
def test_batched_gates_give_the_numbers_of_one_gate_at_a_time(
    input_size: int, hidden: int, steps: int, batch: int
) -> None:
    rng = np.random.default_rng(hidden)

    def draw(*shape: int) -> object:
        return np.round(rng.uniform(-1, 1, shape), 3).tolist()

    example = spec.from_mapping(
        {
            "weights": {
                "weight_ih_l0": draw(4 * hidden, input_size),
                "weight_hh_l0": draw(4 * hidden, hidden),
                "bias_ih_l0": draw(4 * hidden),
                "bias_hh_l0": draw(4 * hidden),
            },
            "x": draw(steps, batch, input_size),
            "h0": draw(1, batch, hidden),
            "c0": draw(1, batch, hidden),
        }
    )
    trace = engine.forward(example)
    w = example.weights
    # |W||x| + |b| and |W||h| + |b| <= (in + hidden + 2) * 1 * 1 here (|entries| <= 1)
    bar = 1e-15 * (input_size + hidden + 2)
    assert max(np.abs(w[k]).max() for k in w) <= 1 and np.abs(example.x).max() <= 1
    for step, expected in zip(trace.steps, _per_gate(example), strict=True):
        got = {"c": step.c, "h": step.h}
        for k, gv in step.gates.items():
            got |= {f"{k}.ih": gv.ih, f"{k}.hh": gv.hh, f"{k}.pre": gv.pre, k: gv.act}
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert got[name].shape == value.shape, name
            np.testing.assert_allclose(got[name], value, rtol=0, atol=bar, err_msg=name)
