"""Typed, declarative schemas for front matter, site.yml and figure specs.

A schema is a table of `Option`s, each with a validator, a default and a docstring. Validation
reports every problem at once, each naming the file, the line of the key, the field and the
fix, in one voice: `articles/x/index.md:4: front matter 'quality': expected one of draft,
final — did you mean 'final'?`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .errors import Problems, SpecError, closest, did_you_mean

Validator = Callable[[Any], Any]


@dataclass(frozen=True)
class Option:
    """One key of a schema: how to check it, whether it must be given, what it means."""

    check: Validator
    required: bool = False
    default: Any = None
    doc: str = ""


class Schema:
    """A named table of options. `what` names the thing in messages ("front matter")."""

    def __init__(self, what: str, options: Mapping[str, Option]):
        self.what = what
        self.options = dict(options)

    def validate(self, data: Any, path: str, problems: Problems, *, line: int | None = None) -> dict:
        """Return the checked values (defaults filled in); add a problem for each error."""
        result, issues = self.check(data, line)
        for issue in issues:
            problems.error(path, issue.line, issue.text(self.what), issue.fix)
        return result

    def check(self, data: Any, line: int | None = None) -> tuple[dict, list["Issue"]]:
        """The checked values and every issue found, with dotted field names and lines."""
        result = {name: option.default for name, option in self.options.items()}
        issues: list[Issue] = []
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            issues.append(Issue("", "must be a mapping of keys to values", "write `key: value` lines", line))
            return result, issues
        lines = getattr(data, "lines", {})
        start = getattr(data, "line", None) or line
        for key, value in data.items():
            key_line = lines.get(key, start)
            option = self.options.get(key)
            if option is None:
                issues.append(Issue(str(key), "unknown key", did_you_mean(str(key), self.options),
                                    key_line, unknown=True))
                continue
            try:
                result[key] = option.check(value)
            except SpecError as err:
                issues.append(Issue(f"{key}{err.field or ''}", err.message, err.fix, err.line or key_line))
        for name, option in self.options.items():
            if option.required and name not in data:
                fix = f"add `{name}:` ({option.doc})" if option.doc else f"add `{name}:`"
                issues.append(Issue(name, "missing required key", fix, start, missing=True))
        return result, issues


@dataclass(frozen=True)
class Issue:
    """One problem inside a schema-checked mapping; `field` is a dotted path like authors[0].url."""

    field: str
    message: str
    fix: str
    line: int | None
    unknown: bool = False
    missing: bool = False

    def text(self, what: str) -> str:
        if self.unknown:
            return f"{what}: unknown key '{self.field}'"
        if self.missing:
            parent, _, name = self.field.rpartition(".")
            return f"{what}{f' {parent!r}' if parent else ''}: missing required key '{name}'"
        return f"{what} '{self.field}': {self.message}" if self.field else f"{what}: {self.message}"


# --- validators: each returns the converted value or raises SpecError ---------------------

def text(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = str(value).strip()
        if value:
            return value
    raise SpecError(f"expected text, got {_show(value)}", "write a non-empty string")


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"expected true or false, got {_show(value)}", "write true or false")
    return value


def optional(check: Validator) -> Validator:
    def run(value: Any) -> Any:
        return None if value is None else check(value)
    return run


def one_of(*choices: str) -> Validator:
    def run(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        near = closest(str(value), choices)
        raise SpecError(f"expected one of {', '.join(choices)}, got {_show(value)}",
                        "did you mean " + " or ".join(f"'{c}'" for c in near) + "?" if near
                        else f"write one of {', '.join(choices)}")
    return run


def integer(low: int | None = None, high: int | None = None) -> Validator:
    def run(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"expected a whole number, got {_show(value)}", "write a number such as 128")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SpecError(f"expected a number {span}, got {value}", f"use a value {span}")
        return value
    return run


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SpecError(f"expected a date, got {_show(value)}", "write it as YYYY-MM-DD, e.g. 2026-11-26")


def url(value: Any) -> str:
    value = text(value)
    if not re.match(r"^(https?://|mailto:)\S+$", value):
        raise SpecError(f"expected a URL, got {_show(value)}", "write a full address starting with https://")
    return value


def pattern(regex: str, example: str) -> Validator:
    compiled = re.compile(regex)

    def run(value: Any) -> str:
        value = text(value)
        if not compiled.fullmatch(value):
            raise SpecError(f"expected something like {example}, got {_show(value)}",
                            f"write it as {example}")
        return value
    return run


def list_of(check: Validator, *, single_ok: bool = False) -> Validator:
    """A YAML list whose items pass `check`; errors name the item as `[i]`."""
    def run(value: Any) -> list:
        if single_ok and not isinstance(value, list):
            value = [value]
        if not isinstance(value, list):
            raise SpecError(f"expected a list, got {_show(value)}", "write one `- item` per line")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(check(item))
            except SpecError as err:
                raise SpecError(err.message, err.fix, field=f"[{i}]{err.field or ''}",
                                line=err.line or getattr(item, "line", None)) from None
        return out
    return run


def record(schema: Schema) -> Validator:
    """A nested mapping checked by `schema`; its first issue is raised with its field and line."""
    def run(value: Any) -> dict:
        result, issues = schema.check(value, getattr(value, "line", None))
        if issues:
            first = issues[0]
            message = first.text(schema.what).split(": ", 1)[1] if first.unknown or first.missing else first.message
            field = "" if first.missing else f".{first.field}"
            raise SpecError(message, first.fix, field=field, line=first.line)
        return result
    return run


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "nothing"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(value)
