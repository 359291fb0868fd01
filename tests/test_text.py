"""User text (issue 11): titles in any language LaTeX can show are typeset; the others are
refused at validation (exit 2) naming the character; comments carry text unescaped."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from lstm_tex.latex import tex, text
from tests.conftest import EXAMPLES, compile_tex, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"

#: (title, None if it is typeset, else the character named when it is refused)
TITLES = [
    ("Ein LSTM-Schritt für Ünïcödé-Fans", None),
    ("σ(W x + b) and α, β, Ω", None),
    ("“Typographic” ‘quotes’ – en — em … ellipsis", None),
    ("3 × 4 ≤ 12 → ≠ ± ∞ ∑ ∫ ⇒", None),
    ("Façade, naïve, Søren, Łódź, Dvořák, Ærøskøbing, ß", None),
    ("«Guillemets» €5, 10 °C, µ, ½, ©, §", None),
    ("50% of $x_1 & #2 {a} ~b^c \\input{/etc/passwd}", None),
    ("e\u0301 decomposed", None),  # NFC makes it é
    ("nbsp\u00a0and thin\u2009space", None),
    ("A block scalar title\n", None),
    ("長短期記憶", "U+9577 CJK UNIFIED IDEOGRAPH-9577"),
    ("Slides 🎓", "U+1F393 GRADUATION CAP"),
    ("bell\x07", "U+0007 (a control character)"),
    ("escape \x1b[31m", "U+001B (a control character)"),
    ("abc\u202edef", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE"),
    ("Рекуррентные сети", "U+0420 CYRILLIC CAPITAL LETTER ER"),
    ("ℝ^n", "U+211D DOUBLE-STRUCK CAPITAL R"),
    ("line\u2028separator", "U+2028 LINE SEPARATOR"),
    ("x" * (text.MAX_TITLE + 1), f"at most {text.MAX_TITLE} characters"),
]


def _example(folder: Path, title: str, name: str = "titled") -> Path:
    data = json.loads(json.dumps(_notebook()))
    data["title"] = title
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _notebook() -> dict[str, object]:
    from lstm_tex.read import loader

    data: dict[str, object] = loader.read(NOTEBOOK).data
    return data


@pytest.mark.parametrize(
    ("title", "refused"),
    [t for t in TITLES if t[1] is not None],
    ids=lambda v: repr(v)[:20] if isinstance(v, str) else None,
)
def test_a_title_latex_cannot_show_is_refused_naming_the_character(
    title: str, refused: str, tmp_path: Path
) -> None:
    example = _example(tmp_path, title)
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 2, result.output
    assert refused in result.output
    assert "title" in result.output and "titled.yaml" in result.output
    assert re.search(r"line \d+|:\d+", result.output), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "titled").exists()


@pytest.fixture(scope="module")
def typeset_titles(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """Every accepted title of the table, rendered: (title, the article's \\title line)."""
    folder = tmp_path_factory.mktemp("titles")
    lines = []
    for n, (title, refused) in enumerate(TITLES):
        if refused is not None:
            continue
        example = _example(folder, title, f"t{n}")
        result = run_cli("render", example, "--out", folder / "out", "--no-check")
        assert result.exit_code == 0, (title, result.output)
        article = (folder / "out" / f"t{n}" / f"t{n}.tex").read_text(encoding="utf-8")
        lines.append((title, next(ln for ln in article.splitlines() if ln.startswith("\\title{"))))
    return lines


@pytest.mark.latex
def test_every_accepted_title_compiles_in_the_article_and_the_deck(
    typeset_titles: list[tuple[str, str]], tmp_path: Path
) -> None:
    """The titles as the article's \\title lines, all typeset in one article and one deck
    with the documents' own preamble (one compile each); no character is lost."""
    body = "\n".join(
        f"{line}\\makeatletter\\@title\\makeatother\\par" for _, line in typeset_titles
    )
    article = tex.article("Titles", body)
    deck = tex.deck("Titles", "\\begin{frame}{Titles}\n" + body + "\n\\end{frame}")
    for name, doc in (("article", article), ("deck", deck)):
        tex_file = tmp_path / f"{name}.tex"
        tex_file.write_text(
            doc.dumps().replace("\\begin{document}", "\\tracinglostchars=3\n\\begin{document}"),
            encoding="utf-8",
        )
        compiled = compile_tex(tex_file, draft=True)
        assert compiled.ok, (name, compiled.errors[:5])
        assert "Missing character" not in compiled.log


@pytest.mark.latex
def test_every_character_text_allows_compiles(tmp_path: Path) -> None:
    """The allow-lists of lstm_tex.latex.text, checked: every character from U+00A0 to U+2BFF
    that a title may hold compiles in the article and the deck, none lost (one compile
    each); the refused ones include the CJK, emoji and control blocks."""
    allowed = [chr(cp) for cp in range(0xA0, 0x2C00) if text.problem(chr(cp)) is None]
    assert len(allowed) > 500
    assert all(text.problem(c) is not None for c in ("\u4e00", "\U0001f600", "\x00", "\u202e"))
    body = "\n".join(f"X{text.to_latex(c)}X\\par % U+{ord(c):04X}" for c in allowed)
    for name, doc in (
        ("article", tex.article("All", body)),
        ("deck", tex.deck("All", f"\\begin{{frame}}\n{body}\n\\end{{frame}}")),
    ):
        tex_file = tmp_path / f"{name}.tex"
        tex_file.write_text(
            doc.dumps().replace("\\begin{document}", "\\tracinglostchars=3\n\\begin{document}"),
            encoding="utf-8",
        )
        compiled = compile_tex(tex_file, draft=True)
        assert compiled.ok, (name, compiled.errors[:5])
        assert "Missing character" not in compiled.log


@pytest.mark.latex
def test_a_unicode_title_renders_and_compiles_with_pdf(tmp_path: Path) -> None:
    """End to end: `render --pdf` with Greek, accents, quotes, dashes and symbols."""
    example = _example(tmp_path, "σ-Gates für “Ünïcödé” – 3 × 4 ≤ 12 → α")
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check", "--pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "titled" / "titled.pdf").is_file()
    assert (tmp_path / "out" / "titled" / "titled-slides.pdf").is_file()


