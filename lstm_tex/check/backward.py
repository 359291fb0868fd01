"""Cross-check the NumPy backward pass against torch autograd, on the requested device and dtype.

Two independent computations are compared with :class:`~lstm_tex.compute.backward.Gradients`:

* ``torch.nn.LSTM`` (``nn.GRU``, ``nn.RNN``) built from the same ``state_dict``, with
  ``requires_grad`` on every weight and on h0 (and c0), and the same loss: autograd gives
  the loss, every weight's gradient, dL/dh0 (and dL/dc0). One SGD step on those
  parameters and a second forward pass give the new weights and the loss after the step.
* The network unrolled again in torch ops, keeping every h_t (c_t) and every gate's
  pre-activation (``retain_grad``): autograd gives dh_t (and dc_t), all paths, and each
  gate's dpre. For the GRU, n's pre-activation is ``ih_n + r * hh_n`` as torch computes it.

torch is imported inside the functions only, so ``--no-check`` never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.check.forward import TorchTarget
from lstm_tex.check.report import Differences, Report
from lstm_tex.compute.backward import Gradients
from lstm_tex.compute.cells import Cell
from lstm_tex.validate.model import BackwardSpec

if TYPE_CHECKING:
    import torch

QUANTITIES = ("loss", "grads", "h0", "c0", "dh", "dc", "dpre", "sgd_weights", "loss_after")


def quantities(cell: Cell) -> tuple[str, ...]:
    """What the gradient check compares for ``cell``: no c0 and dc without a cell state."""
    return tuple(q for q in QUANTITIES if cell.has_c or q not in ("c0", "dc"))


#: The gradient check's report (one type with the forward check's: :class:`Report`).
GradientReport = Report


def verify(gradients: Gradients, device: str | None = None) -> Report:
    """Cross-check ``gradients``; raise :class:`CheckFailed` (exit 1) on disagreement."""
    report = cross_check_gradients(
        gradients, device=device, source="--device" if device else "check.device"
    )
    return report.require_passed(gradients.trace.example.file)


def _loss(output: torch.Tensor, target: torch.Tensor, spec: BackwardSpec) -> torch.Tensor:
    import torch

    seen = output[-1] if spec.last_step_only else output
    if spec.loss == "mse":
        return torch.nn.functional.mse_loss(seen, target)
    return 0.5 * ((seen - target) ** 2).sum()


def cross_check_gradients(
    gradients: Gradients, *, device: str | None = None, source: str = "check.device"
) -> Report:
    """Compare every gradient of ``gradients`` with torch autograd; never raises on
    disagreement (see :func:`verify`)."""
    ex = gradients.trace.example
    spec = gradients.spec
    opts = ex.check
    import torch

    on = TorchTarget.of(ex, device, source)
    dev, t = on.device, on.tensor
    cfg = ex.config
    has_c = cfg.cell.has_c
    diffs = Differences(quantities(cfg.cell))

    def note(name: str, ours: np.ndarray | float, theirs: torch.Tensor | None) -> None:
        reference = (
            np.zeros_like(ours)
            if theirs is None
            else theirs.detach().to("cpu", torch.float64).numpy()
        )
        diffs.note(name, ours, reference)

    target = t(spec.target)
    batch_first = cfg.batch_first and ex.batched
    network = on.network(ex)
    for name, p in network.named_parameters():
        if name not in ex.weights:  # bias: single: bias_hh is fixed at zero
            p.requires_grad_(False)
    h0 = t(ex.h0).requires_grad_()
    c0 = t(ex.c0).requires_grad_() if has_c else None
    x = t(ex.x.transpose(1, 0, 2) if batch_first else ex.x)

    def run(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor | None) -> Any:
        output, _ = network(x, h0 if c0 is None else (h0, c0))
        return output.transpose(0, 1) if batch_first else output

    output = run(x, h0, c0)
    loss = _loss(output, target, spec)
    torch.autograd.backward(loss)
    note("loss", gradients.loss, loss)
    params = {k: p for k, p in network.named_parameters() if p.requires_grad}
    for name, grad in gradients.grads.items():
        note("grads", grad, params[name].grad)
    note("h0", gradients.dh0, h0.grad)
    if c0 is not None:
        assert gradients.dc0 is not None
        note("c0", gradients.dc0, c0.grad)
    if gradients.sgd is not None:
        with torch.no_grad():
            for name, p in params.items():
                assert p.grad is not None
                p.sub_(gradients.sgd.lr * p.grad)
                note("sgd_weights", gradients.sgd.weights[name], p)
            output_after = run(x, t(ex.h0), None if c0 is None else t(ex.c0))
            note("loss_after", gradients.sgd.loss_after, _loss(output_after, target, spec))
    _check_steps(gradients, t, note)
    return diffs.report(str(dev), torch.__version__, opts, backward=True)


def _check_steps(gradients: Gradients, t: Any, note: Any) -> None:
    """Unroll the network in torch ops and compare dh_t, dc_t and every gate's dpre."""
    import torch

    ex = gradients.trace.example
    cfg = ex.config
    cell = cfg.cell
    directions = ("forward", "reverse") if cfg.bidirectional else ("forward",)
    weights = {k: t(v).requires_grad_() for k, v in ex.weights.items()}
    kept: dict[tuple[int, str, int], _Kept] = {}
    layer_input = t(ex.x)
    for layer in range(cfg.num_layers):
        outs = []
        for d, direction in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            w = {k.removesuffix(sfx): v for k, v in weights.items() if k.endswith(sfx)}
            index = layer * len(directions) + d
            h = t(ex.h0[index])
            c = t(ex.c0[index]) if cell.has_c else None
            out: list[torch.Tensor | None] = [None] * ex.steps
            order = range(ex.steps) if direction == "forward" else range(ex.steps - 1, -1, -1)
            for k_t in order:
                step = _torch_step(cell, w, layer_input[k_t], h, c, cfg.hidden_size)
                h, c = step.h, step.c
                kept[(layer, direction, k_t + 1)] = step
                out[k_t] = h
            outs.append(torch.stack(out))  # type: ignore[arg-type]
        layer_input = torch.cat(outs, dim=-1)
    torch.autograd.backward(_loss(layer_input, t(gradients.spec.target), gradients.spec))
    for s in gradients.steps:
        step = kept[s.key]
        note("dh", s.dh, step.h.grad)
        if step.c is not None:
            note("dc", s.dc, step.c.grad)
        for k in cell.gate_names:
            note("dpre", s.gates[k].dpre, step.pre[k].grad)


