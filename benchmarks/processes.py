"""A command run as a whole process, timed, with its own peak memory.

Linux counts in a child's peak the pages of the process that started it, as they were when it
started its program (a benchmark that has built a 100,000-row file is 260 MB). So the command
is started by a small launcher, which times it and reads its peak, and says both on a pipe.
A command that starts processes of its own (the import checks a large file in one) is
measured with them: the launcher also adds up the resident memory of the command and every
process it started, every 50 ms, and the peak is the larger of that sum and the command's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_LAUNCHER = """
import os, sys, threading, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])

def tree(top):
    found, waiting = [], [top]
    while waiting:
        p = waiting.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as listed:
                    waiting.extend(int(c) for c in listed.read().split())
        except OSError:
            pass
    return found

def resident(p):
    try:
        with open(f"/proc/{p}/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0

together = 0
def sample():
    global together
    while True:
        together = max(together, sum(resident(p) for p in tree(pid)))
        time.sleep(0.05)

threading.Thread(target=sample, daemon=True).start()
_, status, usage = os.wait4(pid, 0)
took = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
peak = max(usage.ru_maxrss, together)
os.write(int(os.environ["MEASURED_FD"]), f"{took} {peak} {code}".encode())
"""


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: int
    exit_code: int
    stderr: str


def measured(
    command: list[str], env: dict[str, str], *, cwd: Path | None = None, stderr: bool = False
) -> Measured:
    """Run `command` (its first item an executable's path) to its end, its output discarded
    (its standard error kept if asked)."""
    reading, writing = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *command],
            env={**env, "MEASURED_FD": str(writing)},
            pass_fds=(writing,),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE if stderr else None,
        )
        os.close(writing)
        said = child.communicate()[1]
        took, peak, code = os.read(reading, 200).decode().split()
    finally:
        os.close(reading)
    return Measured(float(took), int(peak) // 1024, int(code),
                    said.decode("utf-8", errors="replace") if said else "")  # fmt: skip
