"""Exact-string tables for the one module that turns floats into LaTeX."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_tex.document import matrices, numbers


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0.29299999, 4, "0.2930"),
        (-0.31699999, 4, "-0.3170"),
        (1e-05, 4, "0.0000"),
        (-1e-05, 4, "0.0000"),
        (-0.00004999, 4, "0.0000"),
        (-0.00005001, 4, "-0.0001"),
        (-0.0, 4, "0.0000"),
        (0.5, 0, "0"),
        (-0.4, 0, "0"),
        (-0.6, 0, "-1"),
        (12345.678, 2, "12345.68"),
        (1e20, 1, "100000000000000000000.0"),
        (1e-12, 12, "0.000000000001"),
    ],
)
def test_fixed(value: float, decimals: int, text: str) -> None:
    assert numbers.fixed(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.5"),
        (0.1, "0.1"),
        (-0.36, "-0.36"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (1e-05, "0.00001"),
        (1e-12, "0.000000000001"),
        (2.5e16, "25000000000000000"),
        (0.30000000000000004, "0.30000000000000004"),
    ],
)
def test_written(value: float, text: str) -> None:
    assert numbers.written(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.1102230246251565e-16, r"1.1 \times 10^{-16}"),
        (1e-10, r"1.0 \times 10^{-10}"),
        (3.5, "3.5"),
    ],
)
def test_scientific(value: float, text: str) -> None:
    assert numbers.scientific(value) == text


@pytest.mark.parametrize(
    ("values", "kwargs", "latex"),
    [
        (
            [0.5, -0.25],
            {"style": "written"},
            r"\begin{bmatrix} \phantom{-}0.5\phantom{0} \\ -0.25 \end{bmatrix}",
        ),
        ([0.2930, 0.1070], {"decimals": 4}, r"\begin{bmatrix} 0.2930 \\ 0.1070 \end{bmatrix}"),
        (
            [[1.0, -12.5], [0.25, 3.0]],
            {"style": "written"},
            r"\begin{bmatrix} 1\phantom{.00} & -12.5 \\ 0.25 & \phantom{-0}3\phantom{.0} "
            r"\end{bmatrix}",
        ),
        ([-0.0, 1.0], {"decimals": 2}, r"\begin{bmatrix} 0.00 \\ 1.00 \end{bmatrix}"),
        # a value that would round to 0.00 shows its first significant digit (issue 12)
        (
            [-0.004, 1.0],
            {"decimals": 2},
            r"\begin{bmatrix} -0.004 \\ \phantom{-}1.00\phantom{0} \end{bmatrix}",
        ),
        (
            [1.0, 2.0, 3.0, 4.0, 5.0],
            {"style": "written", "max_rows": 3},
            r"\begin{bmatrix} 1 \\ \vdots \\ 5 \end{bmatrix}",
        ),
        (
            [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
            {"style": "written", "max_rows": 3, "max_cols": 3},
            r"\begin{bmatrix} 1 & 2 & 3 \\ 4 & 5 & 6 \\ 7 & 8 & 9 \end{bmatrix}",
        ),
        (
            [[float(c + 4 * r) for c in range(4)] for r in range(4)],
            {"style": "written", "max_rows": 3, "max_cols": 3},
            r"\begin{bmatrix} \phantom{0}0 & \cdots & \phantom{0}3 \\ \vdots & \ddots & \vdots "
            r"\\ 12 & \cdots & 15 \end{bmatrix}",
        ),
    ],
)
def test_bmatrix(values: object, kwargs: dict[str, object], latex: str) -> None:
    assert matrices.bmatrix(values, **kwargs) == latex  # type: ignore[arg-type]


def test_wide_matrix_raises_max_matrix_cols_for_itself_only() -> None:
    r"""A local assignment inside ``\begingroup``: ``\setcounter`` is global and would
    change the host document's MaxMatrixCols."""
    latex = matrices.bmatrix([[float(k) for k in range(12)]], style="written")
    assert latex.startswith(
        r"\begingroup\csname c@MaxMatrixCols\endcsname=12\relax"
        r"\begin{bmatrix} 0 & 1 &"
    )
    assert latex.endswith(r"\end{bmatrix}\endgroup")
    assert "setcounter" not in latex
    assert latex.count("&") == 11
    assert matrices.bmatrix([[1.0] * 10], style="written").startswith(r"\begin{bmatrix}")