@pytest.mark.parametrize(
    ("character", "latex_text"),
    [
        ("α", "{\\ensuremath{\\alpha}}"),
        ("ü", '{\\"u}'),
        ("–", "{\\textendash}"),
        ("“", "{\\textquotedblleft}"),
        ("&", "\\&"),
        ("\n", " "),
    ],
)
def test_to_latex(character: str, latex_text: str) -> None:
    assert text.to_latex(character) == latex_text


def test_the_title_bound_is_inclusive() -> None:
    assert text.problem("x" * text.MAX_TITLE) is None
    assert text.problem("x" * (text.MAX_TITLE + 1)) is not None


def test_header_comments_are_not_escaped(tmp_path: Path) -> None:
    """A comment shows the title and the file as written (not short{-}sequence), and a
    newline in the title cannot end the comment."""
    example = _example(tmp_path, "Two lines: 50% & more\nsecond line", "short-sequence")
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 0, result.output
    frames = (tmp_path / "out" / "short-sequence" / "frames.tex").read_text(encoding="utf-8")
    head = frames.splitlines()[:2]
    assert head[0] == "% lstm-tex frames: Two lines: 50% & more second line"
    assert head[1].startswith("% generated from ") and "short-sequence.yaml" in head[1]
    assert "{-}" not in head[1]
    part = next((tmp_path / "out" / "short-sequence" / "parts").glob("*.tex"))
    assert all(line.startswith("%") for line in part.read_text().splitlines()[:3])


def test_comment_keeps_one_line() -> None:
    assert text.comment("a\rb\nc\u2028d\udcffe") == "a b c d\ufffde"
    assert unicodedata.category(text.comment("\u0085")) == "Zs"


@pytest.mark.parametrize("command", ["init"])
def test_init_refuses_a_title_render_would_refuse(command: str, tmp_path: Path) -> None:
    result = run_cli(command, tmp_path / "step.yaml", "--title", "Slides 🎓")
    assert result.exit_code == 2, result.output
    assert "U+1F393 GRADUATION CAP" in result.output and "--title" in result.output
    assert not (tmp_path / "step.yaml").exists()
    ok = run_cli(command, tmp_path / "ok.yaml", "--title", "σ-Gates für Ünïcödé")
    assert ok.exit_code == 0, ok.output
