"""LaTeX: user text, the Jinja templates, PyLaTeX documents and pdflatex."""
