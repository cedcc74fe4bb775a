"""Verdicts at two levels, one set of rules for every chapter.

*The figure*: our 95% interval against a band around the source's number, aware of the side the
claim argues for — **reproduced** (the interval lies inside the band), **exceeded** (wholly beyond
the band on the side the claim argues for, e.g. more agreement than claimed where the claim is that
networks agree), **fell short** (wholly beyond it on the other side), **differs** (wholly outside a
band that argues for neither side), **inconclusive** (the interval reaches over an edge of the
band: a wide interval never passes). A claim without a number has no figure verdict (—).

*The finding*: what the source concluded from its number, written as a rule before the run — an
interval wholly on the claimed side of a threshold: **holds**; wholly on the other side or on the
threshold itself (a claimed fall where every seed fell by exactly 0): **fails**; otherwise **undecided**.

Both levels are **not tested** on networks weaker than the source's (the accuracy gate, printed in
the rule) and **degenerate** where the statistic cannot speak (κ between networks that give one
answer to at least 99% of the inputs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

REPRODUCED, EXCEEDED, FELL_SHORT, DIFFERS, INCONCLUSIVE = "reproduced", "exceeded", "fell short", "differs", "inconclusive"
HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"
NOT_TESTED, DEGENERATE, NO_FIGURE = "not tested", "degenerate", "—"
FIGURE_VERDICTS = (REPRODUCED, EXCEEDED, FELL_SHORT, DIFFERS, INCONCLUSIVE, NOT_TESTED, DEGENERATE, NO_FIGURE)
FINDING_VERDICTS = (HOLDS, FAILS, UNDECIDED, NOT_TESTED, DEGENERATE)
SIDES = ("above", "below")


def _defined(*xs) -> bool:
    return all(x is not None and not (isinstance(x, float) and math.isnan(x)) for x in xs)


@dataclass(frozen=True)
class Figure:
    """The source's number as a band [low, high], the side the claim argues for (``above``: the
    claim is that the quantity is large, ``below``: small, None: neither) and the number as the
    source wrote it."""

    source: str
    low: float
    high: float
    argues: str | None = None

    def __post_init__(self):
        if self.argues not in (*SIDES, None):
            raise ValueError(f"argues={self.argues!r}; allowed: above, below, None")
        if not self.low <= self.high:
            raise ValueError(f"a band needs low <= high, got [{self.low}, {self.high}]")

    def verdict(self, lo: float, hi: float) -> str:
        if not _defined(lo, hi):
            return INCONCLUSIVE
        if self.low <= lo and hi <= self.high:
            return REPRODUCED
        if lo > self.high or hi < self.low:
            side = "above" if lo > self.high else "below"
            return DIFFERS if self.argues is None else (EXCEEDED if side == self.argues else FELL_SHORT)
        return INCONCLUSIVE

    def rule(self, quantity: str, fmt) -> str:
        return f"{quantity} CI inside [{fmt(self.low)}, {fmt(self.high)}]"


@dataclass(frozen=True)
class Finding:
    """What the source concluded, in words (``sentence``), tested as: the interval of ``quantity``
    wholly ``side`` (above/below) ``threshold`` — or, with ``side="inside"``, wholly inside
    [``threshold``, ``high``] (holds) or wholly outside it (fails)."""

    sentence: str
    quantity: str
    threshold: float
    side: str = "above"
    high: float | None = None

    def __post_init__(self):
        if self.side not in (*SIDES, "inside"):
            raise ValueError(f"side={self.side!r}; allowed: above, below, inside")
        if (self.side == "inside") != (self.high is not None):
            raise ValueError("a finding inside a band needs its high end, and only then")

    @property
    def edges(self) -> tuple:
        return (self.threshold,) if self.high is None else (self.threshold, self.high)

    def verdict(self, lo: float, hi: float) -> str:
        if not _defined(lo, hi):
            return UNDECIDED
        if self.side == "inside":
            if self.threshold <= lo and hi <= self.high:
                return HOLDS
            return FAILS if hi < self.threshold or lo > self.high else UNDECIDED
        # The claim is strict ("above t"), so an interval at or beyond t on the other side, even
        # one of zero width sitting on t (no seed moved at all), contradicts it.
        if self.side == "above":
            return HOLDS if lo > self.threshold else FAILS if hi <= self.threshold else UNDECIDED
        return HOLDS if hi < self.threshold else FAILS if lo >= self.threshold else UNDECIDED

    def rule(self, fmt) -> str:
        if self.side == "inside":
            return f"{self.quantity} CI inside [{fmt(self.threshold)}, {fmt(self.high)}]"
        return f"{self.quantity} CI {self.side} {fmt(self.threshold)}"


def seeds_to_decide(estimate, n: int, edges) -> int | None:
    """About how many seeds would put the interval clear of the nearest of ``edges`` (half-width
    ∝ 1/√n): None where it is clear already, undefined, or the estimate sits on an edge."""
    m, lo, hi = estimate
    edges = [e for e in edges if math.isfinite(e)]
    if not _defined(m, lo, hi) or not edges or not any(lo <= e <= hi for e in edges):
        return None
    room = min(abs(m - e) for e in edges)
    if room <= 0:
        return None
    return int(math.ceil(n * (max(m - lo, hi - m) / room) ** 2))
