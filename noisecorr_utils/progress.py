"""Progress of long work, where the person who started it can see it.

Inside a book build the notebooks run in a kernel whose output becomes the page, so progress
lines go to a side channel instead: JSON events appended to the file named by
``NOISECORR_PROGRESS``, which ``build`` tails and prints in the terminal. Outside a build they
are printed to stderr.
"""
from __future__ import annotations

import json
import os
import sys
import time


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
