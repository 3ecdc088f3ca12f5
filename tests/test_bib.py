"""BibTeX as people write it becomes clean reference records, links and error messages."""

from __future__ import annotations

import pytest
from pybtex.database import parse_string

from generator.bib import (article_bibtex, load_bibliography, parse_bibliography, report_unused,
                           scholar_reference, unused_keys)
from generator.errors import BuildError, Problems

PATH = "articles/x/references.bib"
BIB = r"""% Exported from a reference manager, then edited by hand.
@string{distill = "Distill"}

@article{olah2017feature,
  author    = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title     = {Feature Visualization},
  journal   = distill,
  year      = {2017},
  volume    = {2},
  number    = {11},
  doi       = {https://doi.org/10.23915/distill.00007},
  url       = {https://distill.pub/2017/feature-visualization},
}

@inproceedings{deng2009imagenet,
  title={{ImageNet}: A Large-Scale Hierarchical Image Database},
  author={Deng, Jia and Dong, Wei and Socher, Richard and Li, Li-Jia and Li, Kai and Fei-Fei, Li},
  booktitle={2009 {IEEE} Conference on Computer Vision and Pattern Recognition},
  pages={248--255},
  year={2009}
}

@misc{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and others},
  year = {2017},
  eprint = {1706.03762},
  archivePrefix = {arXiv},
  primaryClass = {cs.CL}
}

@article{schroedinger1926,
  author = {Schr{\"o}dinger, Erwin and Cl\'ement, Ren\'e and Gau{\ss}, Carl and van der Berg, Ann},
  title = {\"Uber die {K}r{\"a}fte \emph{in} Atomen \& <Kernen>},
  journal = {Annalen der Physik},
  year = 1926,
  pages = {1-10}
}

@article{goodfellow2014explaining,
  title={Explaining and harnessing adversarial examples},
  author={Goodfellow, Ian J and Shlens, Jonathon and Szegedy, Christian},
  journal={arXiv preprint arXiv:1412.6572},
  year={2014}
}

@misc{bare,
  title = {Just a Title}
}
"""


@pytest.fixture(scope="module")
def refs():
    return parse_bibliography(BIB, PATH)


def test_entries_keep_file_order_kind_and_line(refs):
    assert list(refs) == ["olah2017feature", "deng2009imagenet", "vaswani2017attention",
                          "schroedinger1926", "goodfellow2014explaining", "bare"]
    assert [(r.kind, r.line) for r in refs.values()] == [
        ("article", 4), ("inproceedings", 15), ("misc", 23), ("article", 32), ("article", 40), ("misc", 47)]


def test_latex_accents_names_and_protected_case_become_unicode(refs):
    ref = refs["schroedinger1926"]
    assert ref.authors == ["Erwin Schrödinger", "René Clément", "Carl Gauß", "Ann van der Berg"]
    assert ref.title == "Über die Kräfte in Atomen & <Kernen>"
    assert refs["deng2009imagenet"].title == "ImageNet: A Large-Scale Hierarchical Image Database"
    assert refs["deng2009imagenet"].container == "2009 IEEE Conference on Computer Vision and Pattern Recognition"


def test_pages_get_an_en_dash_and_strings_expand(refs):
    assert refs["deng2009imagenet"].pages == "248–255"
    assert refs["schroedinger1926"].pages == "1–10"
    assert refs["olah2017feature"].container == "Distill"


def test_doi_is_stored_without_its_resolver(refs):
    assert refs["olah2017feature"].doi == "10.23915/distill.00007"


def test_arxiv_id_from_eprint_or_journal_and_and_others(refs):
    vaswani = refs["vaswani2017attention"]
    assert vaswani.eprint == "1706.03762"
    assert vaswani.et_al and vaswani.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert refs["goodfellow2014explaining"].eprint == "1412.6572"


def test_html_links_doi_url_and_arxiv(refs):
    html = refs["olah2017feature"].html()
    assert '<span class="authors">Chris Olah, Alexander Mordvintsev and Ludwig Schubert</span> (2017).' in html
    assert '<a href="https://doi.org/10.23915/distill.00007">doi:10.23915/distill.00007</a>' in html
    assert '<a href="https://distill.pub/2017/feature-visualization">' in html
    misc = refs["vaswani2017attention"].html()
    assert "Ashish Vaswani, Noam Shazeer et al." in misc
    assert '<a href="https://arxiv.org/abs/1706.03762">arXiv:1706.03762</a>' in misc


