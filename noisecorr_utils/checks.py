"""Argument checks shared by every entry point: one clear line each, before any work."""
from __future__ import annotations

import numbers


def positive_int(name: str, value) -> int:
    """``value`` if it is a positive integer, else a ValueError naming it."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def optional_positive_int(name: str, value) -> int | None:
    """None (the default of whatever it stands for) or a positive integer."""
    return None if value is None else positive_int(name, value)


def non_negative_int(name: str, value) -> int:
    """``value`` if it is an integer >= 0 (a seed, an offset), else a ValueError naming it."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name}={value!r} must be a non-negative integer")
    return int(value)


def at_most(name: str, value: int, limit: int, what: str) -> int:
    """``value`` if it is no more than ``limit`` (e.g. the test images that exist)."""
    if value > limit:
        raise ValueError(f"{name}={value} is more than the {limit:,} {what}; allowed: 1 to {limit}")
    return value


def seeds_for_ci(name: str, value) -> int:
    """A number of seeds that allows a confidence interval over seeds (at least 2)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 2:
        raise ValueError(f"{name}={value!r}: confidence intervals need at least 2 seeds")
    return int(value)


def share(name: str, value, closed_right: bool = False) -> float:
    """A share in [0, 1) (or [0, 1] with ``closed_right``)."""
    ok = isinstance(value, numbers.Real) and 0 <= value and (value <= 1 if closed_right else value < 1)
    if not ok:
        raise ValueError(f"{name}={value!r} must be in [0, 1{']' if closed_right else ')'}")
    return float(value)


def non_empty_list(name: str, value) -> list:
    """A non-empty list (papermill passes lists only through YAML: -y, not -p)."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name}={value!r} must be a non-empty list (with papermill: -y '{name}: [...]', not -p)")
    return list(value)


def one_of(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(map(str, allowed))}")
    return value
