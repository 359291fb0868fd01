"""``lstm-tex render --watch``: edits re-render quickly, broken edits do not stop the watch."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from lstm_tex import pipeline
from lstm_tex.commands import watch
from tests.conftest import EXAMPLES

NOTEBOOK = EXAMPLES / "notebook-step.yaml"
WAIT = 20.0  # seconds: generous bound for a loaded CI machine
#: Bound for a separate process to start (imports) and render, on a machine under load.
PROCESS_WAIT = 60.0
#: Bound for it to exit once told to stop: a hang fails here, not after minutes.
EXIT_WAIT = 20.0
#: ``lstm-tex`` as a terminal starts it in the foreground: SIGINT at its default action.
#: Set here because an ignored SIGINT is inherited: a shell without job control starts
#: ``pytest ... &`` with it ignored, and every process under it, this one included, then
#: ignored Ctrl-C (Python installs no KeyboardInterrupt handler then), so the test hung
#: until its timeout (the 180 s stalls of full runs started in the background).
FOREGROUND = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.{action}); "
    "from lstm_tex.cli import main; sys.argv[0] = 'lstm-tex'; main()"
)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def touch_later(path: Path, text: str) -> None:
    """Write ``text`` with an mtime surely different from the last one (coarse clocks)."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


class Watcher:
    """``watch.watch`` in a thread, collecting its events."""

    def __init__(
        self, example: Path, out: Path, templates: list[Path] | None = None, check: bool = True
    ) -> None:
        self.events: list[watch.Event] = []
        self.stop = threading.Event()
        options = pipeline.RenderOptions(out=out, check=check)

        def work(path: Path) -> str:
            return str(pipeline.render(path, options).folder)

        self.thread = threading.Thread(
            target=watch.watch,
            daemon=True,
            kwargs={
                "examples": lambda: [example],
                "work": work,
                "notify": self.events.append,
                "templates": templates or [],
                "interval": 0.05,
                "stop": self.stop,
            },
        )

    def __enter__(self) -> Watcher:
        self.thread.start()
        wait_for(lambda: len(self.events) >= 1, "the first render")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive()

    def next_event(self, seen: int) -> watch.Event:
        wait_for(lambda: len(self.events) > seen, "a re-render")
        return self.events[seen]


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "step.yaml"
    shutil.copy(NOTEBOOK, path)
    yield path


def x_of(out: Path) -> list[float]:
    values = json.loads((out / "step" / "values.json").read_text())
    return list(values["steps"][0]["x"])


def x_or_none(out: Path) -> list[float] | None:
    """``x_of`` while another process may be swapping the folder in."""
    try:
        return x_of(out)
    except (OSError, ValueError):
        return None


def test_edit_rerenders_and_broken_edit_keeps_watching(example: Path, out: Path) -> None:
    good = example.read_text()
    with Watcher(example, out) as w:
        assert w.events[0].ok, w.events[0].message
        assert x_of(out) == [0.5, 0.1]
        touch_later(example, good.replace("x: [0.5, 0.1]", "x: [0.25, -0.75]"))
        edited = w.next_event(1)
        assert edited.ok, edited.message
        assert x_of(out) == [0.25, -0.75]
        assert edited.seconds < 1.0, f"re-render took {edited.seconds:.2f} s"

        touch_later(example, good.replace("x: [0.5, 0.1]", "x: [0.25, oops"))
        broken = w.next_event(2)
        assert not broken.ok and broken.exit_code == 2
        assert "step.yaml" in broken.message
        assert w.thread.is_alive()
        assert x_of(out) == [0.25, -0.75], "a broken edit leaves the last output"

        touch_later(example, good.replace("x: [0.5, 0.1]", "x: [1.0, 2.0]"))
        fixed = w.next_event(3)
        assert fixed.ok, fixed.message
        assert x_of(out) == [1.0, 2.0]


