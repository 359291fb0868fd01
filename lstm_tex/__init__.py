"""lstm-tex: every number of an LSTM, typeset for lecture slides and checked against torch."""

from typing import TYPE_CHECKING, Any

from lstm_tex.errors import CheckFailed, InputError, LatexFailed, LstmTexError

if TYPE_CHECKING:
    from lstm_tex.api import Example, Step, Trace, load
    from lstm_tex.check.forward import CheckReport
    from lstm_tex.compute.engine import forward
    from lstm_tex.pipeline import RenderOptions, render

# The API's names are imported on first use (PEP 562): ``import lstm_tex.cli`` (every
# start of the command) then loads only what the command runs.
_LAZY = {
    "Example": "api",
    "Step": "api",
    "Trace": "api",
    "load": "api",
    "CheckReport": "check.forward",
    "forward": "compute.engine",
    "RenderOptions": "pipeline",
    "render": "pipeline",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f"lstm_tex.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
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
