"""Tests that catch the mutants a mutation run left alive (issue 19).

* The cross-checks are run against a trace (and a backward pass) with exactly one
  compared quantity damaged: each must fail and name that quantity, and only it.
* Every array of a trace and of a backward pass is read-only.
* An exercise blank is exactly as wide as the widest number of its column.
* The shape messages for h0/c0 of an unbatched multi-layer LSTM are pinned.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from lstm_tex import pipeline
from lstm_tex.check.backward import cross_check_gradients
from lstm_tex.check.forward import cross_check
from lstm_tex.compute import backward
from lstm_tex.compute.trace import Trace
from lstm_tex.document import matrices
from lstm_tex.errors import CheckFailed, InputError
from lstm_tex.read import loader
from lstm_tex.validate import model, spec
from tests.conftest import EXAMPLES

#: Far beyond atol (1e-10) and far below anything a rounding could explain.
DAMAGE = 1e-6


def bumped(array: np.ndarray) -> np.ndarray:
    """A writable copy of ``array`` with its last entry moved by :data:`DAMAGE`."""
    out = np.array(array, dtype=np.float64, copy=True)
    out.flat[-1] += DAMAGE
    return out


def example(**render: Any) -> model.Example:
    """Two layers, both directions, projection, a batch of 2 and an SGD step: every
    quantity of both checks is present."""
    rng = np.random.default_rng(19)
    cfg = model.LstmConfig(
        input_size=2, hidden_size=3, num_layers=2, bidirectional=True, proj_size=2
    )
    weights = {
        k: np.round(rng.uniform(-0.6, 0.6, shape), 2).tolist()
        for k, shape in cfg.weight_shapes().items()
    }
    steps, batch = 3, 2
    return spec.from_mapping(
        {
            "lstm": cfg.as_dict(),
            "weights": weights,
            "x": np.round(rng.uniform(-1, 1, (steps, batch, 2)), 2).tolist(),
            "backward": {
                "target": np.round(rng.uniform(-1, 1, (steps, batch, 4)), 2).tolist(),
                "lr": 0.1,
            },
        },
        name="damaged.yaml",
    )


@pytest.fixture(scope="module")
def trace() -> Trace:
    return pipeline.compute(example())


@pytest.fixture(scope="module")
def gradients(trace: Trace) -> backward.Gradients:
    found = pipeline.differentiate(trace)
    assert found is not None
    return found


# ---------------------------------------------------------------- forward cross-check


def damage_gate(gate: str, part: str) -> Callable[[Trace], Trace]:
    def damage(trace: Trace) -> Trace:
        last = trace.steps[-1]
        values = last.gates[gate]
        gates = {
            **last.gates,
            gate: dataclasses.replace(values, **{part: bumped(getattr(values, part))}),
        }
        step = dataclasses.replace(last, gates=gates)
        return dataclasses.replace(trace, steps=(*trace.steps[:-1], step))

    return damage


def damage_step(part: str, index: int) -> Callable[[Trace], Trace]:
    def damage(trace: Trace) -> Trace:
        steps = list(trace.steps)
        steps[index] = dataclasses.replace(
            steps[index], **{part: bumped(getattr(steps[index], part))}
        )
        return dataclasses.replace(trace, steps=tuple(steps))

    return damage


def damage_result(part: str) -> Callable[[Trace], Trace]:
    def damage(trace: Trace) -> Trace:
        return dataclasses.replace(trace, **{part: bumped(getattr(trace, part))})

    return damage


def damage_layer_output(layer: int) -> Callable[[Trace], Trace]:
    def damage(trace: Trace) -> Trace:
        outputs = list(trace.layer_outputs)
        outputs[layer] = bumped(outputs[layer])
        return dataclasses.replace(trace, layer_outputs=tuple(outputs))

    return damage


FORWARD = [
    *(
        pytest.param(damage_gate(g, part), part, id=f"{g}.{part}")
        for g in model.GATES
        for part in ("ih", "hh", "pre")
    ),
    *(pytest.param(damage_gate(g, "act"), g, id=f"{g}.act") for g in model.GATES),
    pytest.param(damage_step("c", 0), "c", id="c-first-step"),
    pytest.param(damage_step("c", -1), "c", id="c-last-step"),
    pytest.param(damage_step("h", 0), "h", id="h-first-step"),
    pytest.param(damage_step("h", -1), "h", id="h-last-step"),
    pytest.param(damage_result("output"), "output", id="output"),
    pytest.param(damage_layer_output(0), "output", id="layer-0-output"),
    pytest.param(damage_result("h_n"), "h_n", id="h_n"),
    pytest.param(damage_result("c_n"), "c_n", id="c_n"),
]


def test_the_undamaged_trace_passes(trace: Trace, gradients: backward.Gradients) -> None:
    assert cross_check(trace).passed
    assert cross_check_gradients(gradients).passed


@pytest.mark.parametrize(("damage", "name"), FORWARD)
def test_the_cross_check_names_each_damaged_quantity(
    trace: Trace, damage: Callable[[Trace], Trace], name: str
) -> None:
    report = cross_check(damage(trace))
    assert not report.passed
    assert report.failures() == [name]
    assert report.errors[name] == pytest.approx(DAMAGE, rel=1e-3)
    with pytest.raises(CheckFailed, match=rf"beyond atol 1e-10 on: {name} \("):
        pipeline.check(damage(trace))


# ---------------------------------------------------------------- backward cross-check


def damage_grads(gradients: backward.Gradients, field: str, key: Any = None) -> backward.Gradients:
    """``gradients`` with one gradient quantity damaged (``key`` picks a weight, a step
    and gate, ...)."""
    if field in ("loss",):
        return dataclasses.replace(gradients, loss=gradients.loss + DAMAGE)
    if field in ("dh0", "dc0"):
        return dataclasses.replace(gradients, **{field: bumped(getattr(gradients, field))})
    if field == "grads":
        grads = {**gradients.grads, key: bumped(gradients.grads[key])}
        return dataclasses.replace(gradients, grads=MappingProxyType(grads))
    if field in ("dh", "dc", "dpre"):
        index, gate = key
        steps = list(gradients.steps)
        s = steps[index]
        if field == "dpre":
            gates = {
                **s.gates,
                gate: dataclasses.replace(s.gates[gate], dpre=bumped(s.gates[gate].dpre)),
            }
            steps[index] = dataclasses.replace(s, gates=gates)
        else:
            steps[index] = dataclasses.replace(s, **{field: bumped(getattr(s, field))})
        return dataclasses.replace(gradients, steps=tuple(steps))
    sgd = gradients.sgd
    assert sgd is not None
    if field == "sgd_weights":
        weights = {**sgd.weights, key: bumped(sgd.weights[key])}
        sgd = dataclasses.replace(sgd, weights=MappingProxyType(weights))
    else:
        sgd = dataclasses.replace(sgd, loss_after=sgd.loss_after + DAMAGE)
    return dataclasses.replace(gradients, sgd=sgd)


def backward_cases() -> Iterator[Any]:
    names = list(example().weights)
    yield pytest.param("loss", None, "loss", id="loss")
    for name in names:
        yield pytest.param("grads", name, "grads", id=f"grads-{name}")
    yield pytest.param("dh0", None, "h0", id="h0")
    yield pytest.param("dc0", None, "c0", id="c0")
    for index in (0, -1):
        yield pytest.param("dh", (index, None), "dh", id=f"dh-step{index}")
        yield pytest.param("dc", (index, None), "dc", id=f"dc-step{index}")
        for gate in model.GATES:
            yield pytest.param("dpre", (index, gate), "dpre", id=f"dpre-{gate}-step{index}")
    for name in names:
        yield pytest.param("sgd_weights", name, "sgd_weights", id=f"sgd-{name}")
    yield pytest.param("loss_after", None, "loss_after", id="loss_after")


@pytest.mark.parametrize(("field", "key", "name"), list(backward_cases()))
def test_the_gradient_check_names_each_damaged_quantity(
    gradients: backward.Gradients, field: str, key: Any, name: str
) -> None:
    report = cross_check_gradients(damage_grads(gradients, field, key))
    assert not report.passed
    assert report.failures() == [name]
    assert report.errors[name] == pytest.approx(DAMAGE, rel=1e-3)


# ---------------------------------------------------------------- read-only results


def arrays(value: Any, path: str = "") -> Iterator[tuple[str, np.ndarray]]:
    """Every NumPy array reachable from a trace or a backward pass, with its path."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, model.Example):
        return
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from arrays(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, (dict, MappingProxyType)):
        for key, item in value.items():
            yield from arrays(item, f"{path}[{key!r}]")
    elif isinstance(value, (tuple, list)):
        for n, item in enumerate(value):
            yield from arrays(item, f"{path}[{n}]")


