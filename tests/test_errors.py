"""Every bad input exits 2 with one clear message and writes nothing (issue 3).

Each case starts from the bundled single-step example, breaks one thing, runs the
real CLI and checks the exit status, the message (file, line, field path, expected
versus found), that no traceback is printed, and that ``out/`` is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lstm_tex.errors import InputError
from lstm_tex.read import document, fast, loader
from tests.conftest import EXAMPLES, run_cli

BASE = (EXAMPLES / "notebook-step.yaml").read_text(encoding="utf-8")
STEM = "bad"


def sub(old: str, new: str, text: str = BASE) -> str:
    """``text`` with ``old`` (which must occur) replaced by ``new``."""
    assert old in text, f"the example no longer contains {old!r}"
    return text.replace(old, new, 1)


def replace_key(key: str, entry: str) -> str:
    """BASE with the entry ``key:`` (and its continuation lines) replaced by ``entry``."""
    lines = BASE.splitlines(keepends=True)
    start = next(k for k, ln in enumerate(lines) if ln.lstrip().startswith(f"{key}:"))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    return "".join([*lines[:start], entry, *lines[end:]])


def drop_key(key: str) -> str:
    """BASE without the entry ``key:`` and its continuation lines."""
    return replace_key(key, "")


def line_of(text: str, marker: str) -> int:
    """The 1-based line of ``text`` where ``marker`` first starts."""
    assert marker in text, marker
    return text[: text.index(marker)].count("\n") + 1


def case(name: str, text: str, *fragments: str, line_of: str | None = None) -> object:
    """A table row; ``line_of`` is text whose line (in ``text``) the message must name."""
    if line_of is not None:
        fragments = (f"{STEM}.yaml:{_line_of(text, line_of)}: ", *fragments)
    return pytest.param(text, fragments, id=name)


_line_of = line_of


def assert_refused(result: Result, out: Path, *fragments: str, code: int = 2) -> None:
    """Exit ``code``, one message with every fragment, no traceback, nothing written."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    assert not (out / STEM).exists(), "a failed run wrote output"
    assert not staging_leftovers(out)