@dataclass(frozen=True)
class _Kept:
    """One unrolled step in torch: h_t, c_t (LSTM) and each gate's pre-activation, whose
    gradients autograd keeps (``retain_grad``)."""

    h: Any
    c: Any
    pre: dict[str, Any]


def _torch_step(cell: Cell, w: dict[str, Any], x: Any, h: Any, c: Any, hidden: int) -> _Kept:
    """One step of ``cell`` written in torch ops (torch.nn.LSTM/GRU/RNN's formulas)."""
    import torch
    from torch.nn.functional import linear

    ih_all = linear(x, w["weight_ih"], w.get("bias_ih"))
    hh_all = linear(h, w["weight_hh"], w.get("bias_hh"))
    ih = {k: ih_all[..., n * hidden : (n + 1) * hidden] for n, k in enumerate(cell.gate_names)}
    hh = {k: hh_all[..., n * hidden : (n + 1) * hidden] for n, k in enumerate(cell.gate_names)}
    pre: dict[str, Any] = {}
    act: dict[str, Any] = {}
    functions = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    for gate in cell.gates:
        k = gate.name
        if cell.kind == "gru" and k == "n":
            pre[k] = ih[k] + act["r"] * hh[k]
        else:
            pre[k] = ih[k] + hh[k]
        pre[k].retain_grad()
        act[k] = functions[gate.activation](pre[k])
    if cell.kind == "lstm":
        c = act["f"] * c + act["i"] * act["g"]
        h = act["o"] * torch.tanh(c)
        if "weight_hr" in w:
            h = linear(h, w["weight_hr"])
        c.retain_grad()
    elif cell.kind == "gru":
        h = (1.0 - act["z"]) * act["n"] + act["z"] * h
    else:
        (h,) = act.values()
    h.retain_grad()
    return _Kept(h=h, c=c, pre=pre)
