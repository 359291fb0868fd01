"""Read an LSTM's weights from a saved model: PyTorch, safetensors, NumPy, Keras or ONNX.

Every reader gives the same thing, a :class:`Found`: float64 arrays under
``torch.nn.LSTM``'s state_dict names (``weight_ih_l0`` ..., or nn.LSTMCell's
``weight_ih`` ...), the dtype they were saved in, where each came from in the file,
and notes on what was changed on the way.

- ``.pt``, ``.pth``, ``.ckpt``, ``.bin``: ``torch.load(..., weights_only=True)``
  (tensors and plain containers only, never code); a state_dict, or a checkpoint dict
  holding one under ``state_dict``, ``model_state_dict`` or ``model``.
- ``.safetensors`` (the safetensors package's NumPy API) and ``.npz`` (NumPy, no
  pickles): no torch.
- ``.keras``, ``.h5``: a Keras 3 model (keras, on its torch backend unless
  ``KERAS_BACKEND`` says otherwise). Keras keeps the gates in the order i, f, c, o
  (torch's i, f, g, o), the kernels transposed ((input, 4 hidden)) and one bias.
- ``.onnx``: an ``LSTM`` node (onnx). ONNX keeps the gates in the order i, o, f, c,
  ``W`` (directions, 4 hidden, input), ``R`` likewise and ``B`` = [Wb, Rb].

The prefix chooses one LSTM when a file holds several: a key prefix
(``encoder.lstm.``), a Keras layer name or an ONNX node name. AWD-LSTM's WeightDrop
keys (``weight_hh_l0_raw``) are used with a note; quantized tensors are dequantized
with a note. Every error names the file, the key and what was found there.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lstm_tex.errors import InputError, import_torch

#: Keys of a checkpoint dict that may hold the model's state_dict, tried in this order.
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
TORCH_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")
SUFFIXES = (*TORCH_SUFFIXES, ".safetensors", ".npz", ".keras", ".h5", ".hdf5", ".onnx")
#: The weight names of a network (``_l0``) and of a cell module, and WeightDrop's ``_raw``.
_NAME = re.compile(
    r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)(_l\d+(?:_reverse)?)?"
    r"(_raw)?"
)
_ANCHORS = ("weight_ih_l0", "weight_ih_l0_raw", "weight_ih", "weight_ih_raw")
#: Precision of each dtype a weight may be saved in, to name the finest one of a file.
_PRECISION = {"float16": 1, "bfloat16": 1, "float32": 2, "float64": 3}
#: ONNX's gate blocks are i, o, f, c; torch's are i, f, g (= c), o.
_ONNX_TO_TORCH = (0, 2, 3, 1)


@dataclass(frozen=True)
class Found:
    """One LSTM's weights read from ``file``.

    ``weights`` are float64 under torch's names; ``origin`` says where each was found
    (its key, or Keras layer and variable); ``dtype`` is the saved precision (float16,
    bfloat16, float32 or float64); ``single_bias`` is true when the model has one bias
    per gate (Keras); ``kind`` names what was read (``nn.LSTM``, ``Keras layer``, ...).
    """

    file: str
    prefix: str
    weights: Mapping[str, np.ndarray]
    dtype: str
    kind: str
    origin: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    single_bias: bool = False

    def located(self, exc: InputError) -> InputError:
        """``exc`` about ``weights.<name>`` with the file and key it was read from."""
        name = (exc.field or "").removeprefix("weights.")
        key = self.origin.get(name) or self.origin.get(name.removesuffix("_l0"))
        where = f"{self.file}" + (f", key {key!r}" if key else "")
        return InputError(
            f"{exc.message} (read from {where})", file=exc.file, field=exc.field, line=exc.line
        )


def read(path: str | Path, prefix: str | None = None) -> Found:
    """The LSTM in the model file ``path`` (chosen by ``prefix`` when there are several)."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise InputError(
            "is a folder, expected a saved model (.pt, .safetensors, .npz, .keras, .h5 or .onnx)",
            file=file,
        )
    if not path.exists():
        raise InputError("no such file", file=file)
    if suffix == ".onnx":
        return _onnx(path, prefix)
    if suffix in (".keras", ".h5", ".hdf5"):
        return _keras(path, prefix)
    if suffix == ".safetensors":
        tensors = _safetensors(path)
    elif suffix == ".npz":
        tensors = _npz(path)
    else:
        tensors = state_dict(load_torch(path), file)
    return _pick(tensors, prefix, file)


