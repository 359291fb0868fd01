"""render.diagram: the cell drawn with each derived step's numbers (TikZ), in the deck,
frames.tex, the article and parts/<step>-diagram.tex; and render.plots: the values over
time (pgfplots). Every bundled example is rendered and compiled once per session; the
tests read those documents."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from lstm_tex.document import numbers
from lstm_tex.validate import spec
from tests.conftest import (
    BUNDLED,
    EXAMPLES,
    LSTM_BUNDLED,
    Compiled,
    compile_tex,
    lecturer_deck,
    run_cli,
)
from tests.layout import Page, pages

#: Beamer's 16:9 page is 160 x 90 mm; no number on a picture is set smaller than this.
MIN_PT = 8.0


@dataclass(frozen=True)
class Rendered:
    folder: Path
    compiled: dict[str, Compiled]  # by document: article, deck, lecturer 4:3 and 16:9


def _render(example: Path, out: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", out, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return out / example.stem


class Documents:
    """Each bundled example rendered with --diagram --plots, its article, deck and a lecturer's
    themed deck (4:3, and 16:9 for notebook-step) compiled: once per session, when a test
    first asks for it (so that pytest-xdist spreads the examples over its workers)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.done: dict[str, Rendered] = {}

    def __getitem__(self, stem: str) -> Rendered:
        if stem not in self.done:
            example = EXAMPLES / f"{stem}.yaml"
            folder = _render(example, self.out, "--diagram", "--plots")
            documents = {
                "article": folder / f"{stem}.tex",
                "deck": folder / f"{stem}-slides.tex",
                "lecturer 4:3": lecturer_deck(folder, folder / "frames.tex"),
            }
            if stem == "notebook-step":
                documents["lecturer 16:9"] = lecturer_deck(
                    folder, folder / "frames.tex", "aspectratio=169"
                )
            self.done[stem] = Rendered(  # only the deck's PDF is read (draft: no PDF)
                folder,
                {name: compile_tex(tex, draft=name != "deck") for name, tex in documents.items()},
            )
        return self.done[stem]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Documents:
    return Documents(tmp_path_factory.mktemp("diagram"))


@pytest.mark.latex
@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_compiles_everywhere_without_overfull_boxes(rendered: Documents, example: Path) -> None:
    for name, compiled in rendered[example.stem].compiled.items():
        assert compiled.ok, (name, compiled.errors)
        assert compiled.overfull == 0, (name, compiled.overfull_hbox, compiled.overfull_vbox)


def _cell_pages(pdf: Path) -> dict[str, Page]:
    """The diagram frames of a deck, by frame title (``Layer 1, reverse, step 2``)."""
    found = {}
    for page in pages(pdf):
        text = " ".join(w.text for w in page.words)
        m = re.match(r"(.*?): the cell ", text)
        if m:
            found[m.group(1)] = page
    return found


def _numbers(page: Page) -> Counter[str]:
    """The decimals on a page as the documents print them (ASCII minus)."""
    return Counter(
        w.text.replace("\u2212", "-")
        for w in page.words
        if re.fullmatch("\u2212?\\d+\\.\\d+", w.text)
    )


def _expected(step: dict[str, object], decimals: int, first: bool, layer0: bool) -> Counter[str]:
    """What the diagram of a values.json step must show: every decimal once per place."""

    def fixed(values: object) -> list[str]:
        return [numbers.fixed(v, decimals) for v in np.ravel(values)]

    def written(values: object) -> list[str]:
        return [numbers.written(v) for v in np.ravel(values)]

    gates = step["gates"]
    assert isinstance(gates, dict)
    shown = [
        *(written(step["x"]) if layer0 else fixed(step["x"])),
        *(written if first else fixed)(step["h_prev"]),
        *(written if first else fixed)(step["c_prev"]),
        *(v for k in "ifgo" for v in fixed(gates[k]["act"])),
        *fixed(step["c"]),
        *fixed(np.tanh(np.asarray(step["c"]))),
        *fixed(step["h"]),
    ]
    return Counter(s for s in shown if "." in s)