def test_html_is_escaped(refs):
    html = refs["schroedinger1926"].html()
    assert "Kräfte in Atomen &amp; &lt;Kernen&gt;" in html
    assert "<Kernen>" not in html


def test_missing_optional_fields_are_left_out(refs):
    assert refs["bare"].html() == '<span class="title">Just a Title</span>.'
    assert scholar_reference(refs["bare"]) == "citation_title=Just a Title"


def test_scholar_reference(refs):
    assert scholar_reference(refs["deng2009imagenet"]) == (
        "citation_title=ImageNet: A Large-Scale Hierarchical Image Database; citation_author=Jia Deng; "
        "citation_author=Wei Dong; citation_author=Richard Socher; citation_author=Li-Jia Li; "
        "citation_author=Kai Li; citation_author=Li Fei-Fei; citation_publication_date=2009; "
        "citation_conference_title=2009 IEEE Conference on Computer Vision and Pattern Recognition; "
        "citation_firstpage=248; citation_lastpage=255")


def test_unused_keys_are_warnings_at_their_lines(refs):
    cited = ["olah2017feature", "deng2009imagenet", "vaswani2017attention", "goodfellow2014explaining"]
    assert [r.key for r in unused_keys(refs, cited)] == ["schroedinger1926", "bare"]
    problems = Problems()
    report_unused(refs, cited, problems)
    assert not problems.errors
    assert [str(p) for p in problems.warnings] == [
        f"{PATH}:32: reference 'schroedinger1926' is never cited — cite it with [@schroedinger1926] "
        "or delete the entry",
        f"{PATH}:47: reference 'bare' is never cited — cite it with [@bare] or delete the entry",
    ]


def test_article_bibtex_round_trips_through_pybtex():
    text = article_bibtex("example2026what", "What the Network Sees & Why", ["Ada Example", "Jörg van der Berg"],
                          2026, "Vellum", url="https://example.org/what", doi="10.1234/vellum.1")
    assert text.startswith("@article{example2026what,\n  author = {Example, Ada and van der Berg, Jörg},")
    entry = parse_string(text, "bibtex").entries["example2026what"]
    assert entry.fields["title"] == r"What the Network Sees \& Why"
    assert entry.fields["doi"] == "10.1234/vellum.1"
    assert [str(p) for p in entry.persons["author"]] == ["Example, Ada", "van der Berg, Jörg"]


def test_broken_bibtex_names_the_line_and_the_entry_to_fix():
    broken = "@article{a,\n  title = {A},\n  year = 2001\n\n@misc{b,\n  title = {B}\n}\n"
    with pytest.raises(BuildError) as caught:
        parse_bibliography(broken, PATH)
    assert [str(p) for p in caught.value.problems] == [
        f"{PATH}:5: invalid BibTeX: '}}' expected — check the entry 'a' (line 1): every brace closed, "
        "fields separated by commas"]


def test_every_bibtex_error_is_reported_at_once():
    broken = "@article{a, title = undefinedmacro}\n@misc{b, title={B}}\n@misc{b, title={C}}\n@misc{, title={D}}\n"
    with pytest.raises(BuildError) as caught:
        parse_bibliography(broken, PATH)
    assert [str(p) for p in caught.value.problems] == [   # a duplicate key is a warning, not an error
        f"{PATH}:4: @misc entry without a key — write it as @misc{{key, ...}}",
        f"{PATH}:1: undefined string 'undefinedmacro' — put the value in braces, e.g. {{undefinedmacro}}",
    ]


def test_load_bibliography_reads_utf8_and_reports_a_missing_file(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text("@misc{m, author = {Müller, Jörg}, title = {Ünïcode}}\n", encoding="utf-8")
    assert load_bibliography(path)["m"].authors == ["Jörg Müller"]
    with pytest.raises(BuildError, match="bibliography file not found"):
        load_bibliography(tmp_path / "missing.bib")


def test_misc_with_url_in_howpublished_and_corporate_author():
    refs = parse_bibliography(r"""@misc{lucid,
  author = {{The Lucid Authors}},
  title = {Lucid: A Collection of Infrastructure and Tools for Research in Neural Network Interpretability},
  howpublished = {\url{https://github.com/tensorflow/lucid}},
  year = {2018}
}""", PATH)
    ref = refs["lucid"]
    assert ref.authors == ["The Lucid Authors"]
    assert ref.container == "" and ref.url == "https://github.com/tensorflow/lucid"
    assert ref.html().endswith('<a href="https://github.com/tensorflow/lucid">https://github.com/tensorflow/lucid</a>')
