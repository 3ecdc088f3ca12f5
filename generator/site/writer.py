"""Writes the site: static assets under content-hashed names, article pages, the journal
index, the feed, the sitemap and the 404 page, all into one `OutputTree` that is published
atomically at the end."""

from __future__ import annotations

import contextlib
import datetime as dt
import posixpath
import re
from urllib.parse import urlsplit
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ..article import LICENSES, citation_style
from ..pipeline.output import OutputTree
from ..reviews import REVIEWS_URL, reviews_page_context, show_reviews
from ..templates import environment
from .provenance import article_provenance

PACKAGE_ASSETS = Path(__file__).resolve().parent.parent / "assets"   # the front end the package carries


class SiteWriter:
    """Collects every file of the site; nothing touches the disk before `tree.publish`."""

    def __init__(self, root: Path, site: dict, today: dt.date):
        self.root = root
        self.site = site
        self.today = today
        self.tree = OutputTree()
        self.env = environment(root)
        self.assets: dict[str, str] = {}      # "css/vellum.css" -> "static/css/vellum.<hash>.css"
        self.listed: list[dict] = []
        self._add_static_assets()

    # --- static files ---------------------------------------------------------------------

    def _add_static_assets(self) -> None:
        """The package's front end, then the journal's own `assets/`: a file there replaces
        the package's file of the same name (`css/custom.css`, empty in the package and
        loaded last on every page, is how a journal restyles itself) or adds one."""
        files: dict[str, Path] = {}
        for folder in (PACKAGE_ASSETS, self.root / "assets"):
            if folder.is_dir():
                files.update({p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()})
        for name in sorted(files):
            self._add_asset(name, files[name].read_bytes())

    def _add_asset(self, name: str, data: bytes) -> str:
        if name not in self.assets:
            directory, base = posixpath.split(name)
            stem, _, ext = base.rpartition(".")
            self.assets[name] = self.tree.add_hashed(posixpath.join("static", directory), stem, ext, data)
        return self.assets[name]

    def asset_url(self, name: str, depth: int) -> str:
        if name not in self.assets and name.startswith("bokeh/"):
            self._add_bokeh(name)
        if name not in self.assets:
            raise KeyError(f"no static asset '{name}' — add it under assets/")
        return "../" * depth + self.assets[name]

    def _add_bokeh(self, name: str) -> None:
        import bokeh

        base = Path(bokeh.__file__).parent / "server" / "static" / "js"
        self._add_asset(name, (base / name.split("/", 1)[1]).read_bytes())

    # --- pages ----------------------------------------------------------------------------

    def emitter(self, page) -> "PageEmitter":
        return PageEmitter(self, page)

    @contextlib.contextmanager
    def aside(self):
        """Pages added meanwhile go to a scratch tree and are not published (a build of one
        article works out what the unit pages hold, for its unit cards, and keeps them as
        they are)."""
        kept, self.tree = self.tree, OutputTree()
        try:
            yield
        finally:
            self.tree = kept

    def page_context(self, depth: int, page_path: str) -> dict:
        """What every page template reads: the site, the way back to the root, asset URLs."""
        return {
            "site": self.site,
            "root": "../" * depth,
            "asset": lambda name: self.asset_url(name, depth),
            "page_url": self.site["base_url"] + page_path,
            "build_date": self.today,
        }

    def article(self, page, results: dict) -> None:
        """Render one article page to `<slug>/index.html`, with its `provenance.json` and,
        when it has reviews, its reviews page."""
        slug = page.article.slug
        self.tree.add(f"{slug}/provenance.json", article_provenance(page, results))
        context = article_context(page, self)
        state = page.reviews
        if state is not None:
            show_reviews(context, state, lambda name: self.asset_url(name, 1))
            if state.reviews:
                common = self.page_context(2, f"{slug}/{REVIEWS_URL.removesuffix('index.html')}")
                self.tree.add(f"{slug}/{REVIEWS_URL}", self._render("reviews.html", common, article=context,
                                                                     **reviews_page_context(state)))
        self.tree.add(f"{slug}/index.html", self._render("article.html", self.page_context(1, f"{slug}/"),
                                                         article=context))
        self.listed.append(context)

    def list_built(self, article, page: Path) -> None:
        """List an article this build does not rebuild but the output already holds (a build
        of one article keeps the others), on the index, the feed and the sitemap; its default
        thumbnail is the one its published `page` names."""
        listing = listing_context(article, self)
        if listing["thumbnail"] is None:
            match = re.search(r'<meta property="og:image" content="([^"]+)"', page.read_text(encoding="utf-8"))
            base = self.site["base_url"]
            if match and match.group(1).startswith(base):
                listing["thumbnail"] = match.group(1)[len(base):]
        self.listed.append(listing)

    def journal(self, pages, units: bool = False) -> None:
        """The index page (linking the unit pages when the site has them), the Atom feed, the
        sitemap and the 404 page."""
        articles = sorted(self.listed, key=lambda a: (a["published"], a["slug"]), reverse=True)
        index = [dict(a, url=f"{a['slug']}/index.html") for a in articles]
        public = [dict(a, url=f"{a['slug']}/") for a in articles if a["status"] != "draft"]  # as pages' canonical
        common = self.page_context(0, "")
        self.tree.add("index.html", self._render("index.html", common, articles=index, units=units))
        self.tree.add("feed.xml", self._render("feed.xml", self.page_context(0, "feed.xml"), articles=public))
        self.tree.add("sitemap.xml", self._render("sitemap.xml", common, articles=public))
        self.tree.add("404.html", self._render("404.html", self._not_found_context()))

    def _not_found_context(self) -> dict:
        """Hosts serve 404.html at any depth: its links are relative to the root, and the page
        sets its base to the site's base path when it is served elsewhere (see 404.html)."""
        common = self.page_context(0, "404.html")
        common["base_path"] = urlsplit(self.site["base_url"]).path or "/"
        return common

    def _render(self, template: str, common: dict, **extra) -> bytes:
        return self.env.get_template(template).render(**common, **extra).encode("utf-8")


