"""The LaTeX documents of one example, from its template contexts: the article, the
Beamer deck, frames.tex and the parts (``render.formats: latex``), and with
``render.exercise`` the exercise sheet, its deck and its answer key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_tex.compute.trace import Trace
from lstm_tex.document import context
from lstm_tex.latex import tex
from lstm_tex.latex.decks import DEFAULT, Deck
from lstm_tex.latex.templates import render_template

if TYPE_CHECKING:  # imported where used (issue 17: tests/test_startup.py)
    from lstm_tex.check.report import Report
    from lstm_tex.compute import backward


def documents(
    env: Any,
    slides: dict[str, Any],
    paper: dict[str, Any],
    fragments: dict[str, Any],
    stem: str,
    theme: Deck = DEFAULT,
) -> dict[str, Any]:
    """``render.formats: latex``: the article, the deck, frames.tex and the parts (the
    PyLaTeX documents to compile under ``_docs``); ``fragments`` is the context of the
    parts, whose lines fit any article; ``theme``: the standalone deck's theme and aspect
    ratio (``render.deck``, as the frames are laid out for)."""
    frames = render_template(
        env, "frames.tex.j2", {**slides, "deck": theme, "deck_chosen": theme != DEFAULT}
    )
    body = render_template(env, "article.tex.j2", paper)
    article = tex.article(paper["title"], body, packages=paper["article_packages"])
    deck = tex.deck(
        slides["title"],
        frames,
        subtitle=slides["summary"],
        packages=slides["deck_packages"],
        theme=theme,
    )
    files: dict[str, Any] = {
        f"{stem}.tex": article.dumps() + "\n",
        f"{stem}-slides.tex": deck.dumps() + "\n",
        "frames.tex": frames,
    }
    for part in context.parts(fragments):
        files[f"parts/{part['id']}.tex"] = render_template(
            env, "part.tex.j2", {**fragments, "part": part}
        )
    if fragments["backward"] is not None:
        from lstm_tex.document import backward_context

        for part in backward_context.parts(fragments["backward"]):
            files[f"parts/{part['id']}.tex"] = render_template(
                env, "backward-part.tex.j2", {**fragments, "part": part}
            )
    files["_docs"] = {f"{stem}.tex": article, f"{stem}-slides.tex": deck}
    return files


#: The margins of the printed exercise sheet and its key: narrower than the article's 2 cm,
#: so that the room the layout counts on (44 em of 11 pt) holds the wide answer boxes, whose
#: lines cannot always break where a number would (the GRU's r ⊙ (W_hn h + b_hn) row).
EXERCISE_MARGIN = "1.5cm"


def exercise(
    shown: Trace,
    exact: Trace,
    report: Report | None,
    env: Any,
    stem: str,
    gradients: backward.Gradients | None = None,
    gradients_report: Report | None = None,
) -> dict[str, Any]:
    """``render.exercise``: the exercise sheet (article and deck), whose boxes stand for
    the chosen quantities, and its answer key (the article, those quantities boxed).
    The forward pass, without captions on the sheet (they read the numbers); the backward
    pass too when gradients (``dh``, ``dpre``, ...) are chosen. ``stem`` names the files."""
    docs: dict[str, Any] = {}
    ex = shown.example
    asks_gradients = any(q in ex.config.cell.gradients for q in ex.render.exercise)

    def backward_part(slides: bool, mode: context.Exercise) -> dict[str, Any] | None:
        if gradients is None or not asks_gradients:
            return None
        from lstm_tex.document import backward_context

        return backward_context.build(gradients, gradients_report, slides=slides, exercise=mode)

    modes: tuple[tuple[context.Exercise, str, str], ...] = (
        ("sheet", "exercise", "exercise"),
        ("answers", "answers", "answer key"),
    )
    for mode, suffix, heading in modes:
        paper = context.build(shown, report, slides=False, exact=exact, exercise=mode)
        paper["backward"] = backward_part(False, mode)
        body = render_template(env, "article.tex.j2", paper)
        docs[f"{stem}-{suffix}.tex"] = tex.article(
            f"{paper['title']} --- {heading}",
            body,
            packages=paper["article_packages"],
            margin=EXERCISE_MARGIN,
        )
    slides = context.build(shown, report, slides=True, exact=exact, exercise="sheet")
    slides["backward"] = backward_part(True, "sheet")
    frames = render_template(
        env,
        "frames.tex.j2",
        {**slides, "deck": ex.render.deck, "deck_chosen": ex.render.deck != DEFAULT},
    )
    docs[f"{stem}-exercise-slides.tex"] = tex.deck(
        f"{slides['title']} --- exercise",
        frames,
        subtitle=slides["summary"],
        packages=slides["deck_packages"],
        theme=ex.render.deck,
    )
    return docs
