"""What a test does when a system package it needs (Debian: chromium, poppler-utils, ...) is missing:
skip with the reason and the install command, except under CI=true, where the reference machine has
every one (scripts/ensure-system-deps.sh installs them as root), so the test fails instead."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, what: str = "this test") -> NoReturn:
    """Skip (or, under CI=true, fail) because of ``reason``; ``what`` names what must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: {what} must run)", pytrace=False)
    pytest.skip(reason)
