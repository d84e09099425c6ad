"""Time and peak memory of refusing each hostile flat file, against importing a valid wave.

    python benchmarks/hostile_files.py [--only NAME ...]

Builds every file of `tests/data/bad/make_corpus.py` (in a process of its own) and reads the
committed ones, sets up a SQLite database in a temporary folder, imports a valid 32-council
file (the floor), then imports each hostile file with `survey_cli.py import --replace`, each in a
process of its own. Seconds are wall time; peak memory is the command's own maximum resident
set, read by the small launcher of `benchmarks/processes.py`. The target is
every hostile file refused within 10 s and under 500 MB: a figure, not a timed test, since a
shared machine's speed varies.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.processes import measured  # noqa: E402
from instrument.loader import instrument_named  # noqa: E402
from tests.wave_builder import build_wave, columns, csv_bytes  # noqa: E402

BAD = REPO / "tests" / "data" / "bad"
TARGET_SECONDS, TARGET_MB = 10.0, 500
_spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]

SMALL = ("nul_in_council_code.csv", "control_in_column_names.csv")


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Seconds, peak MB, exit code and the first problem line of one CLI run."""
    done = measured([sys.executable, str(REPO / "survey_cli.py"), *args], env, stderr=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    return done.seconds, done.peak_mb, done.exit_code, lines[0][4:] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="these files only")
    options = parser.parse_args()
    names = options.only or [*make_corpus.GENERATED, *SMALL]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'bench.db'}"}
        subprocess.run(
            [sys.executable, str(REPO / "survey_cli.py"), "init"],
            env=env,
            check=True,
            capture_output=True,
        )
        instrument = instrument_named("schedule_2011")
        valid = work / "valid_wave.csv"
        valid.write_bytes(csv_bytes(build_wave(instrument), columns(instrument)))
        print(f"{'file':<34} {'size':>9} {'s':>6} {'peak MB':>8}  exit  first problem")
        results = [("valid_wave.csv (floor)", valid, *run(["import", str(valid)], env))]
        # built by a process of its own, so this one stays small: a child's peak memory
        # includes what it shared with its parent before it started the CLI
        subprocess.run(
            [sys.executable, str(BAD / "make_corpus.py"), str(work)],
            check=True,
            capture_output=True,
        )
        for name in names:
            path = work / name if name in make_corpus.GENERATED else BAD / name
            results.append((name, path, *run(["import", str(path), "--replace"], env)))
        within = True
        for name, path, seconds, mb, code, first in results:
            size = path.stat().st_size
            shown = f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"
            print(f"{name:<34} {shown:>9} {seconds:>6.2f} {mb:>8.0f}  {code:>4}  {first[:70]}")
            if not name.startswith("valid"):
                refused = code == 2  # the CLI's exit for a refusal (README, exit codes)
                within &= seconds < TARGET_SECONDS and mb < TARGET_MB and refused
        print(
            f"every hostile file refused within {TARGET_SECONDS:.0f} s and {TARGET_MB} MB: {within}"
        )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
