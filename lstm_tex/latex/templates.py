"""The templates: found in one place, read by one Jinja environment, rendered safely.

* :func:`template_dirs` is the one place templates are found: ``--templates DIR``
  first (file by file), then the packaged ``templates/``.
* :func:`environment` is Jinja with LaTeX-safe delimiters, in a sandbox that also stops
  huge repetitions, powers and loops; compiled templates are kept between runs.
* :func:`render_template` turns any template mistake into ``template:line: template
  error: message`` (exit 2).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import jinja2.sandbox
from jinja2.exceptions import SecurityError

from lstm_tex.errors import InputError, printable

PACKAGE_DIR = Path(__file__).resolve().parents[1]


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
