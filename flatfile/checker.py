"""A wave's file checked in a process of its own while the importer writes what is checked.

Checking every cell and writing every answer are both Python, and one process runs one of
them at a time: a thread cannot help, as both need Python's lock (tried: on SQLite it made
the import slower). A large file on disk is therefore checked by `python -m flatfile.checker`
on the other core, a chunk or two ahead of the writing. The child is given the open file
(its descriptor), the wave's pinned schedule and its members by match key, and sends back
what `checked_chunks` yields in one process: each chunk's checked rows, the problems found
with them, and how far it has read, or the refusal that stopped it part way. A small file,
or one that is not a file on disk (an upload's bytes), is checked here, as before.

Messages are pickled both ways: the child is this program, started by it, never another's.
"""

from __future__ import annotations

import io
import os
import pickle
import stat
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flatfile.checks import (
    MAX_PROBLEMS_SHOWN,
    CheckedRow,
    CouncilRef,
    ImportProblem,
    ImportRefused,
    Problems,
    checked_chunks,
    open_wave_file,
)
from instrument.loader import pinned_instrument
from instrument.values import match_key

APART_BYTES = 4 * 2**20  # a file this large is checked apart (about 2,000 interviews)
_CHILD = ("-m", "flatfile.checker")  # how the child is started: `python -m flatfile.checker`
_ROOT = Path(__file__).resolve().parent.parent  # where the child finds `flatfile`


@dataclass(frozen=True)
class WaveFile:
    """What checking a wave's file needs to know of the wave: its pinned schedule (text and
    SHA-256, as the wave keeps them), its key, its members by every match key (code, name,
    alias) and how many interviews it has."""

    schedule: str
    schedule_sha256: str
    wave_key: str
    members: Mapping[str, CouncilRef]
    councils: int

    def find_council(self, text: str) -> CouncilRef | None:
        return self.members.get(match_key(text))


@dataclass(frozen=True)
class Checked:
    """A chunk of checked rows and how far the file has been read: for the progress bar."""

    rows: list[CheckedRow]
    read: int
    size: int | None


def checked_wave_file(
    source: BinaryIO, filename: str, wave: WaveFile, found: Problems, *, chunk: int
) -> Iterator[Checked]:
    """The file's rows checked, `chunk` at a time, every problem added to `found` as it is
    found; refused (`ImportRefused`) if it is not a wave file, or one that cannot be read to
    its end. A file on disk of `APART_BYTES` or more is checked in a child process."""
    if _size_on_disk(source) >= APART_BYTES:
        return _checked_apart(source, filename, wave, found, chunk=chunk)
    return _checked_here(source, filename, wave, found, chunk=chunk)


def _checked_here(
    source: BinaryIO, filename: str, wave: WaveFile, found: Problems, *, chunk: int
) -> Iterator[Checked]:
    instrument = pinned_instrument(wave.schedule, wave.schedule_sha256, source=wave.wave_key)
    stream = open_wave_file(source, filename, instrument, councils=wave.councils)
    chunks = checked_chunks(
        stream, instrument, wave.find_council, found,
        wave_key=wave.wave_key, councils=wave.councils, chunk=chunk,
    )  # fmt: skip
    for rows in chunks:
        yield Checked(rows, stream.read(), stream.size)


def _size_on_disk(source: BinaryIO) -> int:
    """The file's size if it is a regular file with a descriptor a child can read; else 0."""
    try:
        status = os.fstat(source.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else 0


# --- the two ends of the pipe -------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    file: int  # the descriptor, passed to the child
    start: int  # where in the file the rows begin (its start, unless the caller read some)
    filename: str
    wave: WaveFile
    chunk: int


@dataclass(frozen=True)
class _Part:
    """One message from the child: rows checked, the problems kept since the last message,
    every problem counted so far, how far it has read; `last` ends the file."""

    checked: Checked
    problems: list[ImportProblem]
    total: int
    last: bool = False


@dataclass(frozen=True)
class _Refused:
    problems: list[ImportProblem]
    total: int


@dataclass(frozen=True)
class _Failed:
    trace: str


class CheckerFailed(RuntimeError):
    """The checking process failed or stopped: a fault of ours, not of the file."""


def _checked_apart(
    source: BinaryIO, filename: str, wave: WaveFile, found: Problems, *, chunk: int
) -> Iterator[Checked]:
    fd = source.fileno()
    child = subprocess.Popen(
        [sys.executable, *_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=(fd,),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, (str(_ROOT), os.environ.get("PYTHONPATH"))))},
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    try:
        with child.stdin:
            pickle.dump(_Job(fd, source.tell(), filename, wave, chunk), child.stdin)
        del wave  # its members are the child's now: at 100,000 organisations, 40 MB
        while True:
            message = _received(child)
            if isinstance(message, _Refused):
                raise ImportRefused(Problems().told(message.problems, message.total))
            if isinstance(message, _Failed):
                raise CheckerFailed(f"checking the file failed:\n{message.trace}")
            found.told(message.problems, message.total)
            if message.checked.rows:
                yield message.checked
            if message.last:
                return
    finally:
        if child.poll() is None:
            child.kill()  # the import stopped (a refusal, Ctrl-C): the checks are not needed
        child.wait()
        child.stdout.close()


def _received(child: subprocess.Popen[bytes]) -> _Part | _Refused | _Failed:
    try:
        message: _Part | _Refused | _Failed = pickle.load(child.stdout)  # type: ignore[arg-type]
    except (EOFError, pickle.UnpicklingError):
        child.kill()
        raise CheckerFailed(
            f"the process checking the file stopped (exit code {child.wait()})"
        ) from None
    return message


def main() -> int:
    """The child: check the file it was given, sending each chunk as it is checked. The
    messages have standard output to themselves: anything else printed goes to standard
    error, so that no stray line can break a message."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr

    def send(message: _Part | _Refused | _Failed) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    job: _Job = pickle.load(sys.stdin.buffer)
    problems, sent = Problems(), 0
    try:
        with os.fdopen(job.file, "rb") as source:
            source.seek(job.start)
            checked = Checked([], 0, None)
            for checked in _checked_here(source, job.filename, job.wave, problems,
                                         chunk=job.chunk):  # fmt: skip
                send(_Part(checked, problems[sent:], problems.total))
                sent = len(problems)
            send(_Part(Checked([], checked.read, checked.size), problems[sent:],
                       problems.total, last=True))  # fmt: skip
    except ImportRefused as refused:
        send(_Refused(refused.problems[:MAX_PROBLEMS_SHOWN], refused.total))
    except Exception:
        send(_Failed(traceback.format_exc()))
    return 0


if __name__ == "__main__":  # run as the module itself, so that what it pickles unpickles there
    from flatfile.checker import main as checking

    sys.exit(checking())
