"""Per-test CPU time, pdflatex and other child processes included (issue 17).

Off by default. ``LSTM_TEX_CPU_PROFILE=DIR python -m pytest -n auto`` writes one JSON line
per test (setup + call + teardown: a session fixture is charged to the first test that uses
it) to ``DIR/<worker>.jsonl``, and each worker's whole CPU time (imports and collection
included) to ``DIR/<worker>.total.json``; ``python -m tests.cpu_profile DIR`` prints the CPU
seconds per test file and the costliest tests. CPU time, unlike the wall clock, hardly moves
when other processes share the cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

ENV = "LSTM_TEX_CPU_PROFILE"


def cpu_seconds() -> tuple[float, float]:
    """(this process, its waited-for children) user + system CPU seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class Recorder:
    def __init__(self, folder: Path, stats: Callable[[], dict[str, int]]) -> None:
        self.stats = stats
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.stream = (folder / f"{_worker()}.jsonl").open("a")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        me, kids = cpu_seconds()
        wall = time.perf_counter()
        yield
        me2, kids2 = cpu_seconds()
        record = {
            "test": item.nodeid,
            "self": round(me2 - me, 3),
            "children": round(kids2 - kids, 3),
            "wall": round(time.perf_counter() - wall, 3),
        }
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def pytest_sessionfinish(self) -> None:
        me, kids = cpu_seconds()
        total = {"self": round(me, 3), "children": round(kids, 3), **self.stats()}
        (self.folder / f"{_worker()}.total.json").write_text(json.dumps(total))
        self.stream.close()


def configure(config: pytest.Config, stats: Callable[[], dict[str, int]] = dict) -> None:
    """Register the recorder when ``LSTM_TEX_CPU_PROFILE`` names a folder."""
    folder = os.environ.get(ENV)
    if folder:
        config.pluginmanager.register(Recorder(Path(folder), stats), "lstm-tex-cpu-profile")


#: A pytest temporary folder in a document (``\\input{/tmp/pytest-of-u/pytest-3/x0/a.tex}``):
#: two tests' copies of one document differ only there.
_TMP = re.compile(rb"/[^\s{}]*?/pytest-\d+/(?:popen-gw\d+/)?[^/\s{}]+/")


def document(tex: Path) -> str:
    """What a document is, whichever test wrote it: its text and its folder's sources
    (pytest's temporary folders left out; not other documents' outputs, as
    ``texformat.Results.key`` counts them)."""
    digest = hashlib.sha256(tex.name.encode())
    for path in sorted(tex.parent.rglob("*")):
        if path.is_file() and path.suffix in (".tex", ".sty", ".cls", ".png", ".csv"):
            digest.update(str(path.relative_to(tex.parent)).encode() + b"\0")
            digest.update(_TMP.sub(b"TMP/", path.read_bytes()))
    return digest.hexdigest()[:16]


def compile_note(tex: Path, flags: str) -> Callable[[float, bool], None]:
    """Called before ``compile_tex`` runs pdflatex: what logs that compile when profiling
    (which test, which document, its CPU seconds, whether a result was reused)."""
    folder = os.environ.get(ENV)
    if not folder:
        return lambda seconds, reused: None
    record = {
        "test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        "tex": tex.name,
        "document": document(tex) + flags,
    }

    def note(seconds: float, reused: bool) -> None:
        with (Path(folder) / f"{_worker()}.compiles.jsonl").open("a") as stream:
            stream.write(json.dumps({**record, "cpu": round(seconds, 3), "reused": reused}))
            stream.write("\n")

    return note


def duplicates(folder: Path, top: int = 30) -> str:
    """The documents compiled more than once (by content, whatever the flags), with the
    tests that did."""
    seen: dict[str, list[dict[str, object]]] = defaultdict(list)
    for path in sorted(folder.glob("*.compiles.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            record["worker"] = path.name.split(".")[0]
            seen[str(record["document"]).split(" ")[0]].append(record)

    def cpu(runs: list[dict[str, object]]) -> float:
        return sum(float(str(r["cpu"])) for r in runs)

    again = [(cpu(runs[1:]), runs) for runs in seen.values() if len(runs) > 1]
    lines = [
        f"compiles: {sum(len(r) for r in seen.values())}, distinct documents: {len(seen)}, "
        f"CPU {sum(cpu(r) for r in seen.values()):.1f} s, of which compiles of a document "
        f"again {sum(c for c, _ in again):.1f} s",
        "",
        "| again CPU s | times | document | flags | tests (worker) |",
        "|---|---|---|---|---|",
    ]
    for seconds, runs in sorted(again, key=lambda cr: -cr[0])[:top]:
        flags = ", ".join(sorted({str(r["document"]).split(" ", 1)[1] for r in runs}))
        tests = "<br>".join(sorted({f"{r['test']} ({r['worker']})" for r in runs}))
        lines.append(f"| {seconds:.1f} | {len(runs)} | {runs[0]['tex']} | {flags} | {tests} |")
    return "\n".join(lines)


def report(folder: Path, top: int = 25) -> str:
    """Markdown tables: CPU seconds per test file, then the ``top`` costliest tests."""
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    tests = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.endswith(".compiles.jsonl"):
            continue
        for line in path.read_text().splitlines():
            r = json.loads(line)
            cpu = r["self"] + r["children"]
            row = per_file[r["test"].split("::")[0]]
            row[0] += cpu
            row[1] += r["children"]
            row[2] += 1
            tests.append((cpu, r["test"]))
    totals = [json.loads(p.read_text()) for p in sorted(folder.glob("*.total.json"))]
    controller = folder / "main.total.json"
    # with pytest-xdist, the controller's waited-for children are the workers with theirs:
    # its own total is the whole run, and adding the workers' would count them twice
    whole = (
        sum(json.loads(controller.read_text())[k] for k in ("self", "children"))
        if controller.exists()
        else sum(t["self"] + t["children"] for t in totals)
    )
    in_tests = sum(row[0] for row in per_file.values())
    lines = ["| file | tests | CPU s | of which children |", "|---|---|---|---|"]
    for name, (cpu, kids, count) in sorted(per_file.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {name} | {count} | {cpu:.1f} | {kids:.1f} |")
    lines.append(f"| **tests** | {sum(r[2] for r in per_file.values())} | **{in_tests:.1f}** | |")
    lines.append(f"| **whole run** ({len(totals)} processes) | | **{whole:.1f}** | |")
    counts: dict[str, int] = defaultdict(int)
    for t in totals:
        for name, value in t.items():
            if name not in ("self", "children"):
                counts[name] += value
    if counts:
        lines += ["", ", ".join(f"{name}: {value}" for name, value in counts.items())]
    lines += ["", "| test | CPU s |", "|---|---|"]
    lines += [f"| {name} | {cpu:.1f} |" for cpu, name in sorted(tests, reverse=True)[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]), *(int(a) for a in sys.argv[2:3])))
    if list(Path(sys.argv[1]).glob("*.compiles.jsonl")):
        print()
        print(duplicates(Path(sys.argv[1])))
