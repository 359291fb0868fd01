"""The cross-check runs on one torch thread and gives the caller's thread count back
(issue 17: thousands of tiny products, where a second thread only costs hand-offs)."""

from __future__ import annotations

import pytest

from lstm_tex import pipeline
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")


def test_the_check_uses_one_thread_and_restores_the_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lstm_tex.check import forward

    seen = []
    real = forward.cross_check

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(forward, "cross_check", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        report = pipeline.check(pipeline.compute(EXAMPLES / "stacked.yaml"))
        assert report.passed and seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
