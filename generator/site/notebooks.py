"""A Jupyter notebook per computed figure, shipped in `build/<slug>/notebooks/<fig-id>.ipynb`.

The notebook first reproduces the figure with the public Python API (`generator.interpret`),
in the cells the figure kind writes (`kind.notebook(spec, ctx)`), then recomputes the exact
artifacts the build published from the figure's jobs and prints their sha256, so a reader
can check that their run matches the article byte for byte.
"""

from __future__ import annotations

import html
from typing import Sequence


def reproduce_disclosure(slug: str, fig_id: str, notebook_url: str) -> str:
    """The "Reproduce" disclosure under a computed figure."""
    command = f"python -m generator reproduce articles/{slug}/index.md#{fig_id}"
    return (f'<details class="reproduce">\n<summary>Reproduce</summary>\n'
            f"<p>Recompute this figure and compare it with the published one:</p>\n"
            f"<pre><code>{html.escape(command)}</code></pre>\n"
            f'<p>Or open <a href="{html.escape(notebook_url)}" download>the notebook</a>, which does the same '
            f"with the Python API, and the <a href=\"provenance.json\">provenance</a> of every figure.</p>\n"
            f"</details>")


def figure_notebook(page, figure) -> bytes | None:
    """The notebook for one figure, or None for figures with nothing to compute."""
    if not figure.jobs or not figure.directive.id:
        return None
    import nbformat  # here, not at the top: a rebuild that replays notebooks never needs it
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    article = page.article
    fig_id = figure.directive.id
    cells = [new_markdown_cell(
        f"# Reproduce Figure {figure.directive.number} of *{article.title}*\n\n"
        f"Figure `{fig_id}` ({figure.kind.name}), computed at `{figure.ctx.quality}` quality. "
        "Run this notebook from the root of the Vellum project (where `site.yml` is) after "
        "`make build`; the command line equivalent is\n\n"
        f"    python -m generator reproduce articles/{article.slug}/index.md#{fig_id}")]
    cells.append(new_code_cell("import hashlib\nimport json\n\nfrom generator import interpret as vi"))
    for kind, text in kind_cells(figure):
        cells.append(new_markdown_cell(text) if kind == "markdown" else new_code_cell(text))
    cells.append(new_markdown_cell(
        "## The build's artifacts\n\nThe same computation as the build ran it: each job below is a pure "
        "function of its parameters and inputs, and its key is the hash of both. The digests printed "
        "at the end match the files the article published."))
    cells.append(new_code_cell(_jobs_code(page, figure.jobs)))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "vellum": {"article": article.slug, "figure": fig_id, "keys": [j.key for j in figure.jobs]},
    })
    _stable_ids(notebook, fig_id)
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def kind_cells(figure) -> Sequence[tuple[str, str]]:
    """The kind's own API cells; kinds without them get none (the job cells still reproduce)."""
    write = getattr(figure.kind, "notebook", None)
    return write(figure.spec, figure.ctx) if write else []


def _jobs_code(page, jobs) -> str:
    lines = ["from generator.pipeline import Job", "from generator.pipeline.executors import execute", "",
             "jobs = ["]
    root = page.article.directory.parent.parent
    for job in jobs:
        files = {name: _relative(path, root) for name, path in job.files.items()}
        lines.append(f"    Job({job.fn!r}, {job.version}, params={_py(job.params)},\n"
                     f"        inputs={_py(job.inputs)},\n        files={_py(files)}, label={job.label!r}),")
    lines += ["]", "digests = {}", "for job in jobs:", "    artifacts = execute(job)",
              "    artifacts.pop('run-record.json', None)",
              "    digests[job.key] = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(artifacts.items())}",
              "print(json.dumps(digests, indent=1, sort_keys=True))"]
    return "\n".join(lines)


def _relative(path: str, root) -> str:
    """A path the notebook can use on another machine: relative to the project, or the
    sample photo's name (its file lies wherever that machine installed the package)."""
    from pathlib import Path

    from ..figures.model_cards import journal_path
    from ..interpret.samples import SAMPLES, sample_path

    resolved = Path(path).resolve()
    for name in SAMPLES:
        if sample_path(name).resolve() == resolved:
            return _Code(f"str(vi.sample_path({name!r}))")
    return journal_path(path, root)


class _Code(str):
    """Source text that `_py` writes as an expression, not as a string literal."""

    def __repr__(self) -> str:
        return str(self)


def _py(value) -> str:
    """Python source for JSON-like data (job params are normalised JSON values)."""
    return "{" + ", ".join(f"{key!r}: {item!r}" for key, item in dict(value).items()) + "}"


def _stable_ids(notebook, fig_id: str) -> None:
    """nbformat gives cells random ids; number them so two builds write the same bytes."""
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"{fig_id}-{i}"
