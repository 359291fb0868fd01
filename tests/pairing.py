r"""Elision read back from a deck's ``frames.tex``: whether each product's factors, each sum's
terms and its result, and each entrywise product's factors show the same entries (issue 12).

A matrix's shape as shown is its :class:`Shape`: for each row (column) shown, whether it is
the row of ``\vdots`` (the column of ``\cdots``) that stands for the elided ones. Two
factors of ``A B`` pair when A's columns and B's rows have the same shape, each ``\cdots``
opposite a ``\vdots``; the terms of a sum, its result and the factors of ``\odot`` have the
same shape (:func:`expressions` reads the lines of a derivation as chains of them).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

#: A numeric matrix: a bmatrix, or the ruled array of the textbook's [W_hk | W_ik] and [h; x].
MATRIX = re.compile(
    r"\\left\[\\begin\{array\}\{[^}]*\}(?P<ruled>.*?)\\end\{array\}\\right\]"
    r"|\\begin\{bmatrix\}(?P<plain>.*?)\\end\{bmatrix\}",
    re.S,
)
#: An aligned block of a deck's frames or of an article, or a part's rows (which it sets in
#: ``aligned`` or ``align*``: ``\lstmpartrows``).
ALIGNED = re.compile(
    r"\\begin\{(?:aligned|align\*)\}(?!\\lstmpartrows)(.*?)\\end\{(?:aligned|align\*)\}"
    r"|\\def\\lstmpartrows\{%\n(.*?)\n\}%",
    re.S,
)
ROW_BREAK = re.compile(r"\\\\(?:\*|\[[^\]]*\])?")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: What may stand between two factors of one product (after the commands that only space
#: or size are removed): nothing, or the ``\cdot`` of a product broken over rows.
PRODUCT_OPS = {"", "\\cdot"}
SPACING = re.compile(r"\\(?:quad|qquad|left\.|right\.|,|;|!)|&|\s")


@dataclass(frozen=True)
class Shape:
    """Rows and columns as shown: True for the row of ``\\vdots`` or column of ``\\cdots``."""

    rows: tuple[bool, ...]
    cols: tuple[bool, ...]

    def __str__(self) -> str:
        def axis(a: tuple[bool, ...]) -> str:
            return "".join(":" if dots else "o" for dots in a)

        return f"{axis(self.rows)} x {axis(self.cols)}"


def shape(body: str) -> Shape | None:
    """The shape of a matrix's ``body`` (None: not numbers, a matrix of symbols)."""
    body = body.replace("\\hline", "")
    rows = [[c.strip() for c in r.split("&")] for r in ROW_BREAK.split(body) if r.strip()]
    plain = [
        re.sub(r"\\phantom\{[^}]*\}|\{-\}|\\lstm\w+\{([^}]*)\}", r"\1", c) for r in rows for c in r
    ]
    if not any(NUMBER.fullmatch(c.replace("{-}", "-").strip()) for c in plain):
        return None
    dotted_rows = tuple(all(c in ("\\vdots", "\\ddots") for c in r) for r in rows)
    width = max(len(r) for r in rows)
    dotted_cols = tuple(
        all(r[k] in ("\\cdots", "\\ddots") for r, d in zip(rows, dotted_rows, strict=True) if not d)
        and any(not d for d in dotted_rows)
        for k in range(width)
    )
    return Shape(dotted_rows, dotted_cols)


@dataclass(frozen=True)
class Factor:
    """A matrix of a product: its shape and its text."""

    shape: Shape
    tex: str


def frames(tex: str) -> list[tuple[str, str]]:
    """The frames of a deck's ``frames.tex``: (title, body); an article is one."""
    if "\\begin{frame}" not in tex:
        return [("", tex)]
    return re.findall(r"\\begin\{frame\}(?:\[[^\]]*\])?\{(.*?)\}\n(.*?)\\end\{frame\}", tex, re.S)


Chain = list[list[Factor]]  # terms, each a product of factors


def expressions(tex: str) -> list[Chain]:
    """The derivation's chains: each a list of terms (products of matrices, ``A B`` or
    ``A \\\\ \\cdot B``) joined by ``+``, ``=``, ``\\odot`` or a function's parentheses,
    so that all of them have one shape. A chain ends where a line with a left-hand side
    begins (``f_1 &= ...``) or a line of symbols only; the symbolic line that heads each
    "(continued)" frame of a gate is skipped, so that a line cut over frames is one
    chain."""
    chains: list[Chain] = [[]]
    for title, body in frames(tex):
        continued = "(continued)" in title
        for block in (a or b for a, b in ALIGNED.findall(body)):
            found = list(MATRIX.finditer(block))
            shapes = [shape(m.group("ruled") or m.group("plain")) for m in found]
            # each matrix as a token, so that rows split between them, not inside
            tokens = [m.group(0) for m in found]
            flat = block
            for k, m in reversed(list(enumerate(found))):
                flat = flat[: m.start()] + f"@{k}@" + flat[m.end() :]
            trailing = ""  # an operator at the end of a row (``\odot \right.``) goes on
            for n, row in enumerate(ROW_BREAK.split(flat)):
                trailing = _read_row(
                    chains,
                    (trailing, row),
                    [(int(k), shapes[int(k)], tokens[int(k)]) for k in re.findall(r"@(\d+)@", row)],
                    continued and n == 0,
                )
    return [[t for t in chain if t] for chain in chains if chain]