def test_every_array_of_a_trace_and_a_backward_pass_is_read_only(
    trace: Trace, gradients: backward.Gradients
) -> None:
    found = [*arrays(trace, "trace"), *arrays(gradients, "gradients")]
    assert len(found) > 100
    writable = [path for path, a in found if a.flags.writeable]
    assert writable == []
    with pytest.raises(ValueError, match="read-only"):
        trace.steps[0].h[...] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        next(iter(gradients.grads.values()))[...] = 0.0


def test_the_example_is_read_only(trace: Trace) -> None:
    ex = trace.example
    for path, a in [
        ("x", ex.x),
        ("h0", ex.h0),
        ("c0", ex.c0),
        *((f"weights[{k!r}]", w) for k, w in ex.weights.items()),
    ]:
        assert not a.flags.writeable, path


# ---------------------------------------------------------------- exercise blanks


@pytest.mark.parametrize(
    ("column", "decimals", "blank"),
    [
        ([0.5, 0.25], 4, "0.0000"),
        ([0.5, -0.25], 4, "-0.0000"),
        ([-12.5, 0.25], 2, "-00.00"),
        ([123.0, -4.0], 0, "-000"),
        ([7.0, 0.125], 3, "0.000"),
    ],
)
def test_a_blank_is_as_wide_as_the_widest_number_of_its_column(
    column: list[float], decimals: int, blank: str
) -> None:
    tex = matrices.bmatrix(column, decimals=decimals, marks="blank")
    assert tex == (
        "\\begin{bmatrix} " + " \\\\ ".join([f"\\lstmblank{{{blank}}}"] * 2) + " \\end{bmatrix}"
    )
    shown = matrices.bmatrix(column, decimals=decimals)
    widest = max(
        shown.removeprefix("\\begin{bmatrix} ").removesuffix(" \\end{bmatrix}").split(" \\\\ "),
        key=lambda t: len(t.replace("\\phantom", "")),
    )
    # a padded minus is written {-} (a sign, issue 11): braces are not visible
    assert len(blank) == len(widest.replace("\\phantom{", "").replace("{", "").replace("}", ""))