@pytest.mark.parametrize(
    ("texts", "padded"),
    [
        # a padded minus is {-}: TeX sets "\phantom{0}-1" as a subtraction, "{-}1" as a sign
        (["10", "-1"], [r"\phantom{-}10", r"\phantom{0}{-}1"]),
        (
            ["1", "-1", "0.001"],
            [r"\phantom{-}1\phantom{.000}", r"-1\phantom{.000}", r"\phantom{-}0.001"],
        ),
        (["-10.5", "-1.25"], [r"-10.5\phantom{0}", r"\phantom{0}{-}1.25"]),
        (
            [r"1 \times 10^{300}", "-2.5", r"1 \times 10^{-7}"],
            [
                r"\phantom{-}1\phantom{.0} \times 10^{\phantom{-}300}",
                r"-2.5\phantom{{} \times 10^{-000}}",
                r"\phantom{-}1\phantom{.0} \times 10^{-7\phantom{00}}",
            ],
        ),
    ],
)
def test_align_column(texts: list[str], padded: list[str]) -> None:
    assert matrices.align_column(texts) == padded


@pytest.mark.parametrize(
    ("value", "style", "decimals", "text"),
    [
        (1e-320, "written", 4, r"1 \times 10^{-320}"),
        (1e300, "written", 4, r"1 \times 10^{300}"),
        (1e308, "written", 4, r"1 \times 10^{308}"),
        (-1234567.891, "fixed", 4, r"-1.2346 \times 10^{6}"),
        (999999.99994, "fixed", 4, "999999.9999"),
        (1e300, "fixed", 2, r"1.00 \times 10^{300}"),
        (1e-320, "fixed", 4, "0.0000"),  # below numbers.NOISE: float noise of a 0
        (0.000001, "written", 4, "0.000001"),
        (1.5e-7, "written", 4, r"1.5 \times 10^{-7}"),
        (float(np.float32(1e-7)), "written", 4, r"1 \times 10^{-7}"),  # as saved, float32
        (123456.5, "written", 4, "123456.5"),
        (0.0, "written", 4, "0"),
    ],
)
def test_format_number_is_compact_at_any_size(
    value: float, style: numbers.Style, decimals: int, text: str
) -> None:
    assert numbers.format_number(value, style, decimals) == text


def test_factor_parenthesises_exponents() -> None:
    assert numbers.factor(1e300, "written", 4) == r"(1 \times 10^{300})"
    assert numbers.factor(-0.5, "written", 4) == "(-0.5)"


def test_blocks_are_one_matrix_with_a_rule() -> None:
    r"""Stacked directions as one matrix with \hline (never a bmatrix inside a bmatrix),
    side by side as an array with a vertical rule; each block elided on its own."""
    stacked = matrices.bmatrix(
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], style="written", blocks=[3, 3], max_rows=3
    )
    # an array without outer column space: the rule stops inside the brackets (issue 12)
    assert (
        stacked
        == r"\left[\begin{array}{@{}c@{}} 1 \\ 2 \\ 3 \\ \hline 4 \\ 5 \\ 6 \end{array}\right]"
    )
    elided = matrices.bmatrix(
        list(map(float, range(8))), style="written", blocks=[4, 4], max_rows=3
    )
    assert elided == (
        r"\left[\begin{array}{@{}c@{}} 0 \\ \vdots \\ 3 \\ \hline 4 \\ \vdots \\ 7 "
        r"\end{array}\right]"
    )
    side = matrices.bmatrix([[1.0, -2.0, 3.0, 4.0]], style="written", column_blocks=[2, 2])
    assert side == r"\left[\begin{array}{@{}cc|cc@{}} 1 & -2 & 3 & 4 \end{array}\right]"
    assert side.count("begin") == stacked.count("begin") == 1


def test_the_notebook_bug_is_gone() -> None:
    r"""The seed's ``to_la_nd`` wrapped bmatrix in ``\left\lbrack ... \rbrack\right``."""
    latex = matrices.bmatrix([[0.1, -0.19], [0.08, -0.13]], style="written")
    assert latex.startswith(r"\begin{bmatrix}") and latex.endswith(r"\end{bmatrix}")
    assert r"\left" not in latex and r"\rbrack" not in latex


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(finite, st.integers(0, 12))
def test_fixed_never_exponent_or_negative_zero(x: float, decimals: int) -> None:
    text = numbers.fixed(x, decimals)
    assert "e" not in text and "E" not in text
    assert not (text.startswith("-") and float(text) == 0)
    assert math.isclose(float(text), x, abs_tol=10.0**-decimals, rel_tol=1e-15)


