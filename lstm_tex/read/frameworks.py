"""Keras and ONNX models: the LSTM layer or node, its weights in torch's names and order.

- ``.keras``, ``.h5``: a Keras 3 model (keras, on its torch backend unless
  ``KERAS_BACKEND`` says otherwise). Keras keeps the gates in the order i, f, c, o
  (torch's i, f, g, o), the kernels transposed ((input, 4 hidden)) and one bias.
- ``.onnx``: an ``LSTM`` node (onnx). ONNX keeps the gates in the order i, o, f, c,
  ``W`` (directions, 4 hidden, input), ``R`` likewise and ``B`` = [Wb, Rb].

What torch.nn.LSTM cannot compute (other activations, clipping, peepholes, a layer that
runs backwards only) is refused, naming the layer or node.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lstm_tex.errors import InputError
from lstm_tex.read.found import Found, Gathered, prefix_error

#: ONNX's gate blocks are i, o, f, c; torch's are i, f, g (= c), o.
_ONNX_TO_TORCH = (0, 2, 3, 1)


def keras_model(path: Path, prefix: str | None) -> Found:
    """The LSTM layer (or Bidirectional LSTM) of a Keras file, chosen by name."""
    file = str(path)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            "reading Keras files needs the keras package: pip install keras", file=file
        ) from None
    try:
        with warnings.catch_warnings():  # keras's own deprecations, not the user's
            warnings.simplefilter("ignore")
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # keras raises many types for a file it cannot read
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InputError(
            f"not a model keras.saving.load_model can read ({type(exc).__name__}: {reason[:300]})",
            file=file,
        ) from None
    layers = {layer.name: layer for layer in _keras_layers(model, keras)}
    if not layers:
        names = ", ".join(repr(la.name) for la in getattr(model, "layers", []))
        raise InputError(f"no keras.layers.LSTM found (layers: {names})", file=file)
    name = choose(list(layers), prefix, file, "Keras LSTM layers")
    return _keras_found(name, layers[name], keras, file)


def _keras_found(name: str, layer: Any, keras: Any, file: str) -> Found:
    """The weights of Keras layer ``name``, kernels transposed to torch's shapes."""
    gathered = Gathered(file)
    parts = (
        [("", layer)]
        if isinstance(layer, keras.layers.LSTM)
        else [("", layer.forward_layer), ("_reverse", layer.backward_layer)]
    )
    single = False
    for sfx, lstm in parts:
        where = f"layer {name!r}" + (f" ({lstm.name})" if lstm is not layer else "")
        _keras_supported(lstm, where, file, reverse=bool(sfx))
        variables = lstm.get_weights()
        named = [
            (f"weight_ih_l0{sfx}", variables[0].T, "kernel"),
            (f"weight_hh_l0{sfx}", variables[1].T, "recurrent_kernel"),
        ]
        if len(variables) > 2:
            named.append((f"bias_ih_l0{sfx}", variables[2], "bias"))
            single = True
        for torch_name, array, var in named:  # the file's dtype is the kernels'
            gathered.add(torch_name, array, f"{where}: {var}", saved_dtype=var != "bias")
    return gathered.found(
        name,
        "Keras layer",
        f"Keras layer {name!r}: kernels transposed ((input, 4 hidden) -> "
        "(4 hidden, input)); Keras's gate order i, f, c, o is torch's i, "
        "f, g, o" + ("; its one bias per gate is bias_ih (bias: single)" if single else ""),
        single_bias=single,
    )


def _keras_layers(model: Any, keras: Any) -> list[Any]:
    """Every LSTM layer (and Bidirectional LSTM) of ``model``, nested models included."""
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.LSTM) or (
            isinstance(layer, keras.layers.Bidirectional)
            and isinstance(layer.forward_layer, keras.layers.LSTM)
        ):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(_keras_layers(layer, keras))
    return found


def _keras_supported(layer: Any, where: str, file: str, *, reverse: bool) -> None:
    """Refuse what torch.nn.LSTM cannot compute: other activations, a lone go_backwards."""
    for attribute, expected in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        function = getattr(layer, attribute, None)
        found = getattr(function, "__name__", str(function))
        if found != expected:
            raise InputError(
                f"{attribute} is {found}, and torch.nn.LSTM (which lstm-tex "
                f"computes) uses {expected}",
                file=file,
                field=where,
            )
    if getattr(layer, "go_backwards", False) and not reverse:
        raise InputError(
            "go_backwards is true: torch.nn.LSTM has no layer that runs "
            "backwards only (a Bidirectional layer is read as bidirectional)",
            file=file,
            field=where,
        )


def choose(names: list[str], prefix: str | None, file: str, what: str) -> str:
    """The layer or node named ``prefix`` (a final ``.`` or ``/`` ignored), or the only one."""
    listing = ", ".join(repr(n) for n in names)
    if prefix is not None:
        for candidate in (prefix, prefix.rstrip("./")):
            if candidate in names:
                return candidate
        raise prefix_error(f"no LSTM named {prefix!r}; {what} in this file: {listing}", file)
    if len(names) > 1:
        raise prefix_error(
            f"holds {len(names)} {what}: {listing}; choose one by name with --prefix", file
        )
    return names[0]


