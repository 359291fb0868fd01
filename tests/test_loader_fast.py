"""The loader's fast path (libyaml through PyYAML, issue 17) reads exactly the data of the
round-trip path (ruamel), or gives the file to the round-trip path; messages keep their
line numbers, which come from the round-trip tree, parsed again when a message needs one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_tex.errors import InputError
from lstm_tex.read import document, fast, loader
from lstm_tex.validate import spec
from tests.conftest import BUNDLED, DATA


def slow(text: str) -> document.Document:
    """The round-trip path alone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "fast_parse", lambda _text: fast.SLOW)
        return loader.parse(text, "slow.yaml")


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (``True`` is not ``1``, ``1`` is not ``1.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize("path", [*BUNDLED, DATA / "tiny.yaml"], ids=lambda p: p.stem)
def test_bundled_files_take_the_fast_path_with_the_same_data(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = fast.fast_parse(text)
    assert data is not fast.SLOW
    assert same(data, slow(text).data)
    doc = loader.parse(text, path.name)
    assert doc.tree is None  # no round-trip parse unless a line is asked for
    assert same(doc.data, data)


def test_a_message_on_the_fast_path_still_names_the_line() -> None:
    text = "title: t\nweights:\n  weight_ih_l0: [[1, 2]]\n  weight_hh_l0: [[1]]\nx: [1]\n"
    assert fast.fast_parse(text) is not fast.SLOW
    with pytest.raises(InputError) as caught:
        spec.validate(loader.parse(text, "lines.yaml"), stem="lines")
    assert caught.value.line is not None and caught.value.line >= 3
    assert caught.value.file == "lines.yaml"
    doc = loader.parse(text, "lines.yaml")
    assert doc.line_of(["x"]) == 5 and doc.line_of(["weights", "weight_hh_l0"]) == 4


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: !!str 3\n",  # tag
        "a: &x 1\nb: *x\n",  # anchor and alias
        "%YAML 1.1\n---\na: yes\n",  # directive
        "a: |\n  text\n",  # block scalar
        "a: 0x10\n",
        "a: 1_000\n",
        "a: .inf\n",
        "a: +1\n",
        "a: 012\n",
        "a: 1e5\n",
        "a: 2001-12-14\n",
        "1: a\n",
        "? [a]\n: 1\n",
        'a: "\\/"\n',
        "a: [1, 2\n",
        "a: 1\n---\nb: 2\n",
        "",
        "a: @x\n",
    ],
)
def test_anything_unusual_takes_the_round_trip_path(text: str) -> None:
    assert fast.fast_parse(text) is fast.SLOW


ALPHABET = st.sampled_from(list(" \n\t-:,[]{}#'\"!&*%<>|.0123456789eE+_xyzTtFfNn~?@`=\\"))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.sampled_from([p.read_text(encoding="utf-8") for p in BUNDLED]),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.text(ALPHABET, max_size=4)),
        min_size=1,
        max_size=4,
    ),
)
def test_a_mutated_file_reads_the_same_on_both_paths(
    text: str, edits: list[tuple[float, int, str]]
) -> None:
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    data = fast.fast_parse(text)
    if data is fast.SLOW:
        return
    try:
        expected = slow(text).data
    except InputError as exc:  # the fast path must not accept what the round trip refuses
        raise AssertionError(f"fast path accepted a file refused with: {exc}") from None
    assert same(data, expected)
