r"""Shared fixtures: the CLI runner, example paths and a pdflatex helper.

Adding a test that compiles LaTeX (issue 17: the suite must stay under 6 minutes on two
cores, and pdflatex is about 85 % of its CPU time, Beamer most of that):

- Call ``compile_tex(tex)``: it does the cheap things for you. The preamble's class,
  packages and theme come from a TeX format made once per test run for each distinct
  set (``tests/texformat.py``; 0.3 to 1 s of CPU less per document), and a document
  compiled again with the same text, the same files in its folder and the same flags is
  not run again, in any worker of pytest-xdist: the first result is returned and its
  ``.pdf``/``.nav``/``.log`` copied into the folder (a worker that asks for a document
  another is compiling waits for it). The log, errors and box counts are those of the
  whole document.
  ``LSTM_TEX_TEX_FORMATS=0`` turns both off; ``=check`` compiles each document with and
  without its format and fails where they disagree.
- Compile each document once per session. Render and compile in a session fixture and put
  every assertion about that document on the shared result; before adding a compile, look
  for a test that already compiles the same document with the same options and extend it.
  ``tests/test_diagram.py``'s ``Documents`` compiles per example on first use, so that
  pytest-xdist spreads the examples over its workers; ``tests/test_hosts.py`` shares one
  compile per host document.
- ``compile_tex(tex, draft=True)`` unless the test reads the PDF (``tests.layout.pages``,
  pdfplumber, pdftoppm): no PDF is written (about 10 % less time), the log is the same.
- Compile the pages the assertion needs. A Beamer frame costs about ten times an article
  page even when empty (pdfTeX 1.40, TeX Live 2022: 155 empty frames 2.1-2.5 s of CPU
  without navigation symbols, 155 article pages 0.2 s); to test one frame's behaviour,
  render with ``render.steps`` (or ``--max-rows``...) so that only the steps it needs are
  derived, or ``\input`` the one part into a small document, instead of a whole deck.
- See where the CPU goes (pdflatex included) with
  ``LSTM_TEX_CPU_PROFILE=DIR python -m pytest -n auto`` and ``python -m tests.cpu_profile
  DIR`` (``tests/cpu_profile.py``); a new costly file belongs in ``COST`` below, so
  that it starts early. Speed itself is measured in ``benchmarks/run.py``, never in timed
  tests.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lstm_tex.cli import main
from tests import cpu_profile, texformat

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
#: Host documents (tests/test_hosts.py) and the checks every host makes around lstm-tex's files.
HOSTS = Path(__file__).resolve().parent / "hosts"
#: Every bundled example (nn.LSTM, nn.GRU, nn.RNN): one golden folder each.
BUNDLED = sorted(EXAMPLES.glob("*.yaml"))
#: The bundled nn.LSTM examples, for the tests of what only an LSTM has (the cell diagram,
#: c_t, the four gates).
LSTM_BUNDLED = [p for p in BUNDLED if not p.stem.startswith(("gru-", "rnn-"))]


def pytest_configure(config: pytest.Config) -> None:
    cpu_profile.configure(config, lambda: texformat.STATS)
    # the workers of pytest-xdist share one folder of formats and compiled documents
    config.add_cleanup(texformat.share())


#: CPU seconds of the test files that cost the most (``python -m tests.cpu_profile``,
#: ``CI=true``, 2 workers, 1 December 2026, second round; the cheaper files from
#: benchmarks/issue-17/fifth/profile-ci-after.md), pdflatex included. A file not named
#: here counts :data:`LATEX_TEST` a test marked ``latex`` and :data:`PER_TEST` another.
#: Only the proportions matter: a new costly file belongs here (a guess is fine), so that
#: it starts early and its worker gets less of the rest. The files that read PDFs through
#: tests/measure.py were scaled by what pypdfium2 saved them (CPU before/after, same tests).
COST = {
    "test_hosts.py": 110.0,
    "test_notation.py": 82.8,
    "test_diagram.py": 80.7,
    "test_readable.py": 80.6,
    "test_gru_rnn_documents.py": 67.3,
    "test_elision.py": 53.2,
    "test_reveal.py": 48.3,
    "test_expand.py": 43.5,
    "test_configs.py": 33.0,
    "test_fuzz.py": 16.9,
    "test_backward.py": 14.2,
    "test_readable_hall.py": 12.6,
    "test_new_user.py": 10.3,
    "test_render.py": 10.1,
    "test_backward_gru_rnn.py": 9.7,
    "test_tiny_gradients.py": 7.0,  # a guess: 3 documents compiled (draft), 2 rendered
    "test_api.py": 8.9,
    "test_reliability.py": 7.3,
    "test_exercise.py": 7.1,
    "test_exercise_forward_blanks.py": 6.0,  # a guess: 4 sheets rendered, 3 compiled (draft)
    "test_readable_split.py": 6.4,
    "test_article_large.py": 6.0,
    "test_passes.py": 5.5,
    "test_errors.py": 5.2,
    "test_web.py": 4.7,
    "test_browser.py": 4.4,
    "test_readable_rowvector.py": 4.3,
    "test_frameworks.py": 3.9,
    "test_deck_colours.py": 3.9,
    "test_startup.py": 3.7,
    "test_many.py": 3.1,
    "test_readable_textbook.py": 2.1,
}
PER_TEST = 0.03
#: What a test marked ``latex`` of a file not in :data:`COST` counts (the mean of those
#: files' latex tests): a new file of compiles starts early without being named here.
LATEX_TEST = 1.5


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The order of the tests, for pytest-xdist's ``--dist=worksteal``.

    worksteal gives each of its N workers one contiguous run of the collection (the first
    ``len // N`` tests to the first, and so on) and, once one runs out, moves the last half
    of the longest queue left to it. So the files are dealt into N runs of those lengths
    with about the same CPU in each (a file kept whole where it fits: its module and
    session fixtures are made once), each run costliest file first: every worker starts on
    long compiles, and what is moved at the end is the cheap tail of a run, not a long
    test that leaves the other worker idle, nor half of a file whose fixture would be made
    again. Without xdist, the costliest files first."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path.name, []).append(item)

    def cost(name: str) -> float:
        if name in COST:
            return COST[name]
        return sum(LATEX_TEST if t.get_closest_marker("latex") else PER_TEST for t in files[name])

    names = sorted(files, key=lambda name: (-cost(name), name))
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers <= 1:
        items[:] = [item for name in names for item in files[name]]
        return
    sizes, left = [], len(items)
    for k in range(workers):  # as worksteal sends them: len(pending) // nodes_remaining
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    runs: list[list[pytest.Item]] = [[] for _ in sizes]
    spent = [0.0] * workers
    for name in names:
        tests = files[name]
        while tests:
            room = [k for k in range(workers) if len(runs[k]) < sizes[k]]
            fits = [k for k in room if sizes[k] - len(runs[k]) >= len(tests)]
            k = min(fits or room, key=lambda k: spent[k])
            taken = tests[: sizes[k] - len(runs[k])]
            runs[k] += taken
            spent[k] += cost(name) * len(taken) / len(files[name])
            tests = tests[len(taken) :]
    items[:] = [item for run in runs for item in run]


def run_cli(*args: str | Path) -> Result:
    """Invoke ``lstm-tex`` in-process, as click's docs recommend."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def init_example(path: Path, *flags: str, extra: str = "") -> Path:
    """``lstm-tex init path *flags`` (which must succeed), with ``extra`` YAML appended (a
    ``backward:`` section, say): a generated example for a test."""
    result = run_cli("init", path, *flags)
    assert result.exit_code == 0, result.output
    if extra:
        path.write_text(path.read_text() + extra)
    return path


