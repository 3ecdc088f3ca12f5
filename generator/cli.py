"""`vellum` (or `python -m generator`) init|build|serve|new|check|layers|classes|freeze|verify|reproduce.

User errors print one line each, `path:line: what — fix`, and exit with status 1. Never a
traceback for something the user can fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .errors import BuildError, Problem
from .pipeline.runtime import DEVICES
from .quality import NAMES as QUALITY_NAMES


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    _stop_on_sigterm()
    try:
        _check_device(getattr(args, "device", None))
        if args.command in JOURNAL_COMMANDS and not (Path.cwd() / "site.yml").is_file():
            above = next((folder for folder in Path.cwd().parents if (folder / "site.yml").is_file()), None)
            fix = (f"run it from the journal's folder, {os.path.relpath(above)}/ (where site.yml is)" if above
                   else "run `vellum init DIR` to start one, or change to your journal's folder")
            print(f"error: {Path.cwd()}: no site.yml here, so this folder is not a journal — {fix}", file=sys.stderr)
            return 1
        return args.run(args) or 0
    except BuildError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = f"{len(err.problems)} problem{'s' if len(err.problems) != 1 else ''}"
        if args.command in ("build", "serve"):
            print(f"build failed: {count}; {getattr(args, 'out', None) or 'build'}/ was left as it was",
                  file=sys.stderr)
        else:
            print(f"{args.command} failed: {count}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)   # more Ctrl-C while we exit change nothing
        print("interrupted", file=sys.stderr)
        return 130


def _stop_on_sigterm() -> None:
    """SIGTERM ends a build the way Ctrl-C does: workers stopped, `build/` as it was."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


JOURNAL_COMMANDS = ("build", "serve", "check", "new", "freeze", "verify", "reproduce", "datasets")   # need a site.yml


def _prog() -> str:
    """How the user called us: `vellum` or `python -m generator`."""
    return "vellum" if Path(sys.argv[0]).name == "vellum" else "python -m generator"


def _parser() -> argparse.ArgumentParser:
    prog = _prog()
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="start a journal of your own in DIR")
    init.add_argument("folder", metavar="DIR", type=Path)
    init.set_defaults(run=_init)

    build = sub.add_parser("build", help="build the site into build/")
    _build_flags(build)
    build.add_argument("--fresh", action="store_true", help="ignore the freeze and the cache; draft quality")
    build.add_argument("--compute-only", action="store_true",
                       help="compute every figure's results into .cache and stop: no page is written "
                            "(on a GPU machine; build the pages where you like)")
    build.set_defaults(run=_build)

    check = sub.add_parser("check", help="validate every article: compute nothing, write nothing")
    check.add_argument("--article", metavar="SLUG")
    check.set_defaults(run=_check)

    serve = sub.add_parser("serve", help="serve the site on 127.0.0.1, rebuilding on change")
    serve.add_argument("--port", type=int, default=8000)
    _build_flags(serve)
    serve.set_defaults(run=_serve)

    new = sub.add_parser("new", help="start a new article from the starter")
    new.add_argument("slug")
    new.set_defaults(run=_new)

    for name, purpose, run in (
            ("freeze", "store an article's figure results in articles/SLUG/_freeze/", _freeze),
            ("verify", "recompute an article's frozen results and compare", _verify)):
        command = sub.add_parser(name, help=purpose)
        command.add_argument("slug")
        command.add_argument("--quality", choices=QUALITY_NAMES)
        _compute_flags(command)
        command.add_argument("--quiet", action="store_true")
        command.set_defaults(run=run)

    reproduce = sub.add_parser("reproduce", help="recompute one figure: articles/SLUG/index.md#fig-id")
    reproduce.add_argument("target")
    reproduce.add_argument("--quality", choices=QUALITY_NAMES)
    reproduce.add_argument("--out", type=Path, metavar="DIR")
    _compute_flags(reproduce)
    reproduce.add_argument("--quiet", action="store_true")
    reproduce.set_defaults(run=_reproduce)

    classes = sub.add_parser("classes", help="list a model's classes, ids and labels (those matching QUERY)")
    classes.add_argument("query", nargs="*", metavar="QUERY", help="words of a label, or an id")
    classes.add_argument("--model", default="efficientnet_lite0", help="the model (default: efficientnet_lite0)")
    classes.set_defaults(run=_classes)

    datasets = sub.add_parser("datasets", help="list the datasets site.yml declares; `fetch` gets the example photos")
    datasets.add_argument("action", nargs="?", choices=("list", "fetch"), default="list")
    datasets.set_defaults(run=_datasets)

    layers = sub.add_parser("layers", help="list a model's layers with channels and sizes")
    layers.add_argument("model")
    layers.set_defaults(run=_layers)
    return parser