@pytest.mark.latex
@pytest.mark.parametrize("example", LSTM_BUNDLED, ids=lambda p: p.stem)
def test_numbers_on_the_diagram_are_those_of_values_json(
    rendered: Documents, example: Path
) -> None:
    """Every derived step's diagram page, read back from the PDF, shows exactly the values
    of values.json formatted as everywhere else (4 decimals; inputs as written)."""
    folder = rendered[example.stem].folder
    values = json.loads((folder / "values.json").read_text())
    loaded = spec.load(example)
    cells = _cell_pages(folder / f"{example.stem}-slides.pdf")
    assert len(cells) == len(values["steps"])
    cfg = values["lstm"]
    for step in values["steps"]:
        first = step["t"] == (
            1
            if step["direction"] == "forward"
            else len(
                [s for s in values["steps"] if s["layer"] == 0 and s["direction"] == "forward"]
            )
        )
        where = [f"Layer {step['layer']}"] if cfg["num_layers"] > 1 else []
        if cfg["bidirectional"]:
            where.append(step["direction"])
        title = ", ".join([*where, f"step {step['t']}"])
        page = cells[title[0].upper() + title[1:]]
        assert _numbers(page) == _expected(
            step, loaded.render.decimals, first, step["layer"] == 0
        ), title


def _is_plot(title: str) -> bool:
    """Whether a frame title is that of the plots (not the results' "h_t and c_t over time")."""
    return re.search("[Gg]ates, .* over time$", title) is not None


#: The height of Beamer's footline band at the page's foot, in points (the frame number).
FOOTLINE_PT = 12


def _sizes(pdf: Path) -> dict[str, list[float]]:
    """The font sizes of the numbers (words such as 0.3828, -0.47, 1) on each page of a
    picture, by the page's first line (its frame title). The footline (the deck's frame
    number) is left out: it is no number of the picture."""
    import pdfplumber

    found: dict[str, list[float]] = {}
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            assert round(float(page.width) * 25.4 / 72) == 160  # Beamer's 16:9 page
            title = (page.extract_text() or "").split("\n")[0]
            if not (title.endswith(": the cell") or _is_plot(title)):
                continue
            body = page.crop((0, 0, page.width, page.height - FOOTLINE_PT))
            words = body.extract_words(extra_attrs=["size"])
            found[title] = [
                w["size"]
                for w in words
                if re.fullmatch("\u2212?\\d+(\\.\\d+)?", w["text"])
                and (_is_plot(title) or "." in w["text"])
            ]
    return found


@pytest.mark.latex
@pytest.mark.parametrize("example", LSTM_BUNDLED, ids=lambda p: p.stem)
def test_numbers_are_readable_on_a_16_9_slide(rendered: Documents, example: Path) -> None:
    """On Beamer's 160 x 90 mm page, no number on a diagram or a plot is below 8 pt
    (on a diagram the values; on a plot the tick labels)."""
    sizes = _sizes(rendered[example.stem].folder / f"{example.stem}-slides.pdf")
    values = json.loads((rendered[example.stem].folder / "values.json").read_text())
    cfg = values["lstm"]
    steps = len({s["t"] for s in values["steps"]})
    plots = cfg["num_layers"] * (1 + cfg["bidirectional"]) if steps > 1 else 0
    assert sum(_is_plot(title) for title in sizes) == plots
    for title, found in sizes.items():
        assert found and min(found) >= MIN_PT - 0.01, (title, min(found))


@pytest.mark.latex
def test_a_large_network_stays_readable(tmp_path: Path) -> None:
    """Input 8, hidden 16, three steps (lstm-tex init): the diagram's vectors are elided to
    4 rows and its numbers, like the plots' tick labels, stay at 8 pt or more."""
    example = tmp_path / "large.yaml"
    done = run_cli("init", example, "--input-size", "8", "--hidden-size", "16", "--steps", "3")
    assert done.exit_code == 0, done.output
    folder = _render(example, tmp_path / "out", "--diagram", "--plots")
    compiled = compile_tex(folder / "large-slides.tex")
    assert compiled.ok and compiled.overfull == 0, compiled.errors
    sizes = _sizes(folder / "large-slides.pdf")
    assert sum(_is_plot(title) for title in sizes) == 1 and len(sizes) == 4
    for title, found in sizes.items():
        assert found and min(found) >= MIN_PT - 0.01, (title, min(found))


@pytest.mark.latex
def test_the_part_compiles_on_its_own(rendered: Documents) -> None:
    """parts/<step>-diagram.tex and parts/<layer>-<direction>-plots.tex in a plain article
    that loads what their "% needs:" lines list."""
    folder = rendered["stacked"].folder
    parts = sorted((folder / "parts").glob("*-diagram.tex"))
    assert [p.name for p in parts] == [
        f"l{layer}-forward-t{t}-diagram.tex" for layer in (0, 1) for t in (1, 2)
    ]
    parts += sorted((folder / "parts").glob("*-plots.tex"))
    assert [p.name for p in parts[4:]] == ["l0-forward-plots.tex", "l1-forward-plots.tex"]
    needs = re.findall(r"^% needs: (.*)$", parts[0].read_text(), flags=re.M)
    assert needs == [f"\\usepackage{{{p}}}" for p in ("amsmath", "graphicx", "tikz", "pgfplots")]
    body = "\n\n".join(f"\\input{{parts/{p.name}}}" for p in parts)
    doc = folder / "diagram-parts.tex"
    doc.write_text(
        "\\documentclass{article}\n"
        + "\n".join(needs)
        + "\n\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n"
        f"{body}\n\\end{{document}}\n"
    )
    compiled = compile_tex(doc, draft=True)
    assert compiled.ok, compiled.errors
    assert compiled.overfull == 0