@dataclass(frozen=True)
class Compiled:
    ok: bool
    log: str
    errors: list[str]
    overfull_hbox: int
    overfull_vbox: int

    @property
    def overfull(self) -> int:
        return self.overfull_hbox + self.overfull_vbox


def compiled_deck(example: Path, out: Path, size: int, name: str = "") -> Path:
    """``lstm-tex render example --out out --no-check --text-size size`` and its standalone
    deck compiled with no error and no Overfull box (``name`` in the messages): the PDF."""
    result = run_cli("render", example, "--out", out, "--no-check", "--text-size", str(size))
    assert result.exit_code == 0, result.output
    tex = out / example.stem / f"{example.stem}-slides.tex"
    compiled = compile_tex(tex)
    assert compiled.ok, (name, compiled.errors)
    assert compiled.overfull == 0, (name, compiled.overfull_hbox, compiled.overfull_vbox)
    return tex.with_suffix(".pdf")


def have_pdflatex() -> bool:
    return shutil.which("pdflatex") is not None


def compile_tex(tex: Path, runs: int = 1, draft: bool = False, timeout: int = 180) -> Compiled:
    """Run pdflatex on ``tex`` in its folder; collect errors and Overfull box counts.
    ``draft``: no PDF is written (``-draftmode``, faster; the log is the same). The
    preamble's packages come from a format shared by the documents of this test process
    that load the same ones (tests/texformat.py); the log is the whole document's."""
    if not have_pdflatex():
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing on CI; .ci/run must install TeX Live")
        pytest.skip("pdflatex is not installed (see README: apt-get install texlive-...)")
    note = cpu_profile.compile_note(tex, f" runs={runs} draft={draft}")
    key = texformat.Results.key(tex, runs, draft) if texformat.mode() != "0" else None
    if key is None:
        before = cpu_profile.cpu_seconds()[1]
        compiled = _compile(tex, runs, draft, timeout)
        note(cpu_profile.cpu_seconds()[1] - before, False)
        return compiled
    with texformat.RESULTS.claim(key):
        reused = texformat.RESULTS.get(key, tex)
        if reused is not None:
            note(0.0, True)
            return Compiled(**reused)
        before = cpu_profile.cpu_seconds()[1]
        compiled = _compile(tex, runs, draft, timeout)
        note(cpu_profile.cpu_seconds()[1] - before, False)
        texformat.RESULTS.put(key, tex, dataclasses.asdict(compiled))
    return compiled


