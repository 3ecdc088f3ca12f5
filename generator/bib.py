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

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from generator.errors import BuildError, Problem, Problems, read_user_text

CONTAINER_FIELDS = ("journal", "booktitle", "publisher", "howpublished", "school", "institution")
NON_ENTRIES = {"comment", "preamble", "string"}
ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(?P<kind>\w+)[ \t]*[{(][ \t\n]*(?P<key>[^,\s{}()=]*)", re.M)
# Commands that only style their argument: drop the command, keep the argument.
STYLE_COMMANDS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|textup|mbox|text|url|"
                            r"mathrm|mathit|mathbf|href\s*\{[^}]*\})\s*(?=\{)")
UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
BRACED_DOTLESS = re.compile(r"\\([`'^\"~=.uvHc])\s*\{\\([ij])\}")
ESCAPED = re.compile(r"\\([_%&#$~])")                  # \_ in a DOI or a URL is just _
ARXIV_ONLY = re.compile(r"^\s*(?:arXiv:\s*)?(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)\s*$",
                        re.I)
ARXIV_IN_TEXT = re.compile(r"(?:arXiv[:\s]\s*|arxiv\.org/abs/)(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
                           r"(?:v\d+)?)", re.I)
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.I)
SYNTAX_PREFIX = re.compile(r"^syntax error in line \d+: ")


def latex_to_text(value: str) -> str:
    """Plain Unicode text for a BibTeX field: accents decoded, protective braces and styling
    commands dropped, `--` an en dash, `~` a no-break space, runs of white space one space."""
    if not value:
        return ""
    value = STYLE_COMMANDS.sub("", value)
    from pybtex.richtext import Text   # here: a rebuild from the cache never reads BibTeX

    value = UNESCAPED_PERCENT.sub(r"\\%", value)          # a per cent sign, not a LaTeX comment
    value = BRACED_DOTLESS.sub(r"\\\1\\\2", value)       # \'{\i} -> \'\i, which pybtex reads
    try:
        text = Text.from_latex(value).render(_plain_text())
    except Exception:  # pybtex's LaTeX reader gives up on some inputs; keep what was written
        text = value.replace("{", "").replace("}", "")
    text = text.replace("---", "\N{EM DASH}").replace("--", "\N{EN DASH}").replace("~", "\N{NO-BREAK SPACE}")
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=1)
def _plain_text():
    """pybtex's plain-text backend, made once: `render_as("text")` looks it up anew, slowly."""
    from pybtex.backends.plaintext import Backend

    return Backend()


def person_name(person) -> str:
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
    extra: dict[str, str] = field(default_factory=dict, compare=False)   # SCHOLAR_FIELDS, as text
    surnames: list[str] = field(default_factory=list, compare=False)

    def short_label(self) -> str:
        """How an author-year citation names it: `Olah, 2017`, `Olah and Carter, 2018`,
        `Olah et al., 2017`; the title when it has no author."""
        names = self.surnames or self.authors
        if not names:
            who = self.title
        elif len(names) == 1 and not self.et_al:
            who = names[0]
        elif len(names) == 2 and not self.et_al:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {self.year}" if self.year else who

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
        """The formatted reference: authors, date, title, container, volume, pages, links.

        `<span class="authors">A and B</span> (2018). <span class="title">Title</span>.
        <i class="container">Journal</i>, 3, 1–10. <a href="https://doi.org/…">doi:…</a>`

        Without authors the title leads: `<span class="title">Title</span> (2018).` No part
        gets a full stop after its own `?`, `!` or `.`."""
        e = html.escape
        date = f"({e(self.date_text())})" if self.date_text() else ""
        title = f'<span class="title">{e(self.title)}</span>' if self.title else ""
        if self.authors:
            parts = [_sentence(f'<span class="authors">{e(self.author_text())}</span>'
                               + (f" {date}" if date else ""), self.author_text()),
                     _sentence(title, self.title)]
        else:
            parts = [_sentence(" ".join(p for p in (title, date) if p), date or self.title)]
        venue = [f'<i class="container">{e(self.container)}</i>'] if self.container else []
        venue += [e(v) for v in (self.volume, self.pages) if v]
        if venue:
            last = (self.container, self.volume, self.pages)
            parts.append(_sentence(", ".join(venue), next((v for v in reversed(last) if v), "")))
        for href, label in self.links():
            parts.append(f'<a href="{e(href)}">{e(label)}</a>')
        return " ".join(p for p in parts if p)

    def date_text(self) -> str:
        """`2018`, or `March 2018` when the entry gives a month."""
        month = month_number(self.month)
        return f"{MONTHS[month - 1]} {self.year}" if month and self.year else self.year

    def links(self) -> list[tuple[str, str]]:
        """(href, label) for the DOI, the arXiv abstract and the URL, without repeats (a URL
        that is the DOI's, at doi.org or dx.doi.org, is the same link)."""
        url = self.url
        if self.doi and DOI_PREFIX.match(url) and DOI_PREFIX.sub("", url).lower() == self.doi.lower():
            url = ""
        found = [(self.doi_url, f"doi:{self.doi}"), (self.arxiv_url, f"arXiv:{self.eprint}"), (url, url)]
        seen: set[str] = set()
        return [(href, label) for href, label in found if href and not (href in seen or seen.add(href))]


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def month_number(text: str) -> int | None:
    """1-12 for a BibTeX month (`mar`, `March`, `3`, `03`), else None."""
    text = text.strip().rstrip(".").lower()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return next((i + 1 for i, name in enumerate(MONTHS) if text and name.lower().startswith(text[:3])
                 and name.lower().startswith(text)), None)


