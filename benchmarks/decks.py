r"""Measure the frame of each Beamer theme that TeX Live ships, at 16:9 and 4:3, in a
10, 11 and 12 pt class, and write the tables the slides are laid out by
(``render.deck``): lstm_tex/latex/deck_frames.py.

Each entry compiles a one-frame deck with lstm-tex's own preamble in that theme and aspect
(:func:`lstm_tex.latex.tex.deck`, as ``render.deck`` writes the standalone deck) and reads
``\the\textwidth`` and the body below the frame title, ``\textheight`` less the height
and depth of the title bar as the theme sets a one-line title (what ``\lstmcap`` takes
off too). tests/test_decks.py compiles a few entries again and compares.

    python benchmarks/decks.py            # measure every theme, rewrite the table
    python benchmarks/decks.py Madrid     # measure these themes, print them
    python benchmarks/decks.py --sized    # measure the 10 and 12 pt classes, rewrite them
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from lstm_tex.latex import tex
from lstm_tex.latex.decks import ASPECT_OPTIONS, FONT_SIZES, Deck

TABLE = Path(__file__).resolve().parents[1] / "lstm_tex" / "latex" / "deck_frames.py"
#: Measured first, in this order; then every other theme TeX Live's Beamer ships.
NAMED = ("default", "Madrid", "Warsaw", "Berlin", "Boadilla", "CambridgeUS", "Singapore")
#: beamertheme*.sty files that are not themes.
NOT_THEMES = {"compatibility"}
#: The probe: a frame with a one-line title, which reports the text width and the body.
PROBE = r"""\begin{frame}{Step 1: input gate $i_1$}
\setbox0\vbox{\usebeamertemplate*{frametitle}}%
\typeout{LSTMDECK \the\textwidth\space\the\dimexpr\textheight-\ht0-\dp0\relax}%
x
\end{frame}"""
_FOUND = re.compile(r"^LSTMDECK ([\d.]+)pt ([\d.]+)pt$", re.M)


def themes() -> list[str]:
    """The Beamer themes of this TeX installation: :data:`NAMED` first, then the others."""
    cls = subprocess.run(
        ["kpsewhich", "beamer.cls"], capture_output=True, text=True, check=True
    ).stdout.strip()
    shipped = {
        p.stem.removeprefix("beamertheme") for p in Path(cls).parent.glob("beamertheme*.sty")
    }
    rest = sorted(shipped - NOT_THEMES - set(NAMED), key=str.lower)
    return [t for t in NAMED if t in shipped] + rest


def measure(theme: str, aspect: str, size: int = 11) -> tuple[float, float]:
    """The text width and the body's height (pt) of ``theme``'s frame at ``aspect`` in a
    ``size`` pt class."""
    doc = tex.deck("Probe", PROBE, theme=Deck(theme, aspect, size))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.tex"
        path.write_text(doc.dumps())
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-draftmode", path.name],
            cwd=folder,
            capture_output=True,
            text=True,
            env={"max_print_line": "1000", "PATH": "/usr/bin:/bin:/usr/local/bin"},
            check=False,
        )
        found = _FOUND.search(run.stdout)
    if found is None:
        raise RuntimeError(f"{theme} {aspect}: no measure in the log\n{run.stdout[-2000:]}")
    return round(float(found[1]), 2), round(float(found[2]), 2)


Table = dict[tuple[str, str, int], tuple[float, float]]


def _rows(table: Table, sized: bool) -> str:
    return "".join(
        f'    ("{theme}", "{aspect}"{f", {size}" if sized else ""}): ({width}, {body}),\n'
        for (theme, aspect, size), (width, body) in table.items()
        if (size != 11) == sized
    )


def write(table: Table) -> None:
    """The tables as a Python module, formatted as ruff formats it: the 11 pt class's
    frames (``FRAMES``) and the other sizes' (``SIZED``)."""
    TABLE.write_text(
        '"""The frame of each Beamer theme TeX Live ships, at 16:9 and 4:3, as pdflatex sets\n'
        "it with lstm-tex's preamble: (theme, aspect) -> (text width, body height below a\n"
        "one-line frame title), in pt, in Beamer's 11 pt class (FRAMES) and in its 10 and\n"
        "12 pt classes (SIZED, keyed by the size too). Written by benchmarks/decks.py (do not\n"
        'edit by hand; tests/test_decks.py compiles a few entries again)."""\n\n'
        "FRAMES: dict[tuple[str, str], tuple[float, float]] = {\n"
        + _rows(table, False)
        + "}\nSIZED: dict[tuple[str, str, int], tuple[float, float]] = {\n"
        + _rows(table, True)
        + "}\n"
    )


def main(args: list[str]) -> None:
    sized = args[:1] == ["--sized"]
    args = args[1:] if sized else args
    table: Table = {}
    if sized:  # the 11 pt class's table as it is
        from lstm_tex.latex.deck_frames import FRAMES

        table = {(theme, aspect, 11): frame for (theme, aspect), frame in FRAMES.items()}
    for theme in args or themes():
        for aspect in ASPECT_OPTIONS:
            for size in [s for s in FONT_SIZES if s != 11] if sized else [11]:
                table[theme, aspect, size] = measure(theme, aspect, size)
                width, body = table[theme, aspect, size]
                print(f"{theme:12} {aspect:5} {size} pt text {width:7.2f} pt, body {body:7.2f} pt")
    if not args:
        write(dict(sorted(table.items(), key=lambda kv: kv[0][2] != 11)))


if __name__ == "__main__":
    main(sys.argv[1:])
