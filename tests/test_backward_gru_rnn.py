"""The backward pass (BPTT) of nn.GRU and nn.RNN: gradients against torch autograd.

The property test builds a random GRU or RNN (tanh or relu) configuration, computes the
gradients with ``lstm_tex.compute.backward`` and compares them with ``torch.nn.GRU`` /
``torch.nn.RNN`` and autograd, written here (independently of
``lstm_tex.check.backward``), on every weight, h0, the loss and the SGD step; then the
module the pipeline uses must agree too, on every dh_t and dpre. A central-difference
test checks the GRU's gradients without torch at all.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex import pipeline
from lstm_tex.check.backward import cross_check_gradients
from lstm_tex.compute import backward, engine
from lstm_tex.compute.trace import Trace
from lstm_tex.errors import CheckFailed
from lstm_tex.output import backward_values
from lstm_tex.validate import model, spec
from tests.conftest import run_cli

TOLERANCE = 1e-10
DAMAGE = 1e-6
BLOCKS = {"gru": 3, "rnn": 1}


def _example(cfg: dict[str, Any]) -> dict[str, Any]:
    """An example mapping for ``cfg`` (kind gru or rnn): weights uniform in [-1, 1]."""
    rng = np.random.default_rng(cfg["seed"])
    hidden, blocks = cfg["hidden"], BLOCKS[cfg["kind"]]
    directions = 2 if cfg["bidirectional"] else 1
    sfxs = ("", "_reverse") if cfg["bidirectional"] else ("",)
    weights: dict[str, Any] = {}
    for layer in range(cfg["layers"]):
        n_in = cfg["n_in"] if layer == 0 else directions * hidden
        for sfx in sfxs:
            weights[f"weight_ih_l{layer}{sfx}"] = rng.uniform(-1, 1, (blocks * hidden, n_in))
            weights[f"weight_hh_l{layer}{sfx}"] = rng.uniform(-1, 1, (blocks * hidden, hidden))
            if cfg["bias"]:
                weights[f"bias_ih_l{layer}{sfx}"] = rng.uniform(-1, 1, blocks * hidden)
            if cfg["bias"] is True:
                weights[f"bias_hh_l{layer}{sfx}"] = rng.uniform(-1, 1, blocks * hidden)
    batch, T = cfg["batch"], cfg["steps"]
    batch_first = cfg["batch_first"] and batch is not None
    if batch is None:
        lead: tuple[int, ...] = (T,)
    else:
        lead = (batch, T) if batch_first else (T, batch)
    out = directions * hidden
    if cfg["last"]:
        target_shape: tuple[int, ...] = (out,) if batch is None else (batch, out)
    else:
        target_shape = (*lead, out)
    section: dict[str, Any] = {"bias": cfg["bias"], "batch_first": batch_first}
    if cfg["kind"] == "rnn":
        section["nonlinearity"] = cfg["nonlinearity"]
    ld = cfg["layers"] * directions
    return {
        cfg["kind"]: section,
        "weights": {k: v.tolist() for k, v in weights.items()},
        "x": rng.uniform(-1, 1, (*lead, cfg["n_in"])).tolist(),
        "h0": rng.uniform(-1, 1, (ld, hidden) if batch is None else (ld, batch, hidden)).tolist(),
        "backward": {
            "target": rng.uniform(-1, 1, target_shape).tolist(),
            "loss": cfg["loss"],
            "lr": cfg["lr"],
        },
    }


def _torch_autograd(data: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    """Loss, gradients, dL/dh0 and the loss after one SGD step, by nn.GRU / nn.RNN and
    autograd, from the example mapping itself (torch's shapes, batch_first as written)."""
    section = data[cfg["kind"]]
    options: dict[str, Any] = {}
    if cfg["kind"] == "rnn":
        options["nonlinearity"] = cfg["nonlinearity"]
    network = (torch.nn.GRU if cfg["kind"] == "gru" else torch.nn.RNN)(
        cfg["n_in"],
        cfg["hidden"],
        num_layers=cfg["layers"],
        bias=bool(cfg["bias"]),
        bidirectional=cfg["bidirectional"],
        batch_first=section["batch_first"],
        dtype=torch.float64,
        **options,
    )
    state = {k: torch.tensor(v, dtype=torch.float64) for k, v in data["weights"].items()}
    if cfg["bias"] == "single":  # one bias per gate: bias_hh fixed at zero, not trained
        for key in [k for k in state if k.startswith("bias_ih")]:
            state[key.replace("bias_ih", "bias_hh")] = torch.zeros_like(state[key])
    network.load_state_dict(state)
    for name, p in network.named_parameters():
        p.requires_grad_(name in data["weights"])
    h0 = torch.tensor(data["h0"], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(data["x"], dtype=torch.float64)
    target = torch.tensor(data["backward"]["target"], dtype=torch.float64)
    time_axis = 1 if section["batch_first"] else 0

    def loss_of(output: torch.Tensor) -> torch.Tensor:
        seen = output.select(time_axis, -1) if cfg["last"] else output
        if cfg["loss"] == "mse":
            return torch.nn.functional.mse_loss(seen, target)
        return 0.5 * ((seen - target) ** 2).sum()

    loss = loss_of(network(x, h0)[0])
    loss.backward()
    params = {k: p for k, p in network.named_parameters() if p.requires_grad}
    grads = {k: p.grad.numpy().copy() for k, p in params.items()}  # type: ignore[union-attr]
    with torch.no_grad():
        for p in params.values():
            p.sub_(cfg["lr"] * p.grad)  # type: ignore[operator]
        after = loss_of(network(x, h0)[0]).item()
    assert h0.grad is not None
    return {"loss": loss.item(), "grads": grads, "h0": h0.grad.numpy(), "loss_after": after}


configurations = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["gru", "rnn"]),
        "nonlinearity": st.sampled_from(["tanh", "relu"]),
        "layers": st.integers(1, 2),
        "bidirectional": st.booleans(),
        "hidden": st.integers(2, 3),
        "n_in": st.integers(1, 3),
        "batch": st.sampled_from([None, 1, 2]),
        "batch_first": st.booleans(),
        "bias": st.sampled_from([True, False, "single"]),
        "steps": st.integers(1, 4),
        "last": st.booleans(),
        "loss": st.sampled_from(["mse", "sse"]),
        "lr": st.sampled_from([0.1, 0.5]),
        "seed": st.integers(0, 2**16),
    }
)


