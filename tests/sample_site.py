"""A realistic fake site for template tests: the context build.py passes, rendered to disk.

`render_sample_site(out)` writes index.html, 404.html, feed.xml, sitemap.xml,
what-the-network-sees/index.html and static/ (the assets, under content-hashed names) and
returns the article context so tests can compare the pages with what went in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import latex2mathml.converter
from markupsafe import Markup
from PIL import Image, ImageDraw
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from generator.templates import environment

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "generator" / "assets"
SLUG = "what-the-network-sees"

SITE = {
    "title": "Vellum",
    "description": "Explorable papers about what neural networks see and how they decide.",
    "base_url": "https://vellum.example.org/",
    "repository": "https://example.org/vellum",
    "license": "CC-BY-4.0",
}

CODE = '''import generator.interpret as vi

model = vi.load_model("efficientnet_lite0")   # an nn.Module
image = vi.load_image("sample:chelsea")       # (3, H, W) in [0, 1]
acts = vi.activations(model, image, ["blocks.10"])  # {layer: (C, H, W)}
'''


def _paragraphs() -> str:
    long_text = (
        "Each position of a convolutional layer holds a vector of activations, one number per "
        "channel. Read together, these numbers describe what the network has detected there, "
        "and a visualization of that vector turns an abstract list into something we can see. "
    )
    return "".join(f"<p>{long_text * 2}</p>\n" for _ in range(3))


def body_html() -> Markup:
    """Body markup in the shape the Markdown extensions produce."""
    equation = latex2mathml.converter.convert(r"h_{x,y} = \sum_c a_{x,y,c} \, v_c", display="block")
    inline = latex2mathml.converter.convert(r"a_{x,y}")
    code = highlight(CODE, PythonLexer(), HtmlFormatter())
    return Markup(f"""<h2 id="sec-intro"><span class="section-number">1</span> Introduction</h2>
