"""Every configuration torch.nn.LSTM can build: stacked layers, both directions,
projections, batches, no bias, and their combinations; ``render.steps``/``render.layers``.

The property tests build a random ``torch.nn.LSTM``, write its ``state_dict`` into an
example and compare the NumPy trace with torch twice: with ``nn.LSTM`` itself and with
the gate formulas recomputed step by step in torch ops (written here, independently of
``lstm_tex.check.forward``). The compile tests render fixed combinations through the CLI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.check.forward import cross_check
from lstm_tex.compute import engine
from lstm_tex.document import context
from lstm_tex.validate import model, spec
from lstm_tex.validate.model import GATES
from tests.conftest import EXAMPLES, compile_tex, lecturer_deck, run_cli

STACKED = EXAMPLES / "stacked.yaml"
BIDIRECTIONAL = EXAMPLES / "bidirectional.yaml"


# ---------------------------------------------------------------- examples from torch


def _torch_example(
    lstm: torch.nn.LSTM, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, **extra: Any
) -> dict[str, Any]:
    """An example mapping with ``lstm``'s state_dict, as a lecturer would write it."""
    return {
        "weights": {k: v.tolist() for k, v in lstm.state_dict().items()},
        "x": x.tolist(),
        "h0": h0.tolist(),
        "c0": c0.tolist(),
        **extra,
    }


def _random_lstm(
    layers: int, bidirectional: bool, proj: int, bias: bool, n_in: int, hidden: int, seed: int
) -> torch.nn.LSTM:
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(
        n_in,
        hidden,
        num_layers=layers,
        bias=bias,
        bidirectional=bidirectional,
        proj_size=proj,
        dtype=torch.float64,
    )
    with torch.no_grad():  # also exercise biases and weights beyond torch's small init
        for p in lstm.parameters():
            p.uniform_(-1.0, 1.0)
    return lstm.eval()