def _read_row(
    chains: list[Chain],
    rows: tuple[str, str],
    found: list[tuple[int, Shape | None, str]],
    header: bool,
) -> str:
    """Read one row of an aligned block (``rows``: what ended the row before it after its
    last matrix, and the row, its matrices as ``@k@`` tokens; ``found``: their numbers,
    shapes and texts; ``header``: the symbolic line heading a continued frame); returns
    what ends it after its last matrix."""
    before, row = rows
    numeric = [(k, s, t) for k, s, t in found if s is not None]
    # a matrix of symbols (the results' [h_1; h_2]) reads as symbols
    for k, s, _ in found:
        if s is None:
            row = row.replace(f"@{k}@", "SYMBOLS")
    lhs = row.split("&", 1)[0] if "&" in row else row
    if not numeric:
        if row.strip() and not header:
            chains.append([])
        return ""
    if lhs.strip():
        chains.append([])
        before = ""
    start = row.index("&") + 1 if "&" in row else 0
    for k, shown, t in numeric:
        at = row.index(f"@{k}@")
        assert shown is not None
        _add(chains, before + row[start:at], Factor(shown, t))
        before, start = "", at + len(f"@{k}@")
    return row[start:]


def _add(chains: list[Chain], between: str, factor: Factor) -> None:
    """Add a matrix to the last chain: as a factor of its last term when nothing but a
    product's ``\\cdot`` stands before it, else as a new term (a new chain when symbols
    stand before it: a second left-hand side on the row)."""
    op = SPACING.sub("", between)
    chain = chains[-1]
    if chain and chain[-1] and op in PRODUCT_OPS:
        chain[-1].append(factor)
        return
    if re.search(r"[A-Za-z]", re.sub(r"\\(?:cdot|odot|tanh|sigma|left|right)", "", op)):
        chains.append([])
        chain = chains[-1]
    chain.append([factor])


def disagreements(tex: str) -> list[str]:
    """Every product whose factors do not pair (A's columns against B's rows), and every
    chain whose terms have different shapes, in words."""
    found = []
    for chain in expressions(tex):
        shapes = []
        for factors in chain:
            first = factors[0].shape
            rows, cols = first.rows, first.cols
            for f in factors[1:]:
                if cols != f.shape.rows:
                    found.append(
                        f"product: columns {Shape((), cols)} against rows {Shape(f.shape.rows, ())}"
                        f" in {factors[0].tex[:60]} ... {f.tex[:60]}"
                    )
                cols = f.shape.cols
            shapes.append(Shape(rows, cols))
        if len(set(shapes)) > 1:
            found.append(f"sum or entrywise product of shapes {[str(s) for s in shapes]}")
    return found


def products(tex: str) -> list[tuple[Shape, Shape]]:
    """The pairs of consecutive factors of every product: (left, right)."""
    return [
        (a.shape, b.shape)
        for chain in expressions(tex)
        for factors in chain
        for a, b in itertools.pairwise(factors)
    ]


#: A backward product ``lhs = W^\top v &= [W^\top] [v] = [r]`` (dx, dh_{t-1}, W_hr^T dh) of
#: a deck's ``frames.tex``, ``W^\top v`` ending its left-hand side (not the GRU's
#: ``W^\top v + z \odot dh``): its weight's symbol and the first row of its matrix.
BACKWARD_PRODUCT = re.compile(
    r"^[^&\n]*?(?P<w>W_\{\w+\}\^\{[^&\n]*?\\top\})[^&\n+=]*&= \\begin\{bmatrix\}(?P<row>.*?)\\\\",
    re.M,
)


def backward_columns(tex: str) -> dict[str, set[int]]:
    """By weight (its symbol, ``W_{hh}^{(1)\\top}``), the columns each of its backward
    products shows (how many numbers the first row of ``W^\\top`` has): one count per
    weight where it is elided alike at every step."""
    found: dict[str, set[int]] = {}
    for m in BACKWARD_PRODUCT.finditer(tex):
        cells = [cell.strip() for cell in m.group("row").split("&")]
        found.setdefault(m.group("w"), set()).add(sum(cell != "\\cdots" for cell in cells))
    return found