def _sentence(markup: str, text: str) -> str:
    """`markup` ended with a full stop, unless its text already ends with . ? or !"""
    if not markup:
        return ""
    return markup if text.rstrip().endswith((".", "?", "!")) else markup + "."


def arxiv_id(fields: Mapping[str, str]) -> str:
    """The arXiv id of an entry: its `eprint` when `archivePrefix` (or `eprinttype`) says arXiv
    or the value is an arXiv id, else an `arXiv:ID` or `arxiv.org/abs/ID` in a journal,
    howpublished or note field. Never digits picked out of a DOI or a URL."""
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    eprint = fields.get("eprint", "").strip()
    if eprint and (m := ARXIV_ONLY.match(eprint)) and archive in ("", "arxiv"):
        return m.group("id")
    for name in ("journal", "howpublished", "note", "url"):
        if m := ARXIV_IN_TEXT.search(fields.get(name, "")):
            return m.group("id")
    return ""


def _eprint_link(fields: Mapping[str, str]) -> tuple[str, str]:
    """(doi, url) an `eprint` that is not an arXiv id gives: a DOI is a DOI, a URL a link."""
    eprint = fields.get("eprint", "").strip()
    if not eprint or ARXIV_ONLY.match(eprint):
        return "", ""
    if DOI_PREFIX.match(eprint) or eprint.startswith("10."):
        return DOI_PREFIX.sub("", eprint), ""
    if re.match(r"https?://", eprint):
        return "", eprint
    return "", ""


def make_reference(key: str, entry, line: int | None, path: str) -> Reference:
    """A `Reference` from a pybtex entry."""
    fields = {name.lower(): str(value) for name, value in entry.fields.items()}
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    et_al = any(str(p).strip().lower() == "others" for p in people)
    authors = [person_name(p) for p in people if str(p).strip().lower() != "others"]
    surnames = [latex_to_text(" ".join(p.prelast_names + p.last_names)) for p in people
                if str(p).strip().lower() != "others"]
    container = next((fields[name] for name in CONTAINER_FIELDS if fields.get(name)
                      and not (name == "howpublished" and _url_in(fields[name]))), "")
    eprint_doi, eprint_url = _eprint_link(fields)
    url = ESCAPED.sub(r"\1", fields.get("url", "") or _url_in(fields.get("howpublished", "")) or eprint_url).strip()
    url = url.split()[0] if url else ""                       # two addresses: the first (warned about)
    doi = DOI_PREFIX.sub("", ESCAPED.sub(r"\1", fields.get("doi", "").strip())) or eprint_doi
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
        doi=doi,
        url=url,
        eprint=arxiv_id(fields),
        line=line,
        path=path,
        et_al=et_al,
        number=latex_to_text(fields.get("number", "")),
        surnames=surnames,
        extra={k: latex_to_text(v) for k, v in fields.items() if k in SCHOLAR_FIELDS},
    )