def test_template_change_rerenders(example: Path, out: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    with Watcher(example, out, templates=[templates], check=False) as w:
        (templates / "notes.txt").write_text("a new file in the templates folder\n")
        event = w.next_event(1)
        assert event.ok and event.path == example


def test_unchanged_files_are_not_rendered_again(example: Path, out: Path) -> None:
    events: list[watch.Event] = []
    renders = watch.watch(
        lambda: [example], lambda p: "done", events.append, interval=0.01, max_iterations=5
    )
    assert renders == 1 and [e.message for e in events] == ["done"]


def test_unexpected_errors_are_reported_not_raised(example: Path) -> None:
    def work(path: Path) -> str:
        raise RuntimeError("boom")

    events: list[watch.Event] = []
    watch.watch(lambda: [example], work, events.append, interval=0.01, max_iterations=1)
    assert not events[0].ok and "RuntimeError: boom" in events[0].message


class WatchProcess:
    """``lstm-tex render EXAMPLE --no-check --watch`` in a process of its own, SIGINT set
    to ``action`` (``default_int_handler``: Ctrl-C works; ``SIG_IGN``: a background job);
    its stdout and stderr lines are read as they come."""

    def __init__(self, example: Path, out: Path, action: str) -> None:
        args = ["render", str(example), "--out", str(out), "--no-check", "--watch"]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FOREGROUND.format(action=action), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stderr: list[str] = []
        self.readers = []
        for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            reader = threading.Thread(target=self._read, args=(name, stream), daemon=True)
            reader.start()
            self.readers.append(reader)

    def _read(self, name: str, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            if name == "err":
                self.stderr.append(line)
            self.lines.put((name, line))

    def next_line(self, what: str, found: Callable[[str, str], bool]) -> str:
        """The next line for which ``found(stream, line)``; fails (never hangs) when the
        process prints none within :data:`PROCESS_WAIT`."""
        end = time.monotonic() + PROCESS_WAIT
        while True:
            try:
                name, line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {what} within {PROCESS_WAIT} s; stderr: {self.stderr}")
            if found(name, line):
                return line

    def next_render(self, what: str) -> str:
        return self.next_line(what, lambda name, line: name == "out" and "step.yaml -> " in line)

    def stop(self, sig: int) -> tuple[int, str]:
        """Send ``sig``; the exit status and all of stderr, within :data:`EXIT_WAIT` (else
        the test fails)."""
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=EXIT_WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the watch did not exit within {EXIT_WAIT} s of signal {sig}")
        for reader in self.readers:  # the pipes are at their end once the process exited
            reader.join(timeout=WAIT)
        return code, "".join(self.stderr)

    def __enter__(self) -> WatchProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_cli_watch_stops_on_ctrl_c_with_exit_0(example: Path, out: Path) -> None:
    """Deterministic under load: every wait is for a line the process prints (no sleeps,
    no polling of files), bounded by :data:`PROCESS_WAIT` and :data:`EXIT_WAIT`; Ctrl-C is
    sent once the watch has printed its re-render, that is, while it waits for changes."""
    with WatchProcess(example, out, "default_int_handler") as watching:
        banner = watching.next_line("watching line", lambda name, line: "watching" in line)
        assert "press Ctrl-C to stop" in banner, banner
        watching.next_render("first render")
        touch_later(example, example.read_text().replace("x: [0.5, 0.1]", "x: [0.3, 0.4]"))
        watching.next_render("re-render")
        assert x_of(out) == [0.3, 0.4]
        code, stderr = watching.stop(signal.SIGINT)
    assert code == 0, stderr
    assert "stopped watching" in stderr and "Traceback" not in stderr


def test_cli_watch_started_with_ctrl_c_ignored_says_how_to_stop(example: Path, out: Path) -> None:
    """A watch started with SIGINT ignored (``lstm-tex render --watch &`` in a script: the
    shell ignores it for the job) cannot be stopped with Ctrl-C; it says so, with the
    ``kill`` that stops it, instead of "press Ctrl-C to stop"."""
    with WatchProcess(example, out, "SIG_IGN") as watching:
        banner = watching.next_line("watching line", lambda name, line: "watching" in line)
        pid = watching.proc.pid
        assert "press Ctrl-C" not in banner, banner
        assert "Ctrl-C is ignored in this process (started in the background)" in banner
        assert f"; stop it with: kill {pid}\n" in banner
        watching.next_render("first render")
        code, stderr = watching.stop(signal.SIGTERM)
    assert code == -signal.SIGTERM, stderr


def save_later(path: Path, weights: dict[str, Any]) -> None:
    """``np.savez`` over ``path`` with an mtime surely different from the last one."""
    import numpy as np

    before = path.stat().st_mtime_ns
    with path.open("wb") as f:
        np.savez(f, **weights)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_a_change_to_the_weights_file_rerenders(tmp_path: Path, out: Path) -> None:
    """An example whose ``weights:`` names a model file (here .npz, read without torch) is
    rendered again when that file changes, not only when the example does; the example
    may name another file later (it is read again on each change)."""
    import numpy as np

    from lstm_tex.read import loader

    data = loader.read(NOTEBOOK).data
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in data["weights"].items()}
    model = tmp_path / "model.npz"
    np.savez(model, **weights)
    example = tmp_path / "step.yaml"
    example.write_text(json.dumps({**data, "weights": {"file": "model.npz"}}))

    def ih(out: Path) -> float:
        values = json.loads((out / "step" / "values.json").read_text())
        return float(values["steps"][0]["gates"]["i"]["ih"][0])

    with Watcher(example, out, check=False) as w:
        assert w.events[0].ok, w.events[0].message
        before = ih(out)
        weights["bias_ih_l0"][0] += 1.0
        save_later(model, weights)  # the example itself is untouched
        event = w.next_event(1)
        assert event.ok and event.path == example, event.message
        assert ih(out) == pytest.approx(before + 1.0)

        other = tmp_path / "other.npz"
        weights["bias_ih_l0"][0] += 1.0
        np.savez(other, **weights)
        touch_later(example, json.dumps({**data, "weights": "other.npz"}))
        assert w.next_event(2).ok
        assert ih(out) == pytest.approx(before + 2.0)
        weights["bias_ih_l0"][0] += 1.0
        save_later(other, weights)
        assert w.next_event(3).ok
        assert ih(out) == pytest.approx(before + 3.0)
        assert len(w.events) == 4
