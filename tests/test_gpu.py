"""The cross-check on a CUDA device: runs where torch sees a GPU, skipped elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstm_tex.check.forward import cross_check
from lstm_tex.compute import engine
from lstm_tex.validate import spec
from tests.conftest import BUNDLED, run_cli

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU visible to torch on this machine"
)


@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_every_intermediate_agrees_on_cuda(example: Path) -> None:
    trace = engine.forward(spec.load(example))
    report = cross_check(trace, device="cuda", source="--device")
    assert report.device.startswith("cuda")
    assert report.passed, report.scaled
    assert report.max_abs_err <= 1e-10


def test_render_on_cuda_records_the_device(out: Path) -> None:
    example = BUNDLED[0]
    result = run_cli("render", example, "--out", out, "--device", "cuda")
    assert result.exit_code == 0, result.output
    values = json.loads((out / example.stem / "values.json").read_text())
    assert values["check"]["device"].startswith("cuda") and values["check"]["passed"]


def test_backward_on_cuda(out: Path) -> None:
    example = next(p for p in BUNDLED if p.stem == "backward-sequence")
    result = run_cli("render", example, "--out", out, "--device", "cuda:0")
    assert result.exit_code == 0, result.output
    values = json.loads((out / example.stem / "values.json").read_text())
    assert values["backward"]["check"]["passed"]
