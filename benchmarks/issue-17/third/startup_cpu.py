"""CPU time (user + system of the child) of shell commands, interleaved round-robin after
one untimed run each: median, minimum and their ratios to the first command.

    python benchmarks/issue-17/third/startup_cpu.py 9 "base=python -c 'import numpy'" ...
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu(command: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, shell=True, env=ENV, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    rounds = int(sys.argv[1])
    commands = dict(arg.split("=", 1) for arg in sys.argv[2:])
    for command in commands.values():
        cpu(command)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(rounds):
        for label, command in commands.items():
            times[label].append(cpu(command))
    base = next(iter(times.values()))
    for label, values in times.items():
        print(
            f"{label:10s} median {statistics.median(values) * 1e3:7.1f} ms "
            f"min {min(values) * 1e3:7.1f} ms "
            f"ratio {statistics.median(values) / statistics.median(base):5.2f} "
            f"min-ratio {min(values) / min(base):5.2f}"
        )


if __name__ == "__main__":
    main()
