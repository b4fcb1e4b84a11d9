"""Argument types shared by the benchmarks' command lines: a bad value is one argparse line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive(value: str) -> int:
    """A count of at least 1."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def between(low: float, high: float, unit: str = "") -> Callable[[str], float]:
    """A number from ``low`` to ``high`` (NaN refused), e.g. a share or a latency."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if math.isnan(number) or not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}{unit}")
        return number

    return parse


#: A share of a whole, 0 to 1.
share = between(0.0, 1.0)
#: A latency in seconds, 0 to 5.
seconds = between(0.0, 5.0, " seconds")
