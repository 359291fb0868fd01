"""Validate a parsed example file once, at the edge, into a frozen :class:`Example`.

The front door of validation; one concern per module of :mod:`lstm_tex.validate`:

* :mod:`~lstm_tex.validate.structs`: the file's sections and keys (msgspec), and
  :mod:`~lstm_tex.validate.schema`, pydantic models built from them, which say what is
  wrong with a file the Structs reject;
* :mod:`~lstm_tex.validate.weights`: the weights and the network they imply;
* :mod:`~lstm_tex.validate.arrays`: numbers, inputs and states, with their shapes;
* :mod:`~lstm_tex.validate.overrides`: the render options, from the file or the flags;
* :mod:`~lstm_tex.validate.messages`: the words of every message;
* :mod:`~lstm_tex.validate.model`: the frozen :class:`Example` they build.

Every problem becomes an :class:`~lstm_tex.errors.InputError` naming the file, the field
path, the line and what was expected versus found. Code after this package never re-checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from lstm_tex.errors import InputError
from lstm_tex.latex import text
from lstm_tex.read import document, loader
from lstm_tex.validate import structs
from lstm_tex.validate.arrays import backward_spec, initial_state, inputs
from lstm_tex.validate.messages import described, pydantic_errors
from lstm_tex.validate.model import CheckOptions, Example, LstmConfig
from lstm_tex.validate.overrides import render_options
from lstm_tex.validate.structs import CheckSection, ExampleSection
from lstm_tex.validate.weights import network


def load(path: str | Path) -> Example:
    """Read, parse and validate an example file."""
    return validate(loader.read(path), stem=Path(path).stem)


def from_mapping(data: Mapping[str, Any], *, name: str = "<example>") -> Example:
    """Validate an in-memory mapping (the Python API); messages name ``name``.

    Weights given as NumPy arrays (any size) are taken as they are, without going
    through text; nested lists are read like the lists of an example file.
    """
    import json

    weights = data.get("weights")
    preloaded = None
    if (
        isinstance(weights, Mapping)
        and weights
        and all(isinstance(v, np.ndarray) for v in weights.values())
    ):
        preloaded = {str(k): v for k, v in weights.items()}
        data = {**data, "weights": {k: [] for k in preloaded}}
    return validate(loader.parse(json.dumps(data), name), stem=Path(name).stem, preloaded=preloaded)


def validate(
    doc: document.Document, *, stem: str, preloaded: Mapping[str, np.ndarray] | None = None
) -> Example:
    """Turn a parsed document into an :class:`Example` or raise :class:`InputError`.

    ``preloaded``: the weights as arrays (the Python API), in place of ``weights:``.
    """
    if not isinstance(doc.data, dict):
        raise doc.error(
            (), f"expected a mapping of keys (title, weights, x, ...), found {described(doc.data)}"
        )
    try:
        section = structs.convert(doc.data)
    except msgspec.ValidationError as exc:
        raise _rejected(doc, exc) from None
    return _build(doc, section, stem, preloaded)


def _rejected(doc: document.Document, exc: msgspec.ValidationError) -> InputError:
    """Every problem of a file the schema rejected, in the file's words: pydantic's verdicts
    (:mod:`lstm_tex.validate.schema`, imported only here, for a bad file)."""
    from pydantic import ValidationError

    from lstm_tex.validate.schema import ExampleSection as Checked

    try:
        Checked.model_validate(doc.data)
    except ValidationError as pydantic_exc:
        return pydantic_errors(doc, pydantic_exc)
    # The two schemas disagree (tests/test_schema_twins.py says they do not): msgspec's words.
    message, _, where = str(exc).partition(" - at `$")
    parts = where.rstrip("`").replace("[", ".[").split(".")
    loc = tuple(int(p[1:-1]) if p.startswith("[") else p for p in parts if p)
    return doc.error(loc, message[:1].lower() + message[1:])


def _title(doc: document.Document, title: str | None) -> str | None:
    """The title, if LaTeX can typeset it (:func:`lstm_tex.latex.text.problem`), else exit 2."""
    if title is not None:
        problem = text.problem(title)
        if problem is not None:
            raise doc.error(("title",), problem)
    return title


def _build(
    doc: document.Document,
    section: ExampleSection,
    stem: str,
    preloaded: Mapping[str, np.ndarray] | None = None,
) -> Example:
    """The example: the network, its inputs and states, and the options, each validated."""
    net = network(doc, section, preloaded)
    config = net.config
    x, batched, one_step = inputs(doc, section.x, config)
    h0, h0_given, c0, c0_given = _states(doc, section, config, x.shape[1], batched)
    backward = None
    if section.backward is not None:
        width = config.num_directions * config.out_size
        backward = backward_spec(
            doc, section.backward, x.shape[0], x.shape[1], width, batched, config.batch_first
        )
    return Example(
        file=doc.file,
        stem=stem,
        config=config,
        weights=net.weights,
        weight_names=net.names,
        weights_file=None if net.source is None else net.source.file,
        notes=() if net.source is None else net.source.notes,
        x=x,
        h0=h0,
        c0=c0,
        batched=batched,
        one_step=one_step,
        h0_given=h0_given,
        c0_given=c0_given,
        title=_title(doc, section.title),
        check=_check_options(section.check),
        render=render_options(
            doc, section.render, config, x.shape[0], backward=backward is not None
        ),
        backward=backward,
    )


def _states(
    doc: document.Document, section: ExampleSection, config: LstmConfig, batch: int, batched: bool
) -> tuple[np.ndarray, bool, np.ndarray, bool]:
    """``h0`` and ``c0`` (zeros where not given; c0 (L*D, batch, 0) for a cell without c)."""
    layers_dirs = config.num_layers * config.num_directions
    h0, h0_given = initial_state(
        doc, "h0", section.h0, layers_dirs, batch, config.out_size, batched
    )
    if config.cell.has_c:
        c0, c0_given = initial_state(
            doc, "c0", section.c0, layers_dirs, batch, config.hidden_size, batched
        )
        return h0, h0_given, c0, c0_given
    if section.c0 is not None:
        raise doc.error(
            ("c0",),
            f"{config.cell.torch_class} has no cell state c, so expected no c0 (only h0, "
            f"the initial hidden state), found {described(section.c0)}",
        )
    c0 = np.zeros((layers_dirs, batch, 0))
    c0.setflags(write=False)
    return h0, h0_given, c0, False


def _check_options(section: CheckSection) -> CheckOptions:
    """``check:``; ``atol`` defaults to 1e-10 in float64 and 1e-5 in float32."""
    default = 1e-10 if section.dtype == "float64" else 1e-5
    return CheckOptions(
        device=section.device,
        dtype=section.dtype,
        atol=section.atol if section.atol is not None else default,
    )
