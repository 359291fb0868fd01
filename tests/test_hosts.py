"""lstm-tex's files in lecturers' own documents (issue 11): the corpus of host documents in
tests/hosts/ (Beamer's default, Madrid and Warsaw themes at 4:3 and 16:9; articles at 10,
11 and 12 pt with LaTeX's default margins), each loading common packages, setting its own
MaxMatrixCols, lengths and colours, and typesetting an 18-column matrix before and after
lstm-tex's files. Every bundled example's frames.tex (Beamer) and parts (all hosts) are
compiled in each host: no error, no Overfull \\hbox, and nothing of the host changed
(host-checks.tex stops with an error otherwise). One compile per host, shared. Every part
of generated hidden-16 networks goes in the article hosts too: those taller than a page
break across pages, only where an equation may.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    BUNDLED,
    DATA,
    EXAMPLES,
    HOSTS,
    Compiled,
    compile_tex,
    init_example,
    run_cli,
)

BEAMER_HOSTS = sorted(p.stem for p in HOSTS.glob("beamer-*.tex"))
ARTICLE_HOSTS = sorted(p.stem for p in HOSTS.glob("article-*.tex"))
#: Parts per Beamer frame: what matters in a frame is a part's width, and a frame per part
#: would double the pages (and the time) of every Beamer host.
PARTS_PER_FRAME = 6

pytestmark = pytest.mark.latex


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every bundled example rendered once (``--no-check``: the numbers are tested
    elsewhere)."""
    out = tmp_path_factory.mktemp("hosts-out")
    for example in BUNDLED:
        result = run_cli("render", example, "--out", out, "--no-check")
        assert result.exit_code == 0, result.output
    return out