# ---------------------------------------------------------------- PyTorch and friends


def load_torch(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU; every failure is an InputError."""
    import pickle

    file = str(path)
    torch = import_torch(
        "reading a PyTorch file",
        "save the weights as .safetensors or .npz to read them without torch",
        file=file,
    )
    try:
        with warnings.catch_warnings():  # deprecations inside torch.load, not the user's
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        garbage = re.search(r"Unsupported operand \S+", text)
        if "Weights only load failed" not in text or garbage:
            reason = garbage.group(0) if garbage else text.splitlines()[0]
            raise InputError(f"not a file torch.load can read ({reason})", file=file) from None
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if found and found.group(1) == "torch.ScriptObject":
            raise InputError(
                "holds packed weights (torch.ScriptObject), as a dynamically quantized "
                "LSTM (torch.ao.nn.quantized.dynamic.LSTM) saves them; torch.load can "
                "only unpack them by running code (weights_only=False), which lstm-tex "
                "never does. Save its weights as tensors instead, which lstm-tex "
                "dequantizes: torch.save({**lstm.get_weight(), **lstm.get_bias()}, "
                "'lstm.pt') (lstm: the quantized LSTM module)",
                file=file,
            ) from None
        what = f" ({found.group(1)})" if found else ""
        raise InputError(
            f"needs arbitrary Python objects{what} to load, and lstm-tex only reads tensors "
            "and plain containers (torch.load with weights_only=True), so that a file can "
            "never run code; save the state_dict instead: "
            "torch.save(model.state_dict(), 'model.pt')",
            file=file,
        ) from None
    except Exception as exc:  # torch.load raises many types for a file it cannot parse
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"not a file torch.load can read ({type(exc).__name__}: {reason})", file=file
        ) from None


def state_dict(obj: Any, file: str) -> Mapping[str, Any]:
    """The mapping of names to tensors: ``obj`` itself, or a checkpoint's model entry."""
    for _ in range(3):
        if not isinstance(obj, Mapping):
            break
        if any(isinstance(k, str) and k.endswith(_ANCHORS) for k in obj):
            return obj
        inner = next((obj[k] for k in CHECKPOINT_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            shown = ", ".join(repr(k) for k in list(obj)[:12])
            raise InputError(
                f"no nn.LSTM weights found: no key ends in 'weight_ih_l0' "
                f"(nor nn.LSTMCell's 'weight_ih'), and no "
                f"{' / '.join(CHECKPOINT_KEYS)} entry holds them (keys: "
                f"{shown})",
                file=file,
            )
        obj = inner
    raise InputError(
        f"expected a state_dict (a mapping of names to tensors), found {type(obj).__name__}",
        file=file,
    )


def _safetensors(path: Path) -> Mapping[str, Any]:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise InputError(
            "reading .safetensors needs the safetensors package: pip install safetensors",
            file=str(path),
        ) from None
    with contextlib.suppress(ImportError):  # only BF16 files need it; they say so below
        import ml_dtypes  # noqa: F401  (registers numpy's bfloat16, for BF16 tensors)
    try:
        return load_file(path)
    except Exception as exc:  # safetensors raises its own error types and OSError
        hint = (
            "; bfloat16 tensors need the ml_dtypes package: pip install ml_dtypes"
            if "bfloat16" in str(exc)
            else ""
        )
        raise InputError(
            f"not a file safetensors can read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}){hint}",
            file=str(path),
        ) from None


def _npz(path: Path) -> Mapping[str, Any]:
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise InputError(
                "expected a .npz archive of named arrays (np.savez), found a single array",
                file=str(path),
            )
        with loaded as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(
            f"not a file numpy.load can read without pickles ({type(exc).__name__}: {exc})",
            file=str(path),
        ) from None


def _prefixes(keys: list[str]) -> list[str]:
    """The key prefixes at which an LSTM (or an LSTM cell) starts."""
    found = set()
    for key in keys:
        for anchor in _ANCHORS:
            if key.endswith(anchor) and (
                len(key) == len(anchor) or key[-len(anchor) - 1] in "./_:"
            ):
                found.add(key[: -len(anchor)])
                break
    # WeightDrop (fastai) keeps weight_hh_l0_raw next to its inner "module.".
    return sorted(p for p in found if p + "module." not in found)


def find_prefix(keys: list[str], prefix: str | None, file: str) -> str:
    """The key prefix of the LSTM: ``prefix`` (a missing final dot is added) or the only one.

    Raises :class:`InputError` naming every LSTM in the file when the choice is unclear.
    """
    found = _prefixes(keys)
    listing = ", ".join(repr(p) for p in found)
    if prefix is not None:
        for candidate in (prefix, prefix + "."):
            if candidate in found:
                return candidate
        raise InputError(
            f"no nn.LSTM at prefix {prefix!r} (no key "
            f"{prefix + 'weight_ih_l0'!r}); LSTMs in this file are at: "
            f"{listing}",
            field="--prefix",
            file=file,
        )
    if not found:
        shown = ", ".join(repr(k) for k in keys[:12])
        raise InputError(
            f"no nn.LSTM weights found: no key ends in 'weight_ih_l0' (nor "
            f"nn.LSTMCell's 'weight_ih') (keys: {shown})",
            file=file,
        )
    if len(found) > 1:
        raise InputError(
            f"holds {len(found)} LSTMs, at prefixes {listing}; choose one with --prefix",
            field="--prefix",
            file=file,
        )
    return found[0]


def _pick(tensors: Mapping[str, Any], prefix: str | None, file: str) -> Found:
    keys = [k for k in tensors if isinstance(k, str)]
    chosen = find_prefix(keys, prefix, file)
    # fastai's WeightDropout keeps weight_hh_l0_raw one level up, beside "module.".
    homes = [chosen] + ([chosen.removesuffix("module.")] if chosen.endswith("module.") else [])
    plain: dict[str, str] = {}
    raw: dict[str, str] = {}
    for key in keys:
        home = next((h for h in homes if key.startswith(h)), None)
        if home is None:
            continue
        match = _NAME.fullmatch(key[len(home) :])
        if match is None:
            continue
        name = match.group(1) + (match.group(2) or "")
        if match.group(3):
            raw[name] = key
        elif home == chosen:
            plain[name] = key
    notes = []
    origin = dict(plain)
    for name, key in sorted(raw.items()):
        also = (
            f"; the {name} beside it is a copy with dropout applied, not used"
            if name in plain
            else ""
        )
        notes.append(
            f"{name} is read from {key} (AWD-LSTM's WeightDrop keeps the weights "
            f"before DropConnect there; evaluation uses them as they are){also}"
        )
        origin[name] = key
    weights: dict[str, np.ndarray] = {}
    dtypes = set()
    for name, key in origin.items():
        array, dtype, note = _float64(tensors[key], key, file)
        weights[name] = array
        dtypes.add(dtype)
        if note:
            notes.append(note)
    cell = any(n in ("weight_ih", "weight_hh") for n in weights)
    return Found(
        file=file,
        prefix=chosen,
        weights=weights,
        dtype=finest(dtypes),
        kind="nn.LSTMCell" if cell else "nn.LSTM",
        origin=origin,
        notes=tuple(notes),
    )


def finest(dtypes: set[str]) -> str:
    """The one dtype that holds every value of ``dtypes`` (float32 for float16 with
    bfloat16)."""
    if len(dtypes) == 1:
        return next(iter(dtypes))
    best = max((_PRECISION.get(d, 3) for d in dtypes), default=2)
    return {1: "float32", 2: "float32", 3: "float64"}[max(best, 2)]


def _float64(value: Any, key: str, file: str) -> tuple[np.ndarray, str, str | None]:
    """A read-only float64 copy of a tensor or array, its saved dtype and a note."""
    note = None
    if type(value).__module__.startswith("torch"):
        import torch

        if not isinstance(value, torch.Tensor):
            raise InputError(
                f"expected a tensor, found {type(value).__name__}", file=file, field=key
            )
        if value.is_meta:
            raise InputError(
                "expected a tensor with values, found a meta tensor (a shape "
                "without data); save the model after its weights are loaded",
                field=key,
                file=file,
            )
        if value.layout != torch.strided:
            layout = str(value.layout).removeprefix("torch.")
            raise InputError(
                f"expected a dense tensor, found a {layout} tensor; save "
                "{k: v.to_dense() for k, v in model.state_dict().items()}",
                field=key,
                file=file,
            )
        if value.is_quantized:
            note = (
                f"{key} is quantized ({str(value.dtype).removeprefix('torch.')}); "
                "its dequantized values are used"
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = value.dequantize()
        if not value.is_floating_point():
            raise InputError(
                f"expected a floating-point tensor, found "
                f"{str(value.dtype).removeprefix('torch.')}",
                file=file,
                field=key,
            )
        dtype = str(value.dtype).removeprefix("torch.")
        try:
            array = value.detach().to("cpu", torch.float64).numpy().copy()
        except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"cannot read this tensor's values ({reason})", field=key, file=file
            ) from None
    else:
        array_in = np.asarray(value)
        dtype = str(array_in.dtype)
        if dtype not in _PRECISION:
            raise InputError(
                f"expected floating-point numbers, found dtype {dtype}", file=file, field=key
            )
        array = array_in.astype(np.float64)
    if not np.isfinite(array).all():
        raise InputError("expected finite numbers, found NaN or infinity", file=file, field=key)
    array.setflags(write=False)
    return array, dtype, note


# ---------------------------------------------------------------- Keras


def _keras(path: Path, prefix: str | None) -> Found:
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
    name = _choose(list(layers), prefix, file, "Keras LSTM layers")
    layer = layers[name]
    weights: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    dtypes = set()
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
        kernel, recurrent = variables[0], variables[1]
        for torch_name, array, var in (
            (f"weight_ih_l0{sfx}", kernel.T, "kernel"),
            (f"weight_hh_l0{sfx}", recurrent.T, "recurrent_kernel"),
        ):
            weights[torch_name], dtype, _ = _float64(array, f"{where}: {var}", file)
            origin[torch_name] = f"{where}: {var}"
            dtypes.add(dtype)
        if len(variables) > 2:
            weights[f"bias_ih_l0{sfx}"], dtype, _ = _float64(variables[2], f"{where}: bias", file)
            origin[f"bias_ih_l0{sfx}"] = f"{where}: bias"
            single = True
    return Found(
        file=file,
        prefix=name,
        weights=weights,
        dtype=finest(dtypes),
        kind="Keras layer",
        origin=origin,
        single_bias=single,
        notes=(
            f"Keras layer {name!r}: kernels transposed ((input, 4 hidden) -> "
            "(4 hidden, input)); Keras's gate order i, f, c, o is torch's i, "
            "f, g, o" + ("; its one bias per gate is bias_ih (bias: single)" if single else ""),
        ),
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


def _choose(names: list[str], prefix: str | None, file: str, what: str) -> str:
    listing = ", ".join(repr(n) for n in names)
    if prefix is not None:
        for candidate in (prefix, prefix.rstrip("./")):
            if candidate in names:
                return candidate
        raise InputError(
            f"no LSTM named {prefix!r}; {what} in this file: {listing}", field="--prefix", file=file
        )
    if len(names) > 1:
        raise InputError(
            f"holds {len(names)} {what}: {listing}; choose one by name with --prefix",
            field="--prefix",
            file=file,
        )
    return names[0]


# ---------------------------------------------------------------- ONNX


def _onnx(path: Path, prefix: str | None) -> Found:
    file = str(path)
    try:
        import onnx
        from onnx import numpy_helper
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
    name = _choose(list(nodes), prefix, file, "ONNX LSTM nodes")
    node = nodes[name]
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.output:
            value = next((a for a in n.attribute if a.name == "value"), None)
            if value is not None:
                constants[n.output[0]] = numpy_helper.to_array(value.t)
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    where = f"node {name!r}"
    _onnx_supported(attrs, node, constants, where, file)
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
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
    weights: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    dtypes = set()
    for d, sfx in enumerate(("", "_reverse")[: w.shape[0]]):
        parts = [("weight_ih", w[d][order], "W"), ("weight_hh", r[d][order], "R")]
        if b is not None:
            parts += [
                ("bias_ih", b[d][: 4 * hidden][order], "B[:4h] (Wb)"),
                ("bias_hh", b[d][4 * hidden :][order], "B[4h:] (Rb)"),
            ]
        for kind, array, label in parts:
            key = f"{where}: {label}[{d}]"
            weights[f"{kind}_l0{sfx}"], dtype, _ = _float64(array, key, file)
            origin[f"{kind}_l0{sfx}"] = key
            dtypes.add(dtype)
    return Found(
        file=file,
        prefix=name,
        weights=weights,
        dtype=finest(dtypes),
        kind="ONNX node",
        origin=origin,
        notes=(
            f"ONNX LSTM node {name!r} ({direction}): gate blocks reordered from "
            "ONNX's i, o, f, c to torch's i, f, g, o; B split into bias_ih (Wb) "
            "and bias_hh (Rb)",
        ),
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
