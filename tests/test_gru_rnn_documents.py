"""The forward documents of nn.GRU and nn.RNN (issue 14): article, deck, frames, parts,
exercise sheets, web page and Markdown, in every notation and with every teaching option.

A few random configurations (layers, directions, batches, bias true/false/single,
batch_first, tanh and ReLU), each with a set of options, are rendered once (a session
fixture) and every LaTeX document compiled once (draft mode: the log, without the PDF);
the tests read those files. The numbers printed are those of values.json, which the
engine's property tests check against torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tex import pipeline
from lstm_tex.document import numbers
from lstm_tex.validate import spec
from tests.conftest import EXAMPLES, Compiled, compile_tex, run_cli

BLOCKS = {"gru": 3, "rnn": 1}

#: (name, kind, configuration, render options): one per line, drawn to cover every
#: configuration key and every teaching option at least once, each with a random seed.
CASES: tuple[tuple[str, str, dict[str, Any], dict[str, Any]], ...] = (
    (
        "gru-textbook",
        "gru",
        {"layers": 2, "bidirectional": False, "batch": 2, "bias": True, "seed": 1},
        {"notation": "textbook", "reveal": True, "expand": ["n", "r"], "captions": True},
    ),
    (
        "gru-rows",
        "gru",
        {"layers": 2, "bidirectional": True, "batch": None, "bias": "single", "seed": 2},
        {"notation": "row-vector", "reveal": True, "expand": ["n"], "carry": "displayed"},
    ),
    (
        "gru-exercise",
        "gru",
        {"layers": 1, "bidirectional": False, "batch": 3, "batch_first": True, "seed": 3},
        {"exercise": "all", "captions": True, "plots": True, "diagram": True},
    ),
    (
        "rnn-relu",
        "rnn",
        {"layers": 1, "bidirectional": True, "batch": 2, "relu": True, "seed": 4},
        {"reveal": True, "expand": "all", "captions": True, "carry": "displayed"},
    ),
    (
        "rnn-rows",
        "rnn",
        {"layers": 2, "bidirectional": False, "batch": None, "bias": False, "seed": 5},
        {"notation": "row-vector", "exercise": "all", "plots": True, "carry": "exact"},
    ),
    (
        "rnn-wide",
        "rnn",
        {"layers": 1, "bidirectional": False, "batch": None, "n_in": 14, "hidden": 12, "seed": 6},
        {"notation": "textbook", "article_full": True, "max_rows": 6, "max_cols": 6},
    ),
)


def example(kind: str, cfg: dict[str, Any], render: dict[str, Any]) -> dict[str, Any]:
    """An example file's content: weights of two decimals in [-0.6, 0.6], x and h0 in
    [-1, 1]."""
    rng = np.random.default_rng(cfg["seed"])
    hidden, n_in = cfg.get("hidden", 3), cfg.get("n_in", 2)
    layers, bidirectional = cfg["layers"], cfg["bidirectional"]
    bias, batch = cfg.get("bias", True), cfg["batch"]
    directions = 2 if bidirectional else 1
    rows = BLOCKS[kind] * hidden

    def draw(*shape: int, scale: float = 0.6) -> Any:
        return np.round(rng.uniform(-scale, scale, shape), 2).tolist()

    weights: dict[str, Any] = {}
    for layer in range(layers):
        for sfx in ("", "_reverse")[:directions]:
            weights[f"weight_ih_l{layer}{sfx}"] = draw(
                rows, n_in if layer == 0 else directions * hidden
            )
            weights[f"weight_hh_l{layer}{sfx}"] = draw(rows, hidden)
            if bias:
                weights[f"bias_ih_l{layer}{sfx}"] = draw(rows)
            if bias is True:
                weights[f"bias_hh_l{layer}{sfx}"] = draw(rows)
    steps = 3
    section: dict[str, Any] = {
        "input_size": n_in,
        "hidden_size": hidden,
        "num_layers": layers,
        "bidirectional": bidirectional,
        "bias": bias,
        "batch_first": cfg.get("batch_first", False),
    }
    if kind == "rnn":
        section["nonlinearity"] = "relu" if cfg.get("relu") else "tanh"
    if batch is None:
        x, h0 = draw(steps, n_in, scale=1), draw(layers * directions, hidden, scale=1)
    else:
        lead = (batch, steps) if section["batch_first"] else (steps, batch)
        x, h0 = draw(*lead, n_in, scale=1), draw(layers * directions, batch, hidden, scale=1)
    return {
        "title": f"{kind} case",
        kind: section,
        "weights": weights,
        "x": x,
        "h0": h0,
        "render": render,
    }


@dataclass
class Rendered:
    folder: Path
    values: dict[str, Any]
    compiled: dict[str, Compiled]


class Cases:
    """Each case rendered with the cross-check (its numbers agree with torch) and HTML and
    Markdown, every LaTeX document compiled once: when a test first asks for the case (so
    that pytest-xdist spreads the cases over its workers)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[str, Rendered] = {}

    def __getitem__(self, name: str) -> Rendered:
        if name not in self.done:
            self.done[name] = self._render(name)
        return self.done[name]

    def _render(self, name: str) -> Rendered:
        _, kind, cfg, render = next(c for c in CASES if c[0] == name)
        path = self.root / f"{name}.yaml"
        path.write_text(json.dumps(example(kind, cfg, render)))
        result = run_cli("render", path, "--out", self.root / "out", "--html", "--markdown")
        assert result.exit_code == 0, result.output
        folder = self.root / "out" / name
        docs = sorted(p for p in folder.glob("*.tex") if p.name != "frames.tex")
        parts = sorted((folder / "parts").glob("*.tex"))
        packages = "\\usepackage{tikz}\n\\usepackage{pgfplots}\n" if render.get("plots") else ""
        host = folder / "parts-host.tex"
        host.write_text(
            "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
            + packages
            + "\\begin{document}\n"
            + "\n".join(f"\\input{{parts/{p.name}}}" for p in parts)
            + "\n\\end{document}\n"
        )
        frames = folder / "frames-host.tex"
        frames.write_text(
            "\\documentclass{beamer}\n\\usepackage{graphicx}\n"
            + packages
            + "\\begin{document}\n\\input{frames.tex}\n\\end{document}\n"
        )
        return Rendered(
            folder,
            json.loads((folder / "values.json").read_text()),
            {p.name: compile_tex(p, draft=True) for p in [*docs, host, frames]},
        )


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Cases:
    return Cases(tmp_path_factory.mktemp("gru-rnn-documents"))


