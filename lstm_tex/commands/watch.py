"""``lstm-tex render --watch``: render again whenever an example, the checkpoint file its
``weights:`` names, or a template changes.

Polling on each file's modification time and size (no extra dependency, works on
every file system and with editors that save by renaming). The process stays
alive between renders, so torch, Jinja and LaTeX plumbing are imported once and a
re-render costs only the computation and the writing. A failed render (a broken
edit) is reported and the watch goes on; it stops when ``stop`` is set, after
``max_iterations`` polls, or on Ctrl-C (KeyboardInterrupt, left to the caller).

Ctrl-C works only where the process did not start with SIGINT ignored: a shell without job
control starts ``lstm-tex render --watch &`` so (POSIX), the ignored action is inherited by
every program such a job starts, and Python then installs no KeyboardInterrupt handler.
:func:`how_to_stop` says which is the case, and what stops the watch then.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lstm_tex.errors import InputError, LstmTexError
from lstm_tex.read import loader

Signature = tuple[int, int] | None  # (mtime in ns, size), or None when missing

#: Seconds between two looks at the files.
INTERVAL = 0.2
#: A changed file is read once it has kept its signature this long (a write in progress).
SETTLE = 0.05


@dataclass(frozen=True)
class Event:
    """One render: which file, whether it worked, its one-line result or error, how long."""

    path: Path
    ok: bool
    message: str
    seconds: float
    exit_code: int = 0


def how_to_stop() -> str:
    """How a user stops the watch: Ctrl-C, or, where this process started with SIGINT
    ignored (a background job of a shell without job control), ``kill`` with its id."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        return (
            "Ctrl-C is ignored in this process (started in the background); "
            f"stop it with: kill {os.getpid()}"
        )
    return "press Ctrl-C to stop"


def signature(path: Path) -> Signature:
    """What tells that a file changed: its modification time and size (None if missing)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def snapshot(folders: Iterable[Path]) -> dict[Path, Signature]:
    """The signature of every file under ``folders`` (templates: any change re-renders all)."""
    found: dict[Path, Signature] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    found[path] = signature(path)
    return found


def dependencies(example: Path) -> list[Path]:
    """The files an example reads besides itself: the checkpoint that ``weights: model.pt``
    or ``weights: {file: model.pt, prefix: ...}`` names (relative to the example's folder).
    None when the example cannot be read (its render reports why)."""
    try:
        data = loader.read(example).data
    except (LstmTexError, OSError):
        return []
    weights = data.get("weights") if isinstance(data, dict) else None
    name = weights.get("file") if isinstance(weights, dict) else weights
    return [example.parent / name] if isinstance(name, str) and name else []


def run_one(path: Path, work: Callable[[Path], str]) -> Event:
    """Render one file with ``work``; any failure becomes an Event instead of an exception."""
    start = time.perf_counter()
    try:
        message, ok, code = work(path), True, 0
    except InputError as exc:
        message, ok, code = exc.format(), False, exc.exit_code
    except LstmTexError as exc:
        message, ok, code = str(exc), False, exc.exit_code
    except Exception as exc:  # a bug must not end a lecturer's watch session
        message, ok, code = (
            f"unexpected error (please report it): {type(exc).__name__}: {exc}",
            False,
            70,
        )
    return Event(path, ok, message, time.perf_counter() - start, code)


def watch(
    examples: Callable[[], list[Path]],
    work: Callable[[Path], str],
    notify: Callable[[Event], None],
    *,
    templates: Iterable[Path] = (),
    depends: Callable[[Path], list[Path]] = dependencies,
    interval: float = INTERVAL,
    stop: threading.Event | None = None,
    max_iterations: int | None = None,
) -> int:
    """Render every file of ``examples()`` now, then each one again when it changes.

    ``examples`` is called on every poll, so a new file in a watched folder is picked
    up. A change to any file under ``templates`` re-renders everything; a change to a file
    that ``depends(example)`` lists (the checkpoint its ``weights:`` names, read again
    whenever the example changes) re-renders that example. Every render is passed to
    ``notify``. Returns the number of renders.
    """
    stop = stop or threading.Event()
    seen: dict[Path, tuple[Signature, ...]] = {}
    needs: dict[Path, list[Path]] = {}

    def state(path: Path) -> tuple[Signature, ...]:
        return (signature(path), *(signature(p) for p in needs[path]))

    watched_templates = list(templates)
    template_state = snapshot(watched_templates)
    renders = 0
    for path in examples():
        needs[path] = depends(path)
        seen[path] = state(path)
        notify(run_one(path, work))
        renders += 1
    polls = 0
    while not stop.is_set() and (max_iterations is None or polls < max_iterations):
        polls += 1
        if stop.wait(interval):
            break
        files = examples()
        now = snapshot(watched_templates)
        everything = now != template_state
        template_state = now
        for path in files:
            if path not in needs:
                needs[path] = depends(path)
        changed = [p for p in files if everything or state(p) != seen.get(p)]
        if changed and not everything:
            stop.wait(SETTLE)
        for path in changed:
            needs[path] = depends(path)
        seen = {p: state(p) for p in files}
        for path in changed:
            notify(run_one(path, work))
            renders += 1
    return renders