def _close(ours: float, theirs: float) -> bool:
    return abs(ours - theirs) <= TOLERANCE * max(1.0, abs(theirs))


@settings(max_examples=40, deadline=None)
@given(cfg=configurations)
def test_gru_and_rnn_gradients_agree_with_torch_autograd(cfg: dict[str, Any]) -> None:
    data = _example(cfg)
    ex = spec.from_mapping(data)
    assert ex.config.kind == cfg["kind"]
    ours = backward.backward(engine.forward(ex))
    theirs = _torch_autograd(data, cfg)
    assert _close(ours.loss, theirs["loss"])
    assert set(ours.grads) == set(ex.weights) == set(theirs["grads"])
    for name, grad in ours.grads.items():
        assert grad.shape == ex.weights[name].shape
        np.testing.assert_allclose(
            grad, theirs["grads"][name], rtol=0, atol=TOLERANCE, err_msg=name
        )
    np.testing.assert_allclose(
        ours.dh0.reshape(theirs["h0"].shape), theirs["h0"], rtol=0, atol=TOLERANCE
    )
    assert ours.dc0 is None
    assert ours.sgd is not None and _close(ours.sgd.loss_after, theirs["loss_after"])
    # The module the pipeline uses agrees too, on every dh_t and dpre as well.
    report = cross_check_gradients(ours)
    assert report.passed and report.max_abs_err <= TOLERANCE, report.errors
    assert "c0" not in report.errors and "dc" not in report.errors


