"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright.

Every bundled example is rendered with ``--html --markdown``; one browser opens each page
from disk with the network off, waits for KaTeX and checks that every formula rendered
(no ``.katex-error``, one ``.katex`` per maths element written, no raw TeX in the visible
text), that the fonts came from the folder, that the page fits a phone's width (long
matrices scroll inside their block) and takes screenshots at phone and desktop widths.
The Markdown file's maths, as a Markdown parser reads them, go through KaTeX too.

Set ``LSTM_TEX_SCREENSHOTS=DIR`` to keep the screenshots (the README's pictures come from
``LSTM_TEX_SCREENSHOTS=examples python -m pytest tests/test_browser.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUNDLED, run_cli
from tests.test_web import _maths_in_html, _maths_in_markdown

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: The examples whose screenshots the README shows.
PICTURED = {"notebook-step"}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI; tests/install-tex.sh must install it")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if os.environ.get("CI"):
        import playwright  # noqa: F401  (a missing test extra fails on CI)
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every bundled example as a page and a Markdown file (the notebook example checked
    against torch, so that the page shows the cross-check too)."""
    out = tmp_path_factory.mktemp("site")
    for example in BUNDLED:
        check = [] if example.stem == "notebook-step" else ["--no-check"]
        result = run_cli("render", example, "--out", out, "--html", "--markdown", *check)
        assert result.exit_code == 0, result.output
    return out


def _screenshot_dir(tmp_path: Path, stem: str) -> Path:
    keep = os.environ.get("LSTM_TEX_SCREENSHOTS")
    return Path(keep) if keep and stem in PICTURED else tmp_path


STATE = """() => {
  const maths = [...document.querySelectorAll('.math')];
  return {
    written: Number(document.documentElement.getAttribute('data-maths')),
    maths: maths.length,
    rendered: maths.filter(el =>
      el.querySelector(':scope > .katex, :scope > .katex-display')).length,
    katex: document.querySelectorAll('.katex:not(.katex .katex)').length,
    errors: [...document.querySelectorAll('.katex-error')].map(el => el.title || el.textContent),
    text: document.body.innerText,
    fontsLoaded: document.fonts.check('1em KaTeX_Main') && document.fonts.check('1em KaTeX_Math'),
    fontErrors: [...document.fonts].filter(f => f.status === 'error').map(f => f.family),
    pageWidth: document.documentElement.scrollWidth,
    viewWidth: window.innerWidth,
    scrolling: maths.filter(el => el.classList.contains('display')
      && getComputedStyle(el).overflowX === 'auto' && el.scrollWidth > el.clientWidth).length,
  };
}"""

KATEX_EACH = """(items) => items.map(([kind, tex]) => {
  try { katex.renderToString(tex, {displayMode: kind === 'display', throwOnError: true,
                                   strict: false}); return null; }
  catch (e) { return tex.slice(0, 80) + ': ' + e.message; }
}).filter(x => x)"""


@pytest.mark.parametrize("stem", ["notebook-step", "bidirectional", "backward-sequence"])
def test_page_renders_offline(browser: Any, site: Path, stem: str, tmp_path: Path) -> None:
    """A forward step with the cross-check, two directions with the unrolled network, and
    a backward pass; each page opened from a copy of its folder (as a lecturer publishes
    it), so that it needs nothing else."""
    folder = tmp_path / "published"
    shutil.copytree(site / stem, folder)
    page_file = folder / f"{stem}.html"
    written = _maths_in_html(page_file.read_text())
    context = browser.new_context(offline=True, viewport=DESKTOP)
    requests: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (requests.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function(
            "document.documentElement.hasAttribute('data-maths')", timeout=30_000
        )
        page.evaluate("document.fonts.ready.then(() => true)")
        state = page.evaluate(STATE)
        assert not problems and not requests, (problems, requests)
        assert state["errors"] == []
        assert state["written"] == state["maths"] == len(written) > 0
        assert state["rendered"] == state["katex"] == len(written)
        assert "\\begin{bmatrix}" not in state["text"]
        assert "$" not in state["text"] and "\\" not in state["text"]
        assert state["fontsLoaded"] and state["fontErrors"] == []
        assert state["pageWidth"] <= state["viewWidth"]
        shots = _screenshot_dir(tmp_path, stem)
        desktop = shots / f"{stem}-page-desktop.png"
        page.screenshot(path=str(desktop))
        _looks_like_a_page(desktop)
        if stem not in PICTURED:
            return
        page.set_viewport_size(PHONE)
        phone_state = page.evaluate(STATE)
        assert phone_state["pageWidth"] <= PHONE["width"], "the page is wider than a phone"
        assert phone_state["scrolling"] > 0, "no long matrix scrolls sideways on a phone"
        phone = shots / f"{stem}-page-phone.png"
        page.screenshot(path=str(phone))
        _looks_like_a_page(phone)
        # The maths of the Markdown files and the Quarto slides, as a Markdown parser
        # finds them, through KaTeX too.
        markdown = [
            item
            for example in BUNDLED
            for name in (f"{example.stem}.md", f"{example.stem}-slides.qmd")
            for item in _maths_in_markdown((site / example.stem / name).read_text())
        ]
        assert page.evaluate(KATEX_EACH, markdown) == []
    finally:
        context.close()


def _looks_like_a_page(png: Path) -> None:
    """A screenshot with text on it: mostly white, with dark ink."""
    from PIL import Image

    image = Image.open(png).convert("L")
    histogram = image.histogram()
    pixels = sum(histogram)
    assert sum(histogram[:96]) > 0.01 * pixels, f"{png.name}: no ink"
    assert sum(histogram[240:]) > 0.5 * pixels, f"{png.name}: not a white page"