def _inputs(
    lstm: torch.nn.LSTM, steps: int, batch: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x (T, in) or (T, B, in); h0 and c0 (L*D, out) or (L*D, B, out) as torch takes them."""
    gen = torch.Generator().manual_seed(seed)
    ld = lstm.num_layers * (2 if lstm.bidirectional else 1)
    lead = () if batch is None else (batch,)
    x = torch.randn(steps, *lead, lstm.input_size, generator=gen, dtype=torch.float64)
    h0 = torch.randn(
        ld, *lead, lstm.proj_size or lstm.hidden_size, generator=gen, dtype=torch.float64
    )
    c0 = torch.randn(ld, *lead, lstm.hidden_size, generator=gen, dtype=torch.float64)
    return x, h0, c0


def _per_step(
    lstm: torch.nn.LSTM, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
) -> dict[tuple[int, str, int], dict[str, torch.Tensor]]:
    """Every intermediate, recomputed step by step in torch ops from ``lstm``'s parameters.

    ``x`` is (T, B, in), ``h0``/``c0`` (L*D, B, n); keys are (layer, direction, t from 1).
    """
    directions = ("forward", "reverse") if lstm.bidirectional else ("forward",)
    hidden = lstm.hidden_size
    found: dict[tuple[int, str, int], dict[str, torch.Tensor]] = {}
    layer_input = x
    steps = x.shape[0]
    for layer in range(lstm.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            w_ih, w_hh = getattr(lstm, "weight_ih" + sfx), getattr(lstm, "weight_hh" + sfx)
            b_ih = getattr(lstm, "bias_ih" + sfx) if lstm.bias else None
            b_hh = getattr(lstm, "bias_hh" + sfx) if lstm.bias else None
            w_hr = getattr(lstm, "weight_hr" + sfx) if lstm.proj_size else None
            h, c = h0[layer * len(directions) + d], c0[layer * len(directions) + d]
            out = [torch.empty(0)] * steps
            order = range(steps) if direction == "forward" else reversed(range(steps))
            for t in order:
                item: dict[str, torch.Tensor] = {}
                for n, k in enumerate(GATES):
                    rows = slice(n * hidden, (n + 1) * hidden)
                    ih = layer_input[t] @ w_ih[rows].T
                    hh = h @ w_hh[rows].T
                    if b_ih is not None and b_hh is not None:
                        ih, hh = ih + b_ih[rows], hh + b_hh[rows]
                    pre = ih + hh
                    item[f"{k}.ih"], item[f"{k}.hh"], item[f"{k}.pre"] = ih, hh, pre
                    item[k] = torch.tanh(pre) if k == "g" else torch.sigmoid(pre)
                c = item["f"] * c + item["i"] * item["g"]
                h = item["o"] * torch.tanh(c)
                if w_hr is not None:
                    h = h @ w_hr.T
                item["c"], item["h"] = c, h
                found[(layer, direction, t + 1)] = item
                out[t] = h
            outs.append(torch.stack(out))
        layer_input = torch.cat(outs, dim=-1)
    return found


configs = st.fixed_dictionaries(
    {
        "layers": st.integers(1, 3),
        "bidirectional": st.booleans(),
        "proj": st.booleans(),
        "batch": st.one_of(st.none(), st.integers(1, 4)),
        "bias": st.booleans(),
        "steps": st.integers(1, 5),
        "n_in": st.integers(1, 5),
        "hidden": st.integers(1, 5),
        "seed": st.integers(0, 2**31 - 1),
    }
)


@settings(max_examples=40, deadline=None)
@given(configs, st.data())
def test_any_configuration_agrees_with_torch(cfg: dict[str, Any], data: st.DataObject) -> None:
    proj = (
        data.draw(st.integers(1, cfg["hidden"] - 1)) if (cfg["proj"] and cfg["hidden"] > 1) else 0
    )
    lstm = _random_lstm(
        cfg["layers"],
        cfg["bidirectional"],
        proj,
        cfg["bias"],
        cfg["n_in"],
        cfg["hidden"],
        cfg["seed"],
    )
    x, h0, c0 = _inputs(lstm, cfg["steps"], cfg["batch"], cfg["seed"] + 1)
    example = spec.from_mapping(_torch_example(lstm, x, h0, c0), name="random.yaml")
    assert example.config == model.LstmConfig(
        cfg["n_in"], cfg["hidden"], cfg["layers"], cfg["bias"], cfg["bidirectional"], proj
    )
    trace = engine.forward(example)

    with torch.no_grad():
        output, (h_n, c_n) = lstm(x, (h0, c0))
        x3, h03, c03 = (
            (x, h0, c0) if cfg["batch"] is not None else (x[:, None], h0[:, None], c0[:, None])
        )
        recomputed = _per_step(lstm, x3, h03, c03)
    if cfg["batch"] is None:  # torch's unbatched shapes: drop the batch axis of the trace
        np.testing.assert_allclose(trace.output[:, 0], output.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(trace.h_n[:, 0], h_n.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(trace.c_n[:, 0], c_n.numpy(), rtol=0, atol=1e-10)
    else:
        np.testing.assert_allclose(trace.output, output.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(trace.h_n, h_n.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(trace.c_n, c_n.numpy(), rtol=0, atol=1e-10)

    directions = 2 if cfg["bidirectional"] else 1
    assert len(trace.steps) == cfg["layers"] * directions * cfg["steps"]
    assert {s.key for s in trace.steps} == set(recomputed)
    for step in trace.steps:
        theirs = recomputed[step.key]
        for k in GATES:
            gate = step.gates[k]
            for name, ours in (("ih", gate.ih), ("hh", gate.hh), ("pre", gate.pre)):
                np.testing.assert_allclose(
                    ours,
                    theirs[f"{k}.{name}"].numpy(),
                    rtol=0,
                    atol=1e-10,
                    err_msg=f"{step.key} {k}.{name}",
                )
            np.testing.assert_allclose(
                gate.act, theirs[k].numpy(), rtol=0, atol=1e-10, err_msg=f"{step.key} {k}"
            )
        np.testing.assert_allclose(step.c, theirs["c"].numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(step.h, theirs["h"].numpy(), rtol=0, atol=1e-10)

    report = cross_check(trace)
    assert report.passed, report.errors
    assert report.max_abs_err <= 1e-10


def test_steps_are_ordered_by_layer_direction_then_computation() -> None:
    lstm = _random_lstm(2, True, 0, True, 2, 3, 0)
    example = spec.from_mapping(_torch_example(lstm, *_inputs(lstm, 3, None, 1)))
    keys = [s.key for s in engine.forward(example).steps]
    assert keys == [
        (layer, d, t)
        for layer in (0, 1)
        for d, ts in (("forward", (1, 2, 3)), ("reverse", (3, 2, 1)))
        for t in ts
    ]


def test_layer_above_reads_the_layer_below() -> None:
    """The hand-over: layer 1's x_t is [h_fwd; h_rev] of layer 0 at the same t."""
    lstm = _random_lstm(2, True, 2, True, 3, 4, 5)
    trace = engine.forward(spec.from_mapping(_torch_example(lstm, *_inputs(lstm, 4, 2, 6))))
    for t in range(1, 5):
        below = np.concatenate(
            [trace.step(0, "forward", t).h, trace.step(0, "reverse", t).h], axis=-1
        )
        for direction in ("forward", "reverse"):
            np.testing.assert_array_equal(trace.step(1, direction, t).x, below)
    assert trace.example.weights["weight_ih_l1"].shape == (16, 4)  # 2 directions x proj 2


# ---------------------------------------------------------------- values.json


def _write(folder: Path, name: str, mapping: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(mapping))  # JSON is YAML
    return path


def _render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


def _combination(length: int = 3, batch: int | None = 2, **render: Any) -> dict[str, Any]:
    """2 layers x bidirectional x projection (hidden 3 -> 2) x batch, two-decimal numbers."""
    lstm = _random_lstm(2, True, 2, True, 2, 3, 11)
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(torch.round(p * 100) / 100)
    x, h0, c0 = (torch.round(a * 50) / 100 for a in _inputs(lstm, length, batch, 12))
    return _torch_example(lstm, x, h0, c0, **({"render": render} if render else {}))


def test_values_json_carries_every_step_and_example(tmp_path: Path) -> None:
    folder = _render(_write(tmp_path, "combo", _combination()), tmp_path / "out")
    values = json.loads((folder / "values.json").read_text())
    assert values["lstm"] == {
        "input_size": 2,
        "hidden_size": 3,
        "num_layers": 2,
        "bias": True,
        "bidirectional": True,
        "proj_size": 2,
        "batch_first": False,
    }
    steps = values["steps"]
    assert [(s["layer"], s["direction"], s["t"]) for s in steps] == [
        (layer, d, t)
        for layer in (0, 1)
        for d, ts in (("forward", (1, 2, 3)), ("reverse", (3, 2, 1)))
        for t in ts
    ]
    for s in steps:
        width = 2 if s["layer"] == 0 else 4
        assert np.shape(s["x"]) == (2, width)
        assert np.shape(s["h_prev"]) == (2, 2) and np.shape(s["h"]) == (2, 2)
        assert np.shape(s["c_prev"]) == (2, 3) and np.shape(s["c"]) == (2, 3)
        assert np.shape(s["m"]) == (2, 3)
        for gate in s["gates"].values():
            assert {np.shape(v) for v in gate.values()} == {(2, 3)}
    assert np.shape(values["output"]) == (3, 2, 4)
    assert np.shape(values["h_n"]) == (4, 2, 2) and np.shape(values["c_n"]) == (4, 2, 3)
    top = {(s["direction"], s["t"]): s["h"] for s in steps if s["layer"] == 1}
    for t in (1, 2, 3):
        np.testing.assert_array_equal(
            values["output"][t - 1],
            np.concatenate([top[("forward", t)], top[("reverse", t)]], axis=-1),
        )


def test_render_selection_derives_some_summarises_the_rest(tmp_path: Path) -> None:
    mapping = _combination(length=4, batch=None, steps=[2, 4], layers=[1])
    folder = _render(_write(tmp_path, "chosen", mapping), tmp_path / "out", "--no-check")
    frames = (folder / "frames.tex").read_text()
    # derivation frames have options ([t], [t,shrink]) since issue 12
    titles = re.findall(r"\\begin\{frame\}(?:\[[^\]\n]*\])?\{([^\n]*)\}\n", frames)
    derived = sorted(
        {
            m.group(1)
            for title in titles
            if (m := re.match(r"(Layer \d, \w+, step \d): inputs$", title))
        }
    )
    assert derived == [
        "Layer 1, forward, step 2",
        "Layer 1, forward, step 4",
        "Layer 1, reverse, step 2",
        "Layer 1, reverse, step 4",
    ]
    assert "Layer 0, forward, steps 1--4: not derived" in titles
    assert "Layer 0, reverse, steps 1--4: not derived" in titles
    assert "Layer 1, forward, step 3: not derived" in titles
    assert "Layer 1, reverse, step 1: not derived" in titles
    parts = sorted(p.stem for p in (folder / "parts").glob("*-inputs.tex"))
    assert parts == [
        "l1-forward-t2-inputs",
        "l1-forward-t4-inputs",
        "l1-reverse-t2-inputs",
        "l1-reverse-t4-inputs",
    ]
    values = json.loads((folder / "values.json").read_text())
    assert len(values["steps"]) == 2 * 2 * 4  # values.json keeps every step


@pytest.mark.parametrize(
    ("render", "field", "message"),
    [
        (
            {"steps": [0]},
            "render.steps[0]",
            "there is no step 0: x has 3 steps, numbered from 1, so expected 1 to 3",
        ),
        ({"steps": 4}, "render.steps", "there is no step 4"),
        (
            {"layers": [0, 2]},
            "render.layers[1]",
            "there is no layer 2: the LSTM has 2 layers, numbered from 0 as in the weight names",
        ),
        (
            {"layers": "some"},
            "render.layers",
            "expected all or a list of layers such as [0], found the text 'some'",
        ),
        ({"steps": [1.5]}, "render.steps[0]", "expected a step number, found the number 1.5"),
    ],
)
def test_render_selection_errors(
    render: dict[str, Any], field: str, message: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, "bad", _combination(batch=None, **render))
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert f"{field}: {message}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("steps", "layers", "derived"),
    [
        ("all", "all", {(0, 1), (0, 2), (1, 1), (1, 2)}),
        ([2], "all", {(0, 2), (1, 2)}),
        ("all", [1], {(1, 1), (1, 2)}),
        ([1, 1], [0], {(0, 1)}),
        ([], "all", set()),
    ],
)
def test_render_selection_parsing(steps: Any, layers: Any, derived: set[tuple[int, int]]) -> None:
    example = spec.from_mapping(_combination(length=2, batch=None, steps=steps, layers=layers))
    chosen = {(layer, t) for layer in (0, 1) for t in (1, 2) if example.render.derives(layer, t)}
    assert chosen == derived