def _bfloat16(x: float) -> float:
    bits = int(np.array(x, dtype=np.float32).view(np.uint32))
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return float(np.array(bits, dtype=np.uint32).view(np.float32))


@given(
    finite | finite.map(lambda v: float(np.float32(v))) | finite.map(lambda v: float(np.float16(v)))
)
def test_written_reads_back_exactly(x: float) -> None:
    """Exactly, in the narrowest precision that holds x: float64 values as float64, and a
    weight saved in float32, bfloat16 or float16 as that precision reads the decimal."""
    text = numbers.written(x)
    assert "e" not in text and "E" not in text
    back = float(text)
    if x == 0 or not math.isfinite(x):
        assert text == "0" or back == x
    elif float(np.float16(x)) == x:
        assert float(np.float16(back)) == x
    elif float(np.float32(x)) == x and _bfloat16(x) == x:
        assert _bfloat16(back) == x
    elif float(np.float32(x)) == x:
        assert float(np.float32(back)) == x
    else:
        assert back == x


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.47, "0.47"),  # as written in an example
        (float(np.float32(-0.08060174646168518)), "-0.080601744"),  # a float32 weight
        (float(np.float16(0.02)), "0.02"),  # a float16 weight
        (float(np.float32(0.1)), "0.1"),  # torch.tensor(0.1) in an API call
    ],
)
def test_written_shows_saved_precision(value: float, text: str) -> None:
    assert numbers.written(value) == text


@given(st.lists(finite.filter(lambda v: abs(v) < 1e6), min_size=1, max_size=6), st.integers(0, 6))
def test_column_entries_have_equal_shape(xs: list[float], decimals: int) -> None:
    """After padding (phantoms count as visible), every entry has the same character count."""
    texts = [numbers.fixed(x, decimals) for x in xs]
    padded = matrices.align_column(texts)

    def visible(s: str) -> str:
        return s.replace(r"\phantom{", "").replace("{", "").replace("}", "")

    assert len({len(visible(p)) for p in padded}) == 1
    assert all(t.lstrip("-") in p for p, t in zip(padded, texts, strict=True))


#: Any floats, or floats of the size a document shows (where the fixed style's shortcut
#: applies: the widest of few and of many integer digits, negative or not).
_WIDTH_FLOATS = st.one_of(st.floats(width=64), st.floats(-1e5, 1e5))


def _float_lists(min_size: int, max_size: int) -> st.SearchStrategy[list[float]]:
    return st.one_of(
        st.lists(st.floats(width=64), min_size=min_size, max_size=max_size),
        st.lists(st.floats(-1e5, 1e5), min_size=min_size, max_size=max_size),
        st.lists(_WIDTH_FLOATS, min_size=min_size, max_size=max_size),
    )


@given(
    # a few numbers (their candidates chosen in plain Python) or more than numbers.FEW
    # (chosen with NumPy)
    st.one_of(_float_lists(0, 8), _float_lists(numbers.FEW + 1, numbers.FEW + 8)),
    st.sampled_from(["fixed", "written"]),
    st.integers(0, 12),
)
def test_widest_is_the_longest_formatted_number(
    xs: list[float], style: numbers.Style, decimals: int
) -> None:
    """The shortcut used for width estimates agrees with formatting every number, for a
    few numbers (chosen in Python) and for many (chosen with NumPy)."""
    texts = [numbers.format_number(x, style, decimals) for x in xs]
    expected = max((numbers.display_width(t) for t in texts), default=1.0)
    if style == "fixed" and xs and all(-5e5 < x < 5e5 for x in xs):
        expected = numbers.column_width(texts)  # a column aligns their decimals
    assert numbers.widest(np.array(xs, dtype=np.float64), style, decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (3.14e-5, 4, "0.00003"),
        (-3.14e-5, 4, "-0.00003"),
        (-0.00004999, 4, "-0.00005"),
        (9.6e-6, 4, "0.00001"),  # rounded to one digit first
        (1e-6, 4, "0.000001"),
        (-2.04e-8, 4, r"-2 \times 10^{-8}"),  # below 10^-6, as written numbers
        (0.0, 4, "0.0000"),
        (-0.0, 4, "0.0000"),
        (5.1e-5, 4, "0.0001"),
        (3.14e-5, 6, "0.000031"),  # at 6 decimals it does not round to zero
        (3.14e-7, 6, r"3 \times 10^{-7}"),
        (1.4e-17, 4, "0.0000"),  # float64's noise of an exact 0 (below numbers.NOISE)
        (2e-12, 4, r"2 \times 10^{-12}"),
    ],
)
def test_a_value_that_is_not_zero_never_reads_zero(value: float, decimals: int, text: str) -> None:
    """Issue 12: gradients of a hidden-16 net read 0.0000 at 4 decimals."""
    assert numbers.format_number(value, "fixed", decimals) == text


