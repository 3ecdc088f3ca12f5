"""References from real bibliographies: the messes found in published Distill articles' .bib
files, each rendering cleanly or warned about once at its line."""

from __future__ import annotations

from generator.bib import parse_bibliography, scholar_reference
from generator.cli import main
from generator.errors import Problems
from projects import FRONT, make_project

PATH = "articles/x/references.bib"

MESSY = r"""@article{olah2017feature,
  author = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title = {Feature Visualization},
  journal = {Distill},
  year = {2017},
  doi = {10.23915/distill.00007}
}
@article{olah2017feature,
  author = {Olah, Chris and Mordvintsev, Alexander and Schubert, Ludwig},
  title = {Feature Visualization},
  journal = {Distill},
  year = {2017},
  doi = {10.23915/distill.00007}
}
@article{mordvintsev2020growing,
  author = {Mordvintsev, Alexander},
  title = {Growing Neural Cellular Automata},
  journal = {Distill},
  year = {2020}
}
@article{mordvintsev2020growing,
  title = {Growing Cellular Automata, another copy},
  year = {2021}
}
@article{levin2013,
  author = {Levin, Michael},
  title = {Reprogramming cells and tissue patterning via bioelectrical pathways},
  journal = {Communicative {\&} Integrative Biology},
  year = {2016},
  eprint = {doi:10.1080/19420889.2016.1192733}
}
@article{science,
  author = {Doe, Jane},
  title = {A science article},
  year = {2019},
  eprint = {https://science.sciencemag.org/content/1}
}
@article{selfies,
  author = {Krenn, Mario},
  title = "Self-Referencing Embedded Strings (SELFIES): A 100% robust molecular string representation",
  year = {2020},
  archivePrefix = {arXiv},
  eprint = {1905.13741}
}
@inproceedings{abadi2016,
  author = {Mart{\'{\i}}n Abadi and Others, A.},
  title = {Deep Learning with Differential Privacy},
  booktitle = {Proceedings of the 2016 ACM SIGSAC Conference},
  publisher = {ACM},
  year = {2016},
  month = oct,
  doi = {10.1162/isal\_a\_00043},
  url = {https://dx.doi.org/10.1162/isal_a_00043}
}
@article{sense,
  author = {Doe, Jane},
  title = {Does Attribution Make Sense?},
  journal = {Distill},
  year = {2018}
}
@incollection{chapter,
  author = {Doe, Jane},
  title = {A chapter},
  booktitle = {The Book of Chapters},
  publisher = {Springer},
  year = {2012}
}
@misc{anon,
  title = {An anonymous note.},
  year = {2018}
}
@article{stray,
  author = {Doe, Jane},
  title = {Cut short}},
  url = {https://example.org/a},
  volume = {3},
  year = {2020}
}
@article{commas,
  author = {Huynh, Lilly, and Bryson},
  title = {Commas between names},
  year = {2019}
}
@misc{twourls,
  author = {Doe, Jane},
  title = {Two addresses},
  year = {2019},
  url = {https://example.org/one https://example.org/two}
}
"""


def parsed():
    problems = Problems()
    references = parse_bibliography(MESSY, PATH, problems)
    return references, [str(p) for p in problems.warnings]


def line_of(text: str, nth: int = 1) -> int:
    lines = [n for n, line in enumerate(MESSY.splitlines(), 1) if line.startswith(text)]
    return lines[nth - 1]


def test_duplicates_merge_or_warn_once_and_never_cascade():
    references, warnings = parsed()
    assert "olah2017feature" in references and references["mordvintsev2020growing"].title == \
        "Growing Neural Cellular Automata"                             # the first copy is used
    about = [w for w in warnings if "duplicate" in w]
    assert about == [f"{PATH}:{line_of('@article{mordvintsev2020growing', 2)}: duplicate entry "
                     f"'mordvintsev2020growing' differs from the one on line "
                     f"{line_of('@article{mordvintsev2020growing')}, which is used — delete or rename one of them"]


def test_only_arxiv_is_arxiv():
    references, _ = parsed()
    levin, science, selfies = references["levin2013"], references["science"], references["selfies"]
    assert (levin.eprint, levin.doi) == ("", "10.1080/19420889.2016.1192733")
    assert (science.eprint, science.url) == ("", "https://science.sciencemag.org/content/1")
    assert selfies.eprint == "1905.13741"
    assert "citation_arxiv_id" not in scholar_reference(levin) + scholar_reference(science)
    assert "arxiv.org" not in levin.html() + science.html()


