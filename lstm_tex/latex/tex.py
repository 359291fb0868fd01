"""LaTeX plumbing: escaping user text, the Jinja environment, PyLaTeX documents, compiling.

* :func:`escape` is the only escape used on user text (titles, file names); math
  is never passed through it. :func:`lstm_tex.latex.text.comment` puts text on a
  comment line as written.
* :func:`template_dirs` is the one place templates are found: ``--templates DIR``
  first (file by file), then the packaged ``templates/``.
* :func:`article` and :func:`deck` assemble the standalone documents with PyLaTeX
  around bodies rendered by Jinja; :func:`compile_pdf` compiles them with pdflatex
  (as many passes as the auxiliary files need) and turns a failure into ``file:line:
  message`` lines.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import jinja2.sandbox
from jinja2.exceptions import SecurityError
from pylatex import Command, Document, NoEscape, Package

from lstm_tex.errors import InputError, LatexFailed, printable
from lstm_tex.latex.text import to_latex

PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: Packages that ``frames.tex`` and ``parts/*.tex`` need (beamer loads xcolor and graphicx).
NEEDS = ("amsmath",)
#: Packages that ``parts/*.tex`` need (graphicx: a part wider than the line is scaled to it).
PART_NEEDS = ("amsmath", "graphicx")


def escape(text: str) -> str:
    r"""User text for LaTeX text mode: ``& % $ # _ { } ~ ^ \`` escaped, newlines as spaces,
    other characters mapped to LaTeX (``α`` -> ``\ensuremath{\alpha}``; see
    :func:`lstm_tex.latex.text.to_latex`)."""
    return to_latex(text)


def template_dirs(override: Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins: ``override``, then the packaged ones.

    Installed, the templates live in ``lstm_tex/templates``; in a checkout (or an
    editable install) they are the top-level ``templates/`` next to ``lstm_tex/``.
    """
    dirs = []
    if override is not None:
        dirs.append(override)
    for candidate in (PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"):
        if (candidate / "frames.tex.j2").is_file():
            dirs.append(candidate)
            break
    else:  # pragma: no cover - a broken installation
        raise InputError("the packaged templates are missing; reinstall lstm-tex")
    return dirs


#: How the templates are read; part of the key of the compiled templates kept on disk.
JINJA_OPTIONS: dict[str, Any] = {
    "block_start_string": "\\BLOCK{",
    "block_end_string": "}",
    "variable_start_string": "\\VAR{",
    "variable_end_string": "}",
    "comment_start_string": "\\#{",
    "comment_end_string": "}",
    # No line statements or line comments: any prefix for them ("%%", "%#") is also
    # ordinary LaTeX, and a lecturer's template would be misread.
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": False,
    "undefined": jinja2.StrictUndefined,
    "keep_trailing_newline": True,
}


def environment(override: Path | None = None) -> jinja2.Environment:
    r"""Jinja with LaTeX-safe delimiters: ``\VAR{...}``, ``\BLOCK{...}``, ``\#{...}``.

    Compiling the templates costs more than rendering them, so it happens once: the
    environment is kept for the process (``render --watch`` and the Python API reuse it;
    Jinja reloads a template whose file changed), and the compiled templates are kept
    between runs by Jinja's bytecode cache (see :class:`_CompiledTemplates`).
    """
    if override is not None and not override.is_dir():
        raise InputError("not a folder of templates", field="--templates", file=str(override))
    return _environment(tuple(str(d) for d in template_dirs(override)), os.getcwd())


@functools.lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...], cwd: str) -> jinja2.Environment:
    """One environment per template search path (``cwd``: relative folders differ by it).

    Templates run in Jinja's sandbox: they can format what they are given, but cannot
    reach Python internals (``cycler.__init__.__globals__`` and the like raise a
    SecurityError), so a shared template folder cannot run code.
    """
    return _Sandbox(
        loader=jinja2.FileSystemLoader(list(dirs)),
        bytecode_cache=_CompiledTemplates.create(),
        **JINJA_OPTIONS,
    )