def _build_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--article", metavar="SLUG", help="build only this article")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: build/)")
    p.add_argument("--quality", choices=QUALITY_NAMES, help="override the articles' quality")
    p.add_argument("--review", action="store_true", help="build review copies")
    _compute_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _compute_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--jobs", type=int, metavar="N", help="local worker processes (default: one per core)")
    p.add_argument("--device", choices=DEVICES,
                   help="where feature visualizations render (default cpu: the same bytes on every "
                        "machine; cuda: a GPU, several times faster, the same draws rounded differently)")


def _check_device(device: str | None) -> None:
    """`--device cuda` needs a GPU that torch sees."""
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise BuildError([Problem("--device cuda", None, "torch sees no CUDA device",
                                      "leave out --device to compute on the CPU, "
                                      "or install a CUDA build of torch")])


def _options(args, **extra):
    from .build import BuildOptions

    return BuildOptions(
        root=Path.cwd(), out=getattr(args, "out", None), article=getattr(args, "article", None),
        quality=getattr(args, "quality", None) or ("draft" if getattr(args, "fresh", False) else None),
        fresh=getattr(args, "fresh", False), review=getattr(args, "review", False),
        scheduler=getattr(args, "scheduler", None), workers=getattr(args, "jobs", None),
        device=getattr(args, "device", None) or "cpu",
        progress=not getattr(args, "quiet", False), **extra)


def _print_warnings(warnings) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _build(args) -> int:
    from .build import build

    report = build(_options(args, compute_only=args.compute_only))
    _print_warnings(report.warnings)
    if args.compute_only:
        print(f"computed {report.computed} of {report.jobs} jobs into .cache/ in {report.seconds:.1f} s "
              "(--compute-only: no page written)")
        return 0
    print(f"built {len(report.pages)} article{'s' if len(report.pages) != 1 else ''} "
          f"({report.jobs} job{'s' if report.jobs != 1 else ''}) into {args.out or 'build'}/ in {report.seconds:.1f} s")
    return 0


def _check(args) -> int:
    from .build import build

    report = build(_options(args, check=True))
    _print_warnings(report.warnings)
    print(f"checked {len(report.pages)} article{'s' if len(report.pages) != 1 else ''} in "
          f"{report.seconds:.1f} s: no errors (nothing computed, nothing written)")
    return 0


def _serve(args) -> int:
    from .serve import serve

    return serve(_options(args), port=args.port)


def _init(args) -> int:
    from .starter import create_journal

    folder = create_journal(args.folder)
    print(f"started a journal in {folder}/ with one article, articles/first-article/ — "
          f"cd {folder} and run `vellum serve`")
    return 0


def _new(args) -> int:
    from .starter import create_article

    path = create_article(Path.cwd(), args.slug)
    print(f"created {path} — edit it, and watch it with `{_prog()} serve`")
    return 0


def _freeze(args) -> int:
    from .reproduce import freeze_article

    try:
        folder, count, quality = freeze_article(_options(args), args.slug)
    except KeyboardInterrupt:
        print(f"the results computed so far are kept in articles/{args.slug}/_freeze/, beside what it "
              "held: run freeze again to go on (commit the folder to go on elsewhere)", file=sys.stderr)
        raise
    print(f"froze {count} result{'s' if count != 1 else ''} at {quality} quality into {folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder} — commit it")
    return 0


def _report(checks) -> bool:
    ok = True
    for check in checks:
        print(f"{'pass' if check.passed else 'FAIL'}  {check.label} ({check.key[:12]})")
        for difference in check.differences:
            print(f"      {difference}")
        ok &= check.passed
    return ok


