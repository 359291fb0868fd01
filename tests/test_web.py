"""render.formats: the web page and the Markdown file (the browser test is test_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from lstm_tex import pipeline
from lstm_tex.errors import InputError
from lstm_tex.output import web
from lstm_tex.validate import overrides, spec
from tests.conftest import BUNDLED, EXAMPLES, ROOT, run_cli

NOTEBOOK = EXAMPLES / "notebook-step.yaml"


@pytest.mark.parametrize(
    "latex,html,markdown",
    [
        (
            "Step~1 reads $h_{0}$.",
            '<p>Step\u00a01 reads <span class="math inline">h_{0}</span>.</p>',
            "Step\u00a01 reads $h_{0}$.",
        ),
        (
            r"PyTorch's \texttt{weight\_ih}, as in \emph{Understanding LSTM Networks}",
            "<p>PyTorch's <code>weight_ih</code>, as in <em>Understanding LSTM Networks</em></p>",
            "PyTorch's `weight_ih`, as in *Understanding LSTM Networks*",
        ),
        (
            r"about 38\,\% of $c_{0,1}$ is kept",
            '<p>about 38\u202f% of <span class="math inline">c_{0,1}</span> is kept</p>',
            "about 38\u202f% of $c_{0,1}$ is kept",
        ),
        (
            r"steps 2--4 \textbf{Exercise.} a \& b, x\_1 \{y\} \textasciitilde{} \$5",
            "<p>steps 2–4 <strong>Exercise.</strong> a &amp; b, x_1 {y} ~ $5</p>",
            r"steps 2–4 **Exercise.** a & b, x\_1 {y} ~ \$5",
        ),
        (
            "One {-}5 line\nbroken \\par\\medskip next",
            "<p>One -5 line broken</p>\n\n<p>next</p>",
            "One -5 line broken\n\nnext",
        ),
        (
            r"Above: \[ x^{(l)}_t = h_t \] then",
            '<p>Above:</p>\n\n<div class="math display">x^{(l)}_t = h_t</div>\n\n<p>then</p>',
            "Above:\n\n$$\nx^{(l)}_t = h_t\n$$\n\nthen",
        ),
        (
            r"$a < b$ and <b>",
            '<p><span class="math inline">a &lt; b</span> and &lt;b&gt;</p>',
            r"$a < b$ and \<b\>",
        ),
    ],
)
def test_prose_in_both_media(latex: str, html: str, markdown: str) -> None:
    assert web.Markup("html").prose(latex) == html + "\n"
    assert web.Markup("markdown").prose(latex) == markdown + "\n"


@pytest.mark.parametrize(
    "rows,html,markdown",
    [
        (
            "x &= 1 \\\\\n\n  y &= 2",
            '<div class="math display">\\begin{aligned}\nx &amp;= 1 \\\\\n'
            "  y &amp;= 2\n\\end{aligned}</div>",
            "$$\n\\begin{aligned}\nx &= 1 \\\\\n  y &= 2\n\\end{aligned}\n$$",
        ),
        (
            "\\setcounter{MaxMatrixCols}{12}\\begin{bmatrix} 1 \\end{bmatrix}",
            '<div class="math display">\\begin{aligned}\n\\begin{bmatrix} 1 \\end{bmatrix}\n'
            "\\end{aligned}</div>",
            "$$\n\\begin{aligned}\n\\begin{bmatrix} 1 \\end{bmatrix}\n\\end{aligned}\n$$",
        ),
    ],
)
def test_display_maths(rows: str, html: str, markdown: str) -> None:
    assert web.Markup("html").display(rows) == html + "\n"
    assert web.Markup("markdown").display(rows) == markdown + "\n"


@pytest.mark.parametrize(
    "tex,web_tex",
    [
        (
            "\\setcounter{MaxMatrixCols}{12}\\begin{bmatrix} 1 \\end{bmatrix}",
            "\\begin{bmatrix} 1 \\end{bmatrix}",
        ),
        (
            "\\begingroup\\csname c@MaxMatrixCols\\endcsname=12\\relax\\begin{bmatrix} 1 "
            "\\end{bmatrix}\\endgroup",
            "\\begingroup\\begin{bmatrix} 1 \\end{bmatrix}\\endgroup",
        ),
        (
            "\\left[\\begin{array}{@{}cc|c@{}} 1 & 2 & 3 \\end{array}\\right]",
            "\\left[\\begin{array}{cc|c} 1 & 2 & 3 \\end{array}\\right]",
        ),
        ("  x &= 1 \\\\\n\n  y  \n", "x &= 1 \\\\\n  y"),
    ],
)
def test_maths_for_katex_and_mathjax(tex: str, web_tex: str) -> None:
    assert web.maths(tex) == web_tex


def test_heading_and_count() -> None:
    m = web.Markup("html")
    assert m.heading(3, "Input gate $i_{1}$", "x") == (
        '<h3 id="x">Input gate <span class="math inline">i_{1}</span></h3>\n'
    )
    assert web.Markup("markdown").heading(2, "Step~1") == "## Step\u00a01\n"
    m.display("x")
    assert m.count == 2  # every maths written, inline or display


def test_katex_is_shipped_with_its_licence_and_version() -> None:
    files = web.assets()
    script = files["katex/katex.min.js"].decode()
    assert f'version:"{web.KATEX_VERSION}"' in script
    assert b"MIT License" in files["katex/LICENSE"]
    css = files["katex/katex.min.css"].decode()
    fonts = set(re.findall(r"fonts/(KaTeX_[\w-]+)\.woff2", css))
    assert fonts == {Path(p).stem for p in files if p.endswith(".woff2")}
    assert len(fonts) >= 19


def test_katex_is_the_kept_release_unchanged() -> None:
    """Every file in lstm_tex/assets/katex is listed in its SOURCE.md with the SHA-256 of
    the npm package's copy, and matches it."""
    import hashlib

    source = (web.ASSETS / "SOURCE.md").read_text()
    sums = dict(
        (name, digest) for digest, name in re.findall(r"^    ([0-9a-f]{64})  (\S+)$", source, re.M)
    )
    shipped = {
        p.relative_to(web.ASSETS).as_posix()
        for p in web.ASSETS.rglob("*")
        if p.is_file() and p.name != "SOURCE.md"
    }
    assert set(sums) == shipped
    for name, digest in sums.items():
        assert hashlib.sha256((web.ASSETS / name).read_bytes()).hexdigest() == digest, name
    assert f"katex@{web.KATEX_VERSION}" in source