<p>The network separates the two animals early <span class="citation" data-cites="olah2018building olah2017feature"><a href="#ref-olah2018building">1</a>, <a href="#ref-olah2017feature">2</a></span>.
As <a class="xref" href="#fig-grid">Figure 1</a> shows, ear detectors fire near the top.<sup id="fnref-ears"><a class="footnote-ref" href="#fn-ears">1</a></sup>
The activation vector {inline} at each position is a point in a space of channels.</p>
<aside class="margin-note"><p>Margin notes sit beside the paragraph before them on wide screens and inline on phones.</p></aside>
{_paragraphs()}
<figure class="vellum-figure l-page" id="fig-grid">
<img src="images/grid.png" alt="A grid of small synthetic images over a photo of a cat." width="960" height="360">
<figcaption><span class="figure-number">Figure 1:</span> Each cell shows what the network sees at that position.</figcaption>
</figure>
<h2 id="sec-method"><span class="section-number">2</span> Method</h2>
<p>We project activations onto a direction, as in <a class="xref" href="#eq-dir">Equation 1</a>, and read the result
back through feature visualization<sup id="fnref:2"><a class="footnote-ref" href="#fn:2">2</a></sup> <span class="citation" data-cites="olah2017feature"><a href="#ref-olah2017feature">2</a></span>.</p>
<div class="equation" id="eq-dir">{equation}<span class="equation-number">(1)</span></div>
<h3 id="sec-code"><span class="section-number">2.1</span> Reproducing a figure</h3>
<p>The engine works on its own in a notebook; see <a class="xref" href="#sec-intro">Section 1</a>.</p>
{code}
<table><thead><tr><th>Layer</th><th>Channels</th><th>Size</th></tr></thead>
<tbody><tr><td>blocks.10</td><td>112</td><td>14 × 14</td></tr><tr><td>blocks.14</td><td>192</td><td>7 × 7</td></tr></tbody></table>
{_paragraphs()}
""")


FOOTNOTES = Markup("""<ol class="footnotes">
<li id="fn-ears"><p>The footnote appears on hover and in the appendix.&#160;<a class="footnote-backref" href="#fnref-ears" title="Back to the text">&#8617;</a></p></li>
<li id="fn:2"><p>Python-Markdown's own footnote ids contain a colon.&#160;<a class="footnote-backref" href="#fnref:2" title="Jump back to footnote 2 in the text">&#8617;</a></p></li>
</ol>""")


def article_context() -> dict:
    """One article, with every optional field filled."""
    return {
        "slug": SLUG,
        "url": f"{SLUG}/index.html",
        "title": "What the Network Sees",
        "description": "How the activations of a vision model can be read as pictures.",
        "authors": [
            {"name": "Ada Example", "url": "https://example.org/ada", "orcid": "0000-0002-1825-0097",
             "affiliations": [{"name": "Example Lab", "url": "https://example.org/lab"}]},
            {"name": "Grace Sample", "url": None, "orcid": None,
             "affiliations": [{"name": "Institute of Samples", "url": None},
                              {"name": "Example Lab", "url": "https://example.org/lab"}]},
        ],
        "published": dt.date(2026, 11, 26),
        "updated": [{"date": dt.date(2026, 12, 1), "note": "Fixed the caption of Figure 1."}],
        "doi": "10.1234/vellum.00001",
        "license": {"id": "CC-BY-4.0", "name": "Creative Commons Attribution CC-BY 4.0",
                    "url": "https://creativecommons.org/licenses/by/4.0/"},
        "status": "published",
        "body_html": body_html(),
        "toc": [
            {"level": 2, "id": "sec-intro", "number": "1", "title_html": Markup("Introduction")},
            {"level": 2, "id": "sec-method", "number": "2", "title_html": Markup("Method")},
            {"level": 3, "id": "sec-code", "number": "2.1", "title_html": Markup("Reproducing a <em>figure</em>")},
        ],
        "footnotes_html": FOOTNOTES,
        "references": [
            {"key": "olah2018building", "number": 1, "html": Markup(
                "Olah, C., Satyanarayan, A., Johnson, I., et al. <em>The Building Blocks of "
                "Interpretability</em>. Distill, 2018. <a href=\"https://doi.org/10.23915/distill.00010\">doi:10.23915/distill.00010</a>")},
            {"key": "olah2017feature", "number": 2, "html": Markup(
                "Olah, C., Mordvintsev, A., Schubert, L. <em>Feature Visualization</em>. Distill, 2017.")},
        ],
        "citation_text": "Example & Sample, \"What the Network Sees\", Vellum, 2026.",
        "citation_bibtex": "@article{example2026what,\n  author = {Example, Ada and Sample, Grace},\n"
                           "  title = {What the Network Sees},\n  journal = {Vellum},\n  year = {2026},\n"
                           "  doi = {10.1234/vellum.00001}\n}",
        "scholar_references": [
            "citation_title=The Building Blocks of Interpretability;citation_publication_date=2018",
            "citation_title=Feature Visualization;citation_publication_date=2017",
        ],
        "thumbnail": f"{SLUG}/images/thumbnail.png",
        "reviews_url": "https://example.org/vellum/issues/1",
        "scripts": [],
        "styles": [],
        "citation_style": "numbered",
        "head_extra": Markup(""),
    }


def _publish_assets(out: Path) -> dict[str, str]:
    """Copy assets/ to out/static/ under content-hashed names; return name -> published path."""
    published = {}
    for source in sorted(ASSETS.rglob("*")):
        if source.is_file():
            name = source.relative_to(ASSETS).as_posix()
            digest = hashlib.sha256(source.read_bytes()).hexdigest()[:8]
            target = Path("static") / Path(name).with_name(f"{source.stem}.{digest}{source.suffix}")
            (out / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out / target)
            published[name] = target.as_posix()
    return published


def _draw_images(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    grid = Image.new("RGB", (960, 360), (236, 232, 224))
    draw = ImageDraw.Draw(grid)
    for i in range(24):
        x, y = 20 + (i % 12) * 78, 30 + (i // 12) * 160
        draw.rectangle([x, y, x + 70, y + 140], fill=(40 + i * 8, 90 + i * 5, 160 - i * 4))
    grid.save(folder / "grid.png")
    grid.resize((480, 360)).save(folder / "thumbnail.png")


def render_sample_site(out: Path, article: dict | None = None) -> dict:
    """Render every template into `out`; return the article context used."""
    article = article or article_context()
    published = _publish_assets(out)
    env = environment()
    base = SITE["base_url"]

    def page(template: str, target: str, root: str, **context) -> None:
        def asset(name: str) -> str:
            return root + published[name]
        text = env.get_template(template).render(
            site=SITE, root=root, asset=asset, page_url=base + target.removesuffix("index.html"),
            build_date=dt.date(2026, 12, 2), **context)
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        (out / target).write_text(text, encoding="utf-8")

    _draw_images(out / SLUG / "images")
    older = {**article_context(), "slug": "older", "url": "older/index.html", "title": "An Older Article",
             "published": dt.date(2026, 1, 5), "updated": [], "thumbnail": None, "status": "review"}
    page("article.html", f"{SLUG}/index.html", "../", article=article)
    page("index.html", "index.html", "", articles=[article, older])
    page("404.html", "404.html", "", base_path="/")
    page("feed.xml", "feed.xml", "", articles=[article, older])
    page("sitemap.xml", "sitemap.xml", "", articles=[article, older])
    return article
