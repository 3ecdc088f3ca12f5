"""Review text is untrusted: Markdown to HTML, then an allow-list sanitizer (nh3).

Anyone can send a review, so nothing in one may run in a reader's browser. The Markdown is
rendered with plain Python-Markdown (raw HTML passes through it) and the result is cleaned by
nh3: only the tags and attributes below survive, no `style`, no event handlers, no `id` or
`class`, links only to http, https, mailto or relative URLs, and every link gets
`rel="noopener noreferrer nofollow"`. Images are not allowed: a review must not make the
page load anything.

    review_html("Nice [work](https://example.org) <script>alert(1)</script>")
    -> '<p>Nice <a href="https://example.org" rel="noopener noreferrer nofollow">work</a> </p>'
"""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

TAGS = frozenset({
    "p", "br", "hr", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "code", "pre", "kbd",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
    "ins", "sup", "sub", "abbr", "dl", "dt", "dd",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "smarty"]


def sanitize(html: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript",
                            "template", "svg", "math", "textarea", "title", "select"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def review_html(text: str) -> Markup:
    """Untrusted Markdown to safe HTML, ready to put in a page."""
    rendered = markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return Markup(sanitize(rendered).strip())