def _fixed(kind: str, **changes: Any) -> dict[str, Any]:
    cfg = {
        "kind": kind,
        "nonlinearity": "tanh",
        "layers": 2,
        "bidirectional": True,
        "hidden": 2,
        "n_in": 2,
        "batch": 2,
        "batch_first": False,
        "bias": True,
        "steps": 3,
        "last": False,
        "loss": "mse",
        "lr": 0.1,
        "seed": 14,
    }
    return {**cfg, **changes}


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_gradients_agree_with_central_differences(kind: str) -> None:
    """Without torch: nudge every weight and h0 entry and watch the loss."""
    ex = spec.from_mapping(_example(_fixed(kind, layers=1, bidirectional=True, steps=3)))
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
    numeric = np.zeros_like(ex.h0)
    for index in np.ndindex(ex.h0.shape):
        up, down = ex.h0.copy(), ex.h0.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss(replace(ex, h0=up)) - loss(replace(ex, h0=down))) / (2 * h)
    np.testing.assert_allclose(grads.dh0, numeric, rtol=0, atol=1e-8)


def test_gru_r_sees_w_hn_h_plus_b_hn() -> None:
    """torch's convention: dr_t = delta_n,t * (W_hn h_{t-1} + b_hn), and what reaches
    W_hn h + b_hn is r_t * delta_n,t (so db_hn differs from db_in)."""
    ex = spec.from_mapping(_example(_fixed("gru", layers=1, bidirectional=False, batch=None)))
    trace = engine.forward(ex)
    grads = backward.backward(trace)
    hidden = ex.config.hidden_size
    n_rows = slice(2 * hidden, 3 * hidden)
    for s, b in zip(trace.steps, grads.steps, strict=True):
        r, n = s.gates["r"], s.gates["n"]
        np.testing.assert_array_equal(b.gates["r"].d, b.gates["n"].dpre * n.hh)
        np.testing.assert_array_equal(b.gates["n"].dhh, r.act * b.gates["n"].dpre)
    db_in = sum(b.gates["n"].dpre.sum(axis=0) for b in grads.steps)
    db_hn = sum(b.gates["n"].dhh.sum(axis=0) for b in grads.steps)
    np.testing.assert_allclose(grads.grads["bias_ih_l0"][n_rows], db_in, atol=1e-15)
    np.testing.assert_allclose(grads.grads["bias_hh_l0"][n_rows], db_hn, atol=1e-15)
    assert not np.allclose(db_in, db_hn)


def test_relu_passes_no_gradient_where_the_pre_activation_is_negative() -> None:
    ex = spec.from_mapping(
        _example(_fixed("rnn", nonlinearity="relu", layers=1, bidirectional=False, seed=3))
    )
    trace = engine.forward(ex)
    grads = backward.backward(trace)
    off = 0
    for s, b in zip(trace.steps, grads.steps, strict=True):
        pre, dpre = s.gates["h"].pre, b.gates["h"].dpre
        assert not dpre[pre <= 0].any()
        np.testing.assert_array_equal(dpre[pre > 0], b.dh[pre > 0])
        off += int((pre <= 0).sum())
    assert off > 0  # the example does switch some units off


