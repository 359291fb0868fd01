"""Start-up (issue 17): what a plain ``render --no-check`` imports.

Speed itself is measured in benchmarks/run.py, never here. These tests keep the import set
small, so that a module import added at the top of a file on the render's path cannot
silently undo the start-up work: each module below is imported where it is used, and a
plain render of the notebook example (LaTeX only, inline weights, no check) uses none.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

NOTEBOOK = EXAMPLES / "notebook-step.yaml"

#: Imported only when a render needs them, with why.
LAZY = {
    "torch": "the cross-check (and .pt checkpoints)",
    "pydantic": "the messages for a file msgspec rejects",
    "ruamel": "the round-trip reader (tags, aliases, line numbers for messages)",
    "threadpoolctl": "the engine's large products",
    "rich": "the batch summary of several files",
    "pylatexenc": "non-ASCII characters in user text",
    "lstm_tex.api": "the Python API's names (PEP 562)",
    "lstm_tex.check.forward": "the cross-check",
    "lstm_tex.check.report": "the cross-check",
    "lstm_tex.check.backward": "the backward cross-check",
    "lstm_tex.compute.backward": "an example with backward:",
    "lstm_tex.document.backward_context": "an example with backward:",
    "lstm_tex.output.backward_values": "an example with backward:",
    "lstm_tex.output.web": "render.formats html or markdown",
    "lstm_tex.commands.init": "lstm-tex init",
    "lstm_tex.commands.importer": "lstm-tex import",
    "lstm_tex.commands.watch": "render --watch",
    "lstm_tex.read.checkpoint": "weights: model.pt",
    "lstm_tex.read.found": "weights: model.pt",
    "lstm_tex.read.frameworks": "Keras and ONNX files",
    "lstm_tex.validate.schema": "the messages for a file msgspec rejects",
    "lstm_tex.latex.pdf": "--pdf and --png",
}


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after ``lstm-tex ARGS`` (run in-process)."""
    code = (
        "import json, sys\n"
        "from lstm_tex.cli import main\n"
        f"try:\n    main({args!r})\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", sorted(LAZY))
def test_each_lazy_module_exists(name: str) -> None:
    """A renamed module must be renamed here too, or the test below would pass for nothing
    (torch and the other optional packages are installed for the tests)."""
    assert importlib.util.find_spec(name) is not None, name


def test_a_plain_no_check_render_imports_none_of_the_lazy_modules(tmp_path: Path) -> None:
    modules = _modules_after(["render", str(NOTEBOOK), "--out", str(tmp_path), "--no-check"])
    assert (tmp_path / NOTEBOOK.stem / "values.json").is_file()
    assert "lstm_tex.pipeline" in modules and "lstm_tex.document.context" in modules
    imported = {
        name: why
        for name, why in LAZY.items()
        if name in modules or any(m.startswith(name + ".") for m in modules)
    }
    assert not imported, f"imported, though only needed for: {imported}"


def test_the_help_imports_neither_these_nor_pylatex() -> None:
    """A command that writes no document (here ``--help``) does not import PyLaTeX either:
    escaping text needs none; the article and the deck import it."""
    modules = _modules_after(["--help"])
    assert "lstm_tex.pipeline" in modules
    lazy = {**LAZY, "pylatex": "the article and the deck"}
    assert not {name for name in lazy if name in modules}


def test_the_modules_load_where_they_are_used(tmp_path: Path) -> None:
    """The other side: an HTML page imports the web module, the check its modules."""
    modules = _modules_after(["render", str(NOTEBOOK), "--out", str(tmp_path), "--html"])
    for name in (
        "lstm_tex.output.web",
        "lstm_tex.check.forward",
        "lstm_tex.check.report",
        "pylatex",
    ):
        assert name in modules, name


def _freeze_count(call: str) -> int:
    """``gc.get_freeze_count()`` after ``call`` ran a plain render in a fresh interpreter."""
    code = (
        "import gc, sys\n"
        "from lstm_tex.cli import main\n"
        f"try:\n    {call}\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print(gc.get_freeze_count())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout.splitlines()[-1])


def test_the_program_freezes_what_its_imports_made_and_a_caller_is_left_alone(
    tmp_path: Path,
) -> None:
    """Run as a program (arguments from sys.argv: the console script, ``python -m``), the
    command line moves the objects its imports made out of the cyclic collector's way
    (``gc.freeze``), which spares the collector's passes over them at exit; called with
    arguments (tests, a user's script), it leaves the caller's collector as it was."""
    args = ["render", str(NOTEBOOK), "--out", str(tmp_path), "--no-check"]
    assert _freeze_count(f"sys.argv = {['lstm-tex', *args]!r}; main()") > 10_000
    assert _freeze_count(f"main({args!r})") == 0