def _body(rendered: Path, beamer: bool) -> str:
    """What a host \\input's: every example's frames.tex (Beamer) and every part."""
    lines = []
    for folder in sorted(p for p in rendered.iterdir() if p.is_dir()):
        if beamer:
            lines.append(f"\\input{{{(folder / 'frames.tex').as_posix()}}}")
        parts = sorted((folder / "parts").glob("*.tex"))
        for start in range(0, len(parts), PARTS_PER_FRAME if beamer else 1):
            chunk = parts[start : start + (PARTS_PER_FRAME if beamer else 1)]
            inputs = "\n".join(f"\\input{{{p.as_posix()}}}" for p in chunk)
            if beamer:
                lines.append(f"\\begin{{frame}}{{{folder.name}: parts}}\n{inputs}\n\\end{{frame}}")
            else:
                lines.append(f"\\subsection*{{{folder.name}: {chunk[0].stem}}}\n{inputs}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def hosts(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host documents, each next to its ``lstm-tex-body.tex``."""
    folder = tmp_path_factory.mktemp("hosts")
    for name in BEAMER_HOSTS + ARTICLE_HOSTS:
        (folder / name).mkdir()
        shutil.copy(HOSTS / f"{name}.tex", folder / name)
        (folder / name / "host-checks.tex").write_text((HOSTS / "host-checks.tex").read_text())
        (folder / name / "lstm-tex-body.tex").write_text(
            _body(rendered, beamer=name.startswith("beamer"))
        )
    return folder


_compiled: dict[str, Compiled] = {}


def compiled_host(hosts: Path, name: str) -> Compiled:
    if name not in _compiled:
        _compiled[name] = compile_tex(hosts / name / f"{name}.tex", draft=True, timeout=900)
    return _compiled[name]


@pytest.mark.parametrize("name", BEAMER_HOSTS + ARTICLE_HOSTS)
def test_every_example_compiles_in_the_host_and_changes_nothing(hosts: Path, name: str) -> None:
    compiled = compiled_host(hosts, name)
    assert compiled.ok, (name, compiled.errors[:5])
    assert "lstm-tex changed the host" not in compiled.log
    overfull = re.findall(r"^Overfull \\hbox.*$", compiled.log, flags=re.M)
    assert not overfull, (name, overfull[:5])
    # the body was read: every example's files are in the log
    for example in BUNDLED:
        assert f"/{example.stem}/parts/" in compiled.log.replace("\n", "")


def test_the_host_checks_catch_a_leak(tmp_path: Path) -> None:
    """The checks the hosts rely on fail where a file sets MaxMatrixCols globally, as
    frames.tex and the parts did before (so the corpus test can fail)."""
    shutil.copy(HOSTS / "article-11pt.tex", tmp_path / "host.tex")
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(
        "\\[ \\setcounter{MaxMatrixCols}{14}\\begin{bmatrix} 1 & -1 \\end{bmatrix} \\]\n"
    )
    compiled = compile_tex(tmp_path / "host.tex", draft=True)
    assert not compiled.ok
    assert "lstm-tex changed the host" in compiled.log


def test_numbers_of_any_size_fit(tmp_path: Path) -> None:
    """x of 1e-320, a weight of 1e300 and lr 1e308 (issue 11: 1, 5 and 17 Overfull boxes)
    show as a·10^p: the article, the deck and the parts in a 10 pt article fit."""
    from lstm_tex.read import loader

    data = loader.read(EXAMPLES / "backward-sequence.yaml").data
    data["x"][0][0] = 1e-320
    data["weights"]["weight_ih_l0"][0][0] = 1e300
    data["backward"]["lr"] = 1e308
    example = tmp_path / "extreme.yaml"
    example.write_text(json.dumps(data))
    result = run_cli("render", example, "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "extreme"
    article = (folder / "extreme.tex").read_text()
    assert r"1 \times 10^{-320}" in article and r"\eta = 1 \times 10^{308}" in article
    assert not re.search(r"\d{13}", article + (folder / "frames.tex").read_text())
    host = tmp_path / "host"
    host.mkdir()
    shutil.copy(HOSTS / "article-10pt.tex", host)
    shutil.copy(HOSTS / "host-checks.tex", host)
    (host / "lstm-tex-body.tex").write_text(_body(tmp_path / "out", beamer=False))
    for tex in (folder / "extreme.tex", folder / "extreme-slides.tex", host / "article-10pt.tex"):
        compiled = compile_tex(tex, draft=True)
        assert compiled.ok, (tex.name, compiled.errors[:5])
        assert compiled.overfull_hbox == 0, tex.name


@pytest.mark.parametrize("example", BUNDLED, ids=lambda p: p.stem)
def test_an_equation_never_breaks_across_pages(rendered: Path, example: Path) -> None:
    r"""In the article (which lets pages break between the equations of a long display),
    every row that goes on with an equation (``&`` with no left-hand side, ``= [..]``) follows
    a row ending in ``\\*``, so no page starts with a bare ``= [..] ⊙ [..]``."""
    article = (rendered / example.stem / f"{example.stem}.tex").read_text()
    continued = 0
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", article, re.S):
        rows = block.splitlines()
        for before, row in itertools.pairwise(rows):
            if row.lstrip().startswith("&") and "\\vdots" not in row:
                continued += 1
                assert before.rstrip().endswith("\\\\*"), (before[-40:], row[:40])
    # an RNN's lines (one block, no state lines) fit on one row each
    assert continued > 0 or example.stem.startswith("rnn-")


def test_parts_with_the_render_options_fit_the_narrowest_article(tmp_path: Path) -> None:
    """The parts of every bundled example with the options that add or widen parts (the
    cell diagram and plots, expanded rows, the row-vector and textbook notations) in the
    10 pt article host: no error, no Overfull \\hbox, nothing of the host changed."""
    variants = {
        "pictures": ["--diagram", "--plots", "--expand", "all"],
        "rows": ["--notation", "row-vector"],
        "olah": ["--notation", "textbook"],
    }
    for name, flags in variants.items():
        for example in BUNDLED:
            result = run_cli("render", example, "--out", tmp_path / name, "--no-check", *flags)
            assert result.exit_code == 0, result.output
    host = tmp_path / "host"
    host.mkdir()
    shutil.copy(HOSTS / "host-checks.tex", host)
    text = (HOSTS / "article-10pt.tex").read_text()
    (host / "article-10pt.tex").write_text(
        text.replace(
            "\\usepackage{hyperref}",
            "\\usepackage{tikz}\n\\usepackage{pgfplots}\n\\usepackage{hyperref}",
        )
    )
    (host / "lstm-tex-body.tex").write_text(
        "".join(_body(tmp_path / name, beamer=False) for name in variants)
    )
    compiled = compile_tex(host / "article-10pt.tex", draft=True, timeout=900)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    assert compiled.overfull_hbox == 0


@pytest.mark.parametrize("name", ["article-10pt", "beamer-default"])
def test_a_host_that_allows_fewer_matrix_columns(rendered: Path, tmp_path: Path, name: str) -> None:
    """A host whose MaxMatrixCols is below amsmath's default of 10 (here 2: a two-column
    bmatrix of its own still works) needs nothing more: frames.tex and every part set the
    counter for themselves, in their own group. The notebook example's 4-column matrices
    stopped such a host with "Extra alignment tab" before (the backward parts too)."""
    shutil.copy(HOSTS / f"{name}.tex", tmp_path)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    folder = rendered / "notebook-step"
    parts = [*(folder / "parts").glob("*.tex"), *rendered.glob("backward-*/parts/backward-*.tex")]
    own = "\\[ \\begin{bmatrix} 1 & -1 \\end{bmatrix} \\]"
    inputs = [own] + [f"\\input{{{p.as_posix()}}}" for p in sorted(parts)]
    if name.startswith("beamer"):
        inputs = [
            f"\\input{{{(folder / 'frames.tex').as_posix()}}}",
            "\\begin{frame}{parts}\n" + "\n".join(inputs[:PARTS_PER_FRAME]) + "\n\\end{frame}",
        ]
    (tmp_path / "lstm-tex-body.tex").write_text(
        "\\begingroup\\csname c@MaxMatrixCols\\endcsname=2\\relax\n"
        + "\n".join(inputs)
        + "\n\\endgroup\n"
    )
    compiled = compile_tex(tmp_path / f"{name}.tex", draft=True)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    assert compiled.overfull_hbox == 0


#: The bundled examples and two whose rows are wider than a line (tests/data/rows-*.yaml:
#: hidden 8, input 6, two layers, both directions, a batch of 2; a projection 6 to 3).
ROW_EXAMPLES = [*BUNDLED, DATA / "rows-wide.yaml", DATA / "rows-projected.yaml"]
#: The host's log says so when a part is scaled down to \linewidth (part.tex.j2 does that
#: with \resizebox only where a part is wider).
TRACE_SCALING = (
    "\\let\\lstmtestresizebox\\resizebox\n"
    "\\def\\resizebox{\\typeout{lstm-tex test: scaled}\\lstmtestresizebox}\n"
)


@pytest.fixture(scope="module")
def row_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("row-parts")
    for example in ROW_EXAMPLES:
        result = run_cli("render", example, "--out", out, "--no-check", "--notation", "row-vector")
        assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("size", ["10pt", "11pt", "12pt"])
def test_row_vector_parts_fit_without_scaling(row_parts: Path, tmp_path: Path, size: str) -> None:
    """In the row-vector notation (d2l's x_t W) a row cannot be broken inside, so its lines
    break between the factors (x | W, h | W, f | c, o | tanh(c), m | W_hr), a long
    left-hand side gets a row of its own, and a row wider than a line is elided: every
    part is no wider than the \\linewidth of a default article at 10, 11 and 12 pt, so none
    is scaled (issue 11: up to 36 pt too wide at 10 pt, scaled to fit)."""
    name = f"article-{size}"
    shutil.copy(HOSTS / f"{name}.tex", tmp_path)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(TRACE_SCALING + _body(row_parts, beamer=False))
    compiled = compile_tex(tmp_path / f"{name}.tex", draft=True, timeout=900)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    assert compiled.overfull_hbox == 0
    assert compiled.log.count("rows-wide/parts/") > 40  # every part was read
    assert "lstm-tex test: scaled" not in compiled.log
    # the wide rows are elided, the bundled ones (hidden 4 and less) are not
    wide = (row_parts / "rows-wide" / "parts" / "l1-reverse-t1-c.tex").read_text()
    assert "\\cdots" in wide
    assert (
        "\\cdots" not in (row_parts / "notebook-step" / "parts" / "l0-forward-t1-h.tex").read_text()
    )


def test_the_scaling_trace_sees_a_scaled_part(tmp_path: Path) -> None:
    """TRACE_SCALING, which the test above relies on, reports a part wider than the line."""
    shutil.copy(HOSTS / "article-10pt.tex", tmp_path)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(
        TRACE_SCALING
        + "\\begingroup\\setbox0=\\hbox{\\rule{400pt}{1pt}}%\n"
        + "\\[ \\ifdim\\wd0>\\linewidth\\resizebox{\\linewidth}{!}{\\box0}\\else\\box0\\fi \\]\n"
        + "\\endgroup\n"
    )
    compiled = compile_tex(tmp_path / "article-10pt.tex", draft=True)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex test: scaled" in compiled.log


#: An environment that makes a matrix (brackets of its own, or inside \left[ \right]).
MATRIX = re.compile(r"\\(begin|end)\{(bmatrix|pmatrix|matrix|smallmatrix|array)\}")


@pytest.mark.parametrize("kind", ["pytorch", "row-vector"])
def test_no_matrix_inside_a_matrix(rendered: Path, row_parts: Path, kind: str) -> None:
    """No generated file sets a matrix inside another (issue 11: the bidirectional output
    was a bmatrix of bmatrices, and the brackets collided): stacked or side-by-side blocks
    are one matrix with a rule, in every file of every bundled example (and the wide ones
    in the row-vector notation)."""
    files = sorted((rendered if kind == "pytorch" else row_parts).rglob("*.tex"))
    assert len(files) > 100
    for tex in files:
        depth = 0
        for match in MATRIX.finditer(tex.read_text()):
            depth += 1 if match.group(1) == "begin" else -1
            assert depth <= 1, (tex.name, match.string[match.start() - 200 : match.end()])


@pytest.mark.parametrize("name", ["rows-wide", "rows-projected"])
def test_wide_rows_fit_the_article_and_the_deck(row_parts: Path, name: str) -> None:
    """The standalone article and deck of the wide row-vector examples: no Overfull \\hbox
    (the article's inputs, the states carried on and the stacked output were 11 to 476 pt
    too wide with hidden 8, two directions and a batch)."""
    for tex in (row_parts / name / f"{name}.tex", row_parts / name / f"{name}-slides.tex"):
        compiled = compile_tex(tex, draft=True)
        assert compiled.ok, (tex.name, compiled.errors[:5])
        assert compiled.overfull_hbox == 0, tex.name


#: frames.tex's lines that skip Beamer's "math text" colour work (templates/frames.tex.j2).
SKIP_MATH_COLOUR = re.compile(r"% Beamer sets its \"math text\".*?\n\\fi\n", re.S)


@pytest.mark.parametrize("colour", ["", "red"])
def test_frames_keep_the_host_s_maths_colour(tmp_path: Path, colour: str) -> None:
    """frames.tex and the parts skip Beamer's "math text" colour work where the host's theme
    gives that colour none (a third to a half of the compile time saved): every character of
    their frames has the colour and place it has without those lines, in a host that colours
    its maths red (the numbers are red) and in one that does not; the hooks are the host's
    again after them (tests/hosts/host-checks.tex)."""
    import pdfplumber

    result = run_cli("render", DATA / "tiny.yaml", "--out", tmp_path / "out", "--no-check")
    assert result.exit_code == 0, result.output
    frames = (tmp_path / "out" / "tiny" / "frames.tex").read_text()
    assert SKIP_MATH_COLOUR.search(frames)
    assert SKIP_MATH_COLOUR.search(
        (tmp_path / "out" / "tiny" / "parts" / "l0-forward-t1-f.tex").read_text()
    )
    text = (HOSTS / "beamer-default.tex").read_text()
    if colour:
        text = text.replace(
            "\\input{host-checks}", "\\input{host-checks}\n\\setbeamercolor{math text}{fg=red}"
        )
    chars = {}
    for side, body in (("skips", frames), ("plain", SKIP_MATH_COLOUR.sub("", frames))):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "host.tex").write_text(text)
        shutil.copy(HOSTS / "host-checks.tex", folder)
        (folder / "frames.tex").write_text(body)
        parts = sorted((tmp_path / "out" / "tiny" / "parts").glob("*-t1-[fch].tex"))
        for part in parts:
            text_of_part = part.read_text()
            (folder / part.name).write_text(
                text_of_part if side == "skips" else SKIP_MATH_COLOUR.sub("", text_of_part)
            )
        inputs = "".join(f"\\input{{{p.stem}}}\n" for p in parts)
        (folder / "lstm-tex-body.tex").write_text(
            f"\\input{{frames}}\n\\begin{{frame}}{{parts}}\n{inputs}\\end{{frame}}\n"
        )
        compiled = compile_tex(folder / "host.tex")
        assert compiled.ok, compiled.errors[:5]
        assert "lstm-tex changed the host" not in compiled.log
        with pdfplumber.open(folder / "host.pdf") as pdf:
            chars[side] = [
                (c["text"], c["x0"], c["top"], c["non_stroking_color"])
                for page in pdf.pages
                for c in page.chars
            ]
    assert len(chars["skips"]) > 500
    assert chars["skips"] == chars["plain"]
    red = [c for c in chars["skips"] if c[3] == (1, 0, 0) and c[0].isdigit()]
    if colour:
        assert len(red) > 100
    else:
        assert not red


#: Generated networks of hidden 16 with a backward pass (``lstm-tex init`` flags): every
#: part of the three in one host article per size. Their gate, gradient and SGD parts are
#: taller than a page: as one box each they ran 172-505 pt past it (36 to 38 Overfull
#: \vbox a host); they break across pages where they are taller, between equations.
LARGE_CELLS = ("lstm", "gru", "rnn")
LARGE_FLAGS = ("--input-size", "4", "--hidden-size", "16", "--steps", "2")
#: What a row that goes on with an equation starts with: "= [..]", "+ [..]", "- 0.1 [..]",
#: "\cdot [..]", "\odot [..]" (the minus sign as pdfTeX's fonts map it, and as ASCII).
CONTINUED = set("=+\u2212-\u00b7\u2299")
#: The top and bottom pieces of a tall bracket or parenthesis (Computer Modern's cmex10,
#: as pdfium maps their glyph names), left and right.
TOP_PIECES = set("\uf8ee\uf8f9\uf8eb\uf8f6")
BOTTOM_PIECES = set("\uf8f0\uf8fb\uf8ed\uf8f8")


#: The host's log says so when a part is set as an align* whose page may break (one
#: taller than a page, part-display.tex.j2), not as one box.
TRACE_BREAKS = (
    "\\expandafter\\let\\csname lstmtestalign\\expandafter\\endcsname\\csname align*\\endcsname\n"
    "\\expandafter\\def\\csname align*\\endcsname"
    "{\\typeout{lstm-tex test: breaks}\\lstmtestalign}\n"
)


@pytest.fixture(scope="session")
def large_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hidden-16 networks, rendered once (``--no-check``)."""
    from tests.test_readable import backward_section

    folder = tmp_path_factory.mktemp("large-parts")
    for cell in LARGE_CELLS:
        path = init_example(
            folder / f"{cell}16.yaml", "--cell", cell, *LARGE_FLAGS, extra=backward_section(16, 2)
        )
        result = run_cli("render", path, "--out", folder / "out", "--no-check")
        assert result.exit_code == 0, result.output
    return folder / "out"


def page_tops(pdf: Path) -> list[tuple[str, str]]:
    """For each page: the first glyph of its first row, and its text (pypdfium2: pdfplumber
    took 5 s for these pages). A row is the topmost glyph's height, or where that is the
    top of a bracket made of pieces, down to the bracket's bottom piece: an operator
    before a matrix sits at its middle."""
    import pypdfium2

    tops = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        text, height = page.get_textpage(), page.get_height()
        glyphs = []  # (top, bottom, left, glyph) from the top of the page, above the footer
        for k in range(text.count_chars()):
            glyph = text.get_text_range(k, 1)
            left, bottom, _, top = text.get_charbox(k)
            if glyph.strip() and bottom > 0.15 * height:
                glyphs.append((height - top, height - bottom, left, glyph))
        glyphs.sort()
        top, bottom, x, glyph = glyphs[0]
        if glyph in TOP_PIECES:
            bottom = min(
                g[1] for g in glyphs if g[3] in BOTTOM_PIECES and abs(g[2] - x) < 1 and g[0] > top
            )
        row = [g for g in glyphs if top <= (g[0] + g[1]) / 2 <= bottom]
        tops.append((min(row, key=lambda g: g[2])[3], text.get_text_range()))
    document.close()
    return tops


def breaks_inside(part: Path) -> bool:
    r"""Whether a part has a line taller than a page (Line.page_breaks): a row ending in a
    bare ``\\`` that the next row goes on from (``&\quad + [..]``)."""
    rows = part.read_text().splitlines()
    return any(
        row.rstrip().endswith("\\\\") and after.lstrip().startswith("&")
        for row, after in itertools.pairwise(rows)
    )


@pytest.mark.parametrize("size", ["10pt", "11pt", "12pt"])
def test_parts_taller_than_a_page_break_across_pages(large_parts: Path, size: str) -> None:
    """Every part of the hidden-16 LSTM, GRU and RNN with a backward pass, in the article
    host at 10, 11 and 12 pt: no error, no Overfull box, nothing of the host changed; a
    part taller than a page goes on over the next (its rows in an align* whose page breaks
    between equations), no page starts with a row that goes on with an equation
    ("= [..]", "+ [..]") but in a line taller than a page, and none ends with a part's
    heading or its symbolic line without a row of its numbers (issue 12)."""
    host = large_parts.parent / f"host-{size}"
    host.mkdir()
    shutil.copy(HOSTS / f"article-{size}.tex", host)
    shutil.copy(HOSTS / "host-checks.tex", host)
    body = _body(large_parts, beamer=False)
    (host / "lstm-tex-body.tex").write_text(TRACE_SCALING + TRACE_BREAKS + body)
    compiled = compile_tex(host / f"article-{size}.tex", timeout=900)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    overfull = re.findall(r"^Overfull .*$", compiled.log, flags=re.M)
    assert not overfull, overfull[:5]
    # the parts fit the line: none is scaled; the tall ones (every forward gate of the
    # three, at least) are set to break, the others are one box
    assert "lstm-tex test: scaled" not in compiled.log
    assert 16 <= compiled.log.count("lstm-tex test: breaks") < body.count("\\input")
    heading = re.compile(r"((?:lstm|gru|rnn)16): (\S+)")
    part, continued = "", []
    for first, text in page_tops(host / f"article-{size}.pdf"):
        if first in CONTINUED:
            continued.append(part)
            assert first in "+\u2212", (part, text[:80])
            assert breaks_inside(large_parts / part), (part, text[:80])
        for folder, stem in heading.findall(text):
            part = f"{folder}/parts/{stem}.tex"
        # a part that starts on a page shows numbers there: its heading and its first,
        # symbolic line ("f_1 = \sigma(W_if x_1 + ...)") never end a page alone
        *_, last = heading.split(text)
        assert len(last) == len(text) or re.search(r"\d\.\d", last), (part, last[:80])
    # the sums of four (LSTM) and three (GRU) products back to the step before go on over
    # the next page between their terms
    assert {p.split("/")[0] for p in continued} == {"lstm16", "gru16"}, continued


def test_a_product_s_bias_and_result_share_a_row(large_parts: Path) -> None:
    r"""In the hidden-16 parts, a forward product ``W v + b = r`` too wide for one row puts
    ``+ [b] = [r]`` on its second row (they fit the line; the hosts above compile them
    without an Overfull box or scaling), not ``+ [b]`` and ``= [r]`` on a row each."""
    joined = 0
    for part in sorted(large_parts.glob("*16/parts/l0-forward-t1-*.tex")):
        rows = [row.strip() for row in part.read_text().splitlines()]  # a row a line
        for row, after in itertools.pairwise(rows):
            assert not (row.startswith("& + \\begin{bmatrix}") and after.startswith("& =")), part
        joined += sum(
            re.match(r"& \+ \\begin\{bmatrix\}.*\\end\{bmatrix\} = ", r) is not None for r in rows
        )
    assert joined >= 8, joined  # the LSTM's four gates, two products each, at least


#: The tallest parts of the hidden-16 LSTM: a forward gate (935 pt at 10 pt) and an SGD
#: step (964 pt).
TALLEST = ("lstm16/parts/l0-forward-t1-f.tex", "lstm16/parts/backward-sgd-l0-forward-i.tex")


@pytest.mark.parametrize("name", ["beamer-default", "article-twocolumn"])
def test_tall_parts_in_a_frame_and_in_a_column(
    large_parts: Path, tmp_path: Path, name: str
) -> None:
    """A part taller than a page stays one box where a page cannot break, in a Beamer
    frame (as before: the frame does not grow); where it is also wider than the line (a
    two-column article: 229 pt, the parts up to 290 pt) its rows are scaled down to the
    line, one by one, and it breaks across columns between its equations: no error, no
    Overfull \\hbox (nor \\vbox in the article)."""
    article = name.startswith("article")
    text = (HOSTS / ("article-10pt.tex" if article else f"{name}.tex")).read_text()
    if article:  # the host's own 18-column matrix does not fit a column
        text = text.replace("[10pt]", "[10pt,twocolumn]").replace("\\hostwide\n", "")
    (tmp_path / "host.tex").write_text(text)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    inputs = [f"\\input{{{(large_parts / part).as_posix()}}}" for part in TALLEST]
    if not article:
        inputs = [f"\\begin{{frame}}{{tall}}\n{part}\n\\end{{frame}}" for part in inputs]
    (tmp_path / "lstm-tex-body.tex").write_text(
        TRACE_SCALING + TRACE_BREAKS + "\n".join(inputs) + "\n"
    )
    compiled = compile_tex(tmp_path / "host.tex", draft=True)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    assert compiled.overfull_hbox == 0
    if article:  # an align* in a box, each of its rows scaled to the column, put on pages
        assert compiled.overfull_vbox == 0
        assert compiled.log.count("lstm-tex test: breaks") == len(TALLEST)
        assert compiled.log.count("lstm-tex test: scaled") > 4 * len(TALLEST)
    else:
        assert "lstm-tex test: breaks" not in compiled.log


def test_forward_lines_taller_than_a_page_break_inside(tmp_path: Path) -> None:
    """A batch of 3 in an LSTM of hidden size 16 with ``--max-rows 16``: its gates'
    products ``W x + b = r`` take three rows and their activations four, each of 16-row
    matrices, so one equation is taller than a page (as one box, 70 and 225 pt past a
    10 pt article's page: Overfull \\vbox). In the parts, such a line ends its rows of
    numbers in ``\\\\`` (Line.page_breaks), so it goes on over the next page inside the
    equation, as a backward line does: no Overfull box, and a page starts inside an
    equation only in a part with such a line; a state's symbolic row (``c_1 = f_1 ⊙ c_0 +
    i_1 ⊙ g_1``) stays with its numbers."""
    from lstm_tex.read import loader

    path = init_example(tmp_path / "batch16.yaml", "--input-size", "4", "--hidden-size", "16")
    data = loader.read(path).data
    steps = [data["x"]] if not isinstance(data["x"][0], list) else data["x"]  # (T, input)
    data["x"] = [[[round(v * (1 - 0.3 * b), 2) for v in x] for b in range(3)] for x in steps]
    for key in ("h0", "c0"):
        data[key] = [[[round(v * (1 - 0.2 * b), 2) for v in data[key]] for b in range(3)]]
    path.write_text(json.dumps(data))
    result = run_cli("render", path, "--out", tmp_path / "out", "--no-check", "--max-rows", "16")
    assert result.exit_code == 0, result.output
    parts = tmp_path / "out" / "batch16" / "parts"
    paged = {p.stem for p in parts.glob("*.tex") if breaks_inside(p)}
    assert paged >= {f"l0-forward-t1-{k}" for k in "ifgoch"}, paged
    for state in ("c", "h"):  # the symbolic row ends in \\*
        rows = (parts / f"l0-forward-t1-{state}.tex").read_text().split("\\def\\lstmpartrows{%\n")
        assert rows[1].splitlines()[0].endswith("\\\\*"), rows[1][:80]
    shutil.copy(HOSTS / "article-10pt.tex", tmp_path)
    shutil.copy(HOSTS / "host-checks.tex", tmp_path)
    (tmp_path / "lstm-tex-body.tex").write_text(TRACE_BREAKS + _body(tmp_path / "out", False))
    compiled = compile_tex(tmp_path / "article-10pt.tex", timeout=300)
    assert compiled.ok, compiled.errors[:5]
    assert "lstm-tex changed the host" not in compiled.log
    assert compiled.overfull == 0, (compiled.overfull_hbox, compiled.overfull_vbox)
    assert compiled.log.count("lstm-tex test: breaks") >= len(paged)
    part, inside = "", 0
    for first, text in page_tops(tmp_path / "article-10pt.pdf"):
        if first in CONTINUED:
            inside += 1
            assert part in paged, (part, text[:80])
        part = (re.findall(r"batch16: (\S+)", text) or [part])[-1]
    assert inside >= 4, inside