# ---------------------------------------------------------------- values.json


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_values_json_backward_layout(kind: str) -> None:
    ex = spec.from_mapping(_example(_fixed(kind)))
    gradients = pipeline.differentiate(pipeline.compute(ex))
    assert gradients is not None
    doc = json.loads(json.dumps(backward_values.build(gradients, None)))
    assert set(doc["grads"]) == {*ex.weights, "h0"}
    for name, weight in ex.weights.items():
        assert np.shape(doc["grads"][name]) == weight.shape, name
    assert np.shape(doc["grads"]["h0"]) == ex.h0.shape
    assert len(doc["steps"]) == len(gradients.steps)
    for step, b in zip(doc["steps"], gradients.steps, strict=True):
        assert "dc" not in step and "dm" not in step
        np.testing.assert_array_equal(step["dh"], b.dh)
        if kind == "gru":
            assert set(step["gates"]) == {"r", "z", "n"}
            for k, gate in step["gates"].items():
                np.testing.assert_array_equal(gate["dpre"], b.gates[k].dpre)
            np.testing.assert_array_equal(step["gates"]["n"]["dhh"], b.gates["n"].dhh)
        else:
            assert "gates" not in step
            np.testing.assert_array_equal(step["dpre"], b.gates["h"].dpre)
    assert doc["sgd"]["lr"] == 0.1 and set(doc["sgd"]["weights"]) == set(ex.weights)


# ---------------------------------------------------------------- the cross-check


def _damaged(gradients: backward.Gradients, field: str, key: Any) -> backward.Gradients:
    """``gradients`` with one compared quantity moved by DAMAGE (its last entry)."""

    def bumped(array: np.ndarray) -> np.ndarray:
        out = np.array(array, dtype=np.float64, copy=True)
        out.flat[-1] += DAMAGE
        return out

    if field == "loss":
        return replace(gradients, loss=gradients.loss + DAMAGE)
    if field == "h0":
        return replace(gradients, dh0=bumped(gradients.dh0))
    if field == "grads":
        grads = {**gradients.grads, key: bumped(gradients.grads[key])}
        return replace(gradients, grads=MappingProxyType(grads))
    if field in ("dh", "dpre"):
        index, gate = key
        steps = list(gradients.steps)
        s = steps[index]
        if field == "dpre":
            g = dataclasses.replace(s.gates[gate], dpre=bumped(s.gates[gate].dpre))
            steps[index] = replace(s, gates={**s.gates, gate: g})
        else:
            steps[index] = replace(s, dh=bumped(s.dh))
        return replace(gradients, steps=tuple(steps))
    sgd = gradients.sgd
    assert sgd is not None
    if field == "sgd_weights":
        sgd = replace(sgd, weights=MappingProxyType({**sgd.weights, key: bumped(sgd.weights[key])}))
    else:
        sgd = replace(sgd, loss_after=sgd.loss_after + DAMAGE)
    return replace(gradients, sgd=sgd)


def _damage_cases(kind: str, nonlinearity: str = "tanh") -> list[Any]:
    ex = spec.from_mapping(_example(_fixed(kind, nonlinearity=nonlinearity)))
    gates = ("r", "z", "n") if kind == "gru" else ("h",)
    label = kind if kind == "gru" else f"rnn-{nonlinearity}"
    cases = [("loss", None, "loss"), ("h0", None, "h0")]
    cases += [("grads", name, "grads") for name in ex.weights]
    for index in (0, -1):
        cases.append(("dh", (index, None), "dh"))
        cases += [("dpre", (index, k), "dpre") for k in gates]
    cases += [("sgd_weights", name, "sgd_weights") for name in ex.weights]
    cases.append(("loss_after", None, "loss_after"))
    return [
        pytest.param(kind, nonlinearity, f, k, n, id=f"{label}-{f}-{k}".replace(" ", ""))
        for f, k, n in cases
    ]


_GRADIENTS: dict[tuple[str, str], backward.Gradients] = {}


def _gradients(kind: str, nonlinearity: str) -> backward.Gradients:
    if (kind, nonlinearity) not in _GRADIENTS:
        ex = spec.from_mapping(_example(_fixed(kind, nonlinearity=nonlinearity)))
        found = pipeline.differentiate(pipeline.compute(ex))
        assert found is not None
        _GRADIENTS[(kind, nonlinearity)] = found
    return _GRADIENTS[(kind, nonlinearity)]


