"""lstm-tex: every number of an LSTM, typeset for lecture slides and checked against torch."""

from importlib.metadata import PackageNotFoundError, version

from lstm_tex.api import Example, Step, Trace, load
from lstm_tex.check import CheckReport
from lstm_tex.engine import forward
from lstm_tex.errors import CheckFailed, InputError, LatexFailed, LstmTexError
from lstm_tex.pipeline import RenderOptions, render

try:
    __version__ = version("lstm-tex")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = [
    "CheckFailed",
    "CheckReport",
    "Example",
    "InputError",
    "LatexFailed",
    "LstmTexError",
    "RenderOptions",
    "Step",
    "Trace",
    "__version__",
    "forward",
    "load",
    "render",
]
