r"""Measure with pdflatex what the slides' state lines set besides their matrices, and print
the constants of lstm_tex/document/measure.py that the layout breaks them by.

A state line (``c_t = [f] \odot [c] + [i] \odot [g] = [c]``, the GRU's ``h_t = (1 - [z])
\odot [n] + [z] \odot [h] = [h]``) is estimated as the sum of its matrices' estimates
(:func:`measure.matrix_em`, each from its own numbers) and a constant for its symbols.
Each sample line is typeset in Beamer's 11 pt class at every slide size (9, 10, 11 pt:
``\footnotesize``, ``\small``, ``\normalsize``) with hidden-8 vectors as the decks show
them (4 decimals, signed and not, and a written previous state of 2 decimals), and its
symbols are its width less its matrices' widths as pdflatex sets them: the largest, in
ems of the size, rounded up to a tenth, is the constant. tests/test_texmeasure.py typesets
the same samples and holds each constant to within :data:`SLACK_EM` over its measure and
never under.

    python benchmarks/calibrate.py      # measure and print: measured, constant, in measure.py
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from lstm_tex.document import matrices, measure, numbers

#: The slides' sizes: their size command in the 11 pt Beamer class, and the size in pt.
SIZES = {9: ("\\footnotesize", 9.0), 10: ("\\small", 10.0), 11: ("\\normalsize", 10.95)}
#: A constant is at most this many ems over the largest symbols measured (never under).
SLACK_EM = 0.3

_RNG = np.random.default_rng(12)
#: The vectors of the samples (8 rows): a gate's activation (positive), a computed state
#: (signed), a previous state as written (2 decimals).
VECTORS: dict[str, tuple[np.ndarray, numbers.Style]] = {
    "act": (np.round(_RNG.uniform(0.3, 0.7, (8, 1)), 4), "fixed"),
    "state": (np.round(_RNG.uniform(-0.7, 0.7, (8, 1)), 4), "fixed"),
    "given": (np.round(_RNG.uniform(-0.99, 0.99, (8, 1)), 2), "written"),
}
#: name: (the line, ``[name]`` for a vector of :data:`VECTORS`; the constant it calibrates)
LINES: dict[str, tuple[str, str]] = {
    # the numbers' row of c_t = f c + i g, and without its result
    "CELL_LINE_EM": (r"c_{1} = [act] \odot [given] + [act] \odot [state] = [state]", "cell"),
    "CELL_SUM_EM": (r"c_{1} = [act] \odot [given] + [act] \odot [state]", "cell"),
    # the numbers' row of the GRU's h_t = (1 - z) n + z h, and its first product
    "GRU_UPDATE_EM": (r"h_{1} = \left(1 - [act]\right) \odot [state] + [act] \odot [given]", "h"),
    "GRU_PRODUCT_EM": (r"h_{1} = \left(1 - [act]\right) \odot [state]", "h"),
}
_SLOT = re.compile(r"\[(\w+)\]")


def vector_tex(name: str) -> str:
    values, style = VECTORS[name]
    return matrices.bmatrix(values, style=style, decimals=4)


def widths(items: list[tuple[str, str]]) -> list[float]:
    """The widths (pt) of ``items`` (size command, maths), each in display style."""
    body = "\n".join(
        f"\\setbox0\\hbox{{{command}$\\displaystyle {tex}$}}\\typeout{{LSTMW{k} \\the\\wd0}}"
        for k, (command, tex) in enumerate(items)
    )
    doc = (
        "\\documentclass[11pt]{beamer}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
        "\\usepackage{amsmath}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "calibrate.tex").write_text(doc)
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-draftmode", "calibrate.tex"],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**os.environ, "max_print_line": "1000"},
            check=False,
        )
    found = dict(re.findall(r"^LSTMW(\d+) ([\d.]+)pt$", run.stdout, flags=re.M))
    if len(found) != len(items):
        raise RuntimeError(f"pdflatex measured {len(found)} of {len(items)}\n{run.stdout[-2000:]}")
    return [float(found[str(k)]) for k in range(len(items))]


def symbols() -> dict[str, dict[int, float]]:
    """Each line's symbols (its width less its vectors' widths as set) in ems of each size."""
    items: list[tuple[str, str]] = []
    for command, _ in SIZES.values():
        items += [(command, vector_tex(name)) for name in VECTORS]
        items += [
            (command, _SLOT.sub(lambda m: vector_tex(m[1]), tex)) for tex, _ in LINES.values()
        ]
    found = widths(items)
    per = len(VECTORS) + len(LINES)
    measured: dict[str, dict[int, float]] = {name: {} for name in LINES}
    for k, (size, (_, pt)) in enumerate(SIZES.items()):
        chunk = found[k * per : (k + 1) * per]
        vectors = dict(zip(VECTORS, chunk[: len(VECTORS)], strict=True))
        for name, line_pt in zip(LINES, chunk[len(VECTORS) :], strict=True):
            tex = LINES[name][0]
            matrices_pt = sum(vectors[m] for m in _SLOT.findall(tex))
            measured[name][size] = (line_pt - matrices_pt) / pt
    return measured


def constant(measured: dict[int, float]) -> float:
    """The constant for symbols measured at each size: the largest, up to a tenth."""
    return math.ceil(max(measured.values()) * 10) / 10


def main() -> None:
    for name, by_size in symbols().items():
        sizes = ", ".join(f"{size} pt {em:.2f}" for size, em in by_size.items())
        print(
            f"{name:16} measured {sizes}: {constant(by_size):.1f} em "
            f"(measure.py: {getattr(measure, name)})"
        )


if __name__ == "__main__":
    main()
