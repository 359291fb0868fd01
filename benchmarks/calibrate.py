r"""Measure with pdflatex what the slides' lines set besides their matrices, and write the
constants that the layout breaks them by: lstm_tex/document/calibrated.py.

A state line (``c_t = [f] \odot [c] + [i] \odot [g] = [c]``, the GRU's ``h_t = (1 - [z])
\odot [n] + [z] \odot [h]``) or a gate's result line (``f_t = \sigma([ih] + [hh]) =
\sigma([pre]) = [act]``) is estimated as the sum of its matrices' estimates
(:func:`measure.matrix_em`, each from its own numbers) and constants for its symbols. Each
sample line is typeset in Beamer's 11 pt class at every slide size (9, 10, 11 pt:
``\footnotesize``, ``\small``, ``\normalsize``) with hidden-8 vectors as the decks show
them (4 decimals, signed and not; a previous state as written, 2 decimals); its symbols
are its width less its vectors' widths as pdflatex sets them, in ems of the size. A
constant is the largest of its symbols at 10 and 11 pt, up to a tenth; at 9 pt the
symbols are a few per cent wider in ems (spacing set in points), which
:data:`~lstm_tex.document.calibrated.SYMBOLS_AT_9` scales them by. A line whose symbols are
two constants (``\tanh`` beside ``\sigma``'s) gives the one not known yet, so the order
of :data:`LINES` matters. tests/test_texmeasure.py typesets the samples again and holds
every line's constants to never under, and at most :data:`SLACK_EM` over, its measure.

    python benchmarks/calibrate.py          # measure, write calibrated.py, print the table
    python benchmarks/calibrate.py --dry    # measure and print only
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from lstm_tex.document import calibrated, matrices, numbers

TABLE = Path(__file__).resolve().parents[1] / "lstm_tex" / "document" / "calibrated.py"

#: The slides' sizes: their size command in the 11 pt Beamer class, and the size in pt.
SIZES = {9: ("\\footnotesize", 9.0), 10: ("\\small", 10.0), 11: ("\\normalsize", 10.95)}
#: A constant is at most this many ems over the largest symbols measured (never under).
SLACK_EM = 0.5

_RNG = np.random.default_rng(12)
#: The vectors of the samples (8 rows): a gate's activation (positive), a computed state
#: (signed), a previous state as written (2 decimals).
VECTORS: dict[str, tuple[np.ndarray, numbers.Style]] = {
    "act": (np.round(_RNG.uniform(0.3, 0.7, (8, 1)), 4), "fixed"),
    "state": (np.round(_RNG.uniform(-0.7, 0.7, (8, 1)), 4), "fixed"),
    "given": (np.round(_RNG.uniform(-0.99, 0.99, (8, 1)), 2), "written"),
}
#: label: (the line, ``[name]`` for a vector of :data:`VECTORS`; the constants of
#: measure.py that add up to its symbols)
LINES: dict[str, tuple[str, tuple[str, ...]]] = {
    # the numbers' row of c_t = f c + i g, and without its result
    "c = f c + i g = c": (
        r"c_{1} = [act] \odot [given] + [act] \odot [state] = [state]",
        ("CELL_LINE_EM",),
    ),
    "c = f c + i g": (r"c_{1} = [act] \odot [given] + [act] \odot [state]", ("CELL_SUM_EM",)),
    # the numbers' row of the GRU's h_t = (1 - z) n + z h, and its first product
    "h = (1 - z) n + z h": (
        r"h_{1} = \left(1 - [act]\right) \odot [state] + [act] \odot [given]",
        ("GRU_UPDATE_EM",),
    ),
    "h = (1 - z) n": (r"h_{1} = \left(1 - [act]\right) \odot [state]", ("GRU_PRODUCT_EM",)),
    # a gate's result line, its rows as it breaks, and the GRU candidate's first row
    "f = sigma(ih + hh) = sigma(pre) = act": (
        r"f_{1} = \sigma\left([state] + [state]\right) = \sigma\left([state]\right) = [act]",
        ("RESULT_LINE_EM",),
    ),
    "f = sigma(ih + hh)": (r"f_{1} = \sigma\left([state] + [state]\right)", ("RESULT_SUM_EM",)),
    "= sigma(pre) = act": (r"{} = \sigma\left([state]\right) = [act]", ("RESULT_ACT_EM",)),
    # with tanh and ReLU, wider than sigma (measure.ACT_FN_EM), once in each row
    "g = tanh(ih + hh) = tanh(pre) = act": (
        r"g_{1} = \tanh\left([state] + [state]\right) = \tanh\left([state]\right) = [act]",
        ("RESULT_LINE_EM", "\\tanh", "\\tanh"),
    ),
    "h = relu(ih + hh) = relu(pre) = act": (
        r"h_{1} = \operatorname{ReLU}\left([state] + [state]\right) = "
        r"\operatorname{ReLU}\left([state]\right) = [act]",
        ("RESULT_LINE_EM", "\\operatorname{ReLU}", "\\operatorname{ReLU}"),
    ),
    "n = tanh(ih + r * (hh))": (
        r"n_{1} = \tanh\left([state] + [act] \odot \left([state]\right)\right)",
        ("RESULT_SUM_EM", "GATED_EM", "\\tanh"),
    ),
    "= tanh(pre) = act": (r"{} = \tanh\left([state]\right) = [act]", ("RESULT_ACT_EM", "\\tanh")),
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


def up(em: float) -> float:
    """``em`` up to a tenth (a hair under one is taken as it: 11.000001 -> 11.0)."""
    return math.ceil(round(em, 3) * 10) / 10


def constants(measured: dict[str, dict[int, float]]) -> dict[str, float]:
    """Each constant of :data:`LINES` (and ACT_FN_EM's functions, by their TeX name), from
    the lines in order: each line gives the one of its constants not known yet."""
    known: dict[str, float] = {}
    for label, (_, names) in LINES.items():
        unknown = [name for name in names if name not in known]
        rest = sum(known[name] for name in names if name in known)
        if not unknown:
            continue
        most = max(measured[label][size] for size in (10, 11))
        known[unknown[0]] = up((most - rest) / len(unknown))
    return known


def at_9(measured: dict[str, dict[int, float]], known: dict[str, float]) -> float:
    """How much wider in ems the symbols are at 9 pt than the constants: the largest share,
    up to a hundredth."""
    share = max(
        measured[label][9] / sum(known[n] for n in names) for label, (_, names) in LINES.items()
    )
    return math.ceil(round(share, 4) * 100) / 100


def counted(label: str, size: int = 10) -> float:
    """What the layout counts for the symbols of line ``label`` at ``size`` pt."""
    total = sum(
        calibrated.ACT_FN_EM[name] if name.startswith("\\") else getattr(calibrated, name)
        for name in LINES[label][1]
    )
    return float(calibrated.symbols_em(total, size))


def write(known: dict[str, float], scale: float) -> None:
    """The constants as a Python module, formatted as ruff formats it."""
    functions = {name: value for name, value in known.items() if name.startswith("\\")}
    lines = "".join(f"{name} = {value}\n" for name, value in known.items() if name not in functions)
    fns = ", ".join(
        f'"{name.replace(chr(92), chr(92) * 2)}": {value}' for name, value in functions.items()
    )
    TABLE.write_text(
        '"""What the slides\' state and result lines set besides their matrices, in ems, as\n'
        "pdflatex measures them at 10 and 11 pt (see benchmarks/calibrate.py, which writes this\n"
        'module: do not edit by hand; tests/test_texmeasure.py measures the lines again)."""\n\n'
        + lines
        + "#: What \\tanh and ReLU add to \\sigma's width, once in each row of a result line.\n"
        + f'ACT_FN_EM = {{"\\\\sigma": 0.0, {fns}}}\n'
        + "#: At 9 pt the symbols are this much wider in ems (spacing set in points).\n"
        + f"SYMBOLS_AT_9 = {scale}\n\n\n"
        + "def symbols_em(em: float, size: float) -> float:\n"
        + '    """``em`` of symbols calibrated at 10 and 11 pt, at ``size`` pt."""\n'
        + "    return em * SYMBOLS_AT_9 if size < 9.5 else em\n"
    )


def main(args: list[str]) -> None:
    measured = symbols()
    known = constants(measured)
    scale = at_9(measured, known)
    for label, by_size in measured.items():
        sizes = ", ".join(f"{size} pt {em:.2f}" for size, em in by_size.items())
        names = " + ".join(LINES[label][1])
        print(f"{label}: measured {sizes}; {names}")
    print(", ".join(f"{name} {value}" for name, value in known.items()), f"SYMBOLS_AT_9 {scale}")
    if "--dry" not in args:
        write(known, scale)


if __name__ == "__main__":
    main(sys.argv[1:])