def test_column_width_aligns_more_decimals() -> None:
    """-0.0036 beside 0.00003: a column of a sign, one digit and five decimals; beside
    3 x 10^-8 every number gets a phantom exponent."""
    assert numbers.column_width(["-0.0036", "0.0012"]) == 7.0
    assert numbers.column_width(["-0.0036", "0.00003"]) == 8.0
    assert numbers.column_width(["-0.0036", r"3 \times 10^{-8}"]) == 7.0 + 4 + 0.7 * 2
    assert numbers.widest(np.array([-0.0036, 0.000031, 0.0012]), "fixed", 4) == 8.0
    assert numbers.widest(np.array([-0.0036, 0.000031] * 40), "fixed", 4) == 8.0


@pytest.mark.parametrize(
    ("values", "decimals", "exponent"),
    [
        ([3.012e-5, 2e-7], 4, -4),  # 10^{-4} [0.3012; 0.0020]
        ([-4e-4, 3e-5, -2e-7], 4, -3),  # the hidden-8 article's delta (issue 12)
        ([0.00096], 4, -3),
        ([0.000999996], 4, -2),  # 0.9999... would print 1.0000: 0.1000 instead
        ([0.0027, 0.0001], 4, None),  # from 10^-3 up the largest keeps two digits
        ([0.5, 2e-7], 4, None),  # one entry of ordinary size: none
        # below 0.1, where an entry would take an exponent of its own (2 x 10^{-7})
        ([0.0058, -2e-7], 4, -2),
        ([0.05, 2e-7], 4, -1),
        ([0.0058, 2e-6], 4, None),  # 0.000002: no exponent
        ([0.0058, 1e-13], 4, None),  # float noise: 0.0000
        ([0.0058, 2e-7], 7, None),  # 0.0000002 at 7 decimals
        ([0.0, -0.0], 4, None),
        ([1e-13, -1e-15], 4, None),  # float noise of exact zeros (numbers.NOISE)
        ([0.05, 0.01], 2, -1),  # at 2 decimals from 0.1 down
        ([0.5], 2, None),
        ([0.05], 1, -1),  # never 10^{0}
        ([3e-6], 6, -5),
        ([4e-6], 6, -5),
        ([2e-5], 6, None),
        ([], 4, None),
        ([math.nan, 1e-5], 4, None),
    ],
)
def test_shared_exponent(values: list[float], decimals: int, exponent: int | None) -> None:
    """A matrix of tiny computed values is written 10^{p}[...] where even its largest entry
    would keep one significant digit at ``decimals`` (issue 12)."""
    assert numbers.shared_exponent(np.array(values, dtype=np.float64), decimals) == exponent


@pytest.mark.parametrize(
    ("values", "kwargs", "latex"),
    [
        ([3.012e-5, 2e-7], {}, r"10^{-4}\begin{bmatrix} 0.3012 \\ 0.0020 \end{bmatrix}"),
        (
            [-4.1e-4, 3e-5, -2e-7],
            {},
            r"10^{-3}\begin{bmatrix} -0.4100 \\ \phantom{-}0.0300 \\ -0.0002 \end{bmatrix}",
        ),
        # what the matrix shows decides: 0.5 is elided away
        (
            [1e-5, 0.5, 0.5, 2e-5],
            {"max_rows": 3},
            r"10^{-4}\begin{bmatrix} 0.1000 \\ \vdots \\ 0.2000 \end{bmatrix}",
        ),
        # float noise stays 0 under the power; a value 10^4 times smaller than the
        # largest shows its first digit as any value that would round to zero does
        (
            [3e-5, 1e-14, 2e-10],
            {},
            r"10^{-4}\begin{bmatrix} 0.3000\phantom{00} \\ 0.0000\phantom{00} \\ 0.000002 "
            r"\end{bmatrix}",
        ),
        # numbers as written, rows of both styles and an exercise's boxes: never
        ([1e-5, 2e-5], {"style": "written"}, r"\begin{bmatrix} 0.00001 \\ 0.00002 \end{bmatrix}"),
        (
            [1e-5, 2e-5],
            {"style": ["written", "fixed"]},
            r"\begin{bmatrix} 0.00001 \\ 0.00002 \end{bmatrix}",
        ),
        (
            [1e-5, 2e-5],
            {"marks": ["blank", ""]},
            r"\begin{bmatrix} \lstmblank{0.00000} \\ 0.00002 \end{bmatrix}",
        ),
        (
            [[1e-5, -2e-5], [3e-5, 4e-5]],
            {"blocks": [1, 1]},
            r"10^{-4}\left[\begin{array}{@{}cc@{}} 0.1000 & -0.2000 \\ \hline 0.3000 & "
            r"\phantom{-}0.4000 \end{array}\right]",
        ),
    ],
)
def test_bmatrix_shared_power_of_ten(values: object, kwargs: dict[str, object], latex: str) -> None:
    assert matrices.bmatrix(values, **kwargs) == latex  # type: ignore[arg-type]


