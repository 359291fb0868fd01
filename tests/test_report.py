"""The one report type of both cross-checks (issue 18): verdict, values.json entry, message."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_tex.check.report import Differences, Report
from lstm_tex.errors import CheckFailed
from lstm_tex.validate.model import CheckOptions


def _report(*, backward: bool, error: float) -> Report:
    diffs = Differences(("h", "c") if not backward else ("loss", "dh"))
    name = "c" if not backward else "dh"
    diffs.note(name, np.array([1.0, 4.0 + error]), np.array([1.0, 4.0]))
    return diffs.report("cpu", "2.x", CheckOptions(atol=1e-10), backward=backward)


def test_differences_scale_by_the_larger_of_one_and_torch() -> None:
    diffs = Differences(("pre",))
    diffs.note("pre", np.array([0.5, 200.0]), np.array([0.5 + 1e-3, 200.0 + 1.0]))
    diffs.note("pre", 0.0, 0.0)  # a later, smaller difference keeps the largest
    assert diffs.errors == {"pre": pytest.approx(1.0)}
    assert diffs.scaled == {"pre": pytest.approx(1.0 / 201.0)}


@pytest.mark.parametrize(
    "backward,keys",
    [
        (
            False,
            [
                "device",
                "dtype",
                "torch",
                "max_abs_err",
                "max_scaled_err",
                "atol",
                "passed",
                "errors",
            ],
        ),
        (True, ["max_abs_err", "atol", "passed", "device", "dtype", "torch", "errors"]),
    ],
)
def test_the_values_json_entry_keeps_each_pass_s_layout(backward: bool, keys: list[str]) -> None:
    entry = _report(backward=backward, error=0.0).as_json()
    assert list(entry) == keys
    assert entry["passed"] is True and entry["torch"] == "2.x"


@pytest.mark.parametrize(
    "backward,message",
    [
        (
            False,
            "x.yaml: torch (cpu, float64) disagrees with the NumPy trace beyond atol 1e-10 "
            "on: c (0.001); nothing was written",
        ),
        (
            True,
            "x.yaml: torch autograd (cpu, float64) disagrees with the NumPy backward pass "
            "beyond atol 1e-10 on: dh (0.001); nothing was written",
        ),
    ],
)
def test_a_failed_check_names_the_file_and_the_quantities(backward: bool, message: str) -> None:
    report = _report(backward=backward, error=1e-3)
    assert not report.passed and report.failures() == ["c" if not backward else "dh"]
    with pytest.raises(CheckFailed) as raised:
        report.require_passed("x.yaml")
    assert str(raised.value) == message
    assert raised.value.report is report


def test_a_passed_check_is_returned() -> None:
    report = _report(backward=False, error=1e-12)
    assert report.require_passed("x.yaml") is report
    assert report.max_abs_err == pytest.approx(1e-12) and report.max_scaled_err < 1e-12
