r"""User text (the title) as LaTeX, and which characters of it LaTeX can show.

* :func:`problem` says why a text cannot be typeset (a character pdflatex cannot show with
  the fonts every TeX Live has, a control or formatting character, too long), or
  ``None``; :mod:`lstm_tex.validate.spec` refuses such a title at validation (exit 2).
* :func:`to_latex` escapes ASCII's special characters (PyLaTeX) and maps every other
  character with pylatexenc (``α`` -> ``\ensuremath{\alpha}``, ``ü`` -> ``\"u``,
  ``–`` -> ``\textendash``).
* :func:`comment` makes any text safe on a LaTeX comment line, unescaped.

A character is shown when pylatexenc maps it to macros of the allow-lists below: those
that LaTeX's T1 and TS1 text encodings (fontenc, textcomp) and amsmath provide, which the
standalone documents load. The lists were made by compiling every character pylatexenc
maps (U+00A0 to U+2BFF) in the article and the Beamer deck, and ``tests/test_text.py``
compiles every allowed character again. CJK, emoji, Cyrillic (T2A fonts), blackboard and
script letters (amssymb) and the like are refused, naming the character.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

#: The longest title accepted, in characters: about three lines of a 16:9 title slide.
MAX_TITLE = 200


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Macros pylatexenc uses in text mode that every standard TeX Live provides.
TEXT_MACROS = _words(r"""
" ' , . ; = AE DH DJ H IJ L NG O OE Omega TH ^ ` ae c circ dh dj enskip ensuremath
fbox guillemotleft guillemotright guilsinglleft guilsinglright hspace i ij k l ng
nobreakdash o oe quad quotedblbase quotesinglbase r ss textacutedbl textasciiacute
textasciibreve textasciicaron textasciicircum textasciidieresis textasciimacron
textasciitilde textasteriskcentered textbaht textbigcircle textblank textbrokenbar
textbullet textcelsius textcent textcircledP textcolonmonetary textcopyright
textcurrency textdagger textdaggerdbl textdegree textdiscount textdiv textdong
textdownarrow textellipsis textemdash textendash textestimated texteuro textexclamdown
textflorin textfractionsolidus textinterrobang textleftarrow textlira textlnot textmho
textmu textmusicalnote textnaira textnumero textonehalf textonequarter textonesuperior
textopenbullet textordfeminine textordmasculine textparagraph textperiodcentered
textpertenthousand textperthousand textpeso textquestiondown textquotedblleft
textquotedblright textquoteleft textquoteright textrecipe textreferencemark
textregistered textrightarrow textsc textsection textservicemark textsterling
textsuperscript textthreequarters textthreesuperior texttimes texttrademark
texttwosuperior textuparrow textvisiblespace textwon textyen th u v ~
""")

#: Macros inside pylatexenc's ``\ensuremath{...}`` that LaTeX and amsmath provide.
MATH_MACROS = _words(r"""
! Delta Downarrow Gamma Lambda Leftarrow Leftrightarrow Longleftarrow
Longleftrightarrow Longrightarrow Omega Phi Pi Psi Rightarrow Sigma Theta Uparrow
Updownarrow Upsilon Vert Xi acute aleph alpha amalg angle approx asymp beta bigcap
bigcirc bigcup bigtriangledown bigtriangleup bigvee bigwedge bowtie bullet cap cdot
cdots chi circ cong coprod cup dashv ddot ddots delta diamond dot doteq ell epsilon
equiv eta exists forall frown gamma geq gg hbar hookleftarrow hookrightarrow iiint
iint in infty int iota kappa kern lambda langle lceil leftharpoondown leftharpoonup
leftrightarrow leq lfloor ll lmoustache longleftarrow longleftrightarrow longmapsto
longrightarrow mapsto mathbin mathchar mid mp mu nabla nearrow neq ni not notin nu
nwarrow odot oint omega ominus oplus oslash otimes parallel partial perp phi pi pm
prec preceq prod propto psi rangle rceil rfloor rho rightharpoondown rightharpoonup
rightleftharpoons rmoustache searrow sigma sim simeq smile sqcap sqcup sqrt sqsubseteq
sqsupseteq stackrel star subset subseteq succ succeq sum supset supseteq swarrow tau
theta times top triangleleft triangleright updownarrow uplus upsilon varepsilon varphi
varpi varrho varsigma vartheta vdash vdots vee wedge wp wr xi zeta
""")

#: Whitespace control characters a title may hold (YAML block scalars end in a newline);
#: they become spaces.
_SPACES = "\t\n\r"


def _macros(latex: str) -> set[str]:
    """The macro names of ``latex`` (``\\alpha`` -> ``alpha``, ``\\"`` -> ``"``)."""
    names = set()
    k = latex.find("\\")
    while k >= 0 and k + 1 < len(latex):
        end = k + 2
        if latex[k + 1].isalpha():
            while end < len(latex) and latex[end].isalpha():
                end += 1
        names.add(latex[k + 1 : end])
        k = latex.find("\\", end)
    return names


@functools.lru_cache(maxsize=1)
def _encoder() -> Any:
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",
        unknown_char_policy=lambda ch: _UNKNOWN,
        unknown_char_warning=False,
    )


_UNKNOWN = "\\lstm@unknown"


@functools.lru_cache(maxsize=4096)
def _character(c: str) -> str | None:
    """The LaTeX of one non-ASCII character, or ``None`` when it cannot be shown."""
    if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp"):
        return None  # control, format (bidi overrides, zero widths), private, line breaks
    latex: str = _encoder().unicode_to_latex(c)
    if _UNKNOWN in latex:
        return None
    if latex.startswith("{\\ensuremath{") and latex.endswith("}}"):
        return latex if _macros(latex[13:-2]) <= MATH_MACROS else None
    return latex if _macros(latex) <= TEXT_MACROS else None


def _name(c: str) -> str:
    """``U+03B1 GREEK SMALL LETTER ALPHA``; ``U+0007 (a control character)``."""
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X} " + (name or "(a control character)")


def problem(text: str, limit: int = MAX_TITLE) -> str | None:
    """Why ``text`` cannot be typeset, as ``expected ..., found ...``; ``None`` if it can."""
    if len(text) > limit:
        return f"expected at most {limit} characters, found {len(text)}"
    normal = unicodedata.normalize("NFC", text)
    for n, c in enumerate(normal, start=1):
        if c.isascii() and (c.isprintable() or c in _SPACES):
            continue
        if c.isascii() or _character(c) is None:
            kind = (
                "a control, formatting or line-separator character"
                if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")
                else "a character pdflatex cannot typeset with the fonts of a standard TeX Live"
            )
            return (
                f"expected text LaTeX can typeset (Latin letters with accents, Greek, "
                f"punctuation, math symbols), found {_name(c)} at character {n}: {kind}"
            )
    return None


def to_latex(text: str) -> str:
    r"""``text`` for LaTeX's text mode: ASCII specials escaped (``& % $ # _ { } ~ ^ \``),
    tabs and newlines as spaces, other characters mapped with pylatexenc. A character that
    :func:`problem` refuses (validated text never has one) shows as ``[U+XXXX]``."""
    from pylatex.utils import escape_latex

    out = []
    for c in unicodedata.normalize("NFC", text):
        if c.isascii():
            out.append(" " if c in _SPACES or not c.isprintable() else str(escape_latex(c)))
        else:
            out.append(_character(c) or f"[U+{ord(c):04X}]")
    return "".join(out)


#: Characters that end a line for TeX or for an editor.
_LINE_ENDS = str.maketrans(dict.fromkeys("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", " "))


def comment(text: str) -> str:
    """``text`` on one line, for a ``%`` comment: shown as written (nothing is escaped in a
    comment); line breaks become spaces, characters that cannot be written as UTF-8 (a
    file name's undecodable bytes) become U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text.translate(_LINE_ENDS))