def staging_leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(".*")) if out.is_dir() else []


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def write_example(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"{STEM}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def previous_output(out: Path) -> dict[str, bytes]:
    """A stand-in for an earlier run's ``out/bad/``; returns its contents."""
    (out / STEM / "parts").mkdir(parents=True)
    (out / STEM / "values.json").write_text('{"previous": true}\n')
    (out / STEM / "parts" / "gates.tex").write_text("% previous\n")
    return snapshot(out / STEM)


# ---------------------------------------------------------------- YAML text -> message

SYNTAX = [
    case(
        "unclosed-bracket",
        sub("x: [0.5, 0.1]", "x: [0.5, 0.1"),
        "invalid YAML",
        "expected ',' or ']'",
        "that starts on line",
        line_of="h0:",
    ),
    case(
        "unclosed-quote",
        sub("title: One LSTM", 'title: "One LSTM'),
        "invalid YAML",
        "quoted scalar that starts on line 3",
    ),
    case(
        "tab-indent",
        sub("  hidden_size: 4", "\thidden_size: 4"),
        "invalid YAML",
        "indent with spaces, not tabs",
        line_of="\thidden_size",
    ),
    case(
        "bad-indent",
        sub("x: [0.5, 0.1]\n", "x: [0.5, 0.1]\n  - 3\n"),
        "invalid YAML",
        "check the indentation",
        line_of="  - 3",
    ),
    case(
        "duplicate-key",
        BASE + "x: [1.0, 2.0]\n",
        "duplicate key 'x'",
        f"first written on line {line_of(BASE, 'x: [0.5')}",
        line_of="x: [1.0, 2.0]",
    ),
    case(
        "duplicate-nested-key",
        sub("  hidden_size: 4\n", "  hidden_size: 4\n  input_size: 2\n"),
        "duplicate key 'input_size'",
        f"first written on line {line_of(BASE, 'input_size')}",
        line_of="input_size: 2\nweights",
    ),
    case("two-documents", BASE + "---\nx: 1\n", "expected a single document"),
    case("empty-file", "", "bad.yaml: the file is empty"),
    case("only-comments", "# nothing here\n", "the file is empty"),
    case("top-level-list", "- 1\n- 2\n", "expected a mapping of keys", "found a list of 2"),
    case("top-level-text", "hello\n", "expected a mapping of keys", "found the text 'hello'"),
]

UNKNOWN_KEYS = [
    case(
        "typo-top",
        sub("weights:", "wieghts:"),
        "wieghts: unknown key 'wieghts'; did you mean 'weights'?",
        line_of="wieghts:",
    ),
    case(
        "typo-lstm",
        sub("hidden_size:", "hiden_size:"),
        "lstm.hiden_size: unknown key",
        "did you mean 'hidden_size'?",
        line_of="hiden_size",
    ),
    case(
        "typo-check",
        sub("device: cpu", "devise: cpu"),
        "check.devise: unknown key",
        "did you mean 'device'?",
        line_of="devise",
    ),
    case(
        "typo-render",
        sub("decimals:", "decimal:"),
        "render.decimal: unknown key",
        "did you mean 'decimals'?",
        line_of="decimal:",
    ),
    case(
        "typo-backward",
        BASE + "backward:\n  target: [0, 0, 0, 0]\n  los: mse\n",
        "backward.los: unknown key",
        "did you mean 'loss'?",
        line_of="los:",
    ),
    case(
        "typo-weight",
        sub("bias_hh_l0:", "bias_hh_10:"),
        "weights.bias_hh_10: unknown weight name",
        "did you mean 'bias_hh_l0'?",
        line_of="bias_hh_10",
    ),
    case(
        "unknown-top",
        BASE + "colour: red\n",
        "colour: unknown key 'colour'; expected one of: title, lstm",
        line_of="colour",
    ),
    case(
        "weight-of-another-lstm",
        sub(
            "  bias_hh_l0:",
            "  weight_ih_l1: [[1]]\n  bias_hh_l0:",
            sub("hidden_size: 4", "hidden_size: 4\n  num_layers: 1"),
        ),
        "weights.weight_ih_l1: not a weight of this LSTM",
        "(expected keys: weight_ih_l0, ",
        line_of="weight_ih_l1",
    ),
]

NUMBERS = [
    case(
        "text",
        sub("x: [0.5, 0.1]", "x: [0.5, abc]"),
        "x[1]: expected a number, found the text 'abc'",
        line_of="x:",
    ),
    case(
        "boolean",
        sub("x: [0.5, 0.1]", "x: [0.5, true]"),
        "x[1]: expected a number, found true",
        line_of="x:",
    ),
    case(
        "null",
        sub("x: [0.5, 0.1]", "x: [0.5, null]"),
        "x[1]: expected a number, found nothing (null)",
        line_of="x:",
    ),
    case(
        "mapping",
        sub("x: [0.5, 0.1]", "x: [0.5, {a: 1}]"),
        "x[1]: expected a number, found a mapping",
        line_of="x:",
    ),
    case(
        "list-in-vector",
        sub("h0: [-0.5,", "h0: [[-0.5],"),
        "h0[0]: expected a number, found a list of 1",
        line_of="h0:",
    ),
    case(
        "text-in-matrix",
        sub("[0.1, -0.19, -0.24, 0.45]", "[0.1, -0.19, oops, 0.45]"),
        "weights.weight_hh_l0[4][2]: expected a number, found the text 'oops'",
        line_of="[0.1, -0.19, oops",
    ),
    case(
        "nan",
        sub("x: [0.5, 0.1]", "x: [0.5, .nan]"),
        "x[1]: expected a finite number, found nan",
        line_of="x:",
    ),
    case(
        "inf",
        sub("x: [0.5, 0.1]", "x: [-.inf, 0.1]"),
        "x[0]: expected a finite number, found -inf",
        line_of="x:",
    ),
    case(
        "overflow",
        sub("c0: [-0.47,", "c0: [1e999,"),
        "c0[0]: expected a finite number, found inf",
        line_of="c0:",
    ),
    case(
        "huge-integer",
        sub("x: [0.5, 0.1]", "x: [0.5, 1" + "0" * 400 + "]"),
        "x[1]: expected a finite number, found a whole number of 401 digits",
        line_of="x:",
    ),
    case(
        "nan-in-weights",
        sub("-0.44, 0.15,", ".NaN, 0.15,"),
        "weights.bias_hh_l0[0]: expected a finite number",
        line_of="  bias_hh_l0",
    ),
]

SHAPES = [
    case(
        "ragged-row",
        sub("[-0.36, 0.03]", "[-0.36]"),
        "weights.weight_ih_l0[0]: ragged: expected 2 entries like weights.weight_ih_l0[1], found 1",
        line_of="  weight_ih_l0",
    ),
    case(
        "ragged-later-row",
        sub("[0.45, -0.29, -0.43, -0.01]", "[0.45, -0.29, -0.43]"),
        "weights.weight_hh_l0[1]: ragged: expected 4 entries",
        "found 3",
        line_of="  weight_hh_l0",
    ),
    case(
        "too-few-columns",
        replace_key(
            "weight_hh_l0", "  weight_hh_l0: [" + ", ".join(["[0.1, 0.2, 0.3]"] * 16) + "]\n"
        ),
        "weights.weight_hh_l0: expected 4 columns (hidden 4), got 3",
        line_of="  weight_hh_l0",
    ),
    case(
        "rows-not-multiple-of-4",
        sub("[-0.15, -0.47]]", "[-0.15, -0.47], [0.1, 0.2]]"),
        "weights.weight_ih_l0: expected 4 x hidden_size rows",
        "got 17",
        line_of="  weight_ih_l0",
    ),
    case(
        "vector-for-matrix",
        replace_key("weight_ih_l0", "  weight_ih_l0: [0.1, 0.2, 0.3]\n"),
        "weights.weight_ih_l0: expected a matrix (a list of rows), found 1-D shape (3,)",
        line_of="  weight_ih_l0",
    ),
    case(
        "number-for-matrix",
        replace_key("weight_hh_l0", "  weight_hh_l0: 3\n"),
        "weights.weight_hh_l0: expected a matrix (a list of rows), found a single number",
        line_of="  weight_hh_l0",
    ),
    case(
        "lstm-hidden-size",
        sub("hidden_size: 4", "hidden_size: 3"),
        "lstm.hidden_size: is 3, but the weights imply 4",
        line_of="  hidden_size",
    ),
    case(
        "lstm-input-size",
        sub("input_size: 2", "input_size: 3"),
        "lstm.input_size: is 3, but the weights imply 2 (columns of weight_ih_l0)",
        line_of="  input_size",
    ),
    case(
        "lstm-bidirectional",
        sub("hidden_size: 4", "hidden_size: 4\n  bidirectional: true"),
        "lstm.bidirectional: is true, but the weights imply false",
        line_of="  bidirectional",
    ),
    case(
        "lstm-bias",
        sub("hidden_size: 4", "hidden_size: 4\n  bias: false"),
        "lstm.bias: is false, but the weights imply true",
        line_of="  bias:",
    ),
    case(
        "lstm-num-layers",
        sub("hidden_size: 4", "hidden_size: 4\n  num_layers: 2"),
        "lstm.num_layers: is 2, so expected weights such as weight_ih_l1, found none",
        line_of="  num_layers",
    ),
    case(
        "lstm-proj-size",
        sub("hidden_size: 4", "hidden_size: 4\n  proj_size: 2"),
        "lstm.proj_size: is 2, but the weights imply 0",
        line_of="  proj_size",
    ),
    case(
        "proj-not-smaller",
        sub(
            "  bias_ih_l0:",
            "  weight_hr_l0: [" + ", ".join(["[1, 2, 3, 4]"] * 4) + "]\n  bias_ih_l0:",
        ),
        "weights.weight_hr_l0: expected fewer rows than hidden_size 4",
        "got 4",
    ),
    case(
        "x-length",
        sub("x: [0.5, 0.1]", "x: [0.5, 0.1, 0.2]"),
        "x: expected 2 numbers (input_size) for one step",
        "found 3",
        line_of="x:",
    ),
    case(
        "x-steps-width",
        sub("x: [0.5, 0.1]", "x: [[0.5, 0.1], [0.2, 0.3], [0.4]]"),
        "x[2]: ragged: expected 2 entries like x[0], found 1",
        line_of="x:",
    ),
    case(
        "x-step-width",
        sub("x: [0.5, 0.1]", "x: [[0.5], [0.1]]"),
        "x: expected steps of 2 numbers (input_size), found 1",
        line_of="x:",
    ),
    case(
        "x-empty",
        sub("x: [0.5, 0.1]", "x: []"),
        "x: expected numbers, found an empty list",
        line_of="x:",
    ),
    case(
        "x-number",
        sub("x: [0.5, 0.1]", "x: 0.5"),
        "x: expected (input,), (T, input) or (T, batch, input), found a single number",
        line_of="x:",
    ),
    case(
        "h0-length",
        sub("h0: [-0.5, 0.18, 0.11, -0.06]", "h0: [-0.5, 0.18, 0.11]"),
        "h0: expected 4 numbers (hidden_size), found 3",
        line_of="h0:",
    ),
    case(
        "c0-length",
        sub("c0: [-0.47, 0.32, -0.76, 0.47]", "c0: [-0.47]"),
        "c0: expected 4 numbers (hidden_size), found 1",
        line_of="c0:",
    ),
    case(
        "target-shape",
        BASE + "backward:\n  target: [0.1, 0.2, 0.3]\n",
        "backward.target: expected the shape of output (1, 4) or of its last step (4,), found (3,)",
        line_of="  target",
    ),
]

MISSING = [
    case(
        "missing-weights",
        drop_key("weights"),
        "bad.yaml: weights: required key is missing (the LSTM's state_dict",
    ),
    case("missing-x", drop_key("x"), "bad.yaml: x: required key is missing (the input"),
    case(
        "missing-weight-hh",
        drop_key("weight_hh_l0"),
        "weights.weight_hh_l0: required key is missing",
        line_of="weights:",
    ),
    case(
        "missing-bias",
        drop_key("bias_hh_l0"),
        "weights.bias_hh_l0: required key is missing (expected shape (16,)",
        line_of="weights:",
    ),
    case(
        "empty-weights",
        replace_key("weights", "weights: {}\n"),
        "weights.weight_ih_l0: required key is missing",
        line_of="weights:",
    ),
    case(
        "missing-target",
        BASE + "backward:\n  loss: mse\n",
        "backward.target: required key is missing",
        line_of="backward:",
    ),
]

TYPES = [
    case(
        "title-number",
        sub("title: One LSTM step, number by number", "title: 5"),
        "title: expected text, found the number 5 (put it in quotes",
        line_of="title:",
    ),
    case(
        "title-date",
        sub("title: One LSTM step, number by number", "title: 2024-05-01"),
        "title: expected a number, text, list or mapping, found a date (2024-05-01); "
        "write it in quotes",
        line_of="title:",
    ),
    case(
        "title-list",
        sub("title: One LSTM step, number by number", "title: [a]"),
        "title: expected text, found a list of 1\n",
        line_of="title:",
    ),
    case(
        "h0-mapping",
        sub("h0: [-0.5, 0.18, 0.11, -0.06]", "h0: {a: 1}"),
        "h0: expected a list of numbers, found a mapping",
        line_of="h0:",
    ),
    case(
        "lstm-not-mapping",
        sub("lstm:\n  input_size: 2\n  hidden_size: 4\n", "lstm: 3\n"),
        "lstm: expected a mapping (key: value lines), found the number 3",
        line_of="lstm:",
    ),
    case(
        "weights-list",
        replace_key("weights", "weights: [1, 2]\n"),
        "weights: expected a mapping of weight names to arrays, or a checkpoint file "
        "(weights: model.pt, or {file: model.pt, prefix: encoder.lstm.}), found a list of 2",
        line_of="weights:",
    ),
    case(
        "size-text",
        sub("hidden_size: 4", "hidden_size: four"),
        "lstm.hidden_size: expected a whole number, found the text 'four'",
        line_of="  hidden_size",
    ),
    case(
        "size-zero",
        sub("hidden_size: 4", "hidden_size: 0"),
        "lstm.hidden_size: expected at least 1, found the number 0",
        line_of="  hidden_size",
    ),
    case(
        "bias-yes",
        sub("hidden_size: 4", "hidden_size: 4\n  bias: yes"),
        "lstm.bias: expected true, false or single (one bias per gate), found the text 'yes'",
        line_of="  bias",
    ),
    case(
        "decimals-fraction",
        sub("decimals: 4", "decimals: 4.5"),
        "render.decimals: expected a whole number, found the number 4.5",
        line_of="  decimals",
    ),
    case(
        "decimals-too-many",
        sub("decimals: 4", "decimals: 99"),
        "render.decimals: expected at most 12, found the number 99",
        line_of="  decimals",
    ),
    case(
        "dtype",
        sub("device: cpu", "device: cpu\n  dtype: float16"),
        "check.dtype: expected float64 or float32, found the text 'float16'",
        line_of="  dtype",
    ),
    case(
        "atol-negative",
        sub("device: cpu", "device: cpu\n  atol: -1.0e-6"),
        "check.atol: expected more than 0, found the number -1e-06",
        line_of="  atol",
    ),
    case(
        "atol-nan",
        sub("device: cpu", "device: cpu\n  atol: .nan"),
        "check.atol: expected a finite number, found nan",
        line_of="  atol",
    ),
    case(
        "device-name",
        sub("device: cpu", "device: gpu"),
        "check.device: expected cpu, cuda, cuda:N, mps or auto, found the text 'gpu'",
        line_of="  device",
    ),
    case(
        "loss",
        BASE + "backward:\n  target: [0, 0, 0, 0]\n  loss: mae\n",
        "backward.loss: expected mse or sse, found the text 'mae'",
        line_of="  loss",
    ),
    case(
        "key-not-a-name",
        BASE + "1: 2\n",
        "keys must be names such as weights or x, found the number 1",
        line_of="1: 2",
    ),
]

TAGS = [
    case(
        "python-object",
        sub("x: [0.5, 0.1]", "x: !!python/object/apply:os.system [echo]"),
        "x: the YAML tag !!python/object/apply:os.system is not allowed",
        line_of="x:",
    ),
    case(
        "python-object-unknown-key",
        BASE + "z: !!python/object/apply:os.system [echo]\n",
        "z: the YAML tag !!python/object/apply:os.system is not allowed",
        line_of="z:",
    ),
    case(
        "python-object-top",
        "!!python/object:os.Foo\n" + BASE,
        "the YAML tag !!python/object:os.Foo is not allowed",
    ),
    case(
        "python-name",
        sub("x: [0.5, 0.1]", "x: !!python/name:os.system"),
        "x: the YAML tag !!python/name:os.system is not allowed",
        line_of="x:",
    ),
    case(
        "long-tag",
        sub("x: [0.5, 0.1]", "x: !<tag:yaml.org,2002:python/object/apply:os.system> [echo]"),
        "the YAML tag !!python/object/apply:os.system is not allowed",
        line_of="x:",
    ),
    case(
        "local-tag",
        sub("x: [0.5, 0.1]", "x: !vector [0.5, 0.1]"),
        "x: the YAML tag !vector is not allowed",
        line_of="x:",
    ),
    case(
        "set",
        sub("x: [0.5, 0.1]", "x: !!set {a, b}"),
        "x: expected a number, text, list or mapping, found a set (!!set)",
        line_of="x:",
    ),
    case(
        "binary",
        sub("x: [0.5, 0.1]", "x: !!binary aGVsbG8="),
        "found binary data (!!binary)",
        line_of="x:",
    ),
]


@pytest.mark.parametrize(
    ("text", "fragments"), SYNTAX + UNKNOWN_KEYS + NUMBERS + SHAPES + MISSING + TYPES + TAGS
)
def test_bad_example_exits_2_and_keeps_previous_output(
    tmp_path: Path, out: Path, text: str, fragments: tuple[str, ...]
) -> None:
    before = previous_output(out)
    result = run_cli("render", write_example(tmp_path, text), "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    assert snapshot(out / STEM) == before
    assert sorted(p.name for p in out.iterdir()) == [STEM], "staging folder left behind"


def test_one_message_per_problem_in_file_order(tmp_path: Path, out: Path) -> None:
    text = sub("device: cpu", "devise: cpu", sub("hidden_size:", "hiden_size:"))
    result = run_cli("render", write_example(tmp_path, text), "--out", out, "--no-check")
    assert_refused(result, out, "lstm.hiden_size", "check.devise")
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "hiden_size" in lines[0] and "devise" in lines[1]


def test_a_typo_is_not_also_reported_as_a_missing_key(tmp_path: Path, out: Path) -> None:
    result = run_cli(
        "render", write_example(tmp_path, sub("weights:", "wieghts:")), "--out", out, "--no-check"
    )
    assert_refused(result, out, "did you mean 'weights'?")
    assert "required key" not in result.output


def test_python_tags_never_run(tmp_path: Path, out: Path) -> None:
    marker = tmp_path / "pwned"
    text = sub("x: [0.5, 0.1]", f'x: !!python/object/apply:os.system ["touch {marker}"]')
    result = run_cli("render", write_example(tmp_path, text), "--out", out, "--no-check")
    assert_refused(result, out, "is not allowed")
    assert not marker.exists()


def test_check_command_reports_bad_input_the_same_way(tmp_path: Path) -> None:
    text = sub("x: [0.5, 0.1]", "x: [0.5, .inf]")
    result = run_cli("check", write_example(tmp_path, text))
    line = line_of(text, "x: [0.5, .inf]")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"bad.yaml:{line}: x[1]: expected a finite number, found inf" in result.output


# ---------------------------------------------------------------- files


def test_missing_file(tmp_path: Path, out: Path) -> None:
    result = run_cli("render", tmp_path / "nope.yaml", "--out", out, "--no-check")
    assert_refused(result, out, "nope.yaml: no such file")


def test_folder_without_examples(tmp_path: Path, out: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("render", tmp_path / "empty", "--out", out, "--no-check")
    assert_refused(result, out, "empty: is a folder with no .yaml files in it")


def test_folder_instead_of_a_file_in_the_api(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is a folder, expected a \.yaml file"):
        loader.read(tmp_path)


def test_unreadable_path(tmp_path: Path, out: Path) -> None:
    # Below a regular file: unreadable even for root.
    blocker = write_example(tmp_path, BASE)
    result = run_cli("render", blocker / "bad.yaml", "--out", out, "--no-check")
    assert_refused(result, out, "cannot read the file: not a directory")


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder that an unprivileged user can reach (pytest's own is root's, mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="lstm-tex-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


def run_unprivileged(*args: str | Path) -> Result:
    """``run_cli`` without the power to ignore file permissions: as is when not root; as
    root, in a forked child that drops to the user nobody (CI runs as root, where chmod
    alone stops nothing)."""
    if os.geteuid() != 0:
        return run_cli(*args)
    import pickle

    with tempfile.TemporaryDirectory() as warm:  # import what the commands import lazily:
        run_cli("init", "-")  # nobody cannot read root's Python installation
        run_cli("render", EXAMPLES / "notebook-step.yaml", "--out", warm, "--no-check")

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                result = run_cli(*args)
                os.write(write, pickle.dumps((result.exit_code, result.output)))
            except BaseException:
                import traceback

                os.write(write, pickle.dumps((-1, traceback.format_exc())))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        raw = stream.read()
    os.waitpid(child, 0)
    assert raw, "the unprivileged child died"
    code, text = pickle.loads(raw)
    return Result(
        runner=CliRunner(),
        stdout_bytes=text.encode(),
        stderr_bytes=b"",
        output_bytes=text.encode(),
        return_value=None,
        exit_code=code,
        exception=None,
    )


def test_unreadable_permissions(shared: Path) -> None:
    path = write_example(shared, BASE)
    path.chmod(0)
    out = shared / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    result = run_unprivileged("render", path, "--out", out, "--no-check")
    assert_refused(result, out, "cannot read the file: permission denied")


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        pytest.param(
            BASE.encode().replace(b"One LSTM", b"One \xff LSTM"),
            ("bad.yaml:3: expected UTF-8 text, found the byte 0xff",),
            id="latin-1-byte",
        ),
        pytest.param(
            BASE.encode("utf-16"), ("UTF-16 (little-endian) text, expected UTF-8",), id="utf-16"
        ),
        pytest.param(
            BASE.encode("utf-16-be"),
            ("the file is UTF-16 (big-endian, no byte order mark) text, expected UTF-8",),
            id="utf-16-no-bom",
        ),
        pytest.param(
            BASE.encode("utf-32"), ("UTF-32 (little-endian) text, expected UTF-8",), id="utf-32"
        ),
        pytest.param(
            BASE.encode("utf-32-le"),
            ("the file is UTF-32 (little-endian, no byte order mark) text",),
            id="utf-32-no-bom",
        ),
        pytest.param(
            BASE.encode().replace(b"title: One", b"title: On\x00e"),
            ("bad.yaml:3: the NUL character (U+0000) at column 10",),
            id="nul",
        ),
        pytest.param(
            BASE.encode().replace(b"title: One", b"title: One\x7f"),
            ("bad.yaml:3: the DEL character (U+007F) at column 11",),
            id="del",
        ),
        pytest.param(
            BASE.encode().replace(b"x: [0.5, 0.1]", b"x: [0.5, " + b"7" * 10000 + b"]"),
            (
                "bad.yaml:",
                ": x[1]: expected a number that fits a float64, found a whole "
                "number written with 10000 digits",
            ),
            id="10000-digits",
        ),
        pytest.param(b"\x00\x01\x02binary\xfe", ("expected UTF-8 text",), id="binary"),
        pytest.param(
            BASE.encode() + b"#" + b"x" * document.MAX_FILE_BYTES,
            ("the YAML text is larger than 256 KiB", "weights: model.pt"),
            id="huge-file",
        ),
        pytest.param(
            BASE.encode().replace(b"title: One", b"title: \x07One"),
            ("bad.yaml:3: a control character (U+0007) at column 8",),
            id="control-char",
        ),
    ],
)
def test_bad_bytes(tmp_path: Path, out: Path, raw: bytes, fragments: tuple[str, ...]) -> None:
    path = tmp_path / f"{STEM}.yaml"
    path.write_bytes(raw)
    result = run_cli("render", path, "--out", out, "--no-check")
    assert_refused(result, out, *fragments)


def peak_memory(run: Callable[[], Result]) -> tuple[Result, int]:
    """``run()``'s result and the most memory (bytes) Python held at once while it ran, over
    what it held before (tracemalloc): bounded work shows as bounded memory, whatever the
    machine's load, where a time limit would not (issue 17: no timed assertions)."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_not_read_forever(out: Path) -> None:
    """An endless file is refused after its first 256 KiB + 1 bytes: the render never held
    more than a few MiB (reading on would hold ever more)."""
    result, peak = peak_memory(lambda: run_cli("render", "/dev/zero", "--out", out, "--no-check"))
    assert result.exit_code == 2
    assert "larger than 256 KiB" in result.output
    assert peak < 4 * 2**20, peak


# ---------------------------------------------------------------- bounded work


def alias_bomb(levels: int = 9) -> str:
    lines = ["lol0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for k in range(1, levels + 1):
        lines.append(f"lol{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(alias_bomb() + BASE, "with its aliases (*name) expanded", id="top-level"),
        pytest.param(
            sub("x: [0.5, 0.1]", "x: *l9", alias_bomb() + BASE),
            "with its aliases (*name) expanded",
            id="as-x",
        ),
        pytest.param(
            sub("x: [0.5, 0.1]", "x: " + "[" * 5000 + "]" * 5000),
            "nested too deeply",
            id="deep-flow",
        ),
        pytest.param(
            sub("x: [0.5, 0.1]", "x: " + "[" * 40 + "1" + "]" * 40),
            "nested more than 32 levels deep",
            id="deep-but-parsable",
        ),
    ],
)
def test_bombs_are_refused(tmp_path: Path, out: Path, text: str, fragment: str) -> None:
    result = run_cli("render", write_example(tmp_path, text), "--out", out, "--no-check")
    assert_refused(result, out, fragment)


@pytest.mark.parametrize("levels", [9, 12])
def test_alias_bombs_are_refused_before_they_are_expanded(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, levels: int
) -> None:
    """An alias bomb (10**levels values once expanded) is refused by the reader's budget of
    values, not by running out of time or memory: with the budget lowered to 10,000, the
    message names that budget and the render holds the same few MiB for a bomb a thousand
    times larger; it never expands the bomb (10**9 values would take gigabytes)."""
    monkeypatch.setattr(loader, "MAX_NODES", 10_000)
    monkeypatch.setattr(fast, "MAX_NODES", 10_000)
    path = write_example(tmp_path, alias_bomb(levels) + BASE)
    result, peak = peak_memory(lambda: run_cli("render", path, "--out", out, "--no-check"))
    assert_refused(
        result, out, "with its aliases (*name) expanded, the document has more than 10000 values"
    )
    assert peak < 8 * 2**20, peak


# ---------------------------------------------------------------- devices


def test_invalid_device_flag(tmp_path: Path, out: Path) -> None:
    result = run_cli("render", write_example(tmp_path, BASE), "--out", out, "--device", "gpu")
    assert_refused(result, out, "--device: expected cpu, cuda, cuda:N, mps or auto, found 'gpu'")


def test_unavailable_device_flag(tmp_path: Path, out: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = run_cli("render", write_example(tmp_path, BASE), "--out", out, "--device", "cuda")
    assert_refused(result, out, "--device: device 'cuda' is not available")
    assert "bad.yaml" not in result.output  # the flag is at fault, not the file


def test_unavailable_device_in_file_names_file_and_line(tmp_path: Path, out: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() and torch.cuda.device_count() > 3:
        pytest.skip("this machine has a cuda:3")
    text = sub("device: cpu", "device: cuda:3")
    result = run_cli("render", write_example(tmp_path, text), "--out", out)
    line = line_of(text, "device: cuda:3")
    assert_refused(result, out, f"bad.yaml:{line}: check.device: device 'cuda:3' is not available")


# ---------------------------------------------------------------- output and templates


def test_out_below_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n")
    out = blocker / "out"
    result = run_cli("render", write_example(tmp_path, BASE), "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        f"--out: cannot write the output folder: {blocker} is a file, not a folder" in result.output
    )
    assert blocker.read_text() == "a file, not a folder\n"


def test_out_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("keep me\n")
    result = run_cli("render", write_example(tmp_path, BASE), "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert f"{out} is a file, not a folder" in result.output
    assert out.read_text() == "keep me\n"


def test_stem_is_a_file_in_out(tmp_path: Path, out: Path) -> None:
    out.mkdir()
    (out / STEM).write_text("keep me\n")
    result = run_cli("render", write_example(tmp_path, BASE), "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "exists and is not a folder" in result.output
    assert (out / STEM).read_text() == "keep me\n"
    assert not staging_leftovers(out)


def test_read_only_out(shared: Path) -> None:
    out = shared / "out"
    out.mkdir()
    out.chmod(0o555)
    result = run_unprivileged("render", write_example(shared, BASE), "--out", out, "--no-check")
    assert_refused(result, out, "--out: cannot write the output folder: permission denied")


def test_read_only_folder_of_the_example_file_for_init(shared: Path) -> None:
    """``init --force`` where the folder is read-only: the file stays as it was."""
    path = write_example(shared, BASE)
    shared.chmod(0o555)
    result = run_unprivileged("init", path, "--force")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{path}: cannot write: permission denied" in result.output
    assert path.read_text() == BASE


@pytest.mark.parametrize(
    ("template", "fragments"),
    [
        pytest.param("\\BLOCK{ if }\n", ("frames.tex.j2:1: template error",), id="syntax"),
        pytest.param(
            "% a comment\n\\VAR{ no_such_value }\n",
            ("frames.tex.j2:2: template error", "'no_such_value' is undefined"),
            id="unknown-variable",
        ),
    ],
)
def test_broken_template(
    tmp_path: Path, out: Path, template: str, fragments: tuple[str, ...]
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "frames.tex.j2").write_text(template)
    result = run_cli(
        "render",
        write_example(tmp_path, BASE),
        "--out",
        out,
        "--no-check",
        "--templates",
        templates,
    )
    assert_refused(result, out, *fragments)


def test_templates_not_a_folder(tmp_path: Path, out: Path) -> None:
    result = run_cli(
        "render",
        write_example(tmp_path, BASE),
        "--out",
        out,
        "--no-check",
        "--templates",
        tmp_path / "missing",
    )
    assert_refused(result, out, "--templates: not a folder of templates")


def test_many_files_one_bad(tmp_path: Path, out: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    bad = write_example(tmp_path, sub("x: [0.5, 0.1]", "x: [0.5]"))
    result = run_cli("render", good, bad, "--out", out, "--no-check")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (out / "good" / "values.json").is_file()
    assert not (out / STEM).exists()


@pytest.mark.parametrize(
    ("row", "x"),
    [
        ("[1.0e10, 0.03]", "[1.0e300, 0.1]"),  # the product overflows
        ("[1.0e308, 1.0e308]", "[1.5, 1.5]"),  # the sum overflows
        ("[1.0e308, -1.0e308]", "[1.0e308, 1.0e308]"),  # inf - inf: not a number
    ],
)
def test_finite_but_huge_numbers_that_overflow(tmp_path: Path, out: Path, row: str, x: str) -> None:
    """Every number is finite, but W x is not: exit 2, no inf in any output, no warning."""
    text = sub("x: [0.5, 0.1]", f"x: {x}", sub("[[-0.36, 0.03]", f"[{row}"))
    path = write_example(tmp_path, text)
    result = run_cli("render", path, "--out", out)
    assert_refused(
        result,
        out,
        f"{STEM}.yaml",
        "the forward pass overflows float64",
        "steps[0].gates.i.ih",
        "scale them down",
    )
    assert "RuntimeWarning" not in result.output


def test_backward_that_overflows(tmp_path: Path, out: Path) -> None:
    text = BASE + "backward:\n  target: [1.0e300, 1.0e300, 1.0e300, 1.0e300]\n  loss: sse\n"
    path = write_example(tmp_path, text)
    result = run_cli("render", path, "--out", out, "--no-check")
    assert_refused(result, out, "the backward pass overflows float64")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("render", "x.yaml", "--aspect", "3:2"), "--aspect: '3:2' is not one of '16:9', '4:3'"),
        (("render", "x.yaml", "--font-size", "ten"), "--font-size: 'ten' is not a valid integer"),
        (("init", "x.yaml", "--hidden-size", "0"), "--hidden-size: 0 is not in the range 1<=x<=64"),
        (("init", "x.yaml", "--cell", "lsm"), "--cell: 'lsm' is not one of 'lstm', 'gru', 'rnn'"),
        (("render", "x.yaml", "--fooo"), "No such option '--fooo'"),
        (("render",), "Missing argument 'EXAMPLES...'"),
    ],
)
def test_bad_flags_say_one_line_as_every_other_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: str
) -> None:
    """A bad flag or argument exits 2 with one ``lstm-tex:`` line naming the flag, what was
    found and what was expected, as a bad example file does (click wrote three lines of
    usage, a blank line and ``Error: Invalid value for ...``), and writes nothing."""
    monkeypatch.chdir(tmp_path)
    if args[0] == "render":
        write_example(tmp_path, BASE).rename(tmp_path / "x.yaml")
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lstm-tex: "), lines
    assert expected in lines[0] and "--help" in lines[0], lines
    assert "Usage:" not in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == (["x.yaml"] if args[0] == "render" else [])
