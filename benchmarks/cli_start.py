"""A cold command-line start: `survey_cli.py report --format json` on a 32-council wave (the
demo's), as whole processes, against the least any such process costs here, a bare
`python -c 'import pandas, sqlalchemy'`; run in turn, so both see the same machine.

    python benchmarks/cli_start.py [--repeats 15]

Also times `status` (a read-only command without pandas' tallies) and prints each one's peak
memory. The database is a temporary SQLite file, initialised and filled once beforehand.
The project's modules are byte-compiled first, as an installation has them (the container
compiles them at build): with PYTHONDONTWRITEBYTECODE set, as it is in the container and
on some machines, every start would otherwise compile the whole app again, a third of a
second that says nothing of the commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.processes import measured  # noqa: E402
from benchmarks.timing import percentile  # noqa: E402

FLOOR = "floor: python -c 'import pandas, sqlalchemy'"


def run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall-clock milliseconds and peak resident memory (MB) of one process."""
    done = measured(command, env, cwd=REPO)
    if done.exit_code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.exit_code})")
    return done.seconds * 1000, done.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    app = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "benchmarks"}
    compiled = ["survey_cli.py", *sorted(app)]  # the app alone (not the tests' data files)
    subprocess.run([sys.executable, "-m", "compileall", "-q", *compiled], cwd=REPO, check=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/cli.sqlite3"}
        cli = [sys.executable, str(REPO / "survey_cli.py")]
        for setup in (["init"], ["demo"]):
            subprocess.run([*cli, *setup], env=env, cwd=REPO, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        commands = {
            FLOOR: [sys.executable, "-c", "import pandas, sqlalchemy"],
            "report --wave demo --format json": [*cli, "report", "--wave", "demo"],
            "status --wave demo": [*cli, "status", "--wave", "demo"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, int] = {}
        for _ in range(args.repeats):  # in turn, so a busy moment falls on all alike
            for name, command in commands.items():
                elapsed, peak = run(command, env)
                times[name].append(elapsed)
                memory[name] = max(memory.get(name, 0), peak)
    floor = statistics.median(times[FLOOR])
    print(f"Cold starts, {args.repeats} each, in turn (ms; peak MB)")
    print(f"{'command':<46} {'p50':>7} {'p95':>7} {'MB':>5} {'p50/floor':>10}")
    for name, samples in times.items():
        p50 = statistics.median(samples)
        print(f"{name:<46} {p50:7.0f} {percentile(samples, 95):7.0f} {memory[name]:5d} "
              f"{p50 / floor:9.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
