"""The engine runs its products on one BLAS thread when they are large enough for
OpenBLAS to thread them, and gives the caller's count back (issue 17: a second thread
cost the engine several times its time on a busy machine); small examples, all that
documents show, never import threadpoolctl."""

from __future__ import annotations

import subprocess
import sys
from types import MappingProxyType

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from lstm_tex.compute import engine, recurrence
from lstm_tex.validate import model
from tests.conftest import EXAMPLES


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def _example(steps: int, batch: int, inputs: int, hidden: int) -> model.Example:
    rng = np.random.default_rng(0)
    cfg = model.LstmConfig(input_size=inputs, hidden_size=hidden)
    weights = {name: rng.uniform(-0.3, 0.3, shape) for name, shape in cfg.weight_shapes().items()}
    zeros = np.zeros((1, batch, hidden))
    return model.Example(
        file="threads",
        stem="threads",
        config=cfg,
        weights=MappingProxyType(weights),
        x=rng.uniform(-1, 1, (steps, batch, inputs)),
        h0=zeros,
        c0=zeros,
        batched=True,
    )


def test_a_large_forward_pass_uses_one_blas_thread_and_restores_the_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not _blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can see")
    seen: list[list[int]] = []

    def spy(run: recurrence.DirectionInputs) -> recurrence.DirectionOutputs:
        seen.append(_blas_threads())
        return recurrence.lstm(run)

    monkeypatch.setattr(recurrence, "CELLS", {**recurrence.CELLS, "lstm": spy})
    with threadpool_limits(limits=2, user_api="blas"):
        engine.forward(_example(steps=20, batch=4, inputs=20, hidden=64))
        assert seen and all(threads == 1 for threads in seen[0]), seen
        assert _blas_threads() == [2] * len(_blas_threads())
        seen.clear()
        engine.forward(_example(steps=2, batch=1, inputs=3, hidden=4))  # too small to thread
        assert seen[0] == [2] * len(seen[0])


def test_a_small_forward_pass_never_imports_threadpoolctl() -> None:
    code = (
        "import sys\n"
        "from lstm_tex.compute import engine\n"
        "from lstm_tex.validate import spec\n"
        f"engine.forward(spec.load({str(EXAMPLES / 'stacked.yaml')!r}))\n"
        "assert 'threadpoolctl' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
