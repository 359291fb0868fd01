"""values.json's writer (issue 17): orjson, NumPy vectors written without Python floats,
one vector per line. What it writes must read back as exactly the document
``values.build`` makes with lists, the layout ``json.dumps`` wrote before."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lstm_tex.compute import engine
from lstm_tex.output import values
from lstm_tex.validate import model, spec
from tests.conftest import BUNDLED


def _random(batch: int | None, seed: int) -> model.Example:
    """Two layers, both directions, 3 steps; full-precision random numbers (17 digits)."""
    rng = np.random.default_rng(seed)
    weights = {}
    for layer in (0, 1):
        for suffix in ("", "_reverse"):
            size = 2 if layer == 0 else 6
            weights[f"weight_ih_l{layer}{suffix}"] = rng.normal(size=(12, size)).tolist()
            weights[f"weight_hh_l{layer}{suffix}"] = rng.normal(size=(12, 3)).tolist()
            weights[f"bias_ih_l{layer}{suffix}"] = rng.normal(size=12).tolist()
            weights[f"bias_hh_l{layer}{suffix}"] = rng.normal(size=12).tolist()
    shape = (3, 2) if batch is None else (batch, 3, 2)
    x = (rng.normal(size=shape) * 10.0 ** rng.integers(-8, 8, size=shape)).tolist()
    mapping = {
        "lstm": {"num_layers": 2, "bidirectional": True, "batch_first": batch is not None},
        "weights": weights,
        "x": x,
    }
    return spec.from_mapping(mapping)


@pytest.mark.parametrize("batch", [None, 2], ids=["unbatched", "batch_first"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_file_reads_back_as_the_document(batch: int | None, seed: int) -> None:
    trace = engine.forward(_random(batch, seed))
    text = values.dumps(values.build(trace, None, arrays=True))
    assert json.loads(text) == values.build(trace, None)  # float for float, key for key


@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_bundled_examples_as_json_wrote_them(example: Path) -> None:
    trace = engine.forward(spec.load(example))
    old = json.dumps(values.build(trace, None), indent=1)
    assert json.loads(values.dumps(values.build(trace, None, arrays=True))) == json.loads(old)


def test_layout_one_key_a_line_and_one_vector_a_line() -> None:
    doc = {"a": {"b": np.array([0.1, -2.5e-7, 1e300])}, "m": np.eye(2), "n": None, "s": "x"}
    # orjson 3.8 writes 1e300 and newer releases 1e+300: both are valid JSON, the same number.
    assert values.dumps(doc).replace("e+", "e") == (
        '{\n "a": {\n  "b": [0.1,-2.5e-7,1e300]\n },\n "m": [[1.0,0.0],[0.0,1.0]],\n'
        ' "n": null,\n "s": "x"\n}\n'
    )
    assert values.dumps({"steps": [{"t": 1}, {"t": 2}], "e": [], "o": {}}) == (
        '{\n "steps": [\n  {\n   "t": 1\n  },\n  {\n   "t": 2\n  }\n ],\n "e": [],\n "o": {}\n}\n'
    )


def test_what_orjson_cannot_write_is_written_as_json_writes_it() -> None:
    """NaN and infinities (orjson would write null), an int beyond 64 bits."""
    text = values.dumps({"v": np.array([1.0, math.nan, -math.inf]), "big": [2**70]})
    assert text == '{\n "v": [1.0, NaN, -Infinity],\n "big": [1180591620717411303424]\n}\n'


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_streamed_values_json_is_the_text_of_dumps(path: Path) -> None:
    """values.json is written piece by piece into the staged file (issue 17: never held
    whole): the same bytes as :func:`values.dumps`."""
    import io

    from lstm_tex import pipeline

    trace = pipeline.compute(path)
    doc = values.build(trace, None, arrays=True)
    stream = io.BytesIO()
    values.Streamed(doc)(stream)
    assert stream.getvalue() == values.dumps(doc).encode("utf-8")
    assert json.loads(stream.getvalue())["steps"]
