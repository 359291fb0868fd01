"""LaTeX text and documents: escaping user text, the packages the fragments need, and
the standalone documents PyLaTeX assembles around bodies rendered from the templates.

* :func:`escape` is the only escape used on user text (titles, file names); math
  is never passed through it. :func:`lstm_tex.latex.text.comment` puts text on a
  comment line as written.
* :func:`article` and :func:`deck` assemble the standalone documents with PyLaTeX
  around bodies rendered by Jinja (:mod:`lstm_tex.latex.templates`);
  :mod:`lstm_tex.latex.pdf` compiles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lstm_tex.latex.decks import ASPECT_OPTIONS, DEFAULT, Deck
from lstm_tex.latex.text import to_latex

if TYPE_CHECKING:  # PyLaTeX is imported where a document is made (issue 17: escape needs none)
    from pylatex import Document

#: Packages that ``frames.tex`` and ``parts/*.tex`` need (beamer loads xcolor and graphicx).
NEEDS = ("amsmath",)
#: Packages that ``parts/*.tex`` need (graphicx: a part wider than the line is scaled to it).
PART_NEEDS = ("amsmath", "graphicx")


def escape(text: str) -> str:
    r"""User text for LaTeX text mode: ``& % $ # _ { } ~ ^ \`` escaped, newlines as spaces,
    other characters mapped to LaTeX (``α`` -> ``\ensuremath{\alpha}``; see
    :func:`lstm_tex.latex.text.to_latex`)."""
    return to_latex(text)


def needs_comment(packages: Sequence[str] = NEEDS) -> str:
    return "\n".join(f"% needs: \\usepackage{{{p}}}" for p in packages)


def _document(
    documentclass: str, options: list[str], packages: Sequence[str], **extra: Any
) -> Document:
    """A pylatex document of ``documentclass`` with the common preamble and ``packages``."""
    from pylatex import Document, Package

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
    from pylatex import Command, NoEscape

    doc = _document("article", ["11pt", "a4paper"], packages, geometry_options={"margin": margin})
    doc.preamble.append(Command("title", NoEscape(title)))
    doc.preamble.append(Command("date", ""))
    # page_numbers=True would need lastpage.sty, which Debian's TeX lacks: number the
    # pages with the standard plain style instead (pylatex set empty above).
    doc.change_document_style("plain")
    doc.append(NoEscape(r"\maketitle"))
    doc.append(NoEscape(body))
    return doc


#: The deck's Beamer colours, each worked out once (issue 17). Beamer's
#: ``\usebeamercolor`` works a colour out again at every use, about ten xcolor
#: ``\colorlet`` for each of some 25 uses per frame (frame title, footline, background): a
#: third of a deck's compile time. Its result depends only on the colour's name, the
#: colours set so far (``\setbeamercolor`` starts afresh) and the current fg and bg, so it
#: is kept under those and set again as xcolor's ``\colorlet`` of a named colour does
#: (``\let`` of the colour's definition). Every page of the bundled decks, revealed and
#: exercise decks included, is the same as a PNG (BENCHMARKS.md).
COLOUR_CACHE = r"""\makeatletter
\newcount\lstm@colours
\let\lstm@setbeamercolor\setbeamercolor
\def\setbeamercolor{\global\advance\lstm@colours\@ne\lstm@setbeamercolor}
\expandafter\let\expandafter\lstm@usebeamercolor\csname\string\beamer@usebeamercolor\endcsname
\def\lstm@let#1#2{\expandafter\let\csname#1\expandafter\endcsname\csname#2\endcsname}
\renewcommand\beamer@usebeamercolor[2][]{%
  \edef\lstm@key{\the\lstm@colours|#2|%
    \expandafter\meaning\csname\@backslashchar color@fg\endcsname|%
    \expandafter\meaning\csname\@backslashchar color@bg\endcsname}%
  \expandafter\lstm@usecolour\expandafter{\lstm@key}{#2}%
  \def\beamer@temp{#1}\ifx\beamer@temp\@empty\else\color{#1}\fi}
\def\lstm@usecolour#1#2{%
  \expandafter\ifx\csname lstm@fg@#1\endcsname\relax
    \lstm@usebeamercolor[]{#2}%
    \global\lstm@let{lstm@fg@#1}{\@backslashchar color@temp@fg}%
    \global\lstm@let{lstm@bg@#1}{\@backslashchar color@temp@bg}%
  \else
    \lstm@let{\@backslashchar color@temp@fg}{lstm@fg@#1}%
    \lstm@let{\@backslashchar color@temp@bg}{lstm@bg@#1}%
    \lstm@let{\@backslashchar color@parent.fg}{\@backslashchar color@fg}%
    \lstm@let{\@backslashchar color@parent.bg}{\@backslashchar color@bg}%
    \lstm@let{\@backslashchar color@fg}{lstm@fg@#1}%
    \lstm@let{\@backslashchar color@bg}{lstm@bg@#1}%
    \global\lstm@let{\@backslashchar color@#2.fg}{lstm@fg@#1}%
    \global\lstm@let{\@backslashchar color@#2.bg}{lstm@bg@#1}%
  \fi}
\makeatother"""


#: The deck's footline: the frame number at the right, as Beamer's ``[frame number]``, at
#: :data:`FRAME_NUMBER_SIZE` (Beamer's footline font is 6 pt: too small to read from the
#: back of a hall; issue 12). Its height is smashed to that of a digit of the footline font,
#: so that the footline, and the frame's text above it, keep their heights (\footnotesize
#: left as it is took 2 pt of every frame): the number stands out 2.7 pt higher, in the
#: right margin, 1 em from the edge, where no text of a frame goes.
FRAME_NUMBER_SIZE = r"\small"
FOOTLINE = (
    r"\setbeamertemplate{footline}{\hfill\usebeamercolor[fg]{page number in head/foot}"
    r"\usebeamerfont{page number in head/foot}\vphantom{0}"
    r"\smash{" + FRAME_NUMBER_SIZE + r"\insertframenumber}\kern1em\vskip2pt}"
)


def deck(
    title: str,
    frames: str,
    *,
    subtitle: str = "",
    packages: Sequence[str] = (),
    theme: Deck = DEFAULT,
) -> Document:
    """A standalone Beamer deck of ``frames`` (already LaTeX) in ``theme``'s theme and
    aspect ratio (``render.deck``: the lecturer's own, so that they preview the frames as
    their deck sets them; the default theme at 16:9 by default); ``packages`` are loaded
    besides the usual ones."""
    from pylatex import Command, NoEscape

    doc = _document("beamer", [*ASPECT_OPTIONS[theme.aspect], f"{theme.font_size}pt"], packages)
    doc.preamble.append(NoEscape(f"\\usetheme{{{theme.theme}}}"))
    doc.preamble.append(NoEscape(r"\setbeamertemplate{navigation symbols}{}"))
    if theme.theme == DEFAULT.theme:
        # Frame numbers in the footline, so that students can say "slide 23" (issue 12).
        # Beamer keeps the footline's 12 pt below \textheight with or without it: frames
        # hold as much. Its [frame number] footline less the total ("23 / 40"), which needs
        # a second pdflatex run ("23 / 1" after one). Another theme keeps its own footline
        # and colours, as the lecturer's deck has them.
        doc.preamble.append(NoEscape(FOOTLINE))
        doc.preamble.append(NoEscape(r"\setbeamercolor{frametitle}{fg=blue!50!black}"))
    doc.preamble.append(NoEscape(COLOUR_CACHE))
    # frames.tex marks a \section per derived step (and the results, the backward pass)
    # only where \lstmsection is defined: here; a lecturer's own deck may define it too.
    doc.preamble.append(NoEscape(r"\newcommand{\lstmsection}[1]{\section{#1}}"))
    if theme.theme == DEFAULT.theme:
        doc.preamble.append(Command("title", NoEscape(title)))
    else:
        # a theme's footline (Madrid's) sets the short title in a third of the page: the
        # title ran 12.6 pt past it on every frame; the lecturer's deck has its own there
        doc.preamble.append(NoEscape(f"\\title[]{{{title}}}"))
    if subtitle:
        doc.preamble.append(Command("subtitle", NoEscape(subtitle)))
    doc.preamble.append(Command("date", ""))
    # pylatex's page_numbers=False puts \pagestyle{empty} after \begin{document}, which in
    # Beamer empties the footline set above: the deck had no frame numbers (issue 12).
    doc.data[:] = [item for item in doc.data if getattr(item, "latex_name", "") != "pagestyle"]
    doc.append(NoEscape(r"\begin{frame}" + "\n" + r"\titlepage" + "\n" + r"\end{frame}"))
    doc.append(NoEscape(frames))
    return doc


def _common_preamble(doc: Document) -> None:
    from pylatex import Package

    for name in NEEDS:
        doc.packages.append(Package(name))
    doc.packages.append(Package("booktabs"))
    # No MaxMatrixCols here: matrices.bmatrix raises it in front of each matrix wider than
    # amsmath's 10 columns. A preamble counter of max(input, hidden, T) made amsmath build
    # every bmatrix with that many columns: pdflatex 30 times slower at T = 200.