def test_off_by_default_and_from_the_file(tmp_path: Path) -> None:
    """Without the option nothing changes (the golden files say so byte for byte); the
    file's render.diagram and --diagram / --no-diagram switch it."""
    example = EXAMPLES / "notebook-step.yaml"
    plain = _render(example, tmp_path / "plain")
    assert "tikz" not in (plain / "frames.tex").read_text()
    assert not list((plain / "parts").glob("*-diagram.tex"))
    assert spec.load(example).render.diagram is False
    on = tmp_path / "on.yaml"
    on.write_text(example.read_text().replace("  decimals: 4", "  decimals: 4\n  diagram: true"))
    folder = _render(on, tmp_path / "file")
    assert "\\begin{tikzpicture}" in (folder / "frames.tex").read_text()
    assert (folder / "parts" / "l0-forward-t1-diagram.tex").exists()
    folder = _render(on, tmp_path / "flag", "--no-diagram")
    assert "tikzpicture" not in (folder / "frames.tex").read_text()


def test_a_bad_value_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "notebook-step.yaml")
        .read_text()
        .replace("  decimals: 4", "  decimals: 4\n  diagram: maybe")
    )
    result = run_cli("render", bad, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2
    assert "render.diagram" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "bad").exists()


@pytest.mark.parametrize("example", LSTM_BUNDLED, ids=lambda p: p.stem)
def test_plotted_values_are_those_of_values_json(tmp_path: Path, example: Path) -> None:
    """Each line of each plot is one unit of one quantity over t = 1..T, its coordinates
    the values of values.json as the documents print them; one plot per layer and
    direction, none for a single step (and then pgfplots is not needed)."""
    folder = _render(example, tmp_path, "--plots")
    values = json.loads((folder / "values.json").read_text())
    frames = (folder / "frames.tex").read_text()
    decimals = spec.load(example).render.decimals
    steps = len({s["t"] for s in values["steps"]})
    plotted = re.findall(r"\\addplot coordinates \{(.*?)\};", frames)
    if steps == 1:
        assert not plotted and "pgfplots" not in frames
        return
    assert "% needs: \\usepackage{pgfplots}" in frames
    expected = []
    cfg = values["lstm"]
    for layer in range(cfg["num_layers"]):
        for direction in ("forward", "reverse")[: 1 + cfg["bidirectional"]]:
            run = sorted(
                (s for s in values["steps"] if s["layer"] == layer and s["direction"] == direction),
                key=lambda s: s["t"],
            )
            for name in ("f", "i", "g", "o", "c", "h"):
                series = np.array(
                    [s["gates"][name]["act"] if name in s["gates"] else s[name] for s in run]
                )
                for unit in range(series.shape[1]):
                    expected.append(
                        " ".join(
                            f"({s['t']},{numbers.fixed(v, decimals)})"
                            for s, v in zip(run, series[:, unit], strict=True)
                        )
                    )
    assert plotted == expected
    assert len(list((folder / "parts").glob("*-plots.tex"))) == cfg["num_layers"] * (
        1 + cfg["bidirectional"]
    )


def test_plots_leave_out_the_middle_units_as_the_matrices_do(tmp_path: Path) -> None:
    """Hidden size 10 with max_rows 5: units 1, 2, 9, 10 are plotted, and the note says so."""
    data = {
        "weights": {"weight_ih_l0": [[0.1]] * 40, "weight_hh_l0": [[0.01] * 10] * 40},
        "x": [[1.0], [0.5]],
        "render": {"plots": True, "max_rows": 5},
    }
    example = tmp_path / "wide.yaml"
    example.write_text(json.dumps(data))
    frames = (_render(example, tmp_path / "out") / "frames.tex").read_text()
    assert "legend entries={unit 1,unit 2,unit 9,unit 10}" in frames
    assert frames.count("\\addplot coordinates") == 6 * 4
    assert "the middle units are left out" in frames


