"""Beamer's own cost per frame (issue 17): 155 small frames (a title, a word, $x_n$) under
variants of lstm-tex's deck preamble, one pdflatex pass each, CPU of the child, interleaved
rounds; the cost per frame is (T(155) - T(1)) / 154, so the preamble is left out.

    python benchmarks/issue-17/fourth/compile/empty_frames.py [ROUNDS]
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OURS = r"""\documentclass[aspectratio=169,11pt]{beamer}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{amsmath}
\usepackage{booktabs}
\usetheme{default}
\setbeamertemplate{navigation symbols}{}
\setbeamertemplate{footline}[frame number]
\setbeamercolor{frametitle}{fg=blue!50!black}
"""
FRAME = "\\begin{frame}{F NN} Hello $x_{NN}$ \\end{frame}\n"
SKIP = r"""\makeatletter\AtBeginDocument{%
\ifbeamercolorempty[fg]{math text inlined}{\let\beamer@setmathcolor\empty}{}%
\ifbeamercolorempty[fg]{math text displayed}{\let\beamer@setdisplaymathcolor\empty}{}}
\makeatother
"""
#: every \usebeamercolor reduced to defining the colour as black on white (an upper bound
#: of what Beamer's colour work costs; not a harmless change)
NO_COLOURS = r"""\makeatletter
\expandafter\let\expandafter\lstm@black\csname\string\color@black\endcsname
\expandafter\let\expandafter\lstm@white\csname\string\color@white\endcsname
\renewcommand\beamer@usebeamercolor[2][]{%
\expandafter\global\expandafter\let\csname\string\color@#2.fg\endcsname=\lstm@black
\expandafter\global\expandafter\let\csname\string\color@#2.bg\endcsname=\lstm@white
\def\beamer@temp{#1}\ifx\beamer@temp\@empty\else\color{black}\fi}
\makeatother
"""
EMPTY_TEMPLATES = (
    r"\setbeamertemplate{headline}{}\setbeamertemplate{sidebar left}{}"
    r"\setbeamertemplate{sidebar right}{}" + "\n"
)
VARIANTS = {
    "article": ("\\documentclass{article}\n", "\\section*{F NN} Hello $x_{NN}$ \\newpage\n"),
    "beamer, as is": ("\\documentclass{beamer}\n", FRAME),
    "beamer, no navigation symbols": (
        "\\documentclass{beamer}\n\\setbeamertemplate{navigation symbols}{}\n",
        FRAME,
    ),
    "lstm-tex's deck preamble": (OURS, FRAME),
    "  + math colour skipped": (OURS + SKIP, FRAME),
    "  + \\nofiles (no .nav/.aux writes)": (OURS + SKIP + "\\nofiles\n", FRAME),
    "  + empty headline, sidebars": (OURS + SKIP + EMPTY_TEMPLATES, FRAME),
    "  + no footline (not harmless)": (OURS + SKIP + "\\setbeamertemplate{footline}{}\n", FRAME),
    "  + no colour work at all (bound)": (OURS + NO_COLOURS, FRAME),
}


def cpu(tex: str, folder: Path) -> float:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "d.tex").write_text(tex)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=folder,
        capture_output=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def document(preamble: str, page: str, n: int) -> str:
    pages = "".join(page.replace("NN", str(k)) for k in range(n))
    return f"{preamble}\\begin{{document}}\n{pages}\\end{{document}}\n"


def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="empty-frames-"))
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for name, (preamble, page) in VARIANTS.items():
            for n in (1, 155):
                times.setdefault((name, n), []).append(
                    cpu(document(preamble, page, n), work / str(len(times)))
                )
    for name in VARIANTS:
        one = statistics.median(times[(name, 1)])
        many = statistics.median(times[(name, 155)])
        print(f"{name:40s} 1 page {one:.2f} s, 155 pages {many:.2f} s: ", end="")
        print(f"{1000 * (many - one) / 154:.1f} ms per page")
    shutil.rmtree(work)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
