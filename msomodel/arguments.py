"""Argument types shared by msomodel's command lines (``type=`` of ``argparse``)."""

from __future__ import annotations

import argparse


def _at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, found {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, found {value}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1: ``-j/--jobs``, ``--max-kernels``, ``--chunk-size`` ..."""
    return _at_least(text, 1)


def trials_count(text: str) -> int:
    """``--trials``: a whole number of Monte Carlo trials, 0 to 1,000,000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if not 0 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected 0 to 1,000,000, found {value}")
    return value


def seed(text: str) -> int:
    """``--seed``: a whole number >= 0 (numpy's random seeds)."""
    return _at_least(text, 0)


def month(text: str) -> str:
    """``--start``: a calendar month YYYY-MM (years 1900 to 9979, so that the longest
    projection, 240 months, ends in the calendar)."""
    import re

    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) <= 9979:
        raise argparse.ArgumentTypeError(
            f"expected a month YYYY-MM between 1900-01 and 9979-12 (e.g. 2027-01), found {text!r}")
    return text.strip()