def test_power_and_its_width() -> None:
    """Measured with pdflatex (Latin Modern, 10 pt): 10^{-4} and the thin space before the
    matrix 22.4 pt, 10^{-10} 26.4 pt; in digit widths (half an em) 4.5 and 5.3."""
    assert numbers.power(-4) == "10^{-4}"
    assert numbers.power(None) == ""
    assert numbers.power_width(-4) == pytest.approx(22.4 / 5, abs=0.05)
    assert numbers.power_width(-10) == pytest.approx(26.4 / 5, abs=0.05)
    assert numbers.power_width(None) == 0.0


def test_matrix_widths_count_mantissas_and_the_power() -> None:
    """-2 x 10^{-7} padded every entry of its column to 14.4 digit widths; under a shared
    power the column is that of -0.4000 (7) and the power 4.5 (issue 12)."""
    delta = np.array([-2e-7, 3e-5, -1e-5, -8e-6, -3e-4, -4e-5, 4e-4, -4e-4])
    assert numbers.widest(delta, "fixed", 4) == pytest.approx(14.4)
    assert numbers.matrix_widths(delta, "fixed", 4) == (7.0, 4.5)
    assert numbers.matrix_widths(delta, "fixed", 4, scale=False) == (pytest.approx(14.4), 0.0)
    assert numbers.matrix_widths(delta, "written", 4)[1] == 0.0


@given(
    st.lists(st.floats(-9e-4, 9e-4), min_size=1, max_size=12).filter(
        lambda xs: max(abs(x) for x in xs) >= 1e-9
    ),
    st.integers(2, 6),
)
def test_mantissas_read_back_the_values(xs: list[float], decimals: int) -> None:
    """10^{p} times each printed mantissa is the value to half a unit of the mantissa's
    last decimal (or its one significant digit), and the largest mantissa prints between
    0.1000 and 1 (as the document's other values); without a power, no entry prints with
    an exponent of its own."""
    values = np.array(xs, dtype=np.float64)
    p = numbers.shared_exponent(values, decimals)
    if max(abs(x) for x in xs) < numbers.scale_below(decimals):
        assert p is not None
    if p is None:  # none is tiny enough, nor would one take an exponent of its own
        assert not any(numbers.TIMES in numbers.format_number(x, "fixed", decimals) for x in xs)
        return
    assert p < 0
    texts = [numbers.format_number(m, "fixed", decimals) for m in numbers.mantissas(values, p)]
    assert 0.1 <= max(abs(float(t)) for t in texts if numbers.TIMES not in t) < 1.0
    for x, text in zip(xs, texts, strict=True):
        if numbers.TIMES not in text:
            digits = max(decimals, len(text.partition(".")[2]))
            assert abs(float(text) * 10.0**p - x) <= 0.5 * 10.0 ** (p - digits) * (1 + 1e-9)


def test_row_vector_widths_count_the_power_once() -> None:
    """A row vector of tiny values (the row-vector notation) is as wide as its mantissas,
    its power of ten counted with its first column (every elision shows it)."""
    from lstm_tex.document import measure, rowfit

    tiny = np.array([[3.012e-5, -2e-7, 1e-5, 2.5e-5]])
    plain = np.array([[0.3012, -0.0020, 0.1000, 0.2500]])
    scaled = rowfit.column_widths([(tiny, "fixed")], 4, 8)
    widths = rowfit.column_widths([(plain, "fixed")], 4, 8)
    assert scaled[1:] == pytest.approx(widths[1:])
    assert scaled[0] == pytest.approx(widths[0] + measure.DIGIT_EM * numbers.power_width(-4))
