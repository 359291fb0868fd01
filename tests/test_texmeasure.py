"""The TeX measurement module against pdflatex: a table of samples typeset at the slides'
size (10 pt ``\\small`` in an 11 pt Beamer deck), each estimate within measure.MARGIN."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_tex.document import matrices, measure, numbers
from tests.conftest import compile_tex

RNG = np.random.default_rng(0)


def _written(shape: tuple[int, int]) -> np.ndarray:
    return np.round(RNG.uniform(-0.5, 0.5, shape), 2)


#: name: (matrix, style, slots or None for every column)
SAMPLES: dict[str, tuple[np.ndarray, numbers.Style, int | None]] = {
    "vector, 4 decimals, signed": (np.round(RNG.uniform(-1, 1, (4, 1)), 4), "fixed", None),
    "vector, 4 decimals, positive": (np.round(RNG.uniform(0, 1, (4, 1)), 4), "fixed", None),
    "4 x 4 weights": (_written((4, 4)), "written", None),
    "8 x 8 weights": (_written((8, 8)), "written", None),
    "8 x 16 weights in 8 slots": (_written((8, 16)), "written", 8),
    "8 x 8 weights in 4 slots": (_written((8, 8)), "written", 4),
    "8 x 8 weights in 5 slots": (_written((8, 8)), "written", 5),
    "4 x 3 values, 4 decimals": (np.round(RNG.uniform(-1, 1, (4, 3)), 4), "fixed", None),
}


def _estimate(a: np.ndarray, style: numbers.Style, slots: int | None) -> float:
    widest = numbers.widest(a, style, 4)
    if slots is None:
        return measure.matrix_em(widest, a.shape[1])
    return measure.elided_matrix_em(widest, a.shape[1], slots)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """Every sample's width in ems (of 10 pt), as pdflatex sets it."""
    lines = []
    for k, (a, style, slots) in enumerate(SAMPLES.values()):
        tex = matrices.bmatrix(a, style=style, decimals=4, max_cols=slots)
        lines.append(
            f"\\setbox0\\hbox{{\\small$\\displaystyle {tex}$}}\\typeout{{W{k} \\the\\wd0}}"
        )
    lines.append("\\begin{frame}\\typeout{TEXTWIDTH \\the\\textwidth}\\end{frame}")
    doc = tmp_path_factory.mktemp("texmeasure") / "samples.tex"
    doc.write_text(
        "\\documentclass[aspectratio=169,11pt]{beamer}\n\\usepackage[T1]{fontenc}\n"
        "\\usepackage{lmodern}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + "\n".join(lines)
        + "\n\\end{document}\n"
    )
    compiled = compile_tex(doc, draft=True)
    assert compiled.ok, compiled.errors
    found = dict(re.findall(r"^(W\d+|TEXTWIDTH) ([\d.]+)pt$", compiled.log, flags=re.M))
    widths = {name: float(found[f"W{k}"]) / 10.0 for k, name in enumerate(SAMPLES)}
    widths["textwidth"] = float(found["TEXTWIDTH"])
    return widths


@pytest.mark.latex
@pytest.mark.parametrize("name", list(SAMPLES))
def test_matrix_width_within_margin(measured: dict[str, float], name: str) -> None:
    estimate = _estimate(*SAMPLES[name])
    real = measured[name]
    assert abs(estimate - real) <= measure.MARGIN * real, (name, estimate, real)


@pytest.mark.latex
def test_slide_text_width(measured: dict[str, float]) -> None:
    assert measured["textwidth"] == pytest.approx(measure.BEAMER_169_TEXT_PT, abs=0.01)


def test_fit_columns_counts_the_dots() -> None:
    """8 columns of -0.27 (3.5 em each) in 17.2 em: 4 numbers and the dots (16.6 em)."""
    assert measure.fit_columns(5, 8, 17.2, 3, 8) == 5
    assert measure.fit_columns(5, 8, 100.0, 3, 8) == 8
    assert measure.fit_columns(5, 8, 1.0, 3, 8) == 3
