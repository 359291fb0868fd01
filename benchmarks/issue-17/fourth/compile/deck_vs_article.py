"""Deck / article compile time per page (issue 17), one pdflatex pass, CPU of the child.

    PYTHONPATH=. python benchmarks/issue-17/fourth/compile/deck_vs_article.py [ROUNDS] [T]

Renders run.py's scale example (input 32, hidden 64, T steps, --no-check) and compiles, in
interleaved rounds, the article, the deck as generated, the deck without the preamble's
colour cache (latex/tex.py COLOUR_CACHE), and the deck without either that or frames.tex's
"math text" colour lines (templates/math-colour.tex.j2): the deck at the session's start.
Prints each side's runs, median seconds, pages, ms per page and the ratios.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "benchmarks"))
SKIP = re.compile(r"% Beamer sets its \"math text\".*?\n\\fi\n", re.S)
CACHE = re.compile(r"\\makeatletter\n\\newcount\\lstm@colours\n.*?\\makeatother%\n", re.S)


def cpu(cmd: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main(rounds: int, steps: int) -> None:
    import run  # benchmarks/run.py

    work = Path(tempfile.mkdtemp(prefix="deck-vs-article-"))
    example = work / f"scale-t{steps}.yaml"
    example.write_text(json.dumps(run.scale_example(steps)))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lstm_tex.cli",
            "render",
            str(example),
            "--out",
            str(work / "out"),
            "--no-check",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    source = work / "out" / example.stem
    deck = source / f"{example.stem}-slides.tex"
    sides = {
        "article": source / f"{example.stem}.tex",
        "deck": deck,
        "deck without the cache": deck,
        "deck at the start": deck,
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    pages: dict[str, int] = {}
    for _ in range(rounds):
        for name, tex in sides.items():
            folder = work / "run" / name.replace(" ", "-")
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(source, folder)
            if name != "deck" and tex is deck:
                text = (folder / tex.name).read_text()
                assert SKIP.search(text) and CACHE.search(text), "no new lines in the deck"
                text = CACHE.sub("", text)
                if name == "deck at the start":
                    text = SKIP.sub("", text)
                (folder / tex.name).write_text(text)
            times[name].append(
                cpu(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], folder)
            )
            log = (folder / tex.name).with_suffix(".log").read_text(errors="replace")
            pages[name] = int(re.findall(r"Output written on .*?\((\d+) pages?", log)[0])
    per_page = {}
    for name, runs in times.items():
        per_page[name] = 1000 * statistics.median(runs) / pages[name]
        shown = " ".join(f"{t:.2f}" for t in runs)
        median = statistics.median(runs)
        print(f"{name:22s} {shown}  median {median:.2f} s  {pages[name]} pages", end="")
        print(f"  {per_page[name]:.1f} ms/page")
    for name in ("deck", "deck without the cache", "deck at the start"):
        print(f"{name} / article per page: {per_page[name] / per_page['article']:.2f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 5, int(sys.argv[2]) if len(sys.argv) > 2 else 10
    )
