"""The ``backward`` section of ``values.json``: every gradient at full precision (SPEC.md)."""

from __future__ import annotations

from typing import Any

from lstm_tex.check.report import Report
from lstm_tex.compute.backward import Gradients
from lstm_tex.output.values import Arrays, step_header


def build(gradients: Gradients, report: Report | None) -> dict[str, Any]:
    """``loss``, ``grads`` (weights, h0, c0), ``steps``, ``check`` and ``sgd`` (with ``lr``).

    Vectors lose the batch axis unless x had one; h0 and c0 have the canonical shapes
    of the example file's h0 and c0: (L*D, H) without a batch, (L*D, B, H) with one.
    A step has ``dy`` and ``dh``; an LSTM's also ``dc`` and per gate ``dact`` and
    ``dpre`` (``dm`` with projections); a GRU's ``gates`` r, z, n each with ``dact``,
    ``dpre`` and n's ``dhh`` (r * dpre_n, what reaches W_hn h + b_hn); an RNN's ``dpre``.
    No ``c0`` (and no ``dc``) without a cell state.
    """
    ex = gradients.trace.example
    spec = gradients.spec
    arrays = Arrays.of(ex)
    vec, state = arrays.vec, arrays.state

    names = ex.weight_names  # as given: nn.LSTMCell's weight_ih ..., or torch.nn.LSTM's
    grads: dict[str, Any] = {names.get(k, k): v.tolist() for k, v in gradients.grads.items()}
    grads["h0"] = state(gradients.dh0)
    if gradients.dc0 is not None:
        grads["c0"] = state(gradients.dc0)
    cell = ex.config.cell
    steps = []
    for s in gradients.steps:
        item = step_header(s.key) | {"dy": vec(s.dy), "dh": vec(s.dh)}
        if s.dc is not None:
            item["dc"] = vec(s.dc)
        if cell.kind == "rnn":
            (k,) = cell.gate_names
            item["dpre"] = vec(s.gates[k].dpre)
        else:
            gates: dict[str, Any] = {}
            for k in cell.gate_names:
                g = s.gates[k]
                gates[k] = {"dact": vec(g.d), "dpre": vec(g.dpre)}
                if cell.kind == "gru" and k == "n":  # r * dpre_n reaches hh_n
                    gates[k]["dhh"] = vec(g.dhh)
            item["gates"] = gates
        if s.dm is not None and ex.config.proj_size:
            item["dm"] = vec(s.dm)
        steps.append(item)
    doc: dict[str, Any] = {
        "loss": gradients.loss,
        "loss_function": spec.loss,
        "last_step_only": spec.last_step_only,
        "grads": grads,
        "steps": steps,
        "check": report.as_json() if report is not None else None,
    }
    if gradients.sgd is not None:
        doc["sgd"] = {
            "lr": gradients.sgd.lr,
            "weights": {names.get(k, k): v.tolist() for k, v in gradients.sgd.weights.items()},
            "loss_after": gradients.sgd.loss_after,
        }
    return doc
