"""The two readings of an example file's schema agree (issues 17 and 18): msgspec's
Structs (:mod:`lstm_tex.validate.structs`) check every file; the pydantic models built
from them (:mod:`lstm_tex.validate.schema`) explain a file the Structs reject. The models
have the same sections, keys and defaults as the Structs, and the same verdict, and the
same values, on the bundled examples and on random changes of one key (what the
translation of types and bounds must keep)."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel, ValidationError

from lstm_tex.read import loader
from lstm_tex.validate import schema, structs
from tests.conftest import EXAMPLES

PAIRS = [
    (getattr(structs, name), getattr(schema, name))
    for name in (
        "LstmSection",
        "GruSection",
        "RnnSection",
        "CheckSection",
        "RenderSection",
        "BackwardSection",
        "ExampleSection",
    )
]
REQUIRED = object()


def _struct_defaults(struct: type[msgspec.Struct]) -> dict[str, Any]:
    out = {}
    for f in msgspec.structs.fields(struct):
        if f.default is not msgspec.NODEFAULT:
            out[f.name] = f.default
        elif f.default_factory is not msgspec.NODEFAULT:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = REQUIRED
    return out


def _model_defaults(model: type[BaseModel]) -> dict[str, Any]:
    return {
        name: REQUIRED if f.is_required() else f.get_default(call_default_factory=True)
        for name, f in model.model_fields.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    return msgspec.to_builtins(value) if isinstance(value, msgspec.Struct) else value


@pytest.mark.parametrize(("struct", "model"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_the_same_keys_in_the_same_order_with_the_same_defaults(
    struct: type[msgspec.Struct], model: type[BaseModel]
) -> None:
    ours, theirs = _struct_defaults(struct), _model_defaults(model)
    assert list(ours) == list(theirs)
    assert {k: _plain(v) for k, v in ours.items()} == {k: _plain(v) for k, v in theirs.items()}


def _verdicts(data: Any) -> tuple[Any, Any]:
    """Each schema's reading of ``data`` as plain values, or ``None`` where it rejects."""
    try:
        ours = msgspec.to_builtins(structs.convert(data))
    except msgspec.ValidationError:
        ours = None
    try:
        theirs = schema.ExampleSection.model_validate(data).model_dump()
    except ValidationError:
        theirs = None
    return ours, theirs


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_both_accept_each_bundled_example_with_the_same_values(path: Any) -> None:
    ours, theirs = _verdicts(loader.read(path).data)
    assert ours is not None and ours == theirs


#: Values a key may be given: each kind YAML can write, around every bound of the schema.
VALUES = [
    None, True, False, 0, 1, 2, 3, 4, 12, 13, 16, 17, -1, 2**70, 0.5, 3.0, -2.5, 1e-300,
    math.inf, -math.inf, math.nan, "", "all", "cpu", "cpu\n", "cuda", "cuda:1", "cuda:x",
    "mps", "auto", "float32", "float64", "pytorch", "textbook", "row-vector", "exact",
    "displayed", "mse", "sse", "tanh", "relu", "latex", "html", [], ["latex"],
    ["html", "markdown"], ["pdf"], [1], {}, {"x": 1}, {"input_size": 2},
]  # fmt: skip


def _keys() -> list[tuple[str, ...]]:
    """Every key the schema knows, as a path: ``("render", "decimals")``, ``("x",)``."""
    paths: list[tuple[str, ...]] = []
    for name, f in schema.ExampleSection.model_fields.items():
        paths.append((name,))
        for a in getattr(f.annotation, "__args__", (f.annotation,)):
            if isinstance(a, type) and issubclass(a, BaseModel):
                paths += [(name, key) for key in a.model_fields]
    return paths


BASE = loader.read(EXAMPLES / "backward-sequence.yaml").data


def _changed(key: tuple[str, ...], value: Any, cell: str) -> dict[str, Any]:
    """The base example with its configuration section named ``cell`` and ``key`` set to
    ``value`` (or deleted)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    if cell != "lstm":  # the section under another kind's name (its own keys differ)
        data[cell] = data.pop("lstm", {})
    if key[0] == "lstm":
        key = (cell, *key[1:])
    where = data
    for part in key[:-1]:
        if not isinstance(where.get(part), dict):
            where[part] = {}
        where = where[part]
    if value is DELETE:
        where.pop(key[-1], None)
    else:
        where[key[-1]] = value
    return data


DELETE = object()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_same_verdict_and_values_after_changing_any_key_to_any_value(cell: str) -> None:
    differ = []
    for key in [*_keys(), ("render", "unknown"), ("unknown",)]:
        for value in [*VALUES, DELETE]:
            ours, theirs = _verdicts(_changed(key, value, cell))
            if (ours is None) != (theirs is None) or repr(ours) != repr(theirs):  # nan
                differ.append((key, value, ours is None, theirs is None))
    assert not differ


def test_a_valid_file_is_checked_without_importing_pydantic() -> None:
    code = (
        "import sys\n"
        "from lstm_tex.validate import spec\n"
        f"spec.load({str(EXAMPLES / 'backward-sequence.yaml')!r})\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