def test_a_per_cent_sign_does_not_end_a_title():
    references, _ = parsed()
    assert references["selfies"].title.endswith("A 100% robust molecular string representation")


def test_no_latex_is_left_and_dois_link_right():
    references, _ = parsed()
    abadi = references["abadi2016"]
    assert abadi.authors[0] == "Martín Abadi"
    assert abadi.doi == "10.1162/isal_a_00043"
    assert abadi.links() == [("https://doi.org/10.1162/isal_a_00043", "doi:10.1162/isal_a_00043")]  # once


def test_no_doubled_punctuation_and_no_leading_year():
    references, _ = parsed()
    assert '<span class="title">Does Attribution Make Sense?</span> <i class="container">' in references["sense"].html()
    assert references["anon"].html() == '<span class="title">An anonymous note.</span> (2018).'


def test_silent_damage_is_said_at_the_entry_line():
    _, warnings = parsed()
    assert (f"{PATH}:{line_of('@article{stray')}: reference 'stray': url, volume, year were dropped — "
            "a stray '}' closes the entry early; check the braces of the field before them") in warnings
    assert (f"{PATH}:{line_of('@article{commas')}: reference 'commas': authors are separated by commas — "
            "write `author = {Last, First and Last, First}`: names separated by ' and '") in warnings
    assert (f"{PATH}:{line_of('@misc{twourls')}: reference 'twourls': its url holds more than one address; "
            "the first is linked — keep one address in `url`, the others in `note`") in warnings
    assert f"{PATH}:{line_of('@article{stray')}: reference 'stray' has no year" in " ".join(warnings)


def test_scholar_tags_follow_the_entry_type_and_carry_the_month():
    references, _ = parsed()
    chapter = scholar_reference(references["chapter"])
    assert "citation_inbook_title=The Book of Chapters" in chapter and "citation_publisher=Springer" in chapter
    abadi = scholar_reference(references["abadi2016"])
    assert "citation_conference_title=Proceedings of the 2016 ACM SIGSAC Conference" in abadi
    assert "citation_publication_date=2016/10" in abadi and "citation_publisher=ACM" in abadi
    assert "(October 2016)" in references["abadi2016"].html()


def test_a_messy_bibliography_builds_and_the_page_shows_it_clean(tmp_path, monkeypatch, capsys):
    keys = ["olah2017feature", "mordvintsev2020growing", "levin2013", "science", "selfies", "abadi2016",
            "sense", "chapter", "anon", "stray", "commas", "twourls"]
    body = "\n" + " ".join(f"[@{key}]" for key in keys) + "\n"
    root = make_project(tmp_path / "p", {"x": {"index.md": FRONT + body, "references.bib": MESSY}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("duplicate entry") == 1 and "unknown citation" not in err
    page = (root / "build" / "x" / "index.html").read_text()
    assert "A 100% robust molecular string representation" in page
    assert "Sense?." not in page and "Mart\\'" not in page and "isal\\_a" not in page
    assert "arxiv.org/abs/https" not in page and "arXiv:0889" not in page


def test_author_year_citations_read_and_list_by_name(tmp_path, monkeypatch):
    bib = MESSY.split("@article{levin2013", 1)[0] + "@article{carter2019,\n  author = {Carter, Shan and Armstrong, Zan},\n" \
        "  title = {Activation Atlas},\n  journal = {Distill},\n  year = {2019}\n}\n"
    front = FRONT.replace("status: draft", "status: draft\ncitations: author-year")
    body = "\nAtlases [@carter2019; @olah2017feature] and growth [@mordvintsev2020growing].\n"
    root = make_project(tmp_path / "p", {"x": {"index.md": front + body, "references.bib": bib}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    page = (root / "build" / "x" / "index.html").read_text()
    assert ('(<a href="#ref-carter2019">Carter and Armstrong, 2019</a>; '
            '<a href="#ref-olah2017feature">Olah et al., 2017</a>)') in page
    assert '(<a href="#ref-mordvintsev2020growing">Mordvintsev, 2020</a>)' in page
    listed = page.split('class="references references-author-year"', 1)[1].split("</ul>", 1)[0]
    assert [k for k in ("carter2019", "mordvintsev2020growing", "olah2017feature") if k in listed] == \
        ["carter2019", "mordvintsev2020growing", "olah2017feature"]
    assert listed.index("carter2019") < listed.index("mordvintsev2020growing") < listed.index("olah2017feature")
