"""BibTeX -> reference records, with pybtex: for the reference list, Scholar meta tags and the
article's own citation.

    refs = load_bibliography(Path("articles/x/references.bib"))   # {key: Reference}
    refs["olah2017feature"].html()      # one formatted, escaped reference for the appendix
    scholar_reference(refs["olah2017feature"])   # content of a `citation_reference` meta tag
    report_unused(refs, cited=["olah2017feature"], problems=problems)

Real-world BibTeX works: LaTeX accents (`{\\"o}`, `\\'e`, `{\\ss}`), braces that protect case
(`{ImageNet}`), `and others`, arXiv `eprint` with `archivePrefix`, `--` in pages. Broken
BibTeX raises `BuildError` naming every `path:line` at once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import pybtex.errors
from pybtex.backends.plaintext import Backend as PlainText
from pybtex.database import BibliographyData, Person, parse_string
from pybtex.richtext import Text

from generator.errors import BuildError, Problem, Problems

CONTAINER_FIELDS = ("journal", "booktitle", "publisher", "howpublished", "school", "institution")
NON_ENTRIES = {"comment", "preamble", "string"}
ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(?P<kind>\w+)[ \t]*[{(][ \t\n]*(?P<key>[^,\s{}()=]*)", re.M)
ARXIV_ID = re.compile(r"(?:arXiv:)?\s*(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)", re.I)
# Commands that only style their argument: drop the command, keep the argument.
STYLE_COMMANDS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|textup|mbox|text|url|"
                            r"mathrm|mathit|mathbf|href\s*\{[^}]*\})\s*(?=\{)")
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.I)
SYNTAX_PREFIX = re.compile(r"^syntax error in line \d+: ")
PLAIN_TEXT = PlainText()  # `render_as("text")` looks the backend up anew, slowly, on every call


def latex_to_text(value: str) -> str:
    """Plain Unicode text for a BibTeX field: accents decoded, protective braces and styling
    commands dropped, `--` an en dash, `~` a no-break space, runs of white space one space."""
    if not value:
        return ""
    value = STYLE_COMMANDS.sub("", value)
    try:
        text = Text.from_latex(value).render(PLAIN_TEXT)
    except Exception:  # pybtex's LaTeX reader gives up on some inputs; keep what was written
        text = value.replace("{", "").replace("}", "")
    text = text.replace("---", "\N{EM DASH}").replace("--", "\N{EN DASH}").replace("~", "\N{NO-BREAK SPACE}")
    return re.sub(r"\s+", " ", text).strip()


def person_name(person: Person) -> str:
    """`First Middle von Last Jr.` in plain text."""
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names \
        + person.lineage_names
    return latex_to_text(" ".join(parts))


@dataclass(frozen=True)
class Reference:
    """One entry of a .bib file, in plain Unicode text (HTML-escaped only by `html()`)."""

    key: str
    kind: str
    authors: list[str]
    title: str
    container: str = ""
    year: str = ""
    month: str = ""
    volume: str = ""
    pages: str = ""
    doi: str = ""
    url: str = ""
    eprint: str = ""
    line: int | None = None
    path: str = ""
    et_al: bool = False
    number: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.eprint}" if self.eprint else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def author_text(self) -> str:
        """`A`, `A and B`, `A, B and C`, or `A, B et al.`."""
        names = self.authors
        if self.et_al:
            return ", ".join(names) + " et al." if names else ""
        if len(names) <= 2:
            return " and ".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]

    def html(self) -> str:
        """The formatted reference: authors, year, title, container, volume, pages, links.

        `<span class="authors">A and B</span> (2018). <span class="title">Title</span>.
        <i class="container">Journal</i>, 3, 1–10. <a href="https://doi.org/…">doi:…</a>`
        """
        e = html.escape
        head = []
        if self.authors:
            head.append(f'<span class="authors">{e(self.author_text())}</span>')
        if self.year:
            head.append(f"({e(self.year)})")
        parts = [" ".join(head) + "." if head else ""]
        if self.title:
            parts.append(f'<span class="title">{e(self.title)}</span>.')
        venue = [f'<i class="container">{e(self.container)}</i>'] if self.container else []
        venue += [e(v) for v in (self.volume, self.pages) if v]
        if venue:
            parts.append(", ".join(venue) + ".")
        for href, label in self.links():
            parts.append(f'<a href="{e(href)}">{e(label)}</a>')
        return " ".join(p for p in parts if p)

    def links(self) -> list[tuple[str, str]]:
        """(href, label) for the DOI, the arXiv abstract and the URL, without repeats."""
        found = [(self.doi_url, f"doi:{self.doi}"), (self.arxiv_url, f"arXiv:{self.eprint}"),
                 (self.url, self.url)]
        seen: set[str] = set()
        return [(href, label) for href, label in found if href and not (href in seen or seen.add(href))]


def entry_lines(text: str) -> list[tuple[int, str, str]]:
    """(line, kind, key) of every entry, in file order, found by reading the text itself."""
    found = []
    for m in ENTRY_START.finditer(text):
        if m.group("kind").lower() not in NON_ENTRIES:
            found.append((text.count("\n", 0, m.start()) + 1, m.group("kind").lower(), m.group("key")))
    return found


def arxiv_id(fields: Mapping[str, str]) -> str:
    """The arXiv id from `eprint` (with archivePrefix or eprinttype arXiv) or a journal field."""
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if fields.get("eprint") and archive in ("", "arxiv"):
        m = ARXIV_ID.search(fields["eprint"])
        return m.group("id") if m else fields["eprint"].strip()
    for name in ("journal", "howpublished", "note"):
        value = fields.get(name, "")
        if "arxiv" in value.lower() and (m := ARXIV_ID.search(value)):
            return m.group("id")
    return ""


def make_reference(key: str, entry, line: int | None, path: str) -> Reference:
    """A `Reference` from a pybtex entry."""
    fields = {name.lower(): str(value) for name, value in entry.fields.items()}
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    et_al = any(str(p).strip().lower() == "others" for p in people)
    authors = [person_name(p) for p in people if str(p).strip().lower() != "others"]
    container = next((fields[name] for name in CONTAINER_FIELDS if fields.get(name)
                      and not (name == "howpublished" and _url_in(fields[name]))), "")
    url = fields.get("url", "") or _url_in(fields.get("howpublished", ""))
    return Reference(
        key=key,
        kind=entry.type.lower(),
        authors=authors,
        title=latex_to_text(fields.get("title", "")),
        container=latex_to_text(container),
        year=latex_to_text(fields.get("year", "")),
        month=latex_to_text(fields.get("month", "")),
        volume=latex_to_text(fields.get("volume", "")),
        pages=re.sub(r"\s*-+\s*", "\N{EN DASH}", latex_to_text(fields.get("pages", ""))),
        doi=DOI_PREFIX.sub("", fields.get("doi", "").strip()),
        url=url.strip(),
        eprint=arxiv_id(fields),
        line=line,
        path=path,
        et_al=et_al,
        number=latex_to_text(fields.get("number", "")),
        extra={k: v for k, v in fields.items() if k not in {"title", "year", "month", "volume", "pages",
                                                             "doi", "url", "eprint", "number"}},
    )


def _url_in(value: str) -> str:
    m = re.search(r"\\url\s*\{([^}]*)\}", value)
    return m.group(1) if m else ""


def bibtex_problems(errors: Iterable[Exception], entries: list[tuple[int, str, str]], path: str) -> list[Problem]:
    """One `path:line: what — fix` per error pybtex reported."""
    problems = []
    for error in errors:
        line = getattr(error, "lineno", None)
        message = SYNTAX_PREFIX.sub("", str(error))
        if type(error).__name__ == "UndefinedMacro":
            name = message.rsplit(": ", 1)[-1]
            problems.append(Problem(path, line, f"undefined string '{name}'",
                                    f"put the value in braces, e.g. {{{name}}}"))
        elif message.startswith("repeated bibliography entry"):
            key = message.rsplit(": ", 1)[-1]
            lines = [n for n, _, k in entries if k.lower() == key.lower()]
            first = f"the first is on line {lines[0]}; " if lines else ""
            problems.append(Problem(path, lines[1] if len(lines) > 1 else None,
                                    f"duplicate entry '{key}'", f"{first}rename or delete one of them"))
        else:
            before = [(n, k) for n, _, k in entries if line is None or n < line]
            hint = (f"check the entry '{before[-1][1]}' (line {before[-1][0]}): every brace closed, "
                    "fields separated by commas") if before else "check braces and commas"
            problems.append(Problem(path, line, f"invalid BibTeX: {message}", hint))
    return problems


def parse_bibliography(text: str, path: str | Path = "<bibliography>") -> dict[str, Reference]:
    """Parse BibTeX text into {key: Reference} in file order; raise `BuildError` when broken."""
    path = str(path)
    entries = entry_lines(text)
    problems = [Problem(path, line, f"@{kind} entry without a key", "write it as @" + kind + "{key, ...}")
                for line, kind, key in entries if not key]
    with pybtex.errors.capture() as errors:
        try:
            data: BibliographyData = parse_string(text, "bibtex")
        except Exception as exc:  # pybtex gives up on some input instead of reporting it
            errors.append(exc)
            data = BibliographyData()
    reported = {p.line for p in problems}
    problems += [p for p in bibtex_problems(errors, entries, path) if p.line not in reported]
    if problems:
        raise BuildError(problems)
    lines = {key.lower(): line for line, _, key in reversed(entries)}
    return {key: make_reference(key, entry, lines.get(key.lower()), path)
            for key, entry in data.entries.items()}


def load_bibliography(path: str | Path) -> dict[str, Reference]:
    """Read and parse a .bib file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError([Problem(str(path), None, "bibliography file not found",
                                  "check `bibliography:` in the front matter")]) from None
    except UnicodeDecodeError as exc:
        raise BuildError([Problem(str(path), None, f"not UTF-8 text ({exc.reason})",
                                  "save the file as UTF-8")]) from None
    return parse_bibliography(text, path)