@pytest.mark.parametrize(
    ("kind", "nonlinearity", "field", "key", "name"),
    [*_damage_cases("gru"), *_damage_cases("rnn"), *_damage_cases("rnn", "relu")],
)
def test_the_gradient_check_names_each_damaged_quantity(
    kind: str, nonlinearity: str, field: str, key: Any, name: str
) -> None:
    gradients = _gradients(kind, nonlinearity)
    assert cross_check_gradients(gradients).passed
    report = cross_check_gradients(_damaged(gradients, field, key))
    assert not report.passed
    assert report.failures() == [name]
    assert report.errors[name] == pytest.approx(DAMAGE, rel=1e-3)


def test_a_damaged_gru_gradient_exits_1_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gru.yaml"
    path.write_text(json.dumps(_example(_fixed("gru", layers=1, bidirectional=False))))
    right = backward.backward

    def wrong(trace: Trace) -> backward.Gradients:
        return _damaged(right(trace), "dpre", (1, "n"))

    monkeypatch.setattr(backward, "backward", wrong)
    with pytest.raises(CheckFailed, match=r"beyond atol 1e-10 on: dpre \("):
        pipeline.check_gradients(wrong(pipeline.compute(spec.load(path))))
    result = run_cli("check", path)
    assert result.exit_code == 1, result.output
    assert "autograd" in result.output and "dpre" in result.output


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_a_target_of_the_wrong_shape_exits_2(kind: str, tmp_path: Path) -> None:
    data = _example(_fixed(kind, layers=1, bidirectional=False, batch=None, steps=3))
    data["backward"]["target"] = np.zeros((3, 3)).tolist()  # hidden is 2
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(data))
    result = run_cli("check", path)
    assert result.exit_code == 2, result.output
    assert "backward.target" in result.output
    assert "expected the shape of output (3, 2) or of its last step (2,), found (3, 3)" in (
        result.output
    )
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the documents

#: Configurations whose backward documents are compiled: together every line kind of the
#: GRU and the RNN (relu and tanh), with layers, both directions, batches, no bias, one
#: bias per gate, a loss on the last step only and a sequence long enough to stack sums.
DOCUMENTED = {
    "gru-sequence": _fixed("gru", layers=1, bidirectional=False, batch=None, seed=1),
    "gru-stacked": _fixed("gru", batch=None, bias="single", last=True, loss="sse", steps=2, seed=2),
    "gru-batch": _fixed("gru", layers=1, bidirectional=False, bias=False, steps=2, seed=3),
    "rnn-relu": _fixed("rnn", nonlinearity="relu", steps=2, seed=4),
    "rnn-long": _fixed(
        "rnn", layers=1, bidirectional=False, batch=None, steps=6, bias=False, seed=5
    ),
}


def _rounded(cfg: dict[str, Any]) -> model.Example:
    """The example of ``cfg`` with numbers of two decimals, as a lecturer writes them."""
    data = _example(cfg)

    def r2(value: Any) -> Any:
        return np.round(np.array(value), 2).tolist()

    data["weights"] = {k: r2(v) for k, v in data["weights"].items()}
    data["x"], data["h0"] = r2(data["x"]), r2(data["h0"])
    data["backward"]["target"] = r2(data["backward"]["target"])
    return spec.from_mapping(data, name=f"{cfg['kind']}.yaml")