def _render(tmp_path: Path, example: Path, *flags: str) -> Path:
    result = run_cli("render", example, "--out", tmp_path, "--no-check", *flags)
    assert result.exit_code == 0, result.output
    return tmp_path / example.stem


def test_default_is_latex_only(tmp_path: Path) -> None:
    folder = _render(tmp_path, NOTEBOOK)
    assert not (folder / "notebook-step.html").exists()
    assert not (folder / "notebook-step.md").exists()
    assert not (folder / "katex").exists()


def test_html_and_markdown_flags(tmp_path: Path) -> None:
    folder = _render(tmp_path, NOTEBOOK, "--html", "--markdown")
    page = (folder / "notebook-step.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<script defer src="katex/katex.min.js"></script>' in page
    assert (folder / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").is_file()
    assert (folder / "notebook-step.tex").is_file()
    assert (
        (folder / "notebook-step.md").read_text().startswith("# One LSTM step, number by number\n")
    )


def test_formats_in_the_file_without_latex(tmp_path: Path) -> None:
    text = NOTEBOOK.read_text().replace("render:\n", "render:\n  formats: [html, markdown]\n")
    example = tmp_path / "web-only.yaml"
    example.write_text(text)
    folder = _render(tmp_path / "out", example)
    names = {p.name for p in folder.iterdir()}
    assert names == {"web-only.html", "web-only.md", "web-only-slides.qmd", "values.json", "katex"}
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check", "--pdf")
    assert result.exit_code == 2
    assert "--pdf: render.formats has no latex" in result.output


@pytest.mark.parametrize(
    "value,message",
    [
        ("[pdf]", "render.formats[0]: expected latex, html or markdown, found the text 'pdf'"),
        ("html", "render.formats: input should be a valid list, found the text 'html' (a list"),
        ("[]", "render.formats: list should have at least 1 item"),
    ],
)
def test_bad_formats(tmp_path: Path, value: str, message: str) -> None:
    example = tmp_path / "bad.yaml"
    example.write_text(NOTEBOOK.read_text().replace("render:\n", f"render:\n  formats: {value}\n"))
    with pytest.raises(InputError, match=re.escape(message)):
        spec.load(example)


def test_formats_keep_their_order_without_repeats(tmp_path: Path) -> None:
    example = spec.load(NOTEBOOK)
    both = overrides.with_render(example, formats=("markdown", "html", "markdown"))
    assert both.render.formats == ("latex", "html", "markdown")


def _maths_in_markdown(text: str) -> list[tuple[str, str]]:
    """Every maths block and inline formula that a real Markdown parser finds (markdown-it
    with the dollarmath plugin that MyST uses, and YAML front matter): ``(kind, tex)``."""
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = (
        MarkdownIt("commonmark")
        .use(front_matter_plugin)
        .use(dollarmath_plugin, allow_space=True, allow_digits=True)
    )
    found = []
    for token in md.parse(text):
        if token.type == "math_block":
            found.append(("display", token.content.strip()))
        for child in token.children or ():
            if child.type == "math_inline":
                found.append(("inline", child.content))
    return found


def _maths_in_html(page: str) -> list[tuple[str, str]]:
    import html

    return [
        (kind, html.unescape(tex))
        for kind, tex in re.findall(
            r'<(?:span|div) class="math (inline|display)">(.*?)</(?:span|div)>', page, re.S
        )
    ]


@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_markdown_parser_finds_every_maths_of_the_page(tmp_path: Path, example: Path) -> None:
    """The Markdown file holds the page's maths, each found by the parser as written."""
    folder = _render(tmp_path, example, "--html", "--markdown")
    markdown = _maths_in_markdown((folder / f"{example.stem}.md").read_text())
    page = _maths_in_html((folder / f"{example.stem}.html").read_text())
    assert markdown == page
    assert sum(kind == "display" for kind, _ in markdown) >= 8
    for name in (f"{example.stem}.md", f"{example.stem}-slides.qmd"):
        assert _text_of_markdown((folder / name).read_text()).count("\\") == 0, name


def _text_of_markdown(text: str) -> str:
    """What a reader sees of a Markdown file besides its maths (and its front matter)."""
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = (
        MarkdownIt("commonmark")
        .use(front_matter_plugin)
        .use(dollarmath_plugin, allow_space=True, allow_digits=True)
    )
    return "".join(
        child.content
        for token in md.parse(text)
        for child in token.children or ()
        if child.type in ("text", "code_inline")
    )


def test_same_numbers_as_the_article(tmp_path: Path) -> None:
    """Every matrix of the article is on the page, character for character."""
    folder = _render(tmp_path, EXAMPLES / "backward-sequence.yaml", "--markdown")
    article = (folder / "backward-sequence.tex").read_text()
    markdown = (folder / "backward-sequence.md").read_text()
    matrices = re.findall(r"\\begin\{bmatrix\}.*?\\end\{bmatrix\}", article)
    assert len(matrices) > 50
    assert all(m in markdown for m in matrices)
    values = json.loads((folder / "values.json").read_text())
    assert "backward" in values and "## Backward pass" in markdown


def test_templates_override_the_page(tmp_path: Path) -> None:
    custom = tmp_path / "mine"
    custom.mkdir()
    text = (ROOT / "templates" / "page.html.j2").read_text()
    custom.joinpath("page.html.j2").write_text(text.replace("--ink: #1d1d1f", "--ink: #003"))
    folder = _render(tmp_path, NOTEBOOK, "--html", "--templates", str(custom))
    assert "--ink: #003" in (folder / "notebook-step.html").read_text()


def test_api_and_pipeline_agree(tmp_path: Path) -> None:
    import lstm_tex

    options = pipeline.RenderOptions(out=tmp_path / "a", check=False, formats=("markdown",))
    by_pipeline = pipeline.render(NOTEBOOK, options)
    by_api = lstm_tex.load(NOTEBOOK).render(tmp_path / "b", check=False, markdown=True)
    assert "notebook-step.md" in by_pipeline.files and by_pipeline.files == by_api.files
    assert (by_pipeline.folder / "notebook-step.md").read_text() == (
        by_api.folder / "notebook-step.md"
    ).read_text()


def test_contents_link_to_the_steps(tmp_path: Path) -> None:
    folder = _render(tmp_path, EXAMPLES / "backward-sequence.yaml", "--html")
    page = (folder / "backward-sequence.html").read_text()
    nav = page.split("<nav", 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="#([^"]+)"', nav)
    assert links[:2] == ["l0-forward-t1", "l0-forward-t2"] and links[-1] == "backward"
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert set(links) <= ids and "l0-forward-t1-f" in ids


@pytest.mark.parametrize("reveal", [False, True])
def test_quarto_slides(tmp_path: Path, reveal: bool) -> None:
    """<stem>-slides.qmd: Quarto reveal.js slides, one per frame of the deck; with --reveal
    each line after a derivation's first is a fragment."""
    from ruamel.yaml import YAML

    flags = ["--markdown", "--reveal"] if reveal else ["--markdown"]
    folder = _render(tmp_path, EXAMPLES / "backward-sequence.yaml", *flags)
    text = (folder / "backward-sequence-slides.qmd").read_text()
    front = YAML(typ="safe").load(text.split("---\n")[1])
    assert front["title"] == "Backpropagation through time: three steps and one SGD step"
    assert "revealjs" in front["format"]
    frames = (folder / "frames.tex").read_text()
    assert text.count("\n## ") == frames.count("\\begin{frame}")
    fragments = text.count("::: {.fragment}\n\n$$\n")
    assert fragments == (3 * 4 * 3 + 3 if reveal else 0)  # 3 steps: 4 gates, 3 lines; h
    assert text.count("::: {.fragment}") == text.count("$$\n\n:::\n") == fragments
    maths = _maths_in_markdown(text)
    assert sum(kind == "display" for kind, _ in maths) == text.count("$$\n") // 2
    matrices = re.findall(r"\\begin\{bmatrix\}.*?\\end\{bmatrix\}", frames)
    assert all(m in text for m in matrices if "textcolor" not in m)


def _pandoc() -> str:
    """Pandoc, which Quarto reads Markdown with: on PATH, or from pypandoc-binary."""
    import shutil

    found = shutil.which("pandoc")
    if found is None:
        try:
            import pypandoc
        except ImportError:
            pytest.skip(
                "pandoc is not installed (apt-get install pandoc, or pip install "
                "pypandoc-binary); markdown-it reads the files in the tests above"
            )
        found = str(pypandoc.get_pandoc_path())
    return found


def test_pandoc_reads_what_quarto_reads(tmp_path: Path) -> None:
    """Quarto reads .qmd and .md with pandoc (tex_math_dollars, fenced divs): every $$
    block is display maths, every fragment a div, every ## a slide."""
    import subprocess

    pandoc = _pandoc()
    folder = _render(tmp_path, EXAMPLES / "backward-sequence.yaml", "--markdown", "--reveal")

    def read(name: str) -> tuple[dict[str, int], str]:
        text = (folder / name).read_text()
        done = subprocess.run(
            [pandoc, "-f", "markdown", "-t", "json"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        )
        counts: dict[str, int] = {}

        def walk(node: object) -> None:
            if isinstance(node, dict):
                kind = node.get("t")
                if kind == "Math":
                    counts[node["c"][0]["t"]] = counts.get(node["c"][0]["t"], 0) + 1
                elif kind == "Div" and "fragment" in node["c"][0][1]:
                    counts["fragment"] = counts.get("fragment", 0) + 1
                elif kind == "Header" and node["c"][0] == 2:
                    counts["slide"] = counts.get("slide", 0) + 1
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(json.loads(done.stdout)["blocks"])
        return counts, text

    slides, text = read("backward-sequence-slides.qmd")
    assert slides["DisplayMath"] == text.count("$$\n") // 2
    assert slides["fragment"] == text.count("::: {.fragment}") > 0
    assert slides["slide"] == text.count("\n## ")
    page, text = read("backward-sequence.md")
    markdown = _maths_in_markdown(text)
    assert page["DisplayMath"] == sum(kind == "display" for kind, _ in markdown)
    assert page["InlineMath"] == sum(kind == "inline" for kind, _ in markdown)


@pytest.mark.latex
def test_pdf_keeps_the_page_and_the_markdown(tmp_path: Path) -> None:
    """Compiling <stem>.tex cleans up what the compiler wrote, not <stem>.html or .md."""
    import shutil

    if shutil.which("latexmk") is None and shutil.which("pdflatex") is None:
        pytest.skip("no LaTeX compiler (see README: tests/install-tex.sh)")
    folder = _render(tmp_path, NOTEBOOK, "--pdf", "--html", "--markdown")
    names = {p.name for p in folder.iterdir()}
    assert {
        "notebook-step.pdf",
        "notebook-step.html",
        "notebook-step.md",
        "notebook-step-slides.qmd",
        "notebook-step-slides.pdf",
    } <= names
    assert not {n for n in names if n.endswith((".log", ".aux", ".fls", ".fdb_latexmk"))}


def test_pictures_are_named_as_latex_only(tmp_path: Path) -> None:
    """render.diagram and render.plots draw with TikZ: the page says where they are."""
    folder = _render(
        tmp_path, EXAMPLES / "short-sequence.yaml", "--markdown", "--diagram", "--plots"
    )
    assert (
        "The cell diagrams and the plots over time are drawn in the LaTeX documents only"
        in (folder / "short-sequence.md").read_text()
    )