def _verify(args) -> int:
    from .reproduce import dataset_differences, verify_article

    notes, missing = dataset_differences(_options(args), args.slug)
    for note in notes:
        print(note)
    if missing:
        return 1
    checks, stale, pending = verify_article(_options(args), args.slug)
    ok = _report(checks)
    for label in stale:
        print(f"stale {label}: frozen but no longer used by the article — run freeze again")
    for quality, count in sorted(pending.items()):
        print(f"pending: {count} result{'s' if count != 1 else ''} of a freeze at {quality} quality that has not "
              f"finished — run `freeze {args.slug} --quality {quality}` to go on (a freeze at another quality "
              "drops them)")
    print(f"{sum(c.passed for c in checks)} of {len(checks)} frozen results reproduced within tolerance")
    return 0 if ok else 1


def _reproduce(args) -> int:
    from .reproduce import reproduce_figure

    folder, checks = reproduce_figure(_options(args), args.target, args.out)
    ok = _report(checks)
    print(f"recomputed artifacts written to {folder}")
    return 0 if ok else 1


def _datasets(args) -> int:
    from . import example_photos
    from .datasets import frozen_datasets, read_datasets
    from .errors import Problems
    from .site.config import read_site

    root = Path.cwd()
    if args.action == "fetch":
        dest = root / example_photos.FOLDER
        result = example_photos.fetch(dest)
        for why in result.skipped:
            print(f"skipped {why}", file=sys.stderr)
        print(f"{len(result.written)} example photos in {example_photos.FOLDER}/ "
              f"({result.downloaded_bytes / 1e6:.0f} MB downloaded); where each comes from: "
              f"{example_photos.FOLDER}-SOURCES.csv")
        return 0 if result.written else 1
    problems = Problems()
    site = read_site(root, problems)
    found = read_datasets(root, site["datasets"] or {}, problems, hashes=root / ".cache" / "datasets",
                          frozen=frozen_datasets(root))
    for problem in problems.errors + problems.warnings:
        print(problem, file=sys.stderr)
    for name, dataset in sorted(found.items()):
        if not hasattr(dataset, "images"):
            print(f"{name}: {dataset.problem[0]} — {dataset.problem[1]}")
            continue
        where = "not on disk: its manifest comes from a freeze" if dataset.frozen else str(dataset.folder.relative_to(root))
        labelled = sum(image.label is not None for image in dataset.images)
        print(f"{name}: {len(dataset.images)} images ({labelled} labelled), {where}, manifest {dataset.manifest_sha256[:12]}")
    if not found:
        print("site.yml declares no dataset (add `datasets: {NAME: {path: FOLDER}}`)")
    return 1 if problems.errors else 0


def _classes(args) -> int:
    from .figures.model_cards import ModelCards, closest_classes
    from .interpret.errors import InterpretError

    try:
        card = ModelCards(Path.cwd() / ".cache" / "models").get(args.model)
    except InterpretError as err:
        print(f"error: --model {args.model}: {err}", file=sys.stderr)
        return 1
    names = list(card.labels) if card.labels is not None else [f"class {i}" for i in range(card.classes)]
    query = " ".join(args.query)
    rows = [i for i, name in enumerate(names) if query.casefold() in name.casefold() or query == str(i)]
    if not rows:
        rows = closest_classes(query, names)
        print(f"no class of {args.model} is called '{query}'" + ("; the closest:" if rows else ""))
    for i in rows:
        print(f"{i:>5}  {names[i]}")
    return 0 if rows else 1


def _layers(args) -> int:
    from . import interpret as vi

    try:
        model = vi.load_model(args.model)
    except vi.InterpretError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rows = vi.layers(model)
    width = max(len(r.name) for r in rows)
    print(f"{'layer':<{width}}  {'channels':>8}  {'size':>9}  kind")
    for r in rows:
        size = f"{r.height}x{r.width}" if r.height else "-"
        print(f"{r.name:<{width}}  {r.channels:>8}  {size:>9}  {r.kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
