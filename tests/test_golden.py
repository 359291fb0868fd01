"""One golden folder per bundled example: the generated LaTeX, byte for byte.

Refresh after an intended change with::

    LSTM_TEX_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

then review ``git diff tests/golden`` before committing. Rendering uses ``--no-check``
so the goldens don't depend on the torch version; values.json is compared numerically
(to 1e-12) because its last digits may differ between BLAS builds.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import BUNDLED, run_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = bool(os.environ.get("LSTM_TEX_UPDATE_GOLDEN"))


def _tex_files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.tex"))}


def _close(a: object, b: object, path: str = "") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{n}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert np.isclose(a, b, rtol=0, atol=1e-12), (path, a, b)  # type: ignore[arg-type]
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_golden(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Render from the repository root with a relative path, as the README does, so the
    # file name printed in the documents is the same everywhere.
    monkeypatch.chdir(example.parents[1])
    result = run_cli("render", f"examples/{example.name}", "--out", tmp_path, "--no-check")
    assert result.exit_code == 0, result.output
    produced = tmp_path / example.stem
    golden = GOLDEN / example.stem
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(produced, golden)
    assert golden.is_dir(), f"no golden for {example.stem}; run with LSTM_TEX_UPDATE_GOLDEN=1"
    assert _tex_files(produced) == _tex_files(golden)
    _close(
        json.loads((produced / "values.json").read_text()),
        json.loads((golden / "values.json").read_text()),
    )
