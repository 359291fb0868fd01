"""Cross-check the NumPy backward pass against torch autograd, on the requested device and dtype.

Two independent computations are compared with :class:`~lstm_tex.backward.Gradients`:

* ``torch.nn.LSTM`` built from the same ``state_dict``, with ``requires_grad`` on every
  weight and on h0 and c0, and the same loss: autograd gives the loss, every weight's
  gradient, dL/dh0 and dL/dc0. One SGD step on those parameters and a second forward
  pass give the new weights and the loss after the step.
* The LSTM unrolled again in torch ops, keeping every h_t, c_t and pre-activation
  (``retain_grad``): autograd gives dh_t and dc_t (all paths) and each gate's dpre.

torch is imported inside the functions only, so ``--no-check`` never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.backward import Gradients
from lstm_tex.check import Differences, TorchTarget
from lstm_tex.errors import CheckFailed
from lstm_tex.spec import GATES, BackwardSpec

if TYPE_CHECKING:
    import torch

QUANTITIES = ("loss", "grads", "h0", "c0", "dh", "dc", "dpre", "sgd_weights", "loss_after")


@dataclass(frozen=True)
class GradientReport:
    """Max error per backward quantity, and the verdict against ``atol``.

    ``errors`` holds the largest absolute difference per quantity; ``scaled`` holds
    ``|ours - torch| / max(1, |torch|)`` (absolute for values up to 1, relative for
    larger ones such as the sse loss of large errors). The verdict uses ``scaled``.
    """

    device: str
    dtype: str
    torch_version: str
    atol: float
    errors: dict[str, float] = field(default_factory=dict)
    scaled: dict[str, float] = field(default_factory=dict)

    @property
    def max_abs_err(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return max(self.scaled.values(), default=0.0) <= self.atol

    def failures(self) -> list[str]:
        """The quantities whose (scaled) error is beyond ``atol``."""
        return [q for q, e in self.scaled.items() if e > self.atol]

    def as_json(self) -> dict[str, Any]:
        """The ``backward.check`` entry of values.json."""
        return {
            "max_abs_err": self.max_abs_err,
            "atol": self.atol,
            "passed": self.passed,
            "device": self.device,
            "dtype": self.dtype,
            "torch": self.torch_version,
            "errors": dict(self.errors),
        }


def verify(gradients: Gradients, device: str | None = None) -> GradientReport:
    """Cross-check ``gradients``; raise :class:`CheckFailed` (exit 1) on disagreement."""
    report = cross_check_gradients(
        gradients, device=device, source="--device" if device else "check.device"
    )
    if not report.passed:
        worst = ", ".join(f"{q} ({report.errors[q]:.3g})" for q in report.failures())
        raise CheckFailed(
            f"{gradients.trace.example.file}: torch autograd ({report.device}, "
            f"{report.dtype}) disagrees with the NumPy backward pass beyond atol "
            f"{report.atol:g} on: {worst}; nothing was written",
            report,
        )
    return report


def _loss(output: torch.Tensor, target: torch.Tensor, spec: BackwardSpec) -> torch.Tensor:
    import torch

    seen = output[-1] if spec.last_step_only else output
    if spec.loss == "mse":
        return torch.nn.functional.mse_loss(seen, target)
    return 0.5 * ((seen - target) ** 2).sum()


def cross_check_gradients(
    gradients: Gradients, *, device: str | None = None, source: str = "check.device"
) -> GradientReport:
    """Compare every gradient of ``gradients`` with torch autograd; never raises on
    disagreement (see :func:`verify`)."""
    ex = gradients.trace.example
    spec = gradients.spec
    opts = ex.check
    import torch

    on = TorchTarget.of(ex, device, source)
    dev, t = on.device, on.tensor
    cfg = ex.config
    diffs = Differences(QUANTITIES)

    def note(name: str, ours: np.ndarray | float, theirs: torch.Tensor | None) -> None:
        reference = (
            np.zeros_like(ours)
            if theirs is None
            else theirs.detach().to("cpu", torch.float64).numpy()
        )
        diffs.note(name, ours, reference)

    target = t(spec.target)
    batch_first = cfg.batch_first and ex.batched
    lstm = on.lstm(ex)
    for name, p in lstm.named_parameters():
        if name not in ex.weights:  # bias: single: bias_hh is fixed at zero
            p.requires_grad_(False)
    h0 = t(ex.h0).requires_grad_()
    c0 = t(ex.c0).requires_grad_()
    x = t(ex.x.transpose(1, 0, 2) if batch_first else ex.x)

    def run(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> Any:
        output, _ = lstm(x, state)
        return output.transpose(0, 1) if batch_first else output

    output = run(x, (h0, c0))
    loss = _loss(output, target, spec)
    torch.autograd.backward(loss)
    note("loss", gradients.loss, loss)
    params = {k: p for k, p in lstm.named_parameters() if p.requires_grad}
    for name, grad in gradients.grads.items():
        note("grads", grad, params[name].grad)
    note("h0", gradients.dh0, h0.grad)
    note("c0", gradients.dc0, c0.grad)
    if gradients.sgd is not None:
        with torch.no_grad():
            for name, p in params.items():
                assert p.grad is not None
                p.sub_(gradients.sgd.lr * p.grad)
                note("sgd_weights", gradients.sgd.weights[name], p)
            output_after = run(x, (t(ex.h0), t(ex.c0)))
            note("loss_after", gradients.sgd.loss_after, _loss(output_after, target, spec))
    _check_steps(gradients, t, note)
    return GradientReport(
        device=str(dev),
        dtype=opts.dtype,
        torch_version=torch.__version__,
        atol=opts.atol,
        errors=diffs.errors,
        scaled=diffs.scaled,
    )


def _check_steps(gradients: Gradients, t: Any, note: Any) -> None:
    """Unroll the LSTM in torch ops and compare dh_t, dc_t and dpre of every step."""
    import torch
    from torch.nn.functional import linear

    ex = gradients.trace.example
    cfg = ex.config
    hidden = cfg.hidden_size
    directions = ("forward", "reverse") if cfg.bidirectional else ("forward",)
    weights = {k: t(v).requires_grad_() for k, v in ex.weights.items()}
    kept: dict[tuple[int, str, int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
    layer_input = t(ex.x)
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            index = layer * len(directions) + d
            h, c = t(ex.h0[index]), t(ex.c0[index])
            out: list[torch.Tensor | None] = [None] * ex.steps
            order = range(ex.steps) if direction == "forward" else range(ex.steps - 1, -1, -1)
            for k_t in order:
                pre = linear(
                    layer_input[k_t], weights[f"weight_ih{sfx}"], weights.get(f"bias_ih{sfx}")
                ) + linear(h, weights[f"weight_hh{sfx}"], weights.get(f"bias_hh{sfx}"))
                pre.retain_grad()
                i, f, g, o = (pre[..., n * hidden : (n + 1) * hidden] for n in range(4))
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                if f"weight_hr{sfx}" in weights:
                    h = linear(h, weights[f"weight_hr{sfx}"])
                h.retain_grad()
                c.retain_grad()
                kept[(layer, direction, k_t + 1)] = (h, c, pre)
                out[k_t] = h
            outs.append(torch.stack(out))  # type: ignore[arg-type]
        layer_input = torch.cat(outs, dim=-1)
    torch.autograd.backward(_loss(layer_input, t(gradients.spec.target), gradients.spec))
    for s in gradients.steps:
        h, c, pre = kept[s.key]
        note("dh", s.dh, h.grad)
        note("dc", s.dc, c.grad)
        for n, k in enumerate(GATES):
            theirs = pre.grad[..., n * hidden : (n + 1) * hidden] if pre.grad is not None else None
            note("dpre", s.gates[k].dpre, theirs)
