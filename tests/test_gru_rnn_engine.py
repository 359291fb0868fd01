"""nn.GRU and nn.RNN (issue 14): the engine against torch on every intermediate.

A random ``torch.nn.GRU`` or ``nn.RNN`` (layers, directions, batch, bias true/false/single,
batch_first, tanh/relu) is written into an example; the NumPy trace is compared with the
module itself (output, h_n) and with every intermediate recomputed step by step in torch
ops here, independently of ``lstm_tex.check.forward`` (whose own verdict is checked too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.check.forward import cross_check
from lstm_tex.compute import cells, engine
from lstm_tex.validate import spec

Key = tuple[int, str, int]


def _module(cfg: dict[str, Any]) -> torch.nn.Module:
    torch.manual_seed(cfg["seed"])
    options: dict[str, Any] = {}
    if cfg["kind"] != "gru":
        options["nonlinearity"] = cfg["kind"].removeprefix("rnn-")
    net_class = torch.nn.GRU if cfg["kind"] == "gru" else torch.nn.RNN
    net = net_class(
        cfg["n_in"],
        cfg["hidden"],
        num_layers=cfg["layers"],
        bias=cfg["bias"] is not False,
        bidirectional=cfg["bidirectional"],
        batch_first=cfg["batch_first"],
        dtype=torch.float64,
        **options,
    )
    with torch.no_grad():  # weights beyond torch's small init; bias: single zeroes b_hh
        for name, p in net.named_parameters():
            p.uniform_(-1.0, 1.0)
            if cfg["bias"] == "single" and name.startswith("bias_hh"):
                p.zero_()
    return net.eval()


def _mapping(cfg: dict[str, Any], net: torch.nn.Module, x: torch.Tensor, h0: torch.Tensor) -> Any:
    kind = "gru" if cfg["kind"] == "gru" else "rnn"
    section: dict[str, Any] = {"bias": cfg["bias"], "batch_first": cfg["batch_first"]}
    if kind == "rnn":
        section["nonlinearity"] = cfg["kind"].removeprefix("rnn-")
    weights = {
        k: v.tolist()
        for k, v in net.state_dict().items()
        if not (cfg["bias"] == "single" and k.startswith("bias_hh"))
    }
    return {kind: section, "weights": weights, "x": x.tolist(), "h0": h0.tolist()}


def _per_step(
    net: Any, kind: str, x: torch.Tensor, h0: torch.Tensor
) -> dict[Key, dict[str, torch.Tensor]]:
    """Every intermediate in torch ops; x (T, B, in), h0 (L*D, B, hidden)."""
    directions = ("forward", "reverse") if net.bidirectional else ("forward",)
    hidden = net.hidden_size
    names = ("r", "z", "n") if kind == "gru" else ("h",)
    found: dict[Key, dict[str, torch.Tensor]] = {}
    layer_input = x
    steps = x.shape[0]
    for layer in range(net.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            w_ih, w_hh = getattr(net, "weight_ih" + sfx), getattr(net, "weight_hh" + sfx)
            b_ih = getattr(net, "bias_ih" + sfx) if net.bias else None
            b_hh = getattr(net, "bias_hh" + sfx) if net.bias else None
            h = h0[layer * len(directions) + d]
            out = [torch.empty(0)] * steps
            order = range(steps) if direction == "forward" else reversed(range(steps))
            for t in order:
                item: dict[str, torch.Tensor] = {}
                for n, k in enumerate(names):
                    rows = slice(n * hidden, (n + 1) * hidden)
                    ih = layer_input[t] @ w_ih[rows].T
                    hh = h @ w_hh[rows].T
                    if b_ih is not None and b_hh is not None:
                        ih, hh = ih + b_ih[rows], hh + b_hh[rows]
                    pre = ih + item["r"] * hh if k == "n" else ih + hh
                    if k in ("r", "z"):
                        act = torch.sigmoid(pre)
                    elif kind == "rnn-relu":
                        act = torch.relu(pre)
                    else:
                        act = torch.tanh(pre)
                    item[f"{k}.ih"], item[f"{k}.hh"], item[f"{k}.pre"], item[k] = ih, hh, pre, act
                h = (1 - item["z"]) * item["n"] + item["z"] * h if kind == "gru" else item["h"]
                item["h"] = h
                found[(layer, direction, t + 1)] = item
                out[t] = h
            outs.append(torch.stack(out))
        layer_input = torch.cat(outs, dim=-1)
    return found


def _close(ours: np.ndarray, theirs: torch.Tensor, what: str) -> None:
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-10, err_msg=what)


configs = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["gru", "rnn-tanh", "rnn-relu"]),
        "layers": st.integers(1, 3),
        "bidirectional": st.booleans(),
        "batch": st.one_of(st.none(), st.integers(1, 4)),
        "bias": st.sampled_from([True, False, "single"]),
        "batch_first": st.booleans(),
        "steps": st.integers(1, 5),
        "n_in": st.integers(1, 5),
        "hidden": st.integers(1, 5),
        "seed": st.integers(0, 2**31 - 1),
    }
)


@settings(max_examples=60, deadline=None)
@given(configs)
def test_any_gru_or_rnn_agrees_with_torch_on_every_intermediate(cfg: dict[str, Any]) -> None:
    if cfg["batch"] is None:
        cfg["batch_first"] = False  # torch ignores it without a batch; so does the file
    net = _module(cfg)
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    ld = cfg["layers"] * (2 if cfg["bidirectional"] else 1)
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    x = torch.randn(cfg["steps"], *lead, cfg["n_in"], generator=gen, dtype=torch.float64)
    h0 = torch.randn(ld, *lead, cfg["hidden"], generator=gen, dtype=torch.float64)
    written = x.transpose(0, 1) if cfg["batch_first"] else x  # (B, T, in) as torch reads it
    example = spec.from_mapping(_mapping(cfg, net, written, h0), name="random.yaml")
    kind = "gru" if cfg["kind"] == "gru" else "rnn"
    assert example.config.kind == kind
    assert example.config.cell.blocks == (3 if kind == "gru" else 1)
    assert example.config.bias == cfg["bias"]
    trace = engine.forward(example)
    assert trace.c_n is None

    with torch.no_grad():
        output, h_n = net(written, h0)
        x3, h03 = (x, h0) if cfg["batch"] is not None else (x[:, None], h0[:, None])
        recomputed = _per_step(net, cfg["kind"], x3, h03)
    theirs_out = output.transpose(0, 1) if cfg["batch_first"] else output
    if cfg["batch"] is None:
        theirs_out, h_n = theirs_out[:, None], h_n[:, None]
    _close(trace.output, theirs_out, "output")
    _close(trace.h_n, h_n, "h_n")
    assert {s.key for s in trace.steps} == set(recomputed)
    for step in trace.steps:
        theirs = recomputed[step.key]
        assert step.c is None and step.c_prev is None and step.tanh_c is None and step.m is None
        assert tuple(step.gates) == example.config.cell.gate_names
        for k, gate in step.gates.items():
            for part in ("ih", "hh", "pre"):
                _close(getattr(gate, part), theirs[f"{k}.{part}"], f"{step.key} {k}.{part}")
            _close(gate.act, theirs[k], f"{step.key} {k}")
        _close(step.h, theirs["h"], f"{step.key} h")
    report = cross_check(trace)
    assert report.passed, report.scaled
    assert set(report.errors) == {*example.config.cell.quantities, "output", "h_n"}


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_displayed_rounding_runs_for_every_cell(kind: str) -> None:
    """``carry: displayed``: each quantity is rounded as computed and the next one is
    computed from it (checked here for h of the GRU formula and the RNN's act)."""
    cfg = {
        "kind": "gru" if kind == "gru" else "rnn-tanh",
        "layers": 1,
        "bidirectional": False,
        "bias": True,
        "batch_first": False,
        "n_in": 2,
        "hidden": 3,
        "seed": 5,
    }
    net = _module(cfg)
    x, h0 = torch.randn(3, 2, dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64)
    example = spec.from_mapping(_mapping(cfg, net, x, h0), name="r.yaml")

    def two(a: np.ndarray) -> np.ndarray:
        return np.round(a, 2)

    shown = engine.forward(example, rounding=engine.Rounding(values=two))
    exact = engine.forward(example)
    h_prev = example.h0[0]
    for s in shown.steps:
        for gate in s.gates.values():
            for part in (gate.ih, gate.hh, gate.pre, gate.act):
                np.testing.assert_array_equal(part, two(part))
        if kind == "gru":
            g = s.gates
            np.testing.assert_array_equal(g["n"].pre, two(g["n"].ih + g["r"].act * g["n"].hh))
            expected = two((1 - g["z"].act) * g["n"].act + g["z"].act * h_prev)
        else:
            expected = two(np.tanh(s.gates["h"].pre))
        np.testing.assert_array_equal(s.h, expected)
        h_prev = s.h
    assert np.abs(shown.output - exact.output).max() > 0  # the rounding was carried


def test_gate_blocks_split_by_cell() -> None:
    w = np.arange(12.0).reshape(6, 2)
    assert list(engine.gate_blocks(w, 2, cells.GRU)) == ["r", "z", "n"]
    np.testing.assert_array_equal(engine.gate_blocks(w, 2, cells.GRU)["n"], w[4:])
    np.testing.assert_array_equal(engine.gate_blocks(w[:2], 2, cells.RNN_RELU)["h"], w[:2])
    assert list(engine.gate_blocks(np.zeros((8, 1)), 2)) == ["i", "f", "g", "o"]
    assert list(engine.gate_blocks(w, 3, ("a", "b"))) == ["a", "b"]
