#!/bin/sh
# Install what the LaTeX tests need (TeX Live from Debian packages, and pdftoppm) and
# what the browser test needs (Debian's chromium, driven by Playwright), unless it is
# already there. Needs root (or sudo) and apt-get.
set -eu
if command -v pdflatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 \
   && command -v pdftoppm >/dev/null 2>&1 && kpsewhich beamer.cls >/dev/null 2>&1 \
   && kpsewhich pgfplots.sty >/dev/null 2>&1 && kpsewhich tikz.sty >/dev/null 2>&1 \
   && command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-tex: not root and no sudo; the LaTeX tests will be skipped" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tex: no apt-get; install TeX Live (pdflatex, latexmk, beamer, pgf, pgfplots, lmodern)," \
       "poppler-utils and chromium yourself; the tests that need them are skipped until then" >&2
  exit 0
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  texlive-latex-base texlive-latex-recommended texlive-pictures latexmk lmodern poppler-utils \
  chromium >/dev/null
