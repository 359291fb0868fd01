"""lstm-tex: every number of an LSTM, typeset for lecture slides and checked against torch."""

from importlib.metadata import PackageNotFoundError, version

from lstm_tex.engine import Trace, forward
from lstm_tex.errors import CheckFailed, InputError, LatexFailed, LstmTexError
from lstm_tex.pipeline import RenderOptions, render
from lstm_tex.spec import Example, load

try:
    __version__ = version("lstm-tex")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = [
    "CheckFailed",
    "Example",
    "InputError",
    "LatexFailed",
    "LstmTexError",
    "RenderOptions",
    "Trace",
    "__version__",
    "forward",
    "load",
    "render",
]