def test_blank_rows_keep_other_rows_and_columns_apart() -> None:
    """One blank row of a matrix: the other rows keep their numbers; each column's blank
    has that column's width."""
    tex = matrices.bmatrix([[1.5, -0.25], [10.0, 0.5]], decimals=2, marks=["", "blank"])
    assert tex == (
        "\\begin{bmatrix} \\phantom{0}1.50 & -0.25 \\\\ \\lstmblank{00.00} & "
        "\\lstmblank{-0.00} \\end{bmatrix}"
    )


def test_answers_are_the_numbers_in_boxes_of_the_same_size() -> None:
    plain = matrices.bmatrix([0.5, -0.25], decimals=2)
    key = matrices.bmatrix([0.5, -0.25], decimals=2, marks="answer")
    assert key == plain.replace("\\phantom{-}0.50", "\\lstmanswer{\\phantom{-}0.50}").replace(
        "-0.25", "\\lstmanswer{-0.25}"
    )


# ---------------------------------------------------------------- h0 and c0 shapes


STACKED = loader.read(EXAMPLES / "stacked.yaml").data
WHY = "(one vector of 3 per layer and direction, 2 in all)"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("h0", [0.1] * 3, f"h0: expected shape (2, 3) {WHY}, found 1-D shape (3,)"),
        ("c0", [0.1] * 3, f"c0: expected shape (2, 3) {WHY}, found 1-D shape (3,)"),
        ("h0", 0.5, f"h0: expected shape (2, 3) {WHY}, found a single number"),
        ("h0", [[0.1] * 3] * 3, f"h0: expected 2 rows {WHY}, got 3"),
        ("c0", [[0.1] * 3], f"c0: expected 2 rows {WHY}, got 1"),
        ("h0", [[0.1] * 4] * 2, f"h0: expected 3 columns {WHY}, got 4"),
        ("c0", [[0.1] * 3, [0.1] * 2], "c0[1]: ragged: expected 3 entries like c0[0], found 2"),
        ("c0", [[[0.1] * 3]] * 2, f"c0: expected shape (2, 3) {WHY}, found 3-D shape (2, 1, 3)"),
    ],
    ids=[
        "h0-one-vector",
        "c0-one-vector",
        "h0-number",
        "h0-three-rows",
        "c0-one-row",
        "h0-wide-rows",
        "c0-ragged",
        "c0-batched",
    ],
)
def test_unbatched_multi_layer_state_shapes(key: str, value: Any, message: str) -> None:
    data = copy.deepcopy(STACKED)
    data[key] = value
    with pytest.raises(InputError) as caught:
        spec.from_mapping(data, name="stacked.yaml")
    assert caught.value.format() == f"stacked.yaml:1: {message}"
