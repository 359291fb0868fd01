"""lstm-tex: every number of an LSTM, typeset for lecture slides and checked against torch."""

from lstm_tex.api import Example, Step, Trace, load
from lstm_tex.check import CheckReport
from lstm_tex.engine import forward
from lstm_tex.errors import CheckFailed, InputError, LatexFailed, LstmTexError
from lstm_tex.pipeline import RenderOptions, render


def __getattr__(name: str) -> str:
    # __version__ on first use: importlib.metadata costs ~10 ms at every start otherwise.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("lstm-tex")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