def unused_keys(references: Mapping[str, Reference], cited: Iterable[str]) -> list[Reference]:
    """The references never cited, in file order."""
    cited = set(cited)
    return [ref for key, ref in references.items() if key not in cited]


def report_unused(references: Mapping[str, Reference], cited: Iterable[str], problems: Problems) -> None:
    """A warning, at the entry's line in its .bib file, for each reference never cited."""
    for ref in unused_keys(references, cited):
        problems.warn(ref.path, ref.line, f"reference '{ref.key}' is never cited",
                      f"cite it with [@{ref.key}] or delete the entry")


def _bibtex_value(value: str) -> str:
    """A value for a BibTeX field in braces: special characters escaped, braces balanced."""
    return re.sub(r"([&%$#_])", r"\\\1", str(value)).replace("{", "(").replace("}", ")")


def _bibtex_name(name: str) -> str:
    """`First Last` -> `Last, First` (pybtex's reading of the name)."""
    person = Person(name)
    last = " ".join(person.prelast_names + person.last_names)
    first = " ".join(person.first_names + person.middle_names)
    return f"{last}, {first}" if first else last


def article_bibtex(key: str, title: str, authors: Iterable[str], year: int | str, journal: str,
                   url: str = "", doi: str = "") -> str:
    """The `@article` entry readers copy to cite this article, as in Distill's appendix."""
    fields = [
        ("author", " and ".join(_bibtex_name(a) for a in authors)),
        ("title", title),
        ("journal", journal),
        ("year", str(year)),
        ("url", url),
        ("doi", doi),
    ]
    body = ",\n".join(f"  {name} = {{{_bibtex_value(value)}}}" for name, value in fields if value)
    return f"@article{{{key},\n{body}\n}}"


def scholar_reference(ref: Reference) -> str:
    """The content of a Google Scholar `citation_reference` meta tag for one reference."""
    first, _, last = ref.pages.partition("\N{EN DASH}")
    pairs = [("citation_title", ref.title)]
    pairs += [("citation_author", name) for name in ref.authors]
    pairs += [
        ("citation_publication_date", ref.year),
        ("citation_journal_title" if ref.kind == "article" else "citation_conference_title"
         if ref.kind == "inproceedings" else "citation_publisher", ref.container),
        ("citation_volume", ref.volume),
        ("citation_number", ref.number),
        ("citation_firstpage", first),
        ("citation_lastpage", last),
        ("citation_doi", ref.doi),
        ("citation_arxiv_id", ref.eprint),
    ]
    return "; ".join(f"{name}={value.replace(';', ',')}" for name, value in pairs if value)
