"""What reading a saved model gives: a :class:`Found` (one LSTM's weights as float64 arrays
under torch's names, where each came from, the dtype it was saved in), and the conversion
of every saved tensor or array to float64 (:func:`float64`), shared by all the readers of
:mod:`lstm_tex.read.checkpoint` and :mod:`lstm_tex.read.frameworks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_tex.errors import InputError

#: Precision of each dtype a weight may be saved in, to name the finest one of a file.
_PRECISION = {"float16": 1, "bfloat16": 1, "float32": 2, "float64": 3}


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


def finest(dtypes: set[str]) -> str:
    """The one dtype that holds every value of ``dtypes`` (float32 for float16 with
    bfloat16)."""
    if len(dtypes) == 1:
        return next(iter(dtypes))
    best = max((_PRECISION.get(d, 3) for d in dtypes), default=2)
    return {1: "float32", 2: "float32", 3: "float64"}[max(best, 2)]


def float64(value: Any, key: str, file: str) -> tuple[np.ndarray, str, str | None]:
    """A read-only float64 copy of a tensor or array, its saved dtype and a note."""
    note = None
    if type(value).__module__.startswith("torch"):
        array, dtype, note = _torch_float64(value, key, file)
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


def _torch_float64(value: Any, key: str, file: str) -> tuple[np.ndarray, str, str | None]:
    """A torch tensor's values as float64 (quantized ones dequantized, with a note)."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise InputError(f"expected a tensor, found {type(value).__name__}", file=file, field=key)
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
    note = None
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
            f"expected a floating-point tensor, found {str(value.dtype).removeprefix('torch.')}",
            file=file,
            field=key,
        )
    try:
        array = value.detach().to("cpu", torch.float64).numpy().copy()
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"cannot read this tensor's values ({reason})", field=key, file=file
        ) from None
    return array, str(value.dtype).removeprefix("torch."), note


@dataclass
class Gathered:
    """The weights of one model as a reader finds them, one by one, into a :class:`Found`."""

    file: str
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    dtypes: set[str] = field(default_factory=set)

    def add(self, name: str, value: Any, where: str, *, saved_dtype: bool = True) -> None:
        """Weight ``name`` (torch's) from ``value``, found at ``where`` in the file;
        ``saved_dtype``: its dtype counts in the file's (:attr:`Found.dtype`)."""
        self.weights[name], dtype, _ = float64(value, where, self.file)
        self.origin[name] = where
        if saved_dtype:
            self.dtypes.add(dtype)

    def found(self, prefix: str, kind: str, note: str, single_bias: bool = False) -> Found:
        return Found(
            file=self.file,
            prefix=prefix,
            weights=self.weights,
            dtype=finest(self.dtypes),
            kind=kind,
            origin=self.origin,
            notes=(note,),
            single_bias=single_bias,
        )


def prefix_error(message: str, file: str) -> InputError:
    """An error about the choice of LSTM in a file (``--prefix``, ``prefix:``)."""
    return InputError(message, field="--prefix", file=file)