def _backward_documents(folder: Path) -> dict[str, Path]:
    """The backward pass of every configuration of :data:`DOCUMENTED` as the pipeline
    renders it (article section, frames, parts), gathered into one article, one deck and
    one document of parts, so that three pdflatex runs compile them all."""
    from lstm_tex.document import backward_context, measure
    from lstm_tex.latex import tex
    from lstm_tex.latex.templates import environment, render_template

    env = environment(None)
    frames_tex = (Path(__file__).parents[1] / "templates" / "frames.tex.j2").read_text()
    fit = next(line for line in frames_tex.splitlines() if line.startswith("\\def\\lstmfit"))
    article, deck, parts = [], [fit], []
    (folder / "parts").mkdir(parents=True)
    for name, cfg in DOCUMENTED.items():
        ex = _rounded(cfg)
        gradients = pipeline.differentiate(pipeline.compute(ex))
        assert gradients is not None
        report = pipeline.check_gradients(gradients)
        paper = {"backward": backward_context.build(gradients, report, slides=False)}
        slides = {
            "backward": backward_context.build(gradients, report, slides=True),
            # what context.build adds for the frames: the slides' sizes (render.text_size)
            "text_size": dict(
                zip(("body", "note"), measure.SLIDE_SIZES[ex.render.text_size], strict=True)
            ),
        }
        fragments = {
            "backward": backward_context.build(gradients, report, slides=False, parts=True),
            "source": name,
            "part_needs": tex.needs_comment(tex.PART_NEEDS),
        }
        article.append(render_template(env, "backward-article.tex.j2", paper))
        deck.append(render_template(env, "backward-frames.tex.j2", slides))
        for part in backward_context.parts(fragments["backward"]):
            path = folder / "parts" / f"{name}-{part['id']}.tex"
            path.write_text(
                render_template(env, "backward-part.tex.j2", {**fragments, "part": part})
            )
            parts.append(f"\\section*{{{name} {part['id']}}}\n\\input{{parts/{path.name}}}")
    docs = {
        "article": tex.article("GRU and RNN backward", "\n\\clearpage\n".join(article)),
        "slides": tex.deck("GRU and RNN backward", "\n".join(deck)),
    }
    paths = {}
    for key, doc in docs.items():
        paths[key] = folder / f"{key}.tex"
        paths[key].write_text(doc.dumps() + "\n")
    paths["parts"] = folder / "parts.tex"
    paths["parts"].write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
        "\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n"
        + "\n".join(parts)
        + "\n\\end{document}\n"
    )
    return paths


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _backward_documents(tmp_path_factory.mktemp("gru-rnn-backward"))


def test_the_documents_derive_each_cell_with_its_own_chain_rule(
    documents: dict[str, Path],
) -> None:
    article = documents["article"].read_text()
    slides = documents["slides"].read_text()
    for text, d in ((article, "\\mathrm{d}"), (slides, "\\mathsf{d}")):
        # GRU: torch's r * (W_hn h + b_hn), and what goes back through z directly.
        assert (
            f"{d}r_t = \\delta_{{n,t}} \\odot \\left(W_{{hn}} h_{{t-1}} + b_{{hn}}\\right)" in text
        )
        assert f"{d}z_{{3}} &= {d}h_{{3}} \\odot \\left(h_{{2}} - n_{{3}}\\right)" in text
        assert "\\tilde{\\delta}_{n,3} &= r_{3} \\odot \\delta_{n,3}" in text
        assert f"{d}h_{{0}} &= W_{{hh}}^{{\\top}}\\tilde{{\\delta}}_{{1}} + z_{{1}}" in text
        # RNN: relu's derivative as a mask, tanh's as 1 - h^2.
        assert f"\\delta_t &= {d}h_t \\odot \\left[h_t > 0\\right]" in text
        assert f"\\delta_t &= {d}h_t \\odot \\left(1 - h_t^2\\right)" in text
        assert f"{d}c" not in text  # no cell state anywhere
    assert "\\paragraph{Gradients: candidate weights.}" in article
    assert "\\mathrm{d}b_{in} &=" in article and "\\mathrm{d}b_{hn} &=" in article
    assert "cross-checked against PyTorch" in article


@pytest.mark.latex
@pytest.mark.parametrize("name", ["article", "slides", "parts"])
def test_the_documents_compile_without_overfull_boxes(
    documents: dict[str, Path], name: str
) -> None:
    from tests.conftest import compile_tex

    compiled = compile_tex(documents[name], draft=True)
    assert compiled.ok, compiled.errors
    assert compiled.overfull == 0, (compiled.overfull_hbox, compiled.overfull_vbox)
