"""YAML that remembers where each key was written, so errors can name the line."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from .errors import Problem


class LineDict(dict):
    """A mapping from YAML with `line` (of the mapping) and `lines` (key -> line), 1-based."""

    line: int = 0
    lines: dict


class _LineLoader(yaml.SafeLoader):
    first_line = 1           # of the text, in its file


class _Mistake(yaml.constructor.ConstructorError):
    """Well-formed YAML that says something wrong, with its fix."""

    def __init__(self, problem: str, mark, fix: str):
        super().__init__(None, None, problem, mark)
        self.fix = fix


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result.lines:                  # the last would win, silently
            first = result.lines[key] + loader.first_line - 1
            raise _Mistake(f"'{key}' is given twice (first on line {first})", key_node.start_mark,
                           "keep one of them")
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except ValueError as exc:                # a date that is no date: 2026-02-30
            raise _Mistake(f"'{value_node.value}' is not a real date ({exc})", value_node.start_mark,
                           "write a date that exists, as YYYY-MM-DD") from None
        result.lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, path: str, first_line: int = 1):
    """Parse `text`, whose first line is line `first_line` of `path`. Line numbers in the
    returned LineDicts are lines of the file. Broken YAML raises `YamlProblem`."""
    loader = _LineLoader(text)                  # a SafeLoader
    loader.first_line = first_line
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YamlProblem(_problem(exc, text, path, first_line)) from None
    finally:
        loader.dispose()
    _shift(data, first_line - 1)
    return data


_CLOSERS = {"[": "]", "{": "}"}


def _problem(exc: yaml.YAMLError, text: str, path: str, first_line: int) -> Problem:
    """Broken YAML as one problem at the line of the mistake. A bracket that is never closed
    is reported where it opened (the parser only notices on a later line)."""
    context, opened = getattr(exc, "context", None) or "", getattr(exc, "context_mark", None)
    if context.startswith("while parsing a flow") and opened is not None:
        lines = text.splitlines()
        bracket = lines[opened.line][opened.column] if opened.line < len(lines) and \
            opened.column < len(lines[opened.line]) else "["
        closer = _CLOSERS.get(bracket, "]")
        return Problem(path, first_line + opened.line, f"invalid YAML: a '{bracket}' opened here is never closed",
                       f"close it with '{closer}' on this line, or quote the value")
    mark = getattr(exc, "problem_mark", None) or opened
    line = first_line + mark.line if mark is not None else first_line
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, _Mistake):
        return Problem(path, line, reason, exc.fix)
    return Problem(path, line, f"invalid YAML: {reason}", "check the indentation, colons and quotes on this line")


def _shift(data, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.lines = {k: v + offset for k, v in data.lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, list):
        for item in data:
            _shift(item, offset)


class YamlProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


_FENCE = re.compile(r"^---\s*$")


@dataclass
class FrontMatter:
    """A file's YAML front matter (between `---` lines) and the text after it."""

    data: object           # the parsed YAML (LineDicts carry file lines)
    body: str              # the text after the closing `---`
    body_first_line: int   # the file line of `body`'s first line


def read_front_matter(source: str, shown: str, problems, *, what: str = "", keys: str = "") -> FrontMatter | None:
    """Split `source` into front matter and body; None (with a problem added) when the
    front matter is missing, not closed or not YAML. `what` names the file in messages
    ("review "), `keys` says which keys the fix should mention."""
    lines = source.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        problems.error(shown, 1, f"{what}has no front matter" if what else "missing front matter",
                       f"start the file with a `---` line, YAML keys ({keys}) and a closing `---` line")
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        problems.error(shown, 1, f"{what}front matter is not closed", "add a `---` line after the YAML keys")
        return None
    try:
        data = load_yaml("".join(lines[1:end]), shown, first_line=2)
    except YamlProblem as exc:
        problems.errors.append(exc.problem)
        return None
    return FrontMatter(data, "".join(lines[end + 1:]), end + 2)
