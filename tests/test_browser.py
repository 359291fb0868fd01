"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright.

Three kinds of page (a forward step, two directions, a backward pass) are rendered with
``--html``; one browser opens each from a copy of its folder with the network off, waits
for KaTeX and checks that every formula rendered (no ``.katex-error``, one ``.katex`` per
maths element written, no raw TeX in the visible text), that the fonts came from the
folder and that the page fits a phone's width (long matrices scroll inside their block),
and takes screenshots at desktop and phone widths. The maths of every bundled example's
Markdown file and Quarto slides, as a Markdown parser reads them, go through KaTeX too.

Set ``LSTM_TEX_SCREENSHOTS=DIR`` to keep the screenshots (the README's pictures come from
``LSTM_TEX_SCREENSHOTS=examples python -m pytest tests/test_browser.py``).
"""

from __future__ import annotations

import os
import shutil
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


def _playwright() -> Any:
    if os.environ.get("CI"):
        import playwright  # noqa: F401  (a missing test extra fails on CI)
    return pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )


#: A forward step with the cross-check, two directions with the unrolled network, and a
#: backward pass.
PAGES = ("notebook-step", "bidirectional", "backward-sequence")


def _site(out: Path) -> Path:
    """The pages, and the Markdown files of every bundled example (the notebook example
    checked against torch, so that its page shows the cross-check too)."""
    for example in BUNDLED:
        flags = ["--markdown"] + (["--html"] if example.stem in PAGES else [])
        check = [] if example.stem == "notebook-step" else ["--no-check"]
        result = run_cli("render", example, "--out", out, *flags, *check)
        assert result.exit_code == 0, result.output
    return out


def test_pages_in_a_real_browser(tmp_path: Path) -> None:
    """One browser for every check (each page in a fresh offline context), so that the
    test stays fast and runs on one pytest-xdist worker."""
    executable = _chromium()
    sync_api = _playwright()
    site = _site(tmp_path / "site")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            for stem in PAGES:
                _check_page(browser, site, stem, tmp_path / stem)
        finally:
            browser.close()


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


def _check_page(browser: Any, site: Path, stem: str, tmp_path: Path) -> None:
    """Open a page from a copy of its folder (as a lecturer publishes it, so that it needs
    nothing else), at desktop and at phone width."""
    folder = tmp_path / "published"
    shutil.copytree(site / stem, folder)
    page_file = folder / f"{stem}.html"
    written = _maths_in_html(page_file.read_text())
    context = browser.new_context(offline=True, viewport=DESKTOP, color_scheme="light")
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
        assert not problems and not requests, (stem, problems, requests)
        assert state["errors"] == [], stem
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
        page.set_viewport_size(PHONE)
        phone_state = page.evaluate(STATE)
        assert phone_state["pageWidth"] <= PHONE["width"], "the page is wider than a phone"
        assert phone_state["scrolling"] > 0, "no long matrix scrolls sideways on a phone"
        phone = shots / f"{stem}-page-phone.png"
        page.screenshot(path=str(phone))
        _looks_like_a_page(phone)
        if stem != PAGES[0]:
            return
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
