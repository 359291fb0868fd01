"""The report of a cross-check against torch: one type for the forward and backward passes.

:func:`lstm_tex.check.forward.cross_check` (the NumPy trace against ``torch.nn.LSTM`` and the
gate formulas in torch ops) and :func:`lstm_tex.check.backward.cross_check_gradients`
(the NumPy backward pass against torch autograd) both collect their differences in a
:class:`Differences` and give back a :class:`Report`. No torch here: the report is
plain numbers, so values.json and the documents read it without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.errors import CheckFailed

if TYPE_CHECKING:
    from lstm_tex.validate.model import CheckOptions


@dataclass(frozen=True)
class Report:
    """Max error per quantity, and the verdict against ``atol``.

    ``errors`` holds the largest absolute difference per quantity. ``scaled`` holds
    ``|ours - torch| / max(1, |torch|)``: the same for values up to 1 in size (gates,
    h, c), relative for larger ones (pre-activations of huge weights, the sse loss of
    large errors), where float64 itself cannot promise an absolute 1e-10. The verdict
    uses ``scaled``. ``backward``: the report of the gradient check (it words its
    failure and its values.json entry as the backward pass does).
    """

    device: str
    dtype: str
    torch_version: str
    atol: float
    errors: dict[str, float] = field(default_factory=dict)
    scaled: dict[str, float] = field(default_factory=dict)
    backward: bool = False

    @property
    def max_abs_err(self) -> float:
        """The largest absolute difference over all quantities."""
        return max(self.errors.values(), default=0.0)

    @property
    def max_scaled_err(self) -> float:
        """The largest scaled difference over all quantities (what the verdict reads)."""
        return max(self.scaled.values(), default=0.0)

    @property
    def passed(self) -> bool:
        """Whether every scaled difference is within ``atol``."""
        return self.max_scaled_err <= self.atol

    def failures(self) -> list[str]:
        """The quantities whose (scaled) error is beyond ``atol``."""
        return [q for q, e in self.scaled.items() if e > self.atol]

    def require_passed(self, file: str) -> Report:
        """This report, or :class:`~lstm_tex.errors.CheckFailed` (exit 1) naming ``file``
        and the quantities beyond ``atol`` when it did not pass."""
        if self.passed:
            return self
        worst = ", ".join(f"{q} ({self.errors[q]:.3g})" for q in self.failures())
        on = f"({self.device}, {self.dtype})"
        if self.backward:
            what = f"torch autograd {on} disagrees with the NumPy backward pass"
        else:
            what = f"torch {on} disagrees with the NumPy trace"
        raise CheckFailed(
            f"{file}: {what} beyond atol {self.atol:g} on: {worst}; nothing was written", self
        )

    def as_json(self) -> dict[str, Any]:
        """The ``check`` entry of values.json (``backward.check`` for the gradient check)."""
        if self.backward:
            return {
                "max_abs_err": self.max_abs_err,
                "atol": self.atol,
                "passed": self.passed,
                "device": self.device,
                "dtype": self.dtype,
                "torch": self.torch_version,
                "errors": dict(self.errors),
            }
        return {
            "device": self.device,
            "dtype": self.dtype,
            "torch": self.torch_version,
            "max_abs_err": self.max_abs_err,
            "max_scaled_err": self.max_scaled_err,
            "atol": self.atol,
            "passed": self.passed,
            "errors": dict(self.errors),
        }


class Differences:
    """The largest absolute and scaled (``/ max(1, |torch|)``) difference per quantity."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.errors = dict.fromkeys(names, 0.0)
        self.scaled = dict.fromkeys(names, 0.0)

    def note(self, name: str, ours: np.ndarray | float, reference: np.ndarray | float) -> None:
        """Fold ``|ours - reference|`` into quantity ``name``'s largest differences."""
        diff = np.abs(np.asarray(ours) - reference)
        self.errors[name] = max(self.errors[name], float(diff.max(initial=0.0)))
        relative = diff / np.maximum(1.0, np.abs(reference))
        self.scaled[name] = max(self.scaled[name], float(relative.max(initial=0.0)))

    def report(
        self, device: str, torch_version: str, opts: CheckOptions, *, backward: bool = False
    ) -> Report:
        """The :class:`Report` of these differences, judged by ``opts`` (dtype, atol)."""
        return Report(
            device=device,
            dtype=opts.dtype,
            torch_version=torch_version,
            atol=opts.atol,
            errors=self.errors,
            scaled=self.scaled,
            backward=backward,
        )
