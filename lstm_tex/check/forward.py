"""Cross-check a NumPy trace against torch, on the requested device and dtype.

Two independent computations are compared with the trace:

* ``torch.nn.LSTM`` (``nn.GRU``, ``nn.RNN``) built from the same ``state_dict`` gives
  ``output``, ``h_n`` and ``c_n``; a one-layer network per layer, fed the layer below's
  torch output, gives every layer's output sequence.
* The gate formulas written again in torch ops, carrying torch's own h and c,
  give every intermediate of every step: ih, hh, pre, i, f, g, o, c, h for an LSTM;
  ih, hh, pre, r, z, n, h for a GRU; ih, hh, pre, h for an RNN (whose one block is h).

torch is imported here only, so ``--no-check`` never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_tex.check.report import Differences, Report
from lstm_tex.compute.cells import LSTM, Cell
from lstm_tex.compute.engine import gate_blocks, layer_weights
from lstm_tex.compute.trace import Direction, Step, Trace, directions_of
from lstm_tex.errors import InputError
from lstm_tex.validate.model import Example

if TYPE_CHECKING:
    import torch


def quantities(cell: Cell) -> tuple[str, ...]:
    """The quantities a cross-check of ``cell`` compares, by name: each step's
    (:attr:`~lstm_tex.compute.cells.Cell.quantities`), then ``output``, ``h_n`` (and ``c_n``)."""
    return (*cell.quantities, "output", "h_n", *(("c_n",) if cell.has_c else ()))


#: An LSTM's: ih, hh, pre, i, f, g, o, c, h, output, h_n, c_n.
QUANTITIES = quantities(LSTM)


#: The forward check's report (one type with the gradient check's: :class:`Report`).
CheckReport = Report


def resolve_device(requested: str, *, source: str) -> torch.device:
    """``cpu``/``cuda``/``cuda:N``/``mps``/``auto`` -> an available ``torch.device``.

    Raises :class:`InputError` (exit 2) naming ``source`` when it is not available.
    """
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cpu":
        return torch.device("cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(
                f"device {requested!r} is not available: torch {torch.__version__} sees no "
                "CUDA GPU (use cpu, or auto to fall back)",
                field=source,
            )
        index = int(requested.split(":")[1]) if ":" in requested else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise InputError(
                f"device {requested!r} is not available: {count} CUDA device(s), numbered from 0",
                field=source,
            )
        return torch.device(requested)
    if requested == "mps":
        if not _mps_available():
            raise InputError("device 'mps' is not available on this machine", field=source)
        return torch.device("mps")
    raise InputError(
        f"unknown device {requested!r}, expected cpu, cuda, cuda:N, mps or auto", field=source
    )


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


@dataclass
class TorchTarget:
    """The device and dtype a cross-check runs on, and the conversion of arrays to it."""

    device: Any
    dtype: Any

    @classmethod
    def of(cls, example: Example, device: str | None, source: str) -> TorchTarget:
        """Resolve ``device`` (or ``check.device``) and ``check.dtype`` for ``example``."""
        import torch

        opts = example.check
        dev = resolve_device(device or opts.device, source=source)
        if dev.type == "mps" and opts.dtype == "float64":
            raise InputError(
                "mps has no float64; use check.dtype: float32 or another device",
                field="check.dtype",
            )
        return cls(dev, torch.float64 if opts.dtype == "float64" else torch.float32)

    def tensor(self, a: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(np.array(a, dtype=np.float64)).to(
            device=self.device, dtype=self.dtype
        )

    def module(
        self, example: Example, *, input_size: int | None = None, num_layers: int | None = None
    ) -> Any:
        """An untrained ``torch.nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` on this device and dtype
        with ``example``'s configuration (``batch_first`` as the file has it, when x has a
        batch); ``input_size``/``num_layers`` replace the example's (one layer alone)."""
        import torch

        cfg = example.config
        options: dict[str, Any] = {}
        if cfg.kind == "lstm":
            options["proj_size"] = cfg.proj_size
        elif cfg.kind == "rnn":
            options["nonlinearity"] = cfg.nonlinearity
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cfg.kind]
        return kind(
            input_size or cfg.input_size,
            cfg.hidden_size,
            num_layers=num_layers or cfg.num_layers,
            bias=bool(cfg.bias),
            bidirectional=cfg.bidirectional,
            batch_first=cfg.batch_first and example.batched and num_layers is None,
            device=self.device,
            dtype=self.dtype,
            **options,
        )

    def network(self, example: Example) -> Any:
        """The ``torch.nn.LSTM`` (``nn.GRU``, ``nn.RNN``) of ``example``, with its weights."""
        net = self.module(example)
        net.load_state_dict(torch_state(example, self.tensor), strict=True)
        return net

    def lstm(self, example: Example) -> Any:
        """:meth:`network` (the name from before nn.GRU and nn.RNN)."""
        return self.network(example)

    def initial_state(self, example: Example, rows: slice | None = None) -> Any:
        """The initial state torch takes: ``(h0, c0)`` for an LSTM, ``h0`` otherwise
        (``rows``: some layers and directions only)."""
        h0 = example.h0 if rows is None else example.h0[rows]
        if not example.config.cell.has_c:
            return self.tensor(h0)
        c0 = example.c0 if rows is None else example.c0[rows]
        return (self.tensor(h0), self.tensor(c0))


def torch_state(example: Example, tensor: Any) -> dict[str, Any]:
    """The torch state_dict of ``example`` (``tensor`` converts each array): with
    ``bias: single``, ``bias_hh_*`` are zeros (they are fixed at zero, not trained)."""
    state = {k: tensor(v) for k, v in example.weights.items()}
    if example.config.single_bias:
        for key in [k for k in state if k.startswith("bias_ih")]:
            state[key.replace("bias_ih", "bias_hh")] = tensor(np.zeros_like(example.weights[key]))
    return state


#: How the cross-check records one quantity: its name, the trace's value, torch's.
Note = Callable[[str, "np.ndarray | None", "torch.Tensor"], None]


def cross_check(trace: Trace, *, device: str | None = None, source: str = "check.device") -> Report:
    """Compare every intermediate of ``trace`` with torch; never raises on disagreement."""
    example = trace.example
    import torch

    target = TorchTarget.of(example, device, source)
    cfg = example.config
    diffs = Differences(quantities(cfg.cell))

    def note(name: str, ours: np.ndarray | None, theirs: torch.Tensor) -> None:
        assert ours is not None
        diffs.note(name, ours, theirs.detach().to("cpu", torch.float64).numpy())

    with torch.no_grad():
        _whole_network(trace, target, note)
        by_key = {s.key: s for s in trace.steps}
        directions = directions_of(cfg.bidirectional)
        layer_input = target.tensor(example.x)
        for layer in range(cfg.num_layers):
            outs = [
                _TorchDirection(
                    example, target, (layer, direction, layer * len(directions) + d), layer_input
                ).run(by_key, note)
                for d, direction in enumerate(directions)
            ]
            _layer_alone(trace, target, layer, layer_input, note)
            layer_input = torch.cat(outs, dim=-1)
            note("output", trace.layer_outputs[layer], layer_input)
    return diffs.report(str(target.device), torch.__version__, example.check)


def _whole_network(trace: Trace, target: TorchTarget, note: Note) -> None:
    """torch's network from the same state_dict: its output, h_n (and c_n) against the
    trace's."""
    example = trace.example
    cfg = example.config
    # batch_first as the file has it: torch reads x (batch, T, input) and gives
    # output (batch, T, ...), compared with the trace's (T, batch, ...).
    batch_first = cfg.batch_first and example.batched
    net = target.network(example)
    x = target.tensor(example.x.transpose(1, 0, 2) if batch_first else example.x)
    output, final = net(x, target.initial_state(example))
    note("output", trace.output, output.transpose(0, 1) if batch_first else output)
    if cfg.cell.has_c:
        note("h_n", trace.h_n, final[0])
        note("c_n", trace.c_n, final[1])
    else:
        note("h_n", trace.h_n, final)


def _layer_alone(
    trace: Trace, target: TorchTarget, layer: int, layer_input: torch.Tensor, note: Note
) -> None:
    """The network for this layer alone, fed the layer below's torch output."""
    example = trace.example
    directions = example.config.num_directions
    single = target.module(example, input_size=layer_input.shape[-1], num_layers=1)
    sfx = f"_l{layer}"
    single.load_state_dict(
        {
            k.replace(sfx, "_l0"): v
            for k, v in torch_state(example, target.tensor).items()
            if k.endswith((sfx, sfx + "_reverse"))
        }
    )
    rows = slice(layer * directions, (layer + 1) * directions)
    layer_out, _ = single(layer_input, target.initial_state(example, rows))
    note("output", trace.layer_outputs[layer], layer_out)


@dataclass(frozen=True)
class _TorchDirection:
    """One layer and direction written again in torch ops: ``where`` is its layer, its
    direction and the place of its initial state in h0 and c0; ``layer_input`` its input
    sequence (torch's, from the layer below)."""

    example: Example
    target: TorchTarget
    where: tuple[int, Direction, int]
    layer_input: torch.Tensor

    def weights(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The weights in torch (w_ih, ..., w_hr) and each one split by gate (a missing
        bias as ``None`` per gate)."""
        layer, direction, _ = self.where
        cell, hidden = self.example.config.cell, self.example.config.hidden_size
        p: dict[str, Any] = {
            k: (self.target.tensor(v) if v is not None else None)
            for k, v in layer_weights(self.example, layer, direction).items()
        }
        by_gate = {
            name: dict.fromkeys(cell.gate_names)
            if p[name] is None
            else gate_blocks(p[name], hidden, cell)
            for name in ("w_ih", "w_hh", "b_ih", "b_hh")
        }
        return p, by_gate

    def run(self, by_key: dict[tuple[int, Direction, int], Step], note: Note) -> torch.Tensor:
        """The gate formulas in torch ops, step by step, carrying torch's own h and c;
        every quantity noted against the trace's step. The output sequence."""
        import torch

        example, cell, t = self.example, self.example.config.cell, self.target.tensor
        layer, direction, index = self.where
        p, g = self.weights()
        h, c = t(example.h0[index]), t(example.c0[index])
        out = torch.empty(
            (example.steps, example.batch, example.config.out_size),
            dtype=self.target.dtype,
            device=self.target.device,
        )
        T = example.steps
        for k_t in range(T) if direction == "forward" else range(T - 1, -1, -1):
            ours = by_key[(layer, direction, k_t + 1)]
            parts = {
                k: (
                    torch.nn.functional.linear(self.layer_input[k_t], g["w_ih"][k], g["b_ih"][k]),
                    torch.nn.functional.linear(h, g["w_hh"][k], g["b_hh"][k]),
                )
                for k in cell.gate_names
            }
            acts = _gates(cell, parts, ours, note)
            h, c = _next_state(cell, acts, h, c, p["w_hr"])
            if cell.kind == "lstm":
                note("c", ours.c, c)
            note("h", ours.h, h)
            out[k_t] = h
        return out


def _next_state(
    cell: Cell,
    acts: dict[str, torch.Tensor],
    h: torch.Tensor,
    c: torch.Tensor,
    w_hr: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """h and c after one step, from the step's gates (c unchanged without a cell state)."""
    import torch

    if cell.kind == "lstm":
        c = acts["f"] * c + acts["i"] * acts["g"]
        h = acts["o"] * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        return h, c
    if cell.kind == "gru":
        return (1 - acts["z"]) * acts["n"] + acts["z"] * h, c
    return acts["h"], c


def _gates(
    cell: Cell,
    parts: dict[str, tuple[torch.Tensor, torch.Tensor]],
    ours: Any,
    note: Any,
) -> dict[str, torch.Tensor]:
    """The gates of one step in torch ops from their parts ``(ih, hh)``, each noted
    against ``ours`` (ih, hh, pre, and the activation under the gate's name). A GRU's n
    is ``tanh(ih_n + r * hh_n)``: torch's convention, r on W_hn h + b_hn."""
    import torch

    acts: dict[str, torch.Tensor] = {}
    for k in cell.gate_names:
        ih, hh = parts[k]
        pre = ih + acts["r"] * hh if (cell.kind, k) == ("gru", "n") else ih + hh
        activation = cell.activation(k)
        if activation == "sigmoid":
            act = torch.sigmoid(pre)
        elif activation == "tanh":
            act = torch.tanh(pre)
        else:
            act = torch.relu(pre)
        note("ih", ours.gates[k].ih, ih)
        note("hh", ours.gates[k].hh, hh)
        note("pre", ours.gates[k].pre, pre)
        note(k, ours.gates[k].act, act)
        acts[k] = act
    return acts
