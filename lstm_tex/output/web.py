r"""HTML and Markdown: the article's content as a web page and as a Markdown file.

``render.formats`` (``--html``, ``--markdown``) adds ``<stem>.html`` and ``<stem>.md`` to
the output. Both are renderings of the article's template context (the same steps, gates,
numbers and sentences, formatted once by :mod:`lstm_tex.document.numbers`) through the templates
``page.html.j2`` and ``page.md.j2``, which share the body ``page-body.j2``. The maths are
the article's own equations (the line macro of ``line.tex.j2``, ``derivation.tex.j2``);
the sentences, written in the article as LaTeX text, are turned into the medium's markup
by :class:`Markup`.

The page typesets its maths with KaTeX, shipped in ``lstm_tex/assets/katex`` (from the npm
package ``katex``, :data:`KATEX_VERSION`, MIT licence) and written next to the page, so
that it works from disk with no network: copy the folder ``<out>/<stem>/`` anywhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "katex"
#: The KaTeX release in :data:`ASSETS` (``npm pack katex@0.19.1``).
KATEX_VERSION = "0.19.1"
#: Where the page finds KaTeX, relative to ``<stem>.html``.
KATEX_FOLDER = "katex"

Medium = Literal["html", "markdown"]

# LaTeX's text mode as lstm-tex writes it (templates, captions, notes, escaped user text):
# display maths, inline maths, a command with its braced argument, and single characters.
_TOKEN = re.compile(
    r"\\\[(?P<display>.*?)\\\]"
    r"|(?<!\\)\$(?P<inline>(?:\\.|[^$\\])+)\$"
    r"|\\(?P<command>[A-Za-z]+|.)(?:\{(?P<arg>(?:[^{}]|\{[^{}]*\})*)\})?"
    r"|(?P<dashes>-{2,3})"
    r"|(?P<brace>[{}])"
    r"|(?P<tilde>~)"
    r"|(?P<blank>\n[ \t]*\n\s*)",
    re.S,
)
#: Commands that wrap their argument in a style of the medium.
_STYLED = ("texttt", "emph", "textbf")
#: Commands that print a character (``\_`` and the like take none).
_CHARS = {
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "dots": "…",
    "ldots": "…",
    ",": "\u202f",
    " ": " ",
    "^": "^",
}
#: Spacing and layout commands that have no meaning on a page (a blank line or
#: ``\par`` starts a paragraph).
_SILENT = ("noindent", "medskip", "smallskip", "bigskip", "allowbreak", "newline")
#: amsmath needs ``MaxMatrixCols`` raised for wide matrices (``\\setcounter``, or a local
#: assignment to its count register); KaTeX and MathJax have no such limit, nor ``\\csname``.
_MATRIX_COLS = re.compile(
    r"\\setcounter\{MaxMatrixCols\}\{\d+\}"
    r"|\\csname c@MaxMatrixCols\\endcsname\s*=\s*\d+\\relax\s?"
)
#: An ``array``'s column specification; KaTeX reads no ``@{...}`` in it.
_ARRAY_SPEC = re.compile(r"(\\begin\{array\}\{)((?:[^{}]|\{[^{}]*\})*)(\})")


def maths(tex: str) -> str:
    r"""The article's maths for KaTeX and MathJax: what only amsmath needs left out
    (``MaxMatrixCols``, ``@{}`` in an ``array``'s columns, the star of ``\\*``), no blank
    lines."""
    tex = _MATRIX_COLS.sub("", tex)
    tex = tex.replace("\\\\*", "\\\\")  # \\* (no page break here) is LaTeX's only
    tex = _ARRAY_SPEC.sub(lambda m: m[1] + re.sub(r"@\{[^{}]*\}", "", m[2]) + m[3], tex)
    return "\n".join(line.rstrip() for line in tex.strip().splitlines() if line.strip())


def _pieces(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, value)`` pieces of LaTeX text: ``text``, ``inline``, ``display``,
    ``paragraph`` (a break), and ``texttt``/``emph``/``textbf`` (their argument)."""
    at = 0
    for m in _TOKEN.finditer(text):
        if m.start() > at:
            yield "text", text[at : m.start()]
        at = m.end()
        if m.group("display") is not None:
            yield "display", m.group("display")
        elif m.group("inline") is not None:
            yield "inline", m.group("inline")
        elif m.group("dashes"):
            yield "text", "–" if m.group("dashes") == "--" else "—"
        elif m.group("tilde"):
            yield "text", "\u00a0"
        elif m.group("brace"):
            continue
        elif m.group("blank"):
            yield "paragraph", ""
        else:
            yield from _command(m.group("command"), m.group("arg"))
    if at < len(text):
        yield "text", text[at:]


def _command(name: str, arg: str | None) -> Iterator[tuple[str, str]]:
    if name in _STYLED and arg is not None:
        yield name, arg
    elif name == "par":
        yield "paragraph", ""
    elif name in _SILENT:
        pass
    elif name in _CHARS:
        yield "text", _CHARS[name]
    elif len(name) == 1 and not name.isalpha():  # \_ \& \% \$ \# \{ \}
        yield "text", name
    else:  # unknown to this converter: kept as written, so that a test sees it
        yield "text", "\\" + name + ("{" + arg + "}" if arg is not None else "")
        return
    if arg is not None and name not in _STYLED:
        yield from _pieces(arg)


class Markup:
    """One medium's markup for ``page-body.j2``: headings, paragraphs of the article's LaTeX
    text, and display maths (the rows of an ``aligned`` block)."""

    def __init__(self, medium: Medium) -> None:
        self.medium = medium
        #: Maths written so far (inline and display): the browser test counts them.
        self.count = 0

    def heading(self, level: int, text: str, anchor: str = "") -> str:
        """A heading of ``level`` (1 for the title) from LaTeX text."""
        inner = self.inline_text(text)
        if self.medium == "markdown":
            return "#" * level + " " + inner + "\n"
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        return f"<h{level}{ident}>{inner}</h{level}>\n"

    def plain(self, text: str) -> str:
        """User text as given (a title): escaped for the medium, nothing interpreted."""
        if self.medium == "markdown":
            return _markdown_escape(text)
        return html.escape(text, quote=False)

    def prose(self, text: str) -> str:
        """LaTeX text (sentences with inline and display maths) as paragraphs."""
        blocks: list[str] = []
        line: list[str] = []

        def flush() -> None:
            paragraph = "".join(line).strip()
            line.clear()
            if paragraph:
                blocks.append(paragraph if self.medium == "markdown" else f"<p>{paragraph}</p>")

        for kind, value in _pieces(text):
            if kind == "display":
                flush()
                blocks.append(self.display(value, aligned=False).strip())
            elif kind == "paragraph":
                flush()
            else:
                line.append(self._inline_piece(kind, value))
        flush()
        return "\n\n".join(blocks) + "\n" if blocks else ""

    def inline_text(self, text: str) -> str:
        """LaTeX text of one line (a heading) in the medium's inline markup."""
        return "".join(
            self._inline_piece(kind, value)
            for kind, value in _pieces(text)
            if kind not in ("paragraph", "display")
        ).strip()

    def _inline_piece(self, kind: str, value: str) -> str:
        if kind == "inline":
            self.count += 1
            tex = maths(value)
            if self.medium == "markdown":
                return f"${tex}$"
            return f'<span class="math inline">{html.escape(tex, quote=False)}</span>'
        if kind in _STYLED:
            inner = "".join(self._inline_piece(k, v) for k, v in _pieces(value))
            if self.medium == "markdown":
                plain = "".join(v for k, v in _pieces(value) if k == "text")
                return {"texttt": f"`{plain}`", "emph": f"*{inner}*", "textbf": f"**{inner}**"}[
                    kind
                ]
            return {
                "texttt": f"<code>{inner}</code>",
                "emph": f"<em>{inner}</em>",
                "textbf": f"<strong>{inner}</strong>",
            }[kind]
        text = _SPACES.sub(" ", value)
        return self.plain(text)

    def display(self, rows: str, aligned: bool = True) -> str:
        """Display maths: ``rows`` of an ``aligned`` block (the article's ``align*``), or
        with ``aligned=False`` a formula on its own."""
        tex = maths(rows)
        if not tex:
            return ""
        self.count += 1
        if aligned:
            tex = "\\begin{aligned}\n" + tex + "\n\\end{aligned}"
        if self.medium == "markdown":
            return f"$$\n{tex}\n$$\n"
        return f'<div class="math display">{html.escape(tex, quote=False)}</div>\n'


_SPACES = re.compile(r"[ \t\n]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#$|])")


def _markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def assets() -> dict[str, bytes]:
    """KaTeX's script, stylesheet, fonts (woff2) and licence, by path relative to the page."""
    files = {
        f"{KATEX_FOLDER}/{name}": (ASSETS / name).read_bytes()
        for name in ("katex.min.js", "katex.min.css", "LICENSE")
    }
    for font in sorted((ASSETS / "fonts").glob("*.woff2")):
        files[f"{KATEX_FOLDER}/fonts/{font.name}"] = font.read_bytes()
    return files


def pages(
    render: Callable[[str, dict[str, Any]], str],
    paper: dict[str, Any],
    slides: Callable[[], dict[str, Any]],
    formats: tuple[str, ...],
    stem: str,
) -> dict[str, str | bytes]:
    """``<stem>.html`` (with KaTeX next to it), ``<stem>.md`` and ``<stem>-slides.qmd``, as
    ``formats`` asks, from the article's context ``paper`` and the deck's (``slides()``);
    ``render(template, context)`` renders a template."""
    files: dict[str, str | bytes] = {}
    extra = {"katex": KATEX_FOLDER, "katex_version": KATEX_VERSION}
    if "html" in formats:
        files[stem + ".html"] = render("page.html.j2", {**paper, **extra, "m": Markup("html")})
        files.update(assets())
    if "markdown" in formats:
        files[stem + ".md"] = render("page.md.j2", {**paper, **extra, "m": Markup("markdown")})
        files[stem + "-slides.qmd"] = render(
            "slides.qmd.j2", {**slides(), **extra, "m": Markup("markdown")}
        )
    return files
