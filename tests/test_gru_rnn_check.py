"""The cross-check of a GRU or an RNN trace (issue 14) names each damaged quantity.

As tests/test_regressions.py does for the LSTM: one compared quantity of an otherwise
exact trace is moved by 1e-6; the check must fail, name that quantity and only it, and
``pipeline.check`` must refuse (exit 1) naming it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lstm_tex import pipeline
from lstm_tex.check.forward import cross_check
from lstm_tex.compute import engine
from lstm_tex.compute.trace import Trace
from lstm_tex.errors import CheckFailed
from lstm_tex.validate import model, spec
from tests.test_regressions import (
    DAMAGE,
    damage_gate,
    damage_layer_output,
    damage_result,
    damage_step,
)

KINDS = {
    "gru": ({"bias": True}, ("r", "z", "n")),
    "rnn": ({"nonlinearity": "relu", "bias": "single"}, ("h",)),
}


def example(kind: str) -> model.Example:
    """Two layers, both directions, a batch of 2: every quantity of the check is present."""
    section, _ = KINDS[kind]
    rng = np.random.default_rng(14)
    cfg = model.LstmConfig(
        input_size=2, hidden_size=3, num_layers=2, bidirectional=True, kind=kind, **section
    )
    weights = {
        k: np.round(rng.uniform(-0.6, 0.6, shape), 2).tolist()
        for k, shape in cfg.weight_shapes().items()
    }
    return spec.from_mapping(
        {
            kind: cfg.as_dict(),
            "weights": weights,
            "x": np.round(rng.uniform(-1, 1, (3, 2, 2)), 2).tolist(),
            "h0": np.round(rng.uniform(-1, 1, (4, 2, 3)), 2).tolist(),
        },
        name="damaged.yaml",
    )


@functools.cache
def _traces(kind: str) -> Trace:
    return pipeline.compute(example(kind))


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_undamaged_trace_passes(kind: str) -> None:
    report = cross_check(_traces(kind))
    assert report.passed, report.scaled
    assert "c" not in report.errors and "c_n" not in report.errors
    assert report.failures() == []


def _cases() -> list[Any]:
    cases = []
    for kind, (_, gates) in KINDS.items():
        for g in gates:
            for part in ("ih", "hh", "pre"):
                cases.append(
                    pytest.param(kind, damage_gate(g, part), part, id=f"{kind}-{g}.{part}")
                )
            cases.append(pytest.param(kind, damage_gate(g, "act"), g, id=f"{kind}-{g}.act"))
        cases += [
            pytest.param(kind, damage_step("h", 0), "h", id=f"{kind}-h-first-step"),
            pytest.param(kind, damage_step("h", -1), "h", id=f"{kind}-h-last-step"),
            pytest.param(kind, damage_result("output"), "output", id=f"{kind}-output"),
            pytest.param(kind, damage_layer_output(0), "output", id=f"{kind}-layer-0-output"),
            pytest.param(kind, damage_result("h_n"), "h_n", id=f"{kind}-h_n"),
        ]
    return cases


@pytest.mark.parametrize(("kind", "damage", "name"), _cases())
def test_the_cross_check_names_each_damaged_quantity(
    kind: str, damage: Callable[[Trace], Trace], name: str
) -> None:
    trace = _traces(kind)
    report = cross_check(damage(trace))
    assert not report.passed
    assert report.failures() == [name]
    assert report.errors[name] == pytest.approx(DAMAGE, rel=1e-3)
    with pytest.raises(CheckFailed, match=rf"beyond atol 1e-10 on: {name} \("):
        pipeline.check(damage(trace))


def test_a_gru_n_gate_with_r_on_h_is_caught() -> None:
    """The d2l/paper placement of r (n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)) gives
    other numbers than torch's: a trace computed that way fails on n's pre."""
    trace = _traces("gru")
    ex = trace.example
    steps = list(trace.steps)
    first = steps[0]
    w = engine.layer_weights(ex, 0, "forward")
    hidden = ex.config.hidden_size
    w_hn = w["w_hh"][2 * hidden :]
    b_hn = w["b_hh"][2 * hidden :]
    r = first.gates["r"].act
    n = first.gates["n"]
    paper = n.ih + (r * first.h_prev) @ w_hn.T + b_hn
    assert np.abs(paper - n.pre).max() > 1e-3  # the two conventions differ here
    wrong = dataclasses.replace(n, pre=paper)
    steps[0] = dataclasses.replace(first, gates={**first.gates, "n": wrong})
    report = cross_check(dataclasses.replace(trace, steps=tuple(steps)))
    assert report.failures() == ["pre"]


@pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="no CUDA GPU visible to torch here"
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_gru_and_rnn_intermediate_agrees_on_cuda(kind: str) -> None:
    report = cross_check(_traces(kind), device="cuda", source="--device")
    assert report.device.startswith("cuda")
    assert report.passed, report.scaled
    assert report.max_abs_err <= 1e-10