def _mismatch(mapping: dict[str, Any], key: str, columns: int) -> dict[str, Any]:
    mapping["weights"][key] = [row[:columns] for row in mapping["weights"][key]]
    return mapping


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda m: _mismatch(m, "weight_ih_l1", 2),
            ["weights.weight_ih_l1: expected 4 columns (2 x proj_size 2, bidirectional), got 2"],
        ),
        (
            lambda m: _mismatch(m, "weight_hh_l0_reverse", 1),
            ["weights.weight_hh_l0_reverse: expected 2 columns (proj_size 2), got 1"],
        ),
        (
            lambda m: {
                **m,
                "weights": {k: v for k, v in m["weights"].items() if k != "weight_hr_l1_reverse"},
            },
            ["weight_hr_l1_reverse", "missing", "(2, 3)"],
        ),
        (
            lambda m: {**m, "h0": m["h0"][:3]},
            ["h0: expected shape (4, 2, 2)", "proj_size 2", "found shape (3, 2, 2)"],
        ),
        (
            lambda m: {**m, "c0": [[row[:2] for row in block] for block in m["c0"]]},
            ["c0: expected shape (4, 2, 3)", "hidden_size 3", "found shape (4, 2, 2)"],
        ),
    ],
    ids=["ih-width", "hh-width", "missing-reverse-projection", "h0-layers", "c0-size"],
)
def test_sizes_and_keys_checked_against_each_other(
    change: Any, fragments: list[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "bad", change(_combination()))
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in result.output
    assert "Traceback" not in result.output


def test_stacked_weight_width_message_names_the_layer_below(tmp_path: Path) -> None:
    lstm = _random_lstm(2, False, 0, True, 2, 4, 3)
    mapping = _torch_example(lstm, *_inputs(lstm, 2, None, 4))
    path = _write(tmp_path, "bad", _mismatch(mapping, "weight_ih_l1", 2))
    result = run_cli("check", path)
    assert result.exit_code == 2
    assert (
        "weights.weight_ih_l1: expected 4 columns (hidden 4, the size of layer 0's h), got 2"
    ) in result.output


# ---------------------------------------------------------------- what the documents say


def test_no_bias_drops_every_bias_term(tmp_path: Path) -> None:
    lstm = _random_lstm(2, True, 0, False, 2, 2, 8)
    path = _write(tmp_path, "nobias", _torch_example(lstm, *_inputs(lstm, 2, None, 9)))
    folder = _render(path, tmp_path / "out", "--no-check")
    texts = [(folder / name).read_text() for name in ("frames.tex", "nobias.tex")]
    texts += [p.read_text() for p in (folder / "parts").glob("*.tex")]
    for text in texts:
        assert "b_{" not in text
        assert "bias is added" not in text
    assert r"W_{ii} x_t + W_{hi} h_{t-1}\right)" in texts[0]  # the overview equations
    assert json.loads((folder / "values.json").read_text())["lstm"]["bias"] is False


def test_batch_is_said_to_be_one_column_per_example(tmp_path: Path) -> None:
    folder = _render(
        _write(tmp_path, "batch", _combination(batch=3)), tmp_path / "out", "--no-check"
    )
    frames = (folder / "frames.tex").read_text()
    article = (folder / "batch.tex").read_text()
    assert "every vector is a matrix with one column per example" in frames
    assert "every vector below is a matrix with one column per example" in article
    for example in (1, 2, 3):  # over time, every example has its own rows
        assert rf"\text{{example {example}: }}\left[h^{{(1)\rightarrow}}_{{1}}" in frames


def test_bundled_examples_show_hand_over_and_concatenation(tmp_path: Path) -> None:
    stacked = (_render(STACKED, tmp_path) / "frames.tex").read_text()
    # layer 1's step-2 inputs on the slide of its step-1 states (slides.hand_over, 97d7d29)
    assert (
        r"{Layer 1, step 1: cell state $c^{(1)}_{1}$ and hidden state $h^{(1)}_{1}$; "
        r"step 2: inputs}"
    ) in stacked
    assert r"x^{(1)}_{2} &= h^{(0)}_{2} = \begin{bmatrix}" in stacked
    assert "Its input is the output of layer~0 at step~2." in stacked
    both = (_render(BIDIRECTIONAL, tmp_path) / "frames.tex").read_text()
    # the reverse direction's first inputs: on the forward direction's last slide (hand_over)
    assert "; reverse, step 3: inputs}" in both
    assert (
        r"Step~3 reads the reverse direction's initial state $h^{\leftarrow}_{4}, "
        r"c^{\leftarrow}_{4}$ as given: that direction starts at the last step."
    ) in both
    assert r"runs $t = 3, 2, 1$ from its initial state" in both  # no ellipsis for three
    # the two directions as blocks of one matrix with a rule, not a bmatrix in a bmatrix
    assert (
        r"\text{output} &= \left[\begin{array}{@{}ccc@{}} h^{\rightarrow}_{1} & \cdots & "
        r"h^{\rightarrow}_{3} \\ \hline h^{\leftarrow}_{1} & \cdots & h^{\leftarrow}_{3} "
        r"\end{array}\right] = \left[\begin{array}{@{}ccc@{}} -0.0927 & "
    ) in both
    output = next(line for line in both.splitlines() if line.startswith(r"\text{output}"))
    assert output.count(r"\hline") == 2 and output.count(r"\begin{array}") == 2
    assert r"\begin{bmatrix} \begin{bmatrix}" not in both


@pytest.mark.parametrize(
    ("layers", "bidirectional", "steps", "expected"),
    [
        (
            1,
            False,
            2,
            r"\begin{array}{ccccccc} h_{0} & \rightarrow & h_{1} & \rightarrow & "
            r"h_{2} &  &  \\  &  & \uparrow &  & \uparrow &  &  \\  &  & x_{1} &  & "
            r"x_{2} &  &  \end{array}",
        ),
        (
            1,
            True,
            1,
            r"\begin{array}{ccccc}  &  & h^{\leftarrow}_{1} & \leftarrow & "
            r"h^{\leftarrow}_{2} \\ h^{\rightarrow}_{0} & \rightarrow & "
            r"h^{\rightarrow}_{1} &  &  \\  &  & \uparrow &  &  \\  &  & x_{1} &  &  "
            r"\end{array}",
        ),
        (
            2,
            False,
            6,
            r"\begin{array}{ccccccccccc} h^{(1)}_{0} & \rightarrow & h^{(1)}_{1} & "
            r"\rightarrow & h^{(1)}_{2} & \rightarrow & \cdots & \rightarrow & "
            r"h^{(1)}_{6} &  &  \\  &  & \uparrow &  & \uparrow &  &  &  & \uparrow &  "
            r"&  \\ h^{(0)}_{0} & \rightarrow & h^{(0)}_{1} & \rightarrow & h^{(0)}_{2} "
            r"& \rightarrow & \cdots & \rightarrow & h^{(0)}_{6} &  &  \\  &  & \uparrow "
            r"&  & \uparrow &  &  &  & \uparrow &  &  \\  &  & x_{1} &  & x_{2} &  & "
            r"\cdots &  & x_{6} &  &  \end{array}",
        ),
    ],
)
def test_network_diagram(layers: int, bidirectional: bool, steps: int, expected: str) -> None:
    cfg = model.LstmConfig(2, 3, num_layers=layers, bidirectional=bidirectional)
    assert context.network_diagram(cfg, steps) == expected


# ---------------------------------------------------------------- every document compiles


def _compile_all(folder: Path, stem: str) -> None:
    """Article, deck and the lecturer's deck (4:3 and 16:9): no errors, no Overfull box."""
    documents = [folder / f"{stem}.tex", folder / f"{stem}-slides.tex"]
    documents += [
        lecturer_deck(folder, folder / "frames.tex", aspect) for aspect in ("", "aspectratio=169")
    ]
    for tex in documents:
        compiled = compile_tex(tex, draft=True)
        assert compiled.ok, (tex.name, compiled.errors)
        assert compiled.overfull_hbox == 0, (tex.name, "Overfull \\hbox")
        assert compiled.overfull_vbox == 0, (tex.name, "Overfull \\vbox")


COMBINATIONS = {
    # name: (layers, bidirectional, proj, bias, n_in, hidden, steps, batch, render)
    "full-combination": (2, True, 2, True, 2, 3, 3, 2, {}),
    "three-layers-no-bias": (3, False, 0, False, 3, 2, 2, None, {}),
    "bidirectional-projection-one-step": (1, True, 1, True, 2, 2, 1, None, {}),
    "batch-chosen-steps": (2, False, 0, True, 2, 3, 5, 3, {"steps": [5], "layers": [1]}),
}


@pytest.mark.latex
@pytest.mark.parametrize("name", COMBINATIONS)
def test_combinations_compile(name: str, tmp_path: Path) -> None:
    layers, bidirectional, proj, bias, n_in, hidden, steps, batch, render = COMBINATIONS[name]
    lstm = _random_lstm(layers, bidirectional, proj, bias, n_in, hidden, 21)
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(torch.round(p * 100) / 100)
    x, h0, c0 = (torch.round(a * 50) / 100 for a in _inputs(lstm, steps, batch, 22))
    mapping = _torch_example(lstm, x, h0, c0, **({"render": render} if render else {}))
    folder = _render(_write(tmp_path, name, mapping), tmp_path / "out")
    _compile_all(folder, name)


@pytest.mark.latex
@pytest.mark.parametrize("example", [STACKED, BIDIRECTIONAL], ids=lambda p: p.stem)
def test_bundled_configuration_examples_compile_cleanly(example: Path, tmp_path: Path) -> None:
    _compile_all(_render(example, tmp_path, "--no-check"), example.stem)
