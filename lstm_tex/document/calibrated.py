"""What the slides' state and result lines set besides their matrices, in ems, as
pdflatex measures them at 10 and 11 pt (see benchmarks/calibrate.py, which writes this
module: do not edit by hand; tests/test_texmeasure.py measures the lines again)."""

CELL_LINE_EM = 7.3
CELL_SUM_EM = 5.9
GRU_UPDATE_EM = 9.5
GRU_PRODUCT_EM = 7.0
RESULT_LINE_EM = 11.0
RESULT_SUM_EM = 5.9
RESULT_ACT_EM = 5.2
GATED_EM = 3.0
#: What \tanh and ReLU add to \sigma's width, once in each row of a result line.
ACT_FN_EM = {"\\sigma": 0.0, "\\tanh": 1.4, "\\operatorname{ReLU}": 1.9}
#: At 9 pt the symbols are this much wider in ems (spacing set in points).
SYMBOLS_AT_9 = 1.06


def symbols_em(em: float, size: float) -> float:
    """``em`` of symbols calibrated at 10 and 11 pt, at ``size`` pt."""
    return em * SYMBOLS_AT_9 if size < 9.5 else em
