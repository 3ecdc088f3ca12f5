"""Math: `$...$` inline and `$$...$$` display, typeset to MathML at build time.

Inline math needs no space after the opening `$` and none before the closing one, and the
closing `$` is not followed by a digit, so prices ("$5 and $6") stay text; `\\$` is a dollar.

Display math stands in its own paragraph and may span lines; a label numbers it:

    $$ h = \\sum_c a_c v_c $$ {#eq-dir}

renders as

    <div class="equation" id="eq-dir"><math display="block">...</math>
    <span class="equation-number">(1)</span></div>

A formula that cannot be typeset is an error naming its line in the file.
"""

from __future__ import annotations

import re

from latex2mathml.converter import convert
from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from generator.markdown.fences import open_fence
from generator.markdown.priorities import priority
from generator.markdown.state import RenderState, Target

EQUATION_ID_PREFIX = "eq-"
INLINE_MATH = r"(?<![\\$\w])\$(?=[^\s$])(?P<tex>(?:\\.|[^$\\])+?)(?<!\s)\$(?![\d$])"
DISPLAY_OPEN = re.compile(r"^ {0,3}\$\$")
DISPLAY_CLOSE = re.compile(r"(?<!\\)\$\$")
LABEL = re.compile(r"^\s*(?:\{#(?P<id>[^}\s]*)\})?\s*$")
UNKNOWN_COMMAND = re.compile(r">\\([A-Za-z]+)<")
FIX = "check braces and commands"

# latex2mathml raises exceptions without a message; say what each one means.
REASONS = {
    "NoAvailableTokensError": "the formula ends where more was expected (a command lacks an argument?)",
    "MissingSuperScriptOrSubscriptError": "'^' or '_' has nothing after it",
    "DoubleSubscriptsError": "two subscripts in a row; group them with braces",
    "DoubleSuperscriptsError": "two superscripts in a row; group them with braces",
    "ExtraLeftOrMissingRightError": "a \\left has no matching \\right",
    "MissingEndError": "a \\begin has no matching \\end",
    "InvalidAlignmentError": "an alignment '&' outside an environment that allows it",
    "InvalidStyleForGenfracError": "a \\genfrac with an invalid style",
    "InvalidWidthError": "an invalid width",
    "LimitsMustFollowMathOperatorError": "\\limits does not follow an operator",
    "DenominatorNotFoundError": "a fraction has no denominator",
    "NumeratorNotFoundError": "a fraction has no numerator",
}


class FormulaError(ValueError):
    """A formula latex2mathml cannot typeset; the message says why."""


def brace_problem(tex: str) -> str | None:
    """Why the braces of `tex` do not balance, or None when they do (`\\{` `\\}` are text)."""
    depth = 0
    for token in re.findall(r"\\.|[{}]", tex):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return "a '}' has no matching '{'"
    return "a '{' is never closed" if depth else None


def typeset(tex: str, display: bool = False) -> str:
    """MathML for the LaTeX formula `tex`; raises `FormulaError` with a readable reason."""
    reason = brace_problem(tex)
    if reason:
        raise FormulaError(reason)
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many unrelated types for bad input
        name = type(exc).__name__
        raise FormulaError(REASONS.get(name) or str(exc) or name) from exc
    unknown = UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise FormulaError(f"unknown command '\\{unknown.group(1)}'")
    return mathml


class DisplayMathPreprocessor(Preprocessor):
    """Typesets `$$ ... $$ {#eq-x}` paragraphs and stashes their HTML; one item per line."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            fence = open_fence(lines[i])
            if fence is not None:                 # code: copy it through unread
                close = fence.close_index(lines, i + 1)
                end = len(lines) if close is None else close + 1
                out.extend(lines[i:end])
                i = end
                continue
            if not DISPLAY_OPEN.match(lines[i]):
                out.append(lines[i])
                i += 1
                continue
            end, html = self.display(lines, i)
            out.append(f"\n{self.md.htmlStash.store(html)}\n" if html else "")
            out.extend([""] * (end - i))
            i = end + 1
        return out

    def display(self, lines: list[str], start: int) -> tuple[int, str]:
        """(index of the closing line, HTML) for the display formula opening at `start`.

        The formula ends at the next `$$`; a blank line before it means it was never closed.
        """
        line = self.state.source.first_line + start
        pieces: list[str] = []
        j, text = start, lines[start].lstrip()[2:]
        while (close := DISPLAY_CLOSE.search(text)) is None:
            pieces.append(text)
            j += 1
            if j == len(lines) or not lines[j].strip():
                self.state.error(line, "display math '$$' is never closed",
                                 "end the formula with $$ before the next blank line")
                return start, ""
            text = lines[j]
        tex = "\n".join(pieces + [text[:close.start()]]).strip()
        label = LABEL.match(text[close.end():])
        if label is None:
            self.state.error(self.state.source.first_line + j, "text after display math",
                             "put $$...$$ in a paragraph of its own, optionally followed by {#eq-name}")
            return j, ""
        return j, self.equation(tex, label.group("id"), line)

    def equation(self, tex: str, eq_id: str | None, line: int) -> str:
        """The HTML of one display equation, numbered when it has an id."""
        try:
            mathml = typeset(tex, display=True)
        except FormulaError as exc:
            self.state.error(line, f"cannot typeset formula '{tex}'", f"{exc}; {FIX}")
            return ""
        if eq_id is None:
            return f'<div class="equation">{mathml}</div>'
        if not eq_id.startswith(EQUATION_ID_PREFIX) or not re.fullmatch(r"[\w-]+", eq_id):
            self.state.error(line, f"equation id '{eq_id}' must start with '{EQUATION_ID_PREFIX}'",
                             f"use letters, digits and '-', e.g. {{#{EQUATION_ID_PREFIX}loss}}")
            return f'<div class="equation">{mathml}</div>'
        if not self.state.claim_id(eq_id, line, "equation"):
            return f'<div class="equation">{mathml}</div>'
        number = str(sum(t.label == "Equation" for t in self.state.targets.values()) + 1)
        self.state.targets[eq_id] = Target("Equation", number, line)
        return (f'<div class="equation" id="{eq_id}">{mathml}'
                f'<span class="equation-number">({number})</span></div>')


class InlineMathProcessor(InlineProcessor):
    """`$x_1$` -> inline MathML, stashed so no later pattern touches it."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(INLINE_MATH, md)
        self.state = state

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        tex = m.group("tex")
        try:
            mathml = typeset(tex)
        except FormulaError as exc:
            line = self.state.source.line_of(tex) or self.state.source.line_of(tex.splitlines()[0])
            self.state.error(line, f"cannot typeset formula '{tex}'", f"{exc}; {FIX}")
            return m.group(0), m.start(0), m.end(0)
        return self.md.htmlStash.store(mathml), m.start(0), m.end(0)


class MathExtension(Extension):
    """Registers display and inline math, and makes `\\$` an escaped dollar."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        if "$" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("$")
        md.preprocessors.register(DisplayMathPreprocessor(md, self.state), "vellum-display-math",
                                  priority("preprocessors", "vellum-display-math"))
        md.inlinePatterns.register(InlineMathProcessor(md, self.state), "vellum-math",
                                   priority("inline", "vellum-math"))
