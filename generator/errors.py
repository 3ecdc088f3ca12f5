"""Errors a user can cause, in one voice: `path:line: what is wrong — how to fix it`.

A build collects every problem it can find before it stops (one bad file does not hide the
next), then raises `BuildError` with all of them. The command line prints one line per
problem and exits with status 1, never a traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input."""

    path: str
    line: int | None
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}" + (f" — {self.fix}" if self.fix else "")


class BuildError(Exception):
    """The input cannot be built. Carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UserError(Exception):
    """An error the user can fix, raised where the user's input is read (a spec, an
    author's chart function); the build shows its message as it is, never a traceback."""


class SpecError(UserError, ValueError):
    """A value in a spec or front matter is wrong; the caller adds path and line."""

    def __init__(self, message: str, fix: str = "", *, field: str | None = None, line: int | None = None,
                 path: str | None = None):
        self.message = message
        self.fix = fix
        self.field = field
        self.line = line
        self.path = path          # when the mistake is in another file than the spec's (a labels file)
        super().__init__(f"{message} — {fix}" if fix else message)


@dataclass
class Problems:
    """Collects problems and warnings while a build goes on; `raise_if_any` stops it once."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int | None, message: str, fix: str = "") -> None:
        problem = Problem(str(path), line, message, fix)
        if problem not in self.errors:            # one mistake that several figures meet: said once
            self.errors.append(problem)

    def warn(self, path: str, line: int | None, message: str, fix: str = "") -> None:
        self.warnings.append(Problem(str(path), line, message, fix))

    def extend(self, other: "Problems") -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def raise_if_any(self) -> None:
        if self.errors:
            raise BuildError(self.errors)


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to a misspelt one, best first."""
    return difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.5)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A fix hint: `did you mean 'x'?` or the list of valid choices when none is close."""
    choices = sorted(set(choices))
    near = closest(name, choices)
    if near:
        return "did you mean " + " or ".join(f"'{c}'" for c in near) + "?"
    if len(choices) > LISTED:                     # a model's 230 layers: a few, and how many
        return "expected one of " + ", ".join(choices[:LISTED]) + f", … ({len(choices)} in all)"
    return "expected one of " + ", ".join(choices)


LISTED = 12       # the most valid names a hint lists


def read_user_text(path, shown: str) -> str:
    """The text of a file the user wrote (UTF-8; a byte-order mark is dropped). A file that is
    not UTF-8 raises `BuildError` at the line of its first bad byte."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BuildError([Problem(shown, line, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be read",
                                  "save the file as UTF-8 (your editor's encoding setting)")]) from None
