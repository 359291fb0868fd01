"""The Python API: load/Example -> compute/check/render, and the Jupyter displays."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lstm_tex
from lstm_tex.compute import engine
from lstm_tex.compute.trace import Trace
from lstm_tex.read import loader
from lstm_tex.validate import spec
from tests.conftest import BUNDLED, DATA, EXAMPLES, ROOT, compile_tex, run_cli

NOTATIONS = ("pytorch", "textbook", "row-vector")

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
SEQUENCE = EXAMPLES / "short-sequence.yaml"


def test_load_compute_matches_the_engine() -> None:
    ex = lstm_tex.load(NOTEBOOK)
    assert isinstance(ex, lstm_tex.Example)
    assert ex.stem == "notebook-step" and ex.config.hidden_size == 4
    trace = ex.compute()
    assert isinstance(trace, lstm_tex.Trace) and isinstance(trace, Trace)
    reference = engine.forward(spec.load(NOTEBOOK))
    np.testing.assert_array_equal(trace.output, reference.output)
    (step,) = trace.steps
    assert isinstance(step, lstm_tex.Step)
    np.testing.assert_array_equal(step.gates["f"].act, reference.steps[0].gates["f"].act)
    assert step.key == (0, "forward", 1)
    assert repr(step) == "Step(layer=0, direction='forward', t=1)"
    assert "1 step," in repr(trace)


def test_check_returns_the_report() -> None:
    report = lstm_tex.load(NOTEBOOK).check()
    assert isinstance(report, lstm_tex.CheckReport)
    assert report.passed and report.max_abs_err <= 1e-10 and report.device == "cpu"


def test_check_failure_raises_with_the_report(tmp_path: Path) -> None:
    text = NOTEBOOK.read_text().replace(
        "  device: cpu", "  device: cpu\n  dtype: float32\n  atol: 1.0e-15"
    )
    (tmp_path / "strict.yaml").write_text(text)
    with pytest.raises(lstm_tex.CheckFailed) as caught:
        lstm_tex.load(tmp_path / "strict.yaml").check()
    assert caught.value.report is not None and not caught.value.report.passed


def test_example_from_arrays_equals_the_file() -> None:
    ex = spec.load(NOTEBOOK)
    built = lstm_tex.Example(
        weights={k: np.asarray(v) for k, v in ex.weights.items()},
        x=ex.x[0, 0],
        h0=ex.h0[0, 0].tolist(),
        c0=tuple(ex.c0[0, 0]),
        title="built in code",
        name="built",
    )
    assert built.stem == "built" and built.validated.title == "built in code"
    np.testing.assert_array_equal(built.compute().output, lstm_tex.load(NOTEBOOK).compute().output)
    mapping = lstm_tex.Example.from_mapping(
        {"weights": {k: v.tolist() for k, v in ex.weights.items()}, "x": [0.5, 0.1]}
    )
    assert mapping.stem == "example"
    assert repr(mapping) == "Example('example': input 2, hidden 4, 1 layer, 1 step)"


def test_tensors_are_accepted() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3)  # float32 weights and input, as a trained model has them
    x = torch.tensor([[0.5, 0.1]])
    built = lstm_tex.Example(weights=lstm.state_dict(), x=x)
    with torch.no_grad():  # float32 values widen exactly: compare with the same values
        output, _ = lstm.double()(x.double())
    np.testing.assert_allclose(built.compute().output[:, 0], output.numpy(), rtol=0, atol=1e-12)


def test_invalid_input_names_the_field() -> None:
    with pytest.raises(lstm_tex.InputError) as caught:
        lstm_tex.Example(
            weights={"weight_ih_l0": [[0.1, 0.2]] * 8, "weight_hh_l0": [[0.1, 0.2]] * 8},
            x=[0.5, 0.1, 0.3],
        )
    assert caught.value.field == "x"
    assert "input_size" in caught.value.message


def test_render_writes_what_the_cli_writes(tmp_path: Path) -> None:
    rendered = lstm_tex.load(SEQUENCE).render(tmp_path / "api")
    assert rendered.folder == tmp_path / "api" / "short-sequence"
    result = run_cli("render", SEQUENCE, "--out", tmp_path / "cli")
    assert result.exit_code == 0, result.output
    cli_folder = tmp_path / "cli" / "short-sequence"
    for name in rendered.files:
        if name != "values.json":  # holds the torch check's own numbers
            assert (rendered.folder / name).read_bytes() == (cli_folder / name).read_bytes()


def test_html_table_of_a_trace() -> None:
    trace = lstm_tex.load(SEQUENCE).compute()
    table = trace._repr_html_()
    assert table.startswith("<table>") and table.endswith("</table>")
    assert table.count("<tr><td>") == 3
    h1 = trace.steps[0].h[0]
    assert "[" + ", ".join(f"{v:.4f}" for v in h1) + "]" in table


def test_latex_of_a_step_is_its_derivation() -> None:
    trace = lstm_tex.load(SEQUENCE).compute()
    step = trace.steps[1]
    text = step._repr_latex_()
    assert text.startswith("$$\\begin{aligned}") and text.endswith("\\end{aligned}$$")
    for symbol in ("x_{2}", "h_{1}", "i_{2}", "f_{2}", "g_{2}", "o_{2}", "c_{2}", "h_{2}"):
        assert symbol in text, symbol
    assert f"{step.gates['o'].act[0, 0]:.4f}" in text
    assert text.count("\\begin{bmatrix}") == text.count("\\end{bmatrix}")


def _steps_latex(example: Path, notation: str) -> list[str]:
    data = loader.read(example).data
    data.setdefault("render", {})["notation"] = notation
    ex = lstm_tex.Example.from_mapping(data, name=example.stem)
    return [s.latex() for s in ex.compute().steps]


#: The bundled examples and two whose rows are wider than a line (tests/data/rows-*.yaml:
#: hidden 8, two layers, both directions, a batch of 2; a projection), in each notation.
STEP_CASES = [
    (example, notation)
    for notation in NOTATIONS
    for example in [*BUNDLED, DATA / "rows-wide.yaml", DATA / "rows-projected.yaml"]
]


@pytest.mark.latex
@pytest.mark.parametrize("size", ["10pt", "11pt", "12pt"])
def test_step_latex_fits_a_default_article(size: str, tmp_path: Path) -> None:
    """Step.latex() of every step of every bundled example in every notation, pasted as it
    is into a default article (default margins): no error, no Overfull \\hbox (issue 11:
    114 pt too wide; in the row-vector notation up to 118 pt at 10 pt, where a row of 4
    numbers was not broken; in the textbook one 9 pt at 11 pt, where W_k [h; x] + b_k
    widened every line of the block)."""
    steps = [text for example, notation in STEP_CASES for text in _steps_latex(example, notation)]
    doc = tmp_path / "step.tex"
    doc.write_text(
        f"\\documentclass[{size}]{{article}}\n\\usepackage{{amsmath}}\n"
        "\\begin{document}\n" + "\n\n".join(steps) + "\n\\end{document}\n"
    )
    compiled = compile_tex(doc, draft=True)
    assert compiled.ok, compiled.errors
    assert compiled.overfull_hbox == 0


def test_compute_does_not_import_torch() -> None:
    code = (
        "import sys, lstm_tex\n"
        f"lstm_tex.load({str(NOTEBOOK)!r}).compute().steps[0].latex()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.+?)```", section, flags=re.S)
    (tmp_path / "examples").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "output" / "notebook-step" / "values.json").is_file()
    assert (tmp_path / "output" / "tiny" / "tiny-slides.tex").is_file()