def _url_in(value: str) -> str:
    m = re.search(r"\\url\s*\{([^}]*)\}", value)
    return m.group(1) if m else ""


def bibtex_problems(errors: Iterable[Exception], spans: list["Span"], path: str) -> list[Problem]:
    """One `path:line: what — fix` per error pybtex reported (duplicate keys never reach it:
    `parse_bibliography` merges them first)."""
    problems = []
    for error in errors:
        line = getattr(error, "lineno", None)
        message = SYNTAX_PREFIX.sub("", str(error))
        if type(error).__name__ == "UndefinedMacro":
            name = message.rsplit(": ", 1)[-1]
            problems.append(Problem(path, line, f"undefined string '{name}'",
                                    f"put the value in braces, e.g. {{{name}}}"))
        else:
            before = [s for s in spans if line is None or s.line < line]
            hint = (f"check the entry '{before[-1].key}' (line {before[-1].line}): every brace closed, "
                    "fields separated by commas") if before else "check braces and commas"
            problems.append(Problem(path, line, f"invalid BibTeX: {message}", hint))
    return problems


def parse_bibliography(text: str, path: str | Path = "<bibliography>",
                       problems: Problems | None = None) -> dict[str, Reference]:
    """Parse BibTeX text into {key: Reference} in file order; raise `BuildError` when broken.

    Real bibliographies are messy, and each mess is said once, at its line, into `problems`
    (when given) as a warning: a duplicated key (an identical copy is merged without a word;
    a differing one is dropped, the first kept), fields a stray `}` cut off, names separated by
    commas instead of `and`, a url field with two addresses, an entry without a title or year."""
    import pybtex.errors
    from pybtex.database import BibliographyData, parse_string

    path = str(path)
    warnings = problems if problems is not None else Problems()
    spans = entry_spans(text)
    text = _without_duplicates(text, spans, path, warnings)
    errors_found = [Problem(path, s.line, f"@{s.kind} entry without a key", "write it as @" + s.kind + "{key, ...}")
                    for s in spans if not s.key]
    with pybtex.errors.capture() as errors:
        try:
            data = parse_string(text, "bibtex")
        except Exception as exc:  # pybtex gives up on some input instead of reporting it
            errors.append(exc)
            data = BibliographyData()
    reported = {p.line for p in errors_found}
    errors_found += [p for p in bibtex_problems(errors, spans, path) if p.line not in reported]
    if errors_found:
        raise BuildError(errors_found)
    first = {span.key.lower(): span for span in reversed(spans) if span.key}
    references = {}
    for key, entry in data.entries.items():
        span = first.get(key.lower())
        reference = make_reference(key, entry, span.line if span else None, path)
        if span is not None:
            _warn_damage(reference, entry, span.text, warnings)
        references[key] = reference
    return references


@dataclass(frozen=True)
class Span:
    """One entry as written, found by reading the text itself: its kind, key (empty when it
    has none), first line, and its text up to the next entry."""

    kind: str
    key: str
    line: int
    start: int
    end: int
    text: str


def entry_spans(text: str) -> list[Span]:
    """Every entry's span of the text, in file order."""
    starts = [m for m in ENTRY_START.finditer(text) if m.group("kind").lower() not in NON_ENTRIES]
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return [Span(m.group("kind").lower(), m.group("key"), text.count("\n", 0, m.start()) + 1, m.start(), end,
                 text[m.start():end]) for m, end in zip(starts, ends)]


def _without_duplicates(text: str, spans: list[Span], path: str, warnings: Problems) -> str:
    """The text with every later copy of a key blanked out (its lines kept, so pybtex's line
    numbers stay true): silently when it is the same entry, with a warning when it differs."""
    first: dict[str, Span] = {}
    copies: list[Span] = []
    for span in spans:
        earlier = first.setdefault(span.key.lower(), span) if span.key else span
        if earlier is span:
            continue
        copies.append(span)
        if " ".join(earlier.text.split()) != " ".join(span.text.split()):
            warnings.warn(path, span.line, f"duplicate entry '{span.key}' differs from the one on line "
                          f"{earlier.line}, which is used", "delete or rename one of them")
    out = text
    for span in reversed(copies):                            # from the end: offsets stay valid
        out = out[:span.start] + "\n" * span.text.count("\n") + out[span.end:]
    return out


