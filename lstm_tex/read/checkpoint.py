"""Read an LSTM's weights from a saved model: PyTorch, safetensors, NumPy, Keras or ONNX.

Every reader gives the same thing, a :class:`~lstm_tex.read.found.Found`: float64 arrays under
``torch.nn.LSTM``'s state_dict names (``weight_ih_l0`` ..., or nn.LSTMCell's
``weight_ih`` ...), the dtype they were saved in, where each came from in the file,
and notes on what was changed on the way.

- ``.pt``, ``.pth``, ``.ckpt``, ``.bin``: ``torch.load(..., weights_only=True)``
  (tensors and plain containers only, never code); a state_dict, or a checkpoint dict
  holding one under ``state_dict``, ``model_state_dict`` or ``model``.
- ``.safetensors`` (the safetensors package's NumPy API) and ``.npz`` (NumPy, no
  pickles): no torch.
- ``.keras``, ``.h5`` (a Keras layer) and ``.onnx`` (an LSTM node): read by
  :mod:`lstm_tex.read.frameworks`.

The prefix chooses one LSTM when a file holds several: a key prefix
(``encoder.lstm.``), a Keras layer name or an ONNX node name. AWD-LSTM's WeightDrop
keys (``weight_hh_l0_raw``) are used with a note; quantized tensors are dequantized
with a note. Every error names the file, the key and what was found there.
"""

from __future__ import annotations

import contextlib
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lstm_tex.errors import InputError, import_torch
from lstm_tex.read import frameworks
from lstm_tex.read.found import Found, finest, float64, prefix_error

#: Keys of a checkpoint dict that may hold the model's state_dict, tried in this order.
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
TORCH_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")
#: The weight names of a network (``_l0``) and of a cell module, and WeightDrop's ``_raw``.
_NAME = re.compile(
    r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)(_l\d+(?:_reverse)?)?"
    r"(_raw)?"
)
_ANCHORS = ("weight_ih_l0", "weight_ih_l0_raw", "weight_ih", "weight_ih_raw")


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
        return frameworks.onnx_model(path, prefix)
    if suffix in (".keras", ".h5", ".hdf5"):
        return frameworks.keras_model(path, prefix)
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
        raise prefix_error(
            f"no nn.LSTM at prefix {prefix!r} (no key "
            f"{prefix + 'weight_ih_l0'!r}); LSTMs in this file are at: "
            f"{listing}",
            file,
        )
    if not found:
        shown = ", ".join(repr(k) for k in keys[:12])
        raise InputError(
            f"no nn.LSTM weights found: no key ends in 'weight_ih_l0' (nor "
            f"nn.LSTMCell's 'weight_ih') (keys: {shown})",
            file=file,
        )
    if len(found) > 1:
        raise prefix_error(
            f"holds {len(found)} LSTMs, at prefixes {listing}; choose one with --prefix", file
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
        array, dtype, note = float64(tensors[key], key, file)
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
