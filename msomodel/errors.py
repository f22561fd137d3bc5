"""Errors about a scenario a person can act on: the file, the dotted field path, the message.

Every layer may raise :class:`ScenarioError`; the CLI prints its problems one per line and
exits with 2 (never a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}: {where}{self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