FIELD_NAME = re.compile(r"(?:^|,)\s*(?P<name>[A-Za-z][\w-]*)\s*=", re.M)


def _warn_damage(ref: Reference, entry, raw: str, warnings: Problems) -> None:
    """Warnings for what pybtex read without complaint but an author did not mean."""
    written = {m.group("name").lower() for m in FIELD_NAME.finditer(raw.split(",", 1)[-1])}
    parsed = {name.lower() for name in entry.fields} | {name.lower() for name in entry.persons}
    lost = sorted(written - parsed)
    if lost:
        warnings.warn(ref.path, ref.line, f"reference '{ref.key}': {', '.join(lost)} "
                      f"{'was' if len(lost) == 1 else 'were'} dropped",
                      "a stray '}' closes the entry early; check the braces of the field before them")
    for role in ("author", "editor"):
        written_names = str(entry.fields.get(role, "")) or _raw_field(raw, role)
        if re.search(r",\s*and\s", written_names) or _comma_list(written_names):
            warnings.warn(ref.path, ref.line, f"reference '{ref.key}': {role}s are separated by commas",
                          f"write `{role} = {{Last, First and Last, First}}`: names separated by ' and '")
    url = entry.fields.get("url", "")
    if len(str(url).split()) > 1:
        warnings.warn(ref.path, ref.line, f"reference '{ref.key}': its url holds more than one address; "
                      "the first is linked", "keep one address in `url`, the others in `note`")
    missing = [name for name, value in (("title", ref.title), ("year", ref.year)) if not value]
    if missing:
        warnings.warn(ref.path, ref.line, f"reference '{ref.key}' has no {' and no '.join(missing)}",
                      f"add `{missing[0]} = {{...}}` so the reference list can show it")


def _raw_field(raw: str, name: str) -> str:
    m = re.search(rf"{name}\s*=\s*[{{\"](?P<value>[^}}\"]*)", raw, re.I)
    return m.group("value") if m else ""


def _comma_list(names: str) -> bool:
    """`Huynh, Lilly, Bryson`: more commas than BibTeX's `Last, Jr, First` form allows."""
    return any(part.count(",") > 2 for part in re.split(r"\s+and\s+", names))


def load_bibliography(path: str | Path) -> dict[str, Reference]:
    """Read and parse a .bib file (UTF-8)."""
    path = Path(path)
    try:
        text = read_user_text(path, str(path))
    except FileNotFoundError:
        raise BuildError([Problem(str(path), None, "bibliography file not found",
                                  "check `bibliography:` in the front matter")]) from None
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
    from pybtex.database import Person

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


SCHOLAR_FIELDS = ("journal", "booktitle", "publisher", "institution", "school")   # kept in `extra`, as text


def scholar_reference(ref: Reference) -> str:
    """The content of a Google Scholar `citation_reference` meta tag for one reference, with
    Scholar's field name for where each entry type appeared (a journal, a conference's
    proceedings, a book's chapter, a report, a thesis) and its publisher."""
    fields = ref.extra
    first, _, last = ref.pages.partition("\N{EN DASH}")
    month = month_number(ref.month)
    pairs = [("citation_title", ref.title)]
    pairs += [("citation_author", name) for name in ref.authors]
    pairs.append(("citation_publication_date", ref.year + (f"/{month:02d}" if month and ref.year else "")))
    if ref.kind in ("inproceedings", "conference", "proceedings"):
        pairs.append(("citation_conference_title", fields.get("booktitle", "")))
    elif ref.kind in ("incollection", "inbook"):
        pairs.append(("citation_inbook_title", fields.get("booktitle", "")))
    pairs.append(("citation_journal_title", fields.get("journal", "")))
    if ref.kind == "techreport":
        pairs.append(("citation_technical_report_institution", fields.get("institution", "")))
    if ref.kind in ("phdthesis", "mastersthesis"):
        pairs.append(("citation_dissertation_institution", fields.get("school", "")))
    pairs += [
        ("citation_publisher", fields.get("publisher", "")),
        ("citation_volume", ref.volume),
        ("citation_issue", ref.number),
        ("citation_firstpage", first),
        ("citation_lastpage", last),
        ("citation_doi", ref.doi),
        ("citation_arxiv_id", ref.eprint),
    ]
    return "; ".join(f"{name}={value.replace(';', ',')}" for name, value in pairs if value)
