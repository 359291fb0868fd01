"""The example file's schema in pydantic, built from the msgspec Structs of
:mod:`lstm_tex.validate.structs`, so that the file format is written once.

The Structs check every file (msgspec costs about 2 ms of a start, pydantic about 70 ms;
issue 17). This module is imported only for a file they reject: pydantic then finds
every problem of the file, with its kind and bounds, and :mod:`lstm_tex.validate.messages`
puts each in the file format's own words. Each Struct becomes a strict, frozen model that
forbids unknown keys, with the same fields, defaults and bounds (msgspec's ``Meta``
becomes pydantic's ``Field``); ``tests/test_schema_twins.py`` checks that the two give the
same verdict on the bundled examples and on random changes of them.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from pydantic import BaseModel, ConfigDict, Field, create_model

from lstm_tex.validate import structs

#: The constraints of msgspec's ``Meta`` that the Structs use, by their pydantic names.
_CONSTRAINTS = ("ge", "gt", "le", "lt", "pattern", "min_length", "max_length")


class _Strict(BaseModel):
    # python-re: the Structs' patterns are Python's (``\Z``), as msgspec reads them.
    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, regex_engine="python-re"
    )


def _is_struct(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, msgspec.Struct)


def _annotation(tp: Any) -> Any:
    """A Struct field's type as pydantic reads it: Structs become models, ``Meta`` bounds
    become ``Field`` constraints, through unions, lists and ``Annotated``."""
    origin = get_origin(tp)
    if origin is Annotated:
        inner, *extras = get_args(tp)
        bounds = {
            name: getattr(meta, name)
            for meta in extras
            if isinstance(meta, msgspec.Meta)
            for name in _CONSTRAINTS
            if getattr(meta, name) is not None
        }
        return typing.cast(Any, Annotated)[_annotation(inner), Field(**bounds)]
    if _is_struct(tp):
        return model(tp)
    if origin in (Union, types.UnionType):
        return typing.cast(Any, Union)[tuple(_annotation(a) for a in get_args(tp))]
    if origin is list:
        return list[_annotation(get_args(tp)[0])]  # type: ignore[misc]
    return tp


@functools.cache
def model(struct: type[msgspec.Struct]) -> type[BaseModel]:
    """The pydantic model of ``struct``: its fields in order, with their defaults."""
    hints = typing.get_type_hints(struct, include_extras=True)
    fields: dict[str, Any] = {}
    for f in msgspec.structs.fields(struct):
        if f.default is not msgspec.NODEFAULT:
            default = Field(f.default)
        elif f.default_factory is not msgspec.NODEFAULT:
            factory = f.default_factory
            default = Field(default_factory=model(factory) if _is_struct(factory) else factory)
        else:
            default = Field(...)
        fields[f.name] = (_annotation(hints[f.name]), default)
    built: type[BaseModel] = create_model(
        struct.__name__, __base__=_Strict, __doc__=struct.__doc__, **fields
    )
    return built


LstmSection = model(structs.LstmSection)
GruSection = model(structs.GruSection)
RnnSection = model(structs.RnnSection)
CheckSection = model(structs.CheckSection)
DeckSection = model(structs.DeckSection)
RenderSection = model(structs.RenderSection)
BackwardSection = model(structs.BackwardSection)
ExampleSection = model(structs.ExampleSection)