def _compile(tex: Path, runs: int, draft: bool, timeout: int) -> Compiled:
    texformat.STATS["compiles"] += 1
    fast = texformat.through_format(tex, timeout)
    if fast is not None and texformat.mode() == "check":
        before = texformat.snapshot(tex.parent)
        alone = _run_pdflatex(tex, runs, draft, timeout, None)
        texformat.restore(tex.parent, before)
        compiled = _run_pdflatex(tex, runs, draft, timeout, fast)
        assert texformat.messages(compiled.log) == texformat.messages(alone.log), tex
        assert (compiled.ok, compiled.overfull_hbox, compiled.overfull_vbox) == (
            alone.ok,
            alone.overfull_hbox,
            alone.overfull_vbox,
        ), tex
        return compiled
    # A preamble that a format cannot carry (pdfTeX forms made before \dump: Beamer's Warsaw
    # theme) gets none (texformat.Formats.get): a document fails through its format only
    # where it fails on its own (LSTM_TEX_TEX_FORMATS=check compares the two).
    return _run_pdflatex(tex, runs, draft, timeout, fast)


def _run_pdflatex(
    tex: Path, runs: int, draft: bool, timeout: int, fast: tuple[Path, Path, str] | None
) -> Compiled:
    fmt, rest, preamble_log = fast if fast is not None else (None, None, "")
    proc = None
    for _ in range(runs):
        proc = subprocess.run(
            texformat.command(tex, draft, fmt, rest),
            cwd=tex.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    assert proc is not None
    log = tex.with_suffix(".log")
    log_text = preamble_log + (log.read_text(errors="replace") if log.exists() else proc.stdout)
    errors = re.findall(r"^(?:.*?:\d+: |! ).*$", log_text, flags=re.M)
    return Compiled(
        # draft: no PDF to look for, but a document must still have pages
        ok=proc.returncode == 0
        and ("No pages of output" not in log_text if draft else tex.with_suffix(".pdf").exists()),
        log=log_text,
        errors=errors,
        overfull_hbox=len(re.findall(r"^Overfull \\hbox", log_text, flags=re.M)),
        overfull_vbox=len(re.findall(r"^Overfull \\vbox", log_text, flags=re.M)),
    )


def lecturer_deck(folder: Path, frames: Path, aspect: str = "") -> Path:
    """A separate, themed Beamer deck that \\input's ``frames`` (as a lecturer would),
    loading the packages that its ``% needs:`` lines list besides amsmath."""
    text = (DATA / "lecturer-deck.tex").read_text()
    needs = re.findall(r"^% needs: (\\usepackage\{\w+\})$", frames.read_text(), flags=re.M)
    extra = "".join(f"{line}\n" for line in needs if line != "\\usepackage{amsmath}")
    text = text.replace("\\usepackage{amsmath}\n", "\\usepackage{amsmath}\n" + extra, 1)
    text = (
        text.replace("ASPECT", aspect)
        .replace("FRAMES", frames.resolve().as_posix())
        .replace("HOSTCHECKS", (HOSTS / "host-checks").as_posix())
    )
    deck = folder / f"lecturer-deck{aspect.replace('=', '')}.tex"
    deck.write_text(text)
    return deck


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"