@pytest.mark.latex
def test_reveal_walks_through_the_cell(tmp_path: Path) -> None:
    """With --reveal the diagram's frame has five slides (the picture, then the paths of f;
    i and g; c; o and h) and compiles; the article and the part have no overlays."""
    from tests.layout import frame_pages

    folder = _render(EXAMPLES / "notebook-step.yaml", tmp_path, "--diagram", "--reveal")
    frames = (folder / "frames.tex").read_text()
    assert [f"\\draw<{n}>" in frames for n in range(1, 7)] == [False, *[True] * 4, False]
    assert "\\draw<" not in (folder / "notebook-step.tex").read_text()
    assert "\\draw<" not in (folder / "parts" / "l0-forward-t1-diagram.tex").read_text()
    compiled = compile_tex(folder / "notebook-step-slides.tex")
    assert compiled.ok and compiled.overfull == 0, compiled.errors
    cell = _cell_pages(folder / "notebook-step-slides.pdf")
    assert list(cell) == ["Step 1"]
    first, last = next(
        (a, b) for a, b in frame_pages(folder / "notebook-step-slides.nav") if a == 3
    )
    assert last - first + 1 == 5


def test_tall_vectors_are_elided_on_the_diagram(tmp_path: Path) -> None:
    """Hidden size 10: the slides' derivation shows 8 rows (max_rows), their diagram 4 (the
    first two, a gap, the last one), so that the picture stays readable; the article's
    derivation all 10, its diagram 8."""
    data = {
        "weights": {"weight_ih_l0": [[0.1]] * 40, "weight_hh_l0": [[0.01] * 10] * 40},
        "x": [[1.0]],
        "render": {"diagram": True},
    }
    example = spec.from_mapping(data)
    from lstm_tex.compute import engine
    from lstm_tex.document import context

    trace = engine.forward(example)
    for slides, rows, derived in ((True, 4, 8), (False, 8, 10)):
        step = context.build(trace, None, slides=slides)["steps"][0]
        for key in ("c_prev", "c", "tanh_c", "h"):
            shown = step["diagram"][key]
            assert shown.count("\\\\") == rows - 1 and "\\vdots" in shown, (slides, key)
        cell = step["state_lines"]["cell"].result
        assert cell.count("\\\\") == derived - 1  # the derivation's own limits


def _example_one(step: dict[str, object]) -> dict[str, object]:
    """A values.json step of a batch cut down to its example 1 (every value (batch, n))."""

    def first(values: object) -> object:
        return np.asarray(values)[0].tolist()

    gates = step["gates"]
    assert isinstance(gates, dict)
    return {
        **{k: first(step[k]) for k in ("x", "h_prev", "c_prev", "c", "h")},
        "gates": {k: {"act": first(g["act"])} for k, g in gates.items()},
    }


@pytest.mark.latex
def test_a_batch_shows_its_first_example(tmp_path: Path) -> None:
    """x of shape (T, batch, input) = (2, 3, 2), hidden 3: each diagram shows example 1 only
    (as the plots do) and says so; its numbers are values.json's for that example, at 8 pt
    or more on the 16:9 deck, and the article's figure says so in its caption."""
    weights = np.round(0.5 * np.sin(np.arange(60) * 0.7), 2)
    data = {
        "lstm": {"input_size": 2, "hidden_size": 3},
        "weights": {
            "weight_ih_l0": weights[:24].reshape(12, 2).tolist(),
            "weight_hh_l0": weights[24:].reshape(12, 3).tolist(),
        },
        "x": np.round(0.9 * np.cos(np.arange(12) * 1.3), 2).reshape(2, 3, 2).tolist(),
        "render": {"decimals": 4},
    }
    example = tmp_path / "batch.yaml"
    example.write_text(yaml.safe_dump(data, default_flow_style=None))
    folder = _render(example, tmp_path / "out", "--diagram")
    for tex in ("batch-slides.tex", "batch.tex"):
        compiled = compile_tex(folder / tex, draft=tex == "batch.tex")
        assert compiled.ok and compiled.overfull == 0, (tex, compiled.errors)
    values = json.loads((folder / "values.json").read_text())
    cells = _cell_pages(folder / "batch-slides.pdf")
    assert list(cells) == ["Step 1", "Step 2"]
    for step in values["steps"]:
        page = cells[f"Step {step['t']}"]
        assert "example 1 of 3 in the batch" in " ".join(w.text for w in page.words)
        assert _numbers(page) == _expected(_example_one(step), 4, step["t"] == 1, True)
    sizes = _sizes(folder / "batch-slides.pdf")
    assert len(sizes) == 2
    for title, found in sizes.items():
        assert found and min(found) >= MIN_PT - 0.01, (title, min(found))
    article = (folder / "batch.tex").read_text()
    assert article.count("example~1 of 3 in the batch") == 2
    part = (folder / "parts" / "l0-forward-t1-diagram.tex").read_text()
    assert part.startswith(
        "% lstm-tex part l0-forward-t1-diagram: Step 1: the cell, example 1 of 3"
    )