@pytest.mark.latex
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_every_document_compiles_without_overfull_boxes(rendered: Cases, name: str) -> None:
    compiled = rendered[name].compiled
    exercise = dict(CASES[[c[0] for c in CASES].index(name)][3]).get("exercise")
    expected = {f"{name}.tex", f"{name}-slides.tex", "parts-host.tex", "frames-host.tex"}
    if exercise:
        expected |= {f"{name}-exercise.tex", f"{name}-answers.tex", f"{name}-exercise-slides.tex"}
    assert set(compiled) == expected
    for doc, result in compiled.items():
        assert result.ok, (doc, result.errors)
        assert result.overfull_hbox == 0, (doc, result.overfull_hbox)


def _fixed(values: Any, decimals: int = 4) -> list[str]:
    return [numbers.fixed(v, decimals) for v in np.ravel(values)]


@pytest.mark.parametrize("name", ["gru-textbook", "rnn-rows"])  # exact values: no carry
def test_the_article_shows_every_gate_and_state_of_values_json(rendered: Cases, name: str) -> None:
    """Each step's gate activations, pre-activations and h appear in the article, in the
    document's own format (a GRU's n also with the r it is multiplied by)."""
    case = rendered[name]
    article = (case.folder / f"{name}.tex").read_text()
    printed = set(re.findall(r"-?\d+\.\d{4}", article))
    cell = case.values["cell"]
    for step in case.values["steps"]:
        quantities = [step["h"]]
        if cell == "gru":
            quantities += [g[q] for g in step["gates"].values() for q in ("pre", "act")]
        else:
            quantities += [step["pre"]]
        for q in quantities:
            assert set(_fixed(q)) <= printed


def test_the_gru_is_written_as_torch_computes_it(rendered: Cases) -> None:
    """r multiplies W_hn h + b_hn (torch), with the note on Cho et al. and d2l; then
    h = (1 - z) * n + z * h_{t-1}; no cell state anywhere."""
    folder = rendered["gru-textbook"].folder
    article = (folder / "gru-textbook.tex").read_text()
    assert r"r_t \odot \left(W_{hn} h_{t-1} + b_{hn}\right)" in article
    assert "Cho et al., 2014" in article and "d2l" in article
    assert r"h_t &= \left(1 - z_t\right) \odot n_t + z_t \odot h_{t-1}" in article
    assert "c_t" not in article and "c_{0}" not in article
    frames = (folder / "frames.tex").read_text()
    assert r"\begin{frame}[t]{The GRU cell}" in frames
    parts = sorted(p.name for p in (folder / "parts").glob("l0-forward-t1-*"))
    assert parts == sorted(
        f"l0-forward-t1-{piece}.tex" for piece in ("inputs", "r", "r-rows", "z", "n", "n-rows", "h")
    )


