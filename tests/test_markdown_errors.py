"""Every user mistake in an article body is one line `path:line: what — fix`, at the right
file line (the body starts at `first_line`), and all of them are reported at once."""

from __future__ import annotations

import textwrap

from generator.bib import Reference
from generator.markdown import render_markdown

PATH = "articles/x/index.md"
FIRST_LINE = 7          # the body starts after six lines of front matter
KINDS = {"image", "bokeh"}
REFS = {key: Reference(key=key, kind="article", authors=[], title=key)
        for key in ("olah2017feature", "olah2018building")}


def errors(body: str) -> list[str]:
    result = render_markdown(textwrap.dedent(body).lstrip("\n"), path=PATH, first_line=FIRST_LINE,
                             references=REFS, directive_kinds=KINDS)
    return [str(p) for p in result.problems.errors]


def warnings(body: str) -> list[str]:
    result = render_markdown(textwrap.dedent(body).lstrip("\n"), path=PATH, first_line=FIRST_LINE,
                             references=REFS, directive_kinds=KINDS)
    return [str(p) for p in result.problems.warnings]


def test_unknown_citation_key_names_line_and_nearest_key():
    assert errors("""
        Intro.

        As shown [@olah2018buildng; @olah2017feature].
    """) == [f"{PATH}:9: unknown citation key 'olah2018buildng' — did you mean 'olah2018building'"
             " or 'olah2017feature'?"]


def test_unknown_cross_reference_names_line_and_nearest_id():
    assert errors("""
        ```{image}
        id: fig-cat
        src: cat.png
        ```

        See @fig-dog.
    """) == [f"{PATH}:12: unknown cross-reference '@fig-dog' — did you mean 'fig-cat'?"]


def test_cross_reference_without_any_target_says_how_to_make_one():
    assert errors("See @sec-method.") == [
        f"{PATH}:7: unknown cross-reference '@sec-method' — end a ## or ### heading with {{#sec-method}}"]


def test_duplicate_figure_id_names_the_first():
    assert errors("""
        ```{image}
        id: fig-cat
        ```

        ```{bokeh}
        id: fig-cat
        ```
    """) == [f"{PATH}:11: duplicate id 'fig-cat' — the first is on line 7; give this figure another id"]


def test_unknown_directive_kind_suggests_the_known_one():
    assert errors("""
        Text.

        ```{imgae}
        src: cat.png
        ```
    """) == [f"{PATH}:9: unknown directive '{{imgae}}' — did you mean 'image'?"]


def test_bad_inline_formula_names_its_line():
    assert errors("""
        First line.
        The fraction $\\frac{a}{$ is cut.
    """) == [f"{PATH}:8: cannot typeset formula '\\frac{{a}}{{' — a '{{' is never closed; "
             "check braces and commands"]


def test_bad_display_formula_gives_latex2mathml_reason():
    assert errors("""
        Text.

        $$
        x^
        $$
    """) == [f"{PATH}:9: cannot typeset formula 'x^' — '^' or '_' has nothing after it; "
             "check braces and commands"]


def test_unknown_latex_command_is_an_error_not_silent_text():
    assert errors("Here $\\alhpa + 1$.") == [
        f"{PATH}:7: cannot typeset formula '\\alhpa + 1' — unknown command '\\alhpa'; check braces and commands"]


def test_broken_directive_yaml_names_the_yaml_line():
    assert errors("""
        Text.

        ```{image}
        id: fig-cat
        src: cat.png
          layout: page
        ```
    """) == [f"{PATH}:12: invalid YAML in directive '{{image}}': mapping values are not allowed here — "
             "check the indentation, and quote values that contain ': ' or ' #'"]


def test_directive_body_must_be_a_mapping():
    assert errors("""
        ```{image}
        - just
        - a list
        ```
    """) == [f"{PATH}:8: the body of '{{image}}' must be YAML keys and values — "
             "write one `key: value` per line, e.g. `id: fig-name`"]


def test_unclosed_directive_is_reported_at_its_opening():
    assert errors("""
        Text.

        ```{image}
        id: fig-cat
    """) == [f"{PATH}:9: directive '{{image}}' is never closed — end its YAML with a line of ```"]


def test_an_unclosed_code_block_that_hides_a_figure_is_an_error():
    assert errors("""
        Text.

        ```python
        x = 1

        ```{image}
        id: fig-cat
        src: cat.png
        ```
    """) == [f"{PATH}:9: a code block opened here is never closed, so the figure on line 12 is shown as code — "
             "end the code block with a line of ``` before it"]
    assert warnings("""
        Text.

        ~~~~
        x = 1
    """) == [f"{PATH}:9: a code block opened here is never closed: the rest of the article is code — end it "
             "with a line of ~~~~"]


def test_unknown_footnote_reference():
    assert errors("""
        A claim.[^sorce]

        [^source]: Where it comes from.
    """) == [f"{PATH}:7: unknown footnote '[^sorce]' — did you mean 'source'?"]


def test_unused_footnote_is_a_warning():
    assert warnings("""
        Text.

        [^spare]: Never referenced.
    """) == [f"{PATH}:9: footnote '[^spare]' is never referenced — cite it with [^spare] in the text, "
             "or delete it"]


def test_equation_id_needs_eq_prefix():
    assert errors("$$ x $$ {#dir}") == [
        f"{PATH}:7: equation id 'dir' must start with 'eq-' — use letters, digits and '-', e.g. {{#eq-loss}}"]


def test_figure_id_needs_fig_prefix():
    assert errors("""
        ```{image}
        id: cat
        ```
    """) == [f"{PATH}:7: figure id 'cat' must start with 'fig-' — use letters, digits and '-', "
             "e.g. 'id: fig-example'"]


def test_unclosed_display_math_stops_at_the_blank_line():
    assert errors("""
        $$ x + y

        More text $$ here.
    """) == [f"{PATH}:7: display math '$$' is never closed — end the formula with $$ before the next blank line"]


def test_all_errors_are_collected_in_line_order():
    found = errors("""
        ```{imgae}
        ```

        See @fig-nothing and [@nobody].

        $$ \\frac{1}{ $$
    """)
    lines = [int(message.split(":")[1]) for message in found]
    assert lines == [7, 10, 10, 12]
    assert "unknown directive" in found[0] and "cannot typeset" in found[3]


def test_repeated_unknown_key_reports_each_occurrence_line():
    found = errors("""
        One [@nobody].

        Two [@nobody].
    """)
    assert [int(message.split(":")[1]) for message in found] == [7, 9]


def test_duplicate_section_id_is_an_error():
    found = errors("""
        ## One {#sec-a}

        ## Two {#sec-a}
    """)
    assert found == [f"{PATH}:9: duplicate id 'sec-a' — the first is on line 7; give this heading another id"]


def test_bare_key_of_a_reference_is_a_warning_not_a_citation():
    assert warnings("""
        Intro.
        As @olah2017feature. shows, but ada@olah2017feature.org does not.
    """) == [f"{PATH}:8: '@olah2017feature' is not a citation — write [@olah2017feature] to cite it"]


def test_valid_body_has_no_problems():
    result = render_markdown("## A {#sec-a}\n\nSee @sec-a [@olah2017feature].[^n]\n\n[^n]: Note.\n",
                             path=PATH, references=REFS, directive_kinds=KINDS)
    assert not result.problems.errors and not result.problems.warnings