#: Largest result of ``*`` (repeating text or a list) and ``**`` in a template: a
#: template formats a derivation, it has no use for gigabytes or huge powers.
MAX_TEMPLATE_SIZE = 100_000


#: Most steps that all the ``{% for %}`` loops of one render may take together: the
#: packaged templates take a few hundred (about 400 for a two-layer, bidirectional,
#: hidden-8 batch); nested loops over ``range(100000)`` (10^10 steps, hours) stop after
#: about a second.
MAX_LOOP_STEPS = 2_000_000

_LOOP_STEPS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "lstm_tex_loop_steps", default=None
)


def _counted(iterable: Any) -> Any:
    """What a template's ``{% for %}`` loops over (:meth:`_Sandbox._parse` puts every loop's
    iterable through it): the same items, each counted against :data:`MAX_LOOP_STEPS`
    for the render under way (:func:`render_template`)."""
    steps = _LOOP_STEPS.get()
    if steps is None:  # not inside render_template (Step.latex()'s macros): not counted
        return iterable

    def items() -> Iterator[Any]:
        for item in iterable:
            steps[0] += 1
            if steps[0] > MAX_LOOP_STEPS:
                raise SecurityError(
                    f"the loops of this render took more than {MAX_LOOP_STEPS:,} steps, too "
                    "many for a template (nested loops over large ranges?)"
                )
            yield item

    return items()


