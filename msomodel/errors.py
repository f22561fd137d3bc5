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
from typing import Any

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


def render(path: tuple[Any, ...]) -> str:
    """``("sites", "[Phoenix]", "open_month")`` -> ``sites[Phoenix].open_month``."""
    text = ""
    for part in path:
        part = str(part)
        if part.startswith("[") and part.endswith("]"):
            text += f"[{clip(part[1:-1], 60)}]"
        else:
            text += f".{clip(part, 60)}" if text else clip(part, 60)
    return text


def locate(problems: list[Problem], file: str | None, marks: dict | None) -> list[Problem]:
    """``problems`` with a line and column given to those of ``file`` that name a field but no
    line (problems found after validation, e.g. an uncertainty section checked against the
    scenario's inputs): the field's place in ``marks`` (path -> ``(chain, mark)``, as a loaded
    scenario's tree has them), else the nearest enclosing field's; in the order of the file."""
    if not marks or file is None:
        return problems
    places = {render(path): at for path, at in marks.items()}
    out = []
    for p in problems:
        at = p.path if p.file == file and p.line is None else ""
        while at and at not in places:
            cut = max(at.rfind("."), at.rfind("["))
            at = at[:cut] if cut > 0 else ""
        if at:
            chain, mark = places[at]
            p = Problem(p.file, p.path, p.message, tuple(chain), mark.line, mark.column)
        out.append(p)
    out.sort(key=lambda p: (p.file != file, len(p.chain), p.chain, p.line or 0, p.column or 0))
    return out
