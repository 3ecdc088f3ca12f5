"""Vellum's Markdown: Python-Markdown plus directives, citations, cross-references, math,
asides and footnotes for the appendix. Each extension is one file; their priorities are in
`priorities.py`; what one rendering shares lives in `state.RenderState`.

    result = render_markdown(body, path="articles/x/index.md", first_line=7,
                             references=refs, directive_kinds={"image", "bokeh"})

The markup the front end can rely on (attributes come out in alphabetical order):

    citation     <span class="citation" data-cites="a b">[<a href="#ref-a">1</a>, <a href="#ref-b">2</a>]</span>
    cross-ref    <a class="xref" data-ref="fig-x" href="#fig-x">Figure 2</a>   (Section 1.2, Equation 1)
    footnote     <sup id="fnref-x"><a class="footnote-ref" href="#fn-x">1</a></sup>
    note list    <ol class="footnotes"><li id="fn-x"><p>... <a class="footnote-backref"
                 href="#fnref-x" title="Back to the text">&#8617;</a></p></li></ol>
    figure       <!--vellum-figure-3-->  (a block of its own; the build puts the figure there)
    aside        <aside class="margin-note">...</aside>
    equation     <div class="equation" id="eq-x"><math display="block">...</math>
                 <span class="equation-number">(1)</span></div>   (no id, no number if unlabelled)
    inline math  <math display="inline">...</math>
    heading      <h2 id="sec-x"><span class="section-number">1</span> Title</h2>
    code         <div class="highlight"><pre><span></span><code>...Pygments classes...</code></pre></div>
"""

from generator.markdown.formulas import FormulaError, typeset
from generator.markdown.render import RenderedMarkdown, render_markdown
from generator.markdown.state import Directive, TocEntry

__all__ = ["render_markdown", "RenderedMarkdown", "Directive", "TocEntry", "typeset", "FormulaError"]