class _Sandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox (no Python internals), and no ``'x' * 10**9`` or ``10**10**10``:
    those would hold a render for minutes or fill the memory; nor loops of more than
    :data:`MAX_LOOP_STEPS` steps in all (nested ``range(100000)`` loops would take hours)."""

    intercepted_binops = frozenset(["*", "**"])

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(jinja2.nodes.For):
            loop.iter = jinja2.nodes.Call(
                jinja2.nodes.ImportedName(f"{__name__}._counted"),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.iter.lineno,
            )
        return tree

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if (
            operator == "**"
            and isinstance(left, (int, float))
            and isinstance(right, int)
            and abs(right) > 64
            and abs(left) > 1
        ):
            raise SecurityError(f"the power {left!r} ** {right} is too large for a template")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and len(seq) * count > MAX_TEMPLATE_SIZE
                ):
                    raise SecurityError(
                        f"repeating a {type(seq).__name__} {count} times makes more than "
                        f"{MAX_TEMPLATE_SIZE:,} items, too many for a template"
                    )
        return super().call_binop(context, operator, left, right)


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, in the user's own folder under the temp folder.

    An entry is used only for the same template file with the same text (Jinja checks
    a checksum), the same Jinja and Python, and the same :data:`JINJA_OPTIONS`. A cache
    that cannot be created, read or written is left out: templates are compiled instead.
    """

    @classmethod
    def create(cls) -> _CompiledTemplates | None:
        key = hashlib.sha1(
            # the options, and the version of what _Sandbox._parse adds to compiled code
            # (which names this module: a cache from before a move would import from it)
            repr(
                [
                    *sorted((k, repr(v)) for k, v in JINJA_OPTIONS.items()),
                    f"counted loops: {__name__}._counted",
                ]
            ).encode(),
            usedforsecurity=False,
        ).hexdigest()[:12]
        try:
            return cls(pattern=f"lstm-tex-{jinja2.__version__}-{key}-%s.cache")
        except (OSError, RuntimeError):  # no safe folder (Jinja checks owner and mode)
            return None

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # A folder name that is not UTF-8 (lone surrogates) keys by its printable form.
        return super().get_cache_key(
            printable(name), None if filename is None else printable(filename)
        )

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render ``name``; any template mistake, found when it is read or while it runs
    (``1/0``, ``title + 1``, endless recursion, a forbidden attribute, bytes that are not
    UTF-8, loops of more than :data:`MAX_LOOP_STEPS` steps) becomes ``template:line:
    template error: message`` (exit 2)."""
    token = _LOOP_STEPS.set([0])
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            f"template error: {exc.message}", file=exc.filename or exc.name, line=exc.lineno
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InputError(f"template {exc.name!r} not found") from None
    except UnicodeDecodeError as exc:
        raise _not_utf8(env, name, exc) from None
    except RecursionError as exc:
        file, line = _template_position(exc)
        raise InputError(
            "template error: recursion too deep (a macro that calls itself without end?)",
            file=file or name,
            line=line,
        ) from None
    except Exception as exc:  # what template code raises while it runs
        file, line = _template_position(exc)
        raise InputError(
            f"template error: {_runtime_message(exc)}", file=file or name, line=line
        ) from None
    finally:
        _LOOP_STEPS.reset(token)


def _runtime_message(exc: Exception) -> str:
    if isinstance(exc, jinja2.TemplateError) and exc.message:
        return exc.message
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _not_utf8(env: jinja2.Environment, name: str, exc: UnicodeDecodeError) -> InputError:
    """Which template file is not UTF-8 (the one asked for, or one it includes)."""
    folders = getattr(env.loader, "searchpath", [])
    for folder in map(Path, folders):
        for path in sorted(folder.rglob("*.j2")):
            raw = path.read_bytes()
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                line = raw.count(b"\n", 0, bad.start) + 1
                return InputError(
                    f"template error: expected UTF-8 text, found the byte "
                    f"0x{raw[bad.start]:02x} (save the template as UTF-8)",
                    file=str(path),
                    line=line,
                )
    return InputError(f"template error: expected UTF-8 text ({exc.reason})", file=name)


def _template_position(exc: BaseException) -> tuple[str | None, int | None]:
    tb = exc.__traceback__
    file, line = None, None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line


def needs_comment(packages: Sequence[str] = NEEDS) -> str:
    return "\n".join(f"% needs: \\usepackage{{{p}}}" for p in packages)


def _document(
    documentclass: str, options: list[str], packages: Sequence[str], **extra: Any
) -> Document:
    """A pylatex document of ``documentclass`` with the common preamble and ``packages``."""
    doc = Document(
        documentclass=documentclass,
        document_options=options,
        page_numbers=False,
        lmodern=True,
        textcomp=False,
        **extra,
    )
    _common_preamble(doc)
    for name in packages:
        doc.packages.append(Package(name))
    return doc


def article(
    title: str, body: str, *, packages: Sequence[str] = (), margin: str = "2cm"
) -> Document:
    """A standalone article around ``body`` (already LaTeX); ``title`` is escaped text;
    ``packages`` are loaded besides the usual ones; ``margin`` on every side."""
    doc = _document("article", ["11pt", "a4paper"], packages, geometry_options={"margin": margin})
    doc.preamble.append(Command("title", NoEscape(title)))
    doc.preamble.append(Command("date", ""))
    # page_numbers=True would need lastpage.sty, which Debian's TeX lacks: number the
    # pages with the standard plain style instead (pylatex set empty above).
    doc.change_document_style("plain")
    doc.append(NoEscape(r"\maketitle"))
    doc.append(NoEscape(body))
    return doc


def deck(title: str, frames: str, *, subtitle: str = "", packages: Sequence[str] = ()) -> Document:
    """A standalone 16:9 Beamer deck of ``frames`` (already LaTeX); ``packages`` are loaded
    besides the usual ones."""
    doc = _document("beamer", ["aspectratio=169", "11pt"], packages)
    doc.preamble.append(NoEscape(r"\usetheme{default}"))
    doc.preamble.append(NoEscape(r"\setbeamertemplate{navigation symbols}{}"))
    doc.preamble.append(NoEscape(r"\setbeamertemplate{footline}[frame number]"))
    doc.preamble.append(NoEscape(r"\setbeamercolor{frametitle}{fg=blue!50!black}"))
    # frames.tex marks a \section per derived step (and the results, the backward pass)
    # only where \lstmsection is defined: here; a lecturer's own deck may define it too.
    doc.preamble.append(NoEscape(r"\newcommand{\lstmsection}[1]{\section{#1}}"))
    doc.preamble.append(Command("title", NoEscape(title)))
    if subtitle:
        doc.preamble.append(Command("subtitle", NoEscape(subtitle)))
    doc.preamble.append(Command("date", ""))
    doc.append(NoEscape(r"\begin{frame}" + "\n" + r"\titlepage" + "\n" + r"\end{frame}"))
    doc.append(NoEscape(frames))
    return doc


def _common_preamble(doc: Document) -> None:
    for name in NEEDS:
        doc.packages.append(Package(name))
    doc.packages.append(Package("booktabs"))
    # No MaxMatrixCols here: numbers.bmatrix raises it in front of each matrix wider than
    # amsmath's 10 columns. A preamble counter of max(input, hidden, T) made amsmath build
    # every bmatrix with that many columns: pdflatex 30 times slower at T = 200.


_TEX_LINE_VAR = "max_print_line"  # TeX wraps its log at this many characters
_ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+\.tex):(?P<line>\d+): (?P<msg>.+)$", re.M)


#: What pdflatex writes for the next pass to read; an empty file reads as no file.
AUX_SUFFIXES = (".aux", ".nav", ".out", ".snm", ".toc", ".vrb")
#: Log lines that ask for another pass: LaTeX's labels and references (``\\ref``, page
#: counts), rerunfilecheck's outlines (only when the ``.out`` file says anything).
_RERUN = re.compile(
    r"Label\(s\) may have changed|There were undefined references|"
    r"Rerun to get cross-references|Please rerun|Rerun LaTeX"
)
#: At most this many pdflatex passes for one document.
MAX_PASSES = 4


def _aux_files(folder: Path, stem: str) -> dict[str, bytes]:
    """The auxiliary files of ``stem`` in ``folder`` that say anything (by suffix)."""
    found = {}
    for suffix in AUX_SUFFIXES:
        with contextlib.suppress(OSError):
            data = (folder / (stem + suffix)).read_bytes()
            if data.strip():
                found[suffix] = data
    return found


def compile_pdf(doc: Document, tex_path: Path, aux: dict[str, bytes] | None = None) -> Path:
    """Compile ``doc`` (written to ``tex_path`` unless it is there already) to ``.pdf``
    next to it with pdflatex, run inside that folder on the bare file name, so that no
    character of the folders above reaches TeX. Raise :class:`LatexFailed` with
    ``file:line: message`` lines, or :class:`InputError` when the disk is full or no
    compiler is installed.

    One pass, and another only while the log asks for one (labels, references) or a pass
    changed an auxiliary file that it read: one that was there before it (an empty file
    counts as none), the ``.out`` outlines, or the ``.toc`` of a ``\\tableofcontents``.
    The second pass of a fresh article or deck changes nothing and is skipped (issue 17).
    ``aux``, when given, holds the auxiliary files of an earlier compilation of the same
    document (put in place first) and receives the new ones: a watch session keeps them
    from one render to the next."""
    folder, stem = tex_path.parent, tex_path.stem
    if not tex_path.exists():
        tex_path.write_text(doc.dumps() + "\n", encoding="utf-8")
    source = tex_path.read_text(encoding="utf-8", errors="replace")
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise InputError(
            "no LaTeX compiler found (pdflatex); install TeX Live (see README) or leave out --pdf",
            field="--pdf",
        )
    command = [
        pdflatex,
        "-file-line-error",
        "-halt-on-error",
        "-interaction=nonstopmode",
        tex_path.name,
    ]
    # Unwrapped log lines, so that "file:line: message" stays on one line.
    env = {**os.environ, _TEX_LINE_VAR: "10000"}
    # The auxiliary files are what the compiler adds: <stem>.html and <stem>.md stay.
    existing = set(folder.glob(stem + ".*"))
    log = folder / f"{stem}.log"
    try:
        for suffix, data in (aux or {}).items():
            (folder / (stem + suffix)).write_bytes(data)
        before = _aux_files(folder, stem)
        for n in range(MAX_PASSES):
            done = subprocess.run(
                command,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
            if done.returncode != 0:
                if disk_full(folder, log, done.stdout):
                    raise InputError(
                        "cannot write the output: no space left on device "
                        f"(while compiling {tex_path.name})",
                        field="--out",
                        file=printable(folder.parent),
                    )
                raise LatexFailed(latex_errors(log, done.stdout))
            after = _aux_files(folder, stem)
            asked = ""
            with contextlib.suppress(OSError):
                asked = log.read_text(errors="replace")
            read = set(before) | {".out"}
            if "\\tableofcontents" in source:
                read.add(".toc")
            changed = [k for k in read if before.get(k) != after.get(k)]
            before = after
            if not changed and (n > 0 or not _RERUN.search(asked)):
                break  # a pass more would read the same files, or cannot help
        if aux is not None:
            aux.clear()
            aux.update(before)
    finally:
        for leftover in set(folder.glob(stem + ".*")) - existing:
            if leftover.suffix != ".pdf":
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return tex_path.with_suffix(".pdf")


#: Free space below which a failed compilation is blamed on a full disk.
DISK_RESERVE = 1 << 20


def disk_full(folder: Path, log: Path, output: str = "") -> bool:
    """Whether a failed compilation in ``folder`` ran out of disk space: the log or the
    output says so, or the file system has (almost) nothing left."""
    text = output
    with contextlib.suppress(OSError):
        text += log.read_text(errors="replace")
    if "No space left on device" in text or "I can't write on file" in text:
        return True
    try:
        return shutil.disk_usage(folder).free < DISK_RESERVE
    except OSError:
        return False


def latex_errors(log_path: Path, output: str = "") -> list[str]:
    """The ``file:line: message`` lines of a LaTeX log (first ones first)."""
    text = ""
    with contextlib.suppress(OSError):
        text = log_path.read_text(errors="replace")
    found = []
    for m in _ERROR_LINE.finditer(text or output):
        file = Path(m.group("file")).name
        message = m.group("msg").strip()
        if not message.startswith("==>"):
            found.append(f"{file}:{m.group('line')}: {message}")
    if not found:
        bang = [ln[2:].strip() for ln in (text or output).splitlines() if ln.startswith("! ")]
        found = [f"{log_path.with_suffix('.tex').name}: {b}" for b in bang] or [
            f"{log_path.with_suffix('.tex').name}: LaTeX failed (see {log_path.name})"
        ]
    return found[:10]


#: Resolution of the PNG pages that ``--png`` writes.
PNG_DPI = 150


def pdftoppm() -> str:
    """The ``pdftoppm`` program (poppler) that ``--png`` needs; InputError when missing."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise InputError(
            "pdftoppm is not installed; install poppler-utils (Debian, Ubuntu) "
            "or poppler (Homebrew), or leave out --png",
            field="--png",
        )
    return exe


def pdf_to_png(pdf: Path, dpi: int = PNG_DPI) -> list[Path]:
    """Every page of ``pdf`` as ``<stem>-<page>.png`` next to it (pdftoppm numbers pages
    from 1, zero-padded to the width of the page count)."""
    done = subprocess.run(
        [pdftoppm(), "-png", "-r", str(dpi), pdf.name, pdf.stem],
        cwd=pdf.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise LatexFailed([f"{pdf.name}: pdftoppm failed: {reason}"])
    page = re.compile(re.escape(pdf.stem) + r"-\d+\.png")
    return sorted(p for p in pdf.parent.iterdir() if page.fullmatch(p.name))