def onnx_model(path: Path, prefix: str | None) -> Found:
    """The LSTM node of an ONNX file, chosen by name, its W, R and B stored tensors."""
    file = str(path)
    try:
        import onnx
    except ImportError:
        raise InputError(
            "reading .onnx files needs the onnx package: pip install onnx", file=file
        ) from None
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError, OSError, ...
        raise InputError(
            f"not a model onnx.load can read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''})",
            file=file,
        ) from None
    graph = model.graph
    nodes = {
        n.name or f"LSTM#{k}": n for k, n in enumerate(n for n in graph.node if n.op_type == "LSTM")
    }
    if not nodes:
        kinds = sorted({n.op_type for n in graph.node})
        raise InputError(f"no LSTM node found (operators: {', '.join(kinds[:20])})", file=file)
    name = choose(list(nodes), prefix, file, "ONNX LSTM nodes")
    node = nodes[name]
    constants = _onnx_constants(graph)
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    _onnx_supported(attrs, node, constants, f"node {name!r}", file)
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    return _onnx_found(name, node, constants, direction, file)


def _onnx_constants(graph: Any) -> dict[str, np.ndarray]:
    """The graph's stored tensors by name: initializers and Constant nodes' values."""
    from onnx import numpy_helper

    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.output:
            value = next((a for a in n.attribute if a.name == "value"), None)
            if value is not None:
                constants[n.output[0]] = numpy_helper.to_array(value.t)
    return constants


def _onnx_found(
    name: str, node: Any, constants: Mapping[str, np.ndarray], direction: str, file: str
) -> Found:
    """Node ``name``'s W, R and B as torch's weights: gate blocks reordered, B split."""
    where = f"node {name!r}"
    inputs = list(node.input) + [""] * 4

    def tensor(index: int, label: str) -> np.ndarray | None:
        source = inputs[index]
        if not source:
            return None
        if source not in constants:
            raise InputError(
                f"input {label} ({source!r}) is computed in the graph, "
                "expected a stored tensor (an initializer)",
                file=file,
                field=where,
            )
        return constants[source]

    w, r, b = tensor(1, "W"), tensor(2, "R"), tensor(3, "B")
    assert w is not None and r is not None  # required by _onnx_supported
    hidden = r.shape[-1]
    order = np.concatenate([np.arange(hidden) + k * hidden for k in _ONNX_TO_TORCH])
    gathered = Gathered(file)
    for d, sfx in enumerate(("", "_reverse")[: w.shape[0]]):
        parts = [("weight_ih", w[d][order], "W"), ("weight_hh", r[d][order], "R")]
        if b is not None:
            parts += [
                ("bias_ih", b[d][: 4 * hidden][order], "B[:4h] (Wb)"),
                ("bias_hh", b[d][4 * hidden :][order], "B[4h:] (Rb)"),
            ]
        for kind, array, label in parts:
            gathered.add(f"{kind}_l0{sfx}", array, f"{where}: {label}[{d}]")
    return gathered.found(
        name,
        "ONNX node",
        f"ONNX LSTM node {name!r} ({direction}): gate blocks reordered from "
        "ONNX's i, o, f, c to torch's i, f, g, o; B split into bias_ih (Wb) "
        "and bias_hh (Rb)",
    )


def _onnx_supported(
    attrs: Mapping[str, Any], node: Any, constants: Mapping[str, Any], where: str, file: str
) -> None:
    """Refuse what torch.nn.LSTM cannot compute: other activations, clipping, coupled
    gates, peepholes, a reverse-only layer."""
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    if direction == "reverse":
        raise InputError(
            "direction is reverse: torch.nn.LSTM has no layer that runs backwards only",
            file=file,
            field=where,
        )
    activations = [
        a.decode() if isinstance(a, bytes) else str(a) for a in attrs.get("activations", [])
    ]
    wrong_gate = {a.lower() for a in activations[0::3]} - {"sigmoid"}
    wrong_cell = {a.lower() for k, a in enumerate(activations) if k % 3} - {"tanh"}
    if wrong_gate or wrong_cell:
        raise InputError(
            f"activations are {', '.join(activations)}, and torch.nn.LSTM uses Sigmoid, Tanh, Tanh",
            file=file,
            field=where,
        )
    if attrs.get("clip") is not None:
        raise InputError(
            f"clip is {attrs['clip']}: torch.nn.LSTM does not clip", file=file, field=where
        )
    if attrs.get("input_forget", 0):
        raise InputError(
            "input_forget is 1 (coupled input and forget gates): torch.nn.LSTM has separate gates",
            file=file,
            field=where,
        )
    inputs = list(node.input)
    if len(inputs) < 3 or not inputs[1] or not inputs[2]:
        raise InputError("expected inputs W and R, found fewer", file=file, field=where)
    if len(inputs) > 7 and inputs[7]:
        peepholes = constants.get(inputs[7])
        if peepholes is None or np.any(peepholes):
            raise InputError(
                "has peephole weights P: torch.nn.LSTM has no peepholes", file=file, field=where
            )