@dataclass
class PageEmitter:
    """Where a figure of one page writes its data files and asks for scripts."""

    writer: SiteWriter
    page: object

    def data(self, stem: str, ext: str, content: bytes) -> str:
        slug = self.page.article.slug
        path = self.writer.tree.add_hashed(f"{slug}/data", stem, ext, content)
        if self.page.first_picture is None and ext.lower() in ("png", "jpg", "jpeg", "webp"):
            self.page.first_picture = path             # the thumbnail of an article that names none
        return path[len(slug) + 1:]

    def script(self, name: str) -> str:
        url = self.writer.asset_url(name, 1)
        if url not in self.page.scripts:
            self.page.scripts.append(url)
        return url

    def style(self, name: str) -> str:
        url = self.writer.asset_url(name, 1)
        if url not in self.page.styles:
            self.page.styles.append(url)
        return url

    def asset(self, name: str) -> str:
        return self.writer.asset_url(name, 1)


def listing_context(article, writer: SiteWriter) -> dict:
    """What the index, the feed and the sitemap read of an article: its front matter, and its
    thumbnail, added to the site under its content-hashed name."""
    meta = article.meta
    slug = article.slug
    license_id = meta["license"] or writer.site["license"]
    name, url = LICENSES[license_id]
    thumbnail = None
    if meta["thumbnail"]:
        path = article.directory / meta["thumbnail"]
        if path.is_file():
            thumbnail = writer.tree.add_hashed(f"{slug}/data", path.stem, path.suffix.lstrip("."), path.read_bytes())
    return {
        "slug": slug,
        "title": meta["title"],
        "description": meta["description"],
        "authors": meta["authors"],
        "published": meta["published"] or writer.today,
        "updated": meta["updated"],
        "doi": meta["doi"],
        "license": {"id": license_id, "name": name, "url": url},
        "status": meta["status"],
        "thumbnail": thumbnail,
    }


def article_context(page, writer: SiteWriter) -> dict:
    """The `article` object the templates read (see templates/README.md)."""
    from ..bib import article_bibtex, scholar_reference

    listing = listing_context(page.article, writer)
    listing["thumbnail"] = listing["thumbnail"] or page.first_picture
    meta = page.article.meta
    published, authors = listing["published"], listing["authors"]
    site = writer.site
    page_url = site["base_url"] + f"{page.article.slug}/"
    numbered = {key: i + 1 for i, key in enumerate(page.markdown.citations)}
    references = [{"key": key, "number": numbered[key], "html": Markup(page.references[key].html())}
                  for key in page.markdown.citations if key in page.references]
    author_year = citation_style(page.article, site) == "author-year"
    if author_year:   # the list in author and year order, unnumbered
        references.sort(key=lambda r: (_order(page.references[r["key"]]), r["key"]))
    return {
        **listing,
        "body_html": Markup(page.body_html),
        "opening_html": Markup(page.opening_html),
        "toc": page.markdown.toc,
        "footnotes_html": Markup(page.markdown.footnotes_html),
        "references": references,
        "citation_style": "author-year" if author_year else "numbered",
        "citation_text": citation_sentence(meta, published, site["title"]),
        "citation_bibtex": article_bibtex(
            key=_bibtex_key(authors, published, meta["title"]), title=meta["title"],
            authors=[a["name"] for a in authors], year=published.year, journal=site["title"],
            url=page_url, doi=meta["doi"]),
        "scholar_references": [scholar_reference(page.references[k]) for k in page.markdown.citations
                               if k in page.references],
        "reviews_url": None,
        "review": None,
        "scripts": list(page.scripts),
        "styles": list(page.styles),
        "head_extra": Markup(""),
    }


def _order(reference) -> tuple:
    """Author-year order: first author's surname, then the year, then the title."""
    names = reference.surnames or [reference.title]
    return (names[0].casefold(), reference.year, reference.title.casefold())


def citation_sentence(meta: dict, published: dt.date, journal: str) -> str:
    names = [a["name"] for a in meta["authors"]]
    if len(names) > 2:
        who = f"{_last(names[0])}, et al."
    elif names:
        who = " and ".join(_last(n) for n in names) + ","
    else:
        who = ""
    return f'{who} "{meta["title"]}", {journal}, {published.year}.'.strip()


def _last(name: str) -> str:
    return name.split()[-1]


def _bibtex_key(authors: list, published: dt.date, title: str) -> str:
    last = _last(authors[0]["name"]).lower() if authors else "anonymous"
    word = next((w for w in title.lower().split() if len(w) > 3 and w.isalpha()), "article")
    return "".join(ch for ch in f"{last}{published.year}{word}" if ch.isalnum())
