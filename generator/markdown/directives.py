"""Directives: a fenced block whose info string is `{kind}` and whose body is YAML.

    ```{image}
    id: fig-cat
    src: images/cat.jpg
    caption: A cat, as in @fig-grid.
    ```

A figure directive becomes a `Directive` in `RenderState.figures` and, in the HTML, an inert
placeholder `<!--vellum-figure-N-->` standing as its own block where the build puts the
figure. Its caption is rendered in place, in the flow of the document, so citations and
cross-references in captions are numbered where the reader meets them; a postprocessor then
lifts the rendered caption out into `Directive.caption_html`.

`{aside}` is built in: its body is Markdown, rendered as `<aside class="margin-note">`.

Ordinary fenced code (```` ```python ````) passes through untouched to `fenced_code`.
The preprocessor returns exactly one output item per input line, so the next
preprocessor can still tell file lines.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from generator.errors import did_you_mean
from generator.yamlload import YamlProblem, load_yaml
from generator.markdown.fences import Fence, open_fence
from generator.markdown.priorities import priority
from generator.markdown.state import Directive, RenderState, Target

ASIDE = "aside"
ASIDE_OPEN = '\n<aside class="margin-note" markdown="1">\n'
ASIDE_CLOSE = "\n</aside>\n"
FIGURE_ID_PREFIX = "fig-"

CAPTIONED = re.compile(r"<p>(<!--vellum-figure-(\d+)-->)(.*?)</p>", re.DOTALL)


def placeholder(number: int) -> str:
    """The inert HTML that stands where figure `number` goes."""
    return f"<!--vellum-figure-{number}-->"


def key_lines(body: list[str], first_line: int) -> dict[str, int]:
    """The file line of each top-level key of a YAML mapping that parses."""
    node = yaml.compose("\n".join(body), Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): first_line + key.start_mark.line for key, _ in node.value}


class DirectivePreprocessor(Preprocessor):
    """Turns directive fences into figure placeholders with captions, and asides into HTML."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        self.aside: tuple[Fence, int] | None = None      # the open aside's fence and line
        while len(out) < len(lines):
            out += self.step(lines, len(out))
        if self.aside:
            fence, line = self.aside
            self.state.error(line, "{aside} is never closed", f"end it with a line of {fence.char * fence.length}")
            out[-1] += ASIDE_CLOSE
        return out

    def step(self, lines: list[str], i: int) -> list[str]:
        """The output for what starts at line `i`: one item per line it spans."""
        if self.aside and self.aside[0].closes(lines[i]):
            self.aside = None
            return [ASIDE_CLOSE]
        fence = open_fence(lines[i])
        if fence is None:
            return [lines[i]]
        kind = fence.directive_kind()
        close = fence.close_index(lines, i + 1)
        if kind is None:                                 # ordinary code: for fenced_code
            self.check_code(fence, lines, i, close)
            return lines[i:len(lines) if close is None else close + 1]
        line = self.state.source.first_line + i
        if kind == ASIDE:
            return [self.open_aside(fence, line)]
        if close is None:
            self.state.error(line, f"directive '{{{kind}}}' is never closed",
                             f"end its YAML with a line of {fence.char * fence.length}")
            return [""]
        return [self.figure(kind, lines[i + 1:close], line)] + [""] * (close - i)

    def check_code(self, fence: Fence, lines: list[str], i: int, close: int | None) -> None:
        """A code block that is never closed runs to the end (CommonMark): a warning; one that
        holds a figure's opening fence it could not hold (a figure's closing fence would end
        it) lost its own closing fence, and the figure with it: an error."""
        line = self.state.source.first_line + i
        for j in range(i + 1, len(lines) if close is None else close):
            inner = open_fence(lines[j])
            if inner and inner.directive_kind() and inner.char == fence.char and inner.length >= fence.length:
                self.state.error(line, f"a code block opened here is never closed, so the figure on line "
                                 f"{self.state.source.first_line + j} is shown as code",
                                 f"end the code block with a line of {fence.char * fence.length} before it")
                return
        if close is None:
            self.state.warn(line, "a code block opened here is never closed: the rest of the article is code",
                            f"end it with a line of {fence.char * fence.length}")

    def open_aside(self, fence: Fence, line: int) -> str:
        """The opening `<aside>` tag, or "" (and an error) for an aside inside an aside."""
        if self.aside:
            self.state.error(line, "an {aside} inside an {aside}",
                             f"close the aside opened on line {self.aside[1]} first")
            return ""
        self.aside = (fence, line)
        return ASIDE_OPEN

    def figure(self, kind: str, body: list[str], line: int) -> str:
        """The replacement text of one figure directive, or "" when it is wrong."""
        known = self.state.directive_kinds | {ASIDE}
        if kind not in known:
            self.state.error(line, f"unknown directive '{{{kind}}}'", did_you_mean(kind, known))
            return ""
        spec = self.parse_spec(kind, body, line)
        if spec is None:
            return ""
        number = len(self.state.figures) + 1
        fig_id = self.figure_id(spec, line)
        if fig_id:
            self.state.targets[fig_id] = Target("Figure", str(number), line)
        caption = spec.get("caption", "")
        if not isinstance(caption, str):
            self.state.error(line, f"caption of '{{{kind}}}' must be text",
                             "write `caption:` followed by one line of Markdown")
            caption = ""
        self.state.figures.append(Directive(kind, spec, line, fig_id, number, placeholder(number),
                                            key_lines=key_lines(body, line + 1)))
        marker = self.md.htmlStash.store(placeholder(number))
        caption = re.sub(r"\s*\n\s*", " ", caption.strip())
        return f"\n{marker} {caption}\n" if caption else f"\n{marker}\n"

    def parse_spec(self, kind: str, body: list[str], line: int) -> dict[str, Any] | None:
        """The YAML body as a dict; errors name the YAML's own line in the file."""
        try:
            spec = load_yaml("\n".join(body), "", line + 1)
        except YamlProblem as exc:
            found = exc.problem
            if found.message.startswith("invalid YAML: "):
                self.state.error(found.line, f"invalid YAML in directive '{{{kind}}}': "
                                 + found.message.removeprefix("invalid YAML: "),
                                 "check the indentation, and quote values that contain ': ' or ' #'"
                                 if "indentation" in found.fix else found.fix)
            else:
                self.state.error(found.line, f"directive '{{{kind}}}': {found.message}", found.fix)
            return None
        if spec is None:
            return {}
        if not isinstance(spec, dict):
            self.state.error(line + 1, f"the body of '{{{kind}}}' must be YAML keys and values",
                             "write one `key: value` per line, e.g. `id: fig-name`")
            return None
        return spec

    def figure_id(self, spec: dict[str, Any], line: int) -> str | None:
        """The spec's `id`, checked and reserved, or None."""
        fig_id = spec.get("id")
        if fig_id is None:
            return None
        if not isinstance(fig_id, str) or not fig_id.startswith(FIGURE_ID_PREFIX) \
                or not re.fullmatch(r"[\w-]+", fig_id):
            self.state.error(line, f"figure id {fig_id!r} must start with '{FIGURE_ID_PREFIX}'",
                             f"use letters, digits and '-', e.g. 'id: {FIGURE_ID_PREFIX}example'")
            return None
        return fig_id if self.state.claim_id(fig_id, line, "figure") else None


class CaptionPostprocessor(Postprocessor):
    """Lifts each rendered caption out of the body into its `Directive.caption_html`."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, text: str) -> str:
        figures = {d.number: d for d in self.state.figures}

        def lift(m: re.Match) -> str:
            figures[int(m.group(2))].caption_html = m.group(3).strip()
            return m.group(1)

        return CAPTIONED.sub(lift, text)


class DirectiveExtension(Extension):
    """Registers the directive preprocessor and the caption postprocessor."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(DirectivePreprocessor(md, self.state), "vellum-directives",
                                  priority("preprocessors", "vellum-directives"))
        md.postprocessors.register(CaptionPostprocessor(md, self.state), "vellum-figure-captions",
                                   priority("post", "vellum-figure-captions"))
