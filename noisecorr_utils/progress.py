"""Progress of long work, where the person who started it can see it.

Inside a book build the notebooks run in a kernel whose output becomes the page, so progress
lines go to a side channel instead: JSON events appended to the file named by
``NOISECORR_PROGRESS``, which ``build`` tails and prints in the terminal. Outside a build they
are printed to stderr. ``stage`` counts where a chapter's time goes (training, noise answers,
kernels, attacks, features, bootstraps, plotting) for the build's stage table.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
from contextlib import contextmanager


def emit(line: str, **event) -> None:
    """Report one line of progress (and a machine-readable event beside it)."""
    path = os.environ.get("NOISECORR_PROGRESS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"line": line, "time": time.time(), **event}) + "\n")
    if os.environ.get("NOISECORR_BOOK") != "1":
        print(line, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """``42 s``, ``3 min``, ``1 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class ModelTracker:
    """One line per model of a ``get_models`` call, with an estimate of the time left."""

    def __init__(self, total: int):
        self.total, self.done, self.trained_count = total, 0, 0
        self.start = time.perf_counter()

    def begin_training(self) -> None:
        """Call when the models still missing start training (the clock of the estimate)."""
        self.start = time.perf_counter()

    def _line(self, label: str, what: str, rec: dict, seconds: float | None = None) -> None:
        self.done += 1
        acc = rec.get("test_accuracy")
        parts = [f"[{self.done}/{self.total}] {label:<18}", what]
        if seconds is not None:
            parts[-1] += f" {seconds:.0f} s"
        if acc is not None:
            parts.append(f"{100 * acc:.2f}%")
        left = self.total - self.done
        if self.trained_count and left:
            per_model = (time.perf_counter() - self.start) / self.trained_count
            parts.append(f"(about {duration(per_model * left)} left)")
        emit("  ".join(parts), event="model", label=label, status=what, seconds=seconds,
             accuracy=acc)

    def loaded(self, label: str, rec: dict) -> None:
        self._line(label, "loaded", rec)

    def trained(self, label: str, rec: dict) -> None:
        self.trained_count += 1
        self._line(label, "trained", rec, rec["train_seconds"])


class _Stages:
    """Seconds of exclusive time per stage of the work (``stage``): what a chapter spent training,
    answering noise, computing kernels… A stage inside another counts only for the inner one."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.stack: list[list] = []   # [name, start, seconds spent in inner stages]
        self.announced = ("", 0.0)

    def enter(self, name: str) -> None:
        now = time.perf_counter()
        if not self.stack or self.stack[-1][0] != name:
            last, when = self.announced
            if name != last and now - when > ANNOUNCE_EVERY:
                emit(f"  … {name}", event="stage", stage=name)
                self.announced = (name, now)
        self.stack.append([name, now, 0.0])

    def leave(self) -> None:
        name, start, inner = self.stack.pop()
        elapsed = time.perf_counter() - start
        self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
        if self.stack:
            self.stack[-1][2] += elapsed

    def take(self) -> dict[str, float]:
        out, self.seconds = self.seconds, {}
        return out


ANNOUNCE_EVERY = 5.0   # at most one "now in stage …" line per this many seconds
STAGES = _Stages()


@contextmanager
def stage(name: str):
    """Count the block's time for stage ``name`` (``STAGES``) and say, in the terminal of a book
    build, when the work moves on to it."""
    STAGES.enter(name)
    try:
        yield
    finally:
        STAGES.leave()


def staged(name: str):
    """A decorator: the function's time counts for stage ``name``."""
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with stage(name):
                return fn(*args, **kwargs)
        return inner
    return wrap