def test_the_row_vector_gru_keeps_the_candidate_s_parts_apart(
    rendered: Cases,
) -> None:
    article = (rendered["gru-rows"].folder / "gru-rows.tex").read_text()
    assert r"x_t W_{xn} + b_{n} + r_t \odot \left(h_{t-1} W_{hn}\right)" in article
    assert r"\left(r_t \odot h_{t-1}\right) W_{hn}" in article  # the paper's way, in the note


def test_the_rnn_is_one_line_of_tanh_or_relu(rendered: Cases) -> None:
    relu = (rendered["rnn-relu"].folder / "rnn-relu.tex").read_text()
    assert (
        r"h_t &= \operatorname{ReLU}\left(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}\right)"
        in relu
    )
    assert "units are $0$ (ReLU cuts" in relu  # the caption reads the zeros
    rows = (rendered["rnn-rows"].folder / "rnn-rows.tex").read_text()
    assert r"h_t &= \tanh\left(x_t W_{xh} + h_{t-1} W_{hh}\right)" in rows


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_html_and_markdown_carry_every_derivation(rendered: Cases, name: str) -> None:
    """The page and the Markdown file have a heading per gate of every derived step and
    no LaTeX command left in their prose (the maths is KaTeX's, checked in a browser by
    tests/test_browser.py)."""
    headings = {"gru": ("Reset gate", "Update gate", "Candidate"), "rnn": ("Hidden state",)}
    maths = re.compile(
        r"\$\$.*?\$\$|\$[^$]*\$|<div class=\"math.*?</div>|<span class=\"math.*?</span>", re.S
    )
    case = rendered[name]
    derived = len(case.values["steps"])
    for suffix in (".html", ".md"):
        text = (case.folder / f"{name}{suffix}").read_text()
        for heading in headings[case.values["cell"]]:
            assert text.count(heading) == derived, (suffix, heading)
        prose = maths.sub("", text)
        assert not re.search(r"\\[a-zA-Z]+", prose), suffix


def test_the_bundled_examples_render(tmp_path: Path) -> None:
    for stem in ("gru-sequence", "rnn-sequence"):
        result = run_cli("render", EXAMPLES / f"{stem}.yaml", "--out", tmp_path)
        assert result.exit_code == 0, result.output
        values = json.loads((tmp_path / stem / "values.json").read_text())
        assert values["check"]["passed"]


@st.composite
def configurations(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A random GRU or RNN configuration and a random set of teaching options."""
    kind = draw(st.sampled_from(["gru", "rnn"]))
    cfg = {
        "layers": draw(st.integers(1, 2)),
        "bidirectional": draw(st.booleans()),
        "batch": draw(st.sampled_from([None, 1, 2])),
        "batch_first": draw(st.booleans()),
        "bias": draw(st.sampled_from([True, False, "single"])),
        "relu": draw(st.booleans()),
        "n_in": draw(st.integers(1, 5)),
        "hidden": draw(st.integers(1, 4)),
        "seed": draw(st.integers(0, 2**16)),
    }
    gates = ["r", "z", "n"] if kind == "gru" else ["h"]
    render = {
        "notation": draw(st.sampled_from(["pytorch", "textbook", "row-vector"])),
        "reveal": draw(st.booleans()),
        "expand": draw(st.sampled_from([None, "all", gates[-1]])),
        "carry": draw(st.sampled_from(["exact", "displayed"])),
        "captions": draw(st.booleans()),
        "exercise": draw(st.sampled_from([None, "all"])),
        "plots": draw(st.booleans()),
        "diagram": draw(st.booleans()),
        "max_rows": draw(st.sampled_from([3, 8])),
    }
    return kind, cfg, {key: value for key, value in render.items() if value is not None}


@settings(max_examples=15, deadline=None)
@given(configurations())
def test_any_configuration_renders_every_derivation(
    case: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    """Every document of a random GRU/RNN configuration with random options is built
    (without LaTeX: the compile tests above compile a sample): one part per gate of every
    derived step (and h for a GRU), the gates' symbols in the article, no c anywhere."""
    kind, cfg, render = case
    ex = spec.from_mapping(example(kind, cfg, render), name="random.yaml")
    trace = pipeline.compute(ex)
    files = pipeline.documents(trace, None)
    article = files["random.tex"]
    gates = ("r", "z", "n", "h") if kind == "gru" else ("h",)
    for step in trace.steps:
        marks = [f"({step.layer})"] if ex.config.num_layers > 1 else []
        if ex.config.bidirectional:
            marks.append("\\rightarrow" if step.direction == "forward" else "\\leftarrow")
        sup = f"^{{{''.join(marks)}}}" if marks else ""
        for key in gates:
            assert f"parts/l{step.layer}-{step.direction}-t{step.t}-{key}.tex" in files
            assert f"{key}{sup}_{{{step.t}}} &=" in article
    assert "c_{" not in article and "c_t" not in article
    assert not any(name.endswith("-c.tex") or "diagram" in name for name in files)
