"""Fuzzing (issue 8): any mutation of a bundled example exits 0 or 2, never with a
traceback, and a run that fails leaves the previous output exactly as it was.

Short by default; for a long run set ``LSTM_TEX_FUZZ_EXAMPLES``, e.g.

    LSTM_TEX_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from lstm_tex.read import loader
from tests.conftest import BUNDLED, run_cli

EXAMPLES = int(os.environ.get("LSTM_TEX_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in BUNDLED}
BUNDLED_BY_STEM = {p.stem: p for p in BUNDLED}
DATA = {stem: loader.parse(text, stem).data for stem, text in TEXTS.items()}
PREVIOUS = b'{"previous": true}\n'

TAGS = [
    "!!python/object/apply:os.system",
    "!!python/name:os.system",
    "!!python/tuple",
    "!!set",
    "!!binary",
    "!!timestamp",
    "!!omap",
    "!!pairs",
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!map",
    "!!seq",
    "!foo",
    "!<tag:example.com,2024:x>",
]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e-320, 10**400, 0, -0.0]),
)
scalars = st.one_of(numbers, st.text(max_size=12), st.booleans(), st.none())
bad_values = st.one_of(
    scalars,
    st.lists(numbers, max_size=6),
    st.lists(st.lists(numbers, max_size=4), max_size=4),
    st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    st.integers(min_value=1, max_value=60).map(lambda depth: _nest(depth)),
    st.just([]),
    st.just({}),
)


def _nest(depth: int) -> Any:
    value: Any = 0.5
    for _ in range(depth):
        value = [value]
    return value


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and list item of ``node``, as paths from the root."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            found += _paths(value, (*path, k))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        root = root[part]
    return root


def _dump(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


@st.composite
def mutated_data(draw: st.DrawFn, stem: str) -> str:
    """A bundled example with a few structural mutations, written back as YAML."""
    data = copy.deepcopy(DATA[stem])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        action = draw(st.sampled_from(["drop", "replace", "ragged", "add", "wrap", "scale"]))
        if action == "drop":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(bad_values)
        elif action == "ragged" and isinstance(parent[last], list) and parent[last]:
            parent[last].pop(draw(st.integers(0, len(parent[last]) - 1)))
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.text(min_size=1, max_size=12))] = draw(bad_values)
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"value": parent[last]}]))
        elif action == "scale" and isinstance(parent[last], float):
            parent[last] *= draw(st.sampled_from([1e300, -1e300, 1e-300, 0.0]))
    return _dump(data)


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> bytes:
    """YAML text with a few textual mutations: cuts, bytes, unicode, aliases, tags."""
    raw = text.encode("utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        action = draw(
            st.sampled_from(
                ["truncate", "bytes", "unicode", "delete", "alias", "bomb", "tag", "anchor-reuse"]
            )
        )
        if action == "truncate":
            raw = raw[:at]
        elif action == "bytes":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
        elif action == "unicode":
            word = draw(st.text(min_size=1, max_size=8)).encode("utf-8", "surrogatepass")
            raw = raw[:at] + word + raw[at:]
        elif action == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 20)) :]
        elif action == "alias":
            raw = b"base: &base [0.5, 0.1]\n" + raw.replace(b"[0.5, 0.1]", b"*base", 1)
        elif action == "bomb":
            levels = draw(st.integers(min_value=1, max_value=7))
            bomb = "l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
                f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]\n"
                for k in range(1, levels + 1)
            )
            raw = bomb.encode() + raw
        elif action == "tag":
            colon = raw.find(b": ", at)
            if colon >= 0:
                tag = draw(st.sampled_from(TAGS)).encode()
                raw = raw[: colon + 2] + tag + b" " + raw[colon + 2 :]
        elif action == "anchor-reuse":
            colon = raw.find(b": ", at)
            if colon >= 0:
                raw = raw[: colon + 2] + b"&a " + raw[colon + 2 :] + b"\nextra: *a\n"
    return raw


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    stem = draw(st.sampled_from(sorted(TEXTS)))
    if draw(st.booleans()):
        return draw(mutated_data(stem)).encode("utf-8")
    return draw(mutated_text(TEXTS[stem]))


@FUZZ
@given(raw=mutated_files())
def test_mutated_examples_exit_0_or_2_and_never_half_write(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "fuzz.yaml", Path(tmp) / "out"
        path.write_bytes(raw)
        (out / "fuzz").mkdir(parents=True)
        (out / "fuzz" / "values.json").write_bytes(PREVIOUS)
        result = run_cli("render", path, "--out", out, "--no-check")
        event(f"exit {result.exit_code}")
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        assert sorted(p.name for p in out.iterdir()) == ["fuzz"], "staging folder left behind"
        values = (out / "fuzz" / "values.json").read_bytes()
        if result.exit_code == 2:
            assert result.output.startswith("lstm-tex: "), result.output
            assert sorted(p.name for p in (out / "fuzz").iterdir()) == ["values.json"]
            assert values == PREVIOUS
        else:
            assert values != PREVIOUS


# ---------------------------------------------------------------- command-line values (issue 19)

#: Cases per command-line / file-name / template fuzz test; scaled with the same variable.
SMALL = max(1, EXAMPLES // 8)
FUZZ_SMALL = settings(FUZZ, max_examples=SMALL)
PREVIOUS_YAML = b"# a lecturer's file, kept byte for byte when a command fails\n"

#: Text as the shell hands it to Python: any Unicode, or bytes that are not UTF-8
#: (which Python turns into lone surrogates).
argv_text = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(os.fsdecode),
    st.sampled_from(
        ["", "\\", "{", "}", "%", "\x7f", "\x00", "\u202e", "&#", "\\input{x}", "a" * 300]
    ),
)
json_values = st.recursive(
    st.one_of(
        st.floats(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.text(max_size=5),
        st.booleans(),
        st.none(),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=12,
)
small = st.floats(min_value=-2, max_value=2)
json_flags = st.one_of(
    st.lists(small, min_size=2, max_size=2).map(json.dumps),  # one step of input size 2
    st.lists(st.lists(small, min_size=2, max_size=2), min_size=1, max_size=3).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(
        [
            "[0.5, 0.1]",
            "[[0.5, 0.1], [0.2, 0.0]]",
            "[" * 3000 + "]" * 3000,
            "[" + "9" * 5000 + "]",
            "[1e999]",
            "[NaN]",
            "[0.5,",
            "{}",
            "[]",
        ]
    ),
    argv_text,
)


def _lstm_file(folder: Path) -> Path:
    import torch

    path = folder / "lstm.pt"
    if not path.exists():
        torch.manual_seed(0)
        torch.save(torch.nn.LSTM(2, 3).state_dict(), path)
    return path


def _assert_kept_or_changed(result: Any, path: Path, before: bytes) -> None:
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.")]
    assert leftovers == [], "a temporary file was left behind"
    if result.exit_code == 2:
        assert result.output.startswith("lstm-tex: "), result.output
        assert path.read_bytes() == before, "a failed command changed the file"


@FUZZ_SMALL
@given(title=argv_text, steps=st.integers(1, 3), seed=st.integers(0, 3))
def test_init_titles_exit_0_or_2_and_never_damage_the_file(
    title: str, steps: int, seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.yaml"
        path.write_bytes(PREVIOUS_YAML)
        result = run_cli(
            "init", path, "--force", "--title", title, "--steps", steps, "--seed", seed
        )
        _assert_kept_or_changed(result, path, PREVIOUS_YAML)
        if result.exit_code == 0:  # what init wrote, render reads (or refuses in one line)
            rendered = run_cli("render", path, "--out", Path(tmp) / "out", "--no-check")
            assert rendered.exit_code in (0, 2), rendered.output
            assert "Traceback" not in rendered.output


@FUZZ_SMALL
@given(
    x=json_flags,
    h0=st.none() | st.lists(small, min_size=3, max_size=3).map(json.dumps) | json_flags,
    title=st.none() | argv_text,
)
def test_import_flag_values_exit_0_or_2_and_never_damage_the_file(
    x: str, h0: str | None, title: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.yaml"
        path.write_bytes(PREVIOUS_YAML)
        flags = (
            ["--x", x]
            + (["--h0", h0] if h0 is not None else [])
            + (["--title", title] if title is not None else [])
        )
        result = run_cli("import", _lstm_file(Path(tmp)), "-o", path, "--force", *flags)
        _assert_kept_or_changed(result, path, PREVIOUS_YAML)


file_names = st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b)


@FUZZ_SMALL
@given(name=file_names)
def test_file_names_of_any_bytes_render_or_exit_2(name: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "examples"
        folder.mkdir()
        path = Path(os.fsdecode(bytes(folder) + b"/" + name + b".yaml"))
        path.write_text(TEXTS["notebook-step"], encoding="utf-8")
        out = Path(tmp) / "out"
        result = run_cli("render", folder, "--out", out, "--no-check")
        event(f"exit {result.exit_code}")
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        made = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if result.exit_code == 0:
            assert made == [path.stem]
            assert any(p.suffix == ".tex" for p in (out / path.stem).iterdir())
        else:
            assert made == [] and path.stem in (".", "..")


#: Pieces of templates: Jinja syntax, LaTeX, context names, and things a sandbox stops.
TEMPLATE_PIECES = [
    "\\VAR{",
    "\\BLOCK{",
    "\\#{",
    "}",
    "{",
    "%%",
    "%#",
    "%",
    "\\",
    "\n",
    " ",
    "title",
    "part",
    "part.id",
    "steps",
    "x",
    "1",
    "0",
    "/",
    "+",
    "*",
    "**",
    "9",
    "'a'",
    "(",
    ")",
    "[",
    "]",
    "|e",
    "|length",
    "if ",
    "endif",
    "for s in steps",
    "endfor",
    "else",
    "macro m()",
    "endmacro",
    "m()",
    "set y = 2",
    "cycler",
    "__class__",
    ".__init__",
    ".__globals__",
    "__subclasses__()",
    "range(3)",
    "lipsum",
    "\\begin{align*}",
    "\\end{align*}",
    "\\frac{1}{2}",
    "$x$",
    "&",
    "\\\\",
    "\xdc",
    "\x00",
    # whole statements, each a known way in: errors at run time, the sandbox, huge work
    "\\VAR{title}",
    "\\VAR{1/0}",
    "\\VAR{title + 1}",
    "\\VAR{part.id|upper}",
    "\\BLOCK{if x}a\\BLOCK{endif}",
    "\\BLOCK{for s in range(3)}\\VAR{s}\\BLOCK{endfor}",
    "\\VAR{cycler.__init__.__globals__.os.popen('touch PROOF').read()}",
    "\\VAR{''.__class__.__mro__[1].__subclasses__()}",
    "\\VAR{'a' * 10**9}",
    "\\VAR{10**(10**10)}",
    "\\BLOCK{macro m(n)}\\VAR{m(n)}\\BLOCK{endmacro}\\VAR{m(1)}",
    "\\BLOCK{include 'part.tex.j2'}",
    "\\BLOCK{import 'derivation.tex.j2' as d}\\VAR{d}",
]


@FUZZ_SMALL
@given(pieces=st.lists(st.sampled_from(TEMPLATE_PIECES), min_size=1, max_size=16))
def test_random_user_templates_exit_0_or_2_and_keep_the_output(pieces: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        templates, out = Path(tmp) / "templates", Path(tmp) / "out"
        templates.mkdir()
        (out / "notebook-step").mkdir(parents=True)
        (out / "notebook-step" / "values.json").write_bytes(PREVIOUS)
        (templates / "part.tex.j2").write_text(
            "".join(pieces), encoding="utf-8", errors="surrogateescape"
        )
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            result = run_cli(
                "render",
                BUNDLED_BY_STEM["notebook-step"],
                "--out",
                out,
                "--no-check",
                "--templates",
                templates,
            )
        finally:
            os.chdir(cwd)
        assert not (Path(tmp) / "PROOF").exists(), "a template ran a shell command"
        event(f"exit {result.exit_code}")
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        assert sorted(p.name for p in out.iterdir()) == ["notebook-step"]
        if result.exit_code == 2:
            assert "template" in result.output, result.output
            assert (out / "notebook-step" / "values.json").read_bytes() == PREVIOUS
