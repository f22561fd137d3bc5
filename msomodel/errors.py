"""Input errors, below every other module: a :class:`Problem` per mistake, a :class:`ScenarioError`
carrying all of them.

A problem reads ``FILE: [extends BASE: ...]field.path: message (line L, column C)``:

* ``FILE`` is the file the user named (the scenario, not the base it extends);
* ``extends BASE:`` names each base file on the way to the file the value was read from
  (``client.yaml: extends common/base.yaml: ...``), so a multi-file run says which scenario failed;
* the path names named list items by name (``sites[Phoenix].open_month``);
* the line and column, when known, are in the last file named.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest message kept in a problem; a longer one (e.g. echoing a huge input) loses its middle.
MAX_MESSAGE_CHARS = 1000


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, marked with '...' when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip_middle(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` at most ``limit`` characters, keeping its start and its end ('found ...')."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return f"{text[: limit - tail - 5]} ... {text[-tail:]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    path: str
    message: str
    chain: tuple[str, ...] = ()
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        via = "".join(f"extends {clip(base)}: " for base in self.chain)
        where = f"{self.path}: " if self.path else ""
        at = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        return f"{self.file}: {via}{where}{clip_middle(self.message)}{at}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # pickle the problems, not the joined text (for worker processes)
        return type(self), (self.problems,)
