"""Argument types shared by msomodel's command lines (``type=`` of ``argparse``)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number >= 1: ``-j/--jobs``, ``--max-kernels``, ``--chunk-size`` ..."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {value}")
    return value


def trials_count(text: str) -> int:
    """``--trials``: a whole number of Monte Carlo trials, 0 to 1,000,000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if not 0 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected 0 to 1,000,000, found {value}")
    return value
