"""The engine (all inputs projected in one BLAS call, the four gates of a step in one,
every quantity computed in place) gives the numbers of the formulas it had before issue 17:
one gate and one step at a time, with the first sigmoid formula.

Other BLAS calls add the terms of a sum in another order (FMA, blocking), so the last bits
may differ; the bar (issue 17) is 1e-15 of the magnitude of the terms: ``|W||x| + |b|``
and ``|W||h| + |b|``, the scale of the rounding error of any float64 sum of them."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex.compute import engine
from lstm_tex.compute.trace import Trace, directions_of
from lstm_tex.document import numbers
from lstm_tex.validate import model


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return np.asarray(np.where(z >= 0, 1.0, e) / d)


def reference(
    example: model.Example, rounding: engine.Rounding | None = None
) -> list[dict[str, np.ndarray]]:
    """The per-step loop of the engine before issue 17, with every quantity by name."""
    shown = rounding.values if rounding is not None else (lambda a: a)
    parts = shown if rounding is not None and rounding.parts else (lambda a: a)
    cfg, hidden = example.config, example.config.hidden_size
    directions = directions_of(cfg.bidirectional)
    got: list[dict[str, np.ndarray]] = []
    layer_input = example.x
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            p = engine.layer_weights(example, layer, direction)
            w_ih = p["w_ih"].reshape(4, hidden, -1).transpose(0, 2, 1)
            w_hh = p["w_hh"].reshape(4, hidden, -1).transpose(0, 2, 1)
            bias = p["b_ih"] is not None
            index = layer * len(directions) + d
            h, c = example.h0[index], example.c0[index]
            out = np.empty((example.steps, example.batch, cfg.out_size))
            order = range(example.steps)
            for t in order if direction == "forward" else reversed(order):
                ih = np.matmul(layer_input[t], w_ih)
                hh = np.matmul(h, w_hh)
                if bias:
                    ih += p["b_ih"].reshape(4, 1, hidden)
                    hh += p["b_hh"].reshape(4, 1, hidden)
                ih, hh = parts(ih), parts(hh)
                pre = shown(ih + hh)
                act = _sigmoid(pre)
                act[2] = np.tanh(pre[2])
                act = shown(act)
                c = shown(act[1] * c + act[0] * act[2])
                tanh_c = shown(np.tanh(c))
                m = shown(act[3] * tanh_c)
                h = shown(m @ p["w_hr"].T) if p["w_hr"] is not None else m
                terms = max(
                    float(np.max(np.abs(layer_input[t]) @ np.abs(w_ih), initial=0)),
                    float(np.max(np.abs(h) @ np.abs(w_hh), initial=0)),
                )
                if bias:
                    terms += float(np.max(np.abs(p["b_ih"]) + np.abs(p["b_hh"])))
                got.append(
                    {
                        "terms": np.array(terms),
                        "ih": ih,
                        "hh": hh,
                        "pre": pre,
                        "act": act,
                        "c": c,
                        "tanh_c": tanh_c,
                        "m": m,
                        "h": h,
                        "x": layer_input[t],
                    }
                )
                out[t] = h
            outs.append(out)
        layer_input = np.concatenate(outs, axis=-1)
    got.append({"output": layer_input})
    return got


def magnitude(steps: list[dict[str, np.ndarray]]) -> float:
    """The largest magnitude of the terms of any sum of the pass (at least 1)."""
    return max([1.0, *(float(s["terms"]) for s in steps if "terms" in s)])


def _of(trace: Trace) -> list[dict[str, np.ndarray]]:
    got = [
        {
            "ih": np.stack([s.gates[k].ih for k in model.GATES]),
            "hh": np.stack([s.gates[k].hh for k in model.GATES]),
            "pre": np.stack([s.gates[k].pre for k in model.GATES]),
            "act": np.stack([s.gates[k].act for k in model.GATES]),
            "c": s.c,
            "tanh_c": s.tanh_c,
            "m": s.m,
            "h": s.h,
            "x": s.x,
        }
        for s in trace.steps
    ]
    return [*got, {"output": trace.output}]


@settings(max_examples=60, deadline=None)
@given(
    input_size=st.integers(1, 7),
    hidden=st.integers(1, 9),
    steps=st.integers(1, 6),
    batch=st.integers(1, 4),
    layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    proj=st.integers(0, 3),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
    rounded=st.sampled_from([None, 2, 4]),
    parts=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_engine_equals_the_per_step_formulas(
    input_size: int,
    hidden: int,
    steps: int,
    batch: int,
    layers: int,
    bidirectional: bool,
    bias: bool,
    proj: int,
    scale: float,
    rounded: int | None,
    parts: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    cfg = model.LstmConfig(
        input_size=input_size,
        hidden_size=hidden,
        num_layers=layers,
        bias=bias,
        bidirectional=bidirectional,
        proj_size=proj if proj < hidden else 0,
    )
    weights = {
        name: rng.standard_normal(shape) * scale for name, shape in cfg.weight_shapes().items()
    }
    states = (cfg.num_layers * cfg.num_directions, batch)
    example = model.Example(
        file="random",
        stem="random",
        config=cfg,
        weights=MappingProxyType(weights),
        x=rng.standard_normal((steps, batch, input_size)) * scale,
        h0=rng.standard_normal((*states, cfg.out_size)),
        c0=rng.standard_normal((*states, hidden)),
        batched=True,
    )
    rounding = (
        engine.Rounding(numbers.rounder(rounded), parts=parts) if rounded is not None else None
    )
    got = _of(engine.forward(example, rounding=rounding))
    expected = reference(example, rounding)
    assert len(got) == len(expected)
    bar = 1e-15 * magnitude(expected)
    for n, (a, b) in enumerate(zip(got, expected, strict=True)):
        b.pop("terms", None)
        assert a.keys() == b.keys()
        for name in a:
            assert a[name].shape == b[name].shape, (n, name)
            if rounding is None or name == "x":
                np.testing.assert_allclose(
                    a[name], b[name], rtol=0, atol=bar, err_msg=f"{n} {name}"
                )
            else:
                # Rounded as printed: a last-bit difference may only move a value across
                # a rounding boundary, by one unit of the last decimal.
                np.testing.assert_allclose(
                    a[name],
                    b[name],
                    rtol=0,
                    atol=10.0**-rounded * 1.0001 + bar,
                    err_msg=f"{n} {name}",
                )
