"""`python -m generator serve`: build, serve `build/` on 127.0.0.1, rebuild when a source
changes, and reload open pages. The reload script is added to HTML responses only, never
written into `build/`."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from pathlib import Path

from .errors import BuildError

RELOAD_SCRIPT = b"""<script>(function(){var v=null;setInterval(function(){var x=new XMLHttpRequest();
x.open('GET','/__vellum_version');x.onload=function(){if(v!==null&&x.responseText!==v)location.reload();
v=x.responseText;};x.send();},700);})();</script>"""


class _State:
    version = 0


def _sources(root: Path):
    for folder in ("articles", "assets"):
        base = root / folder
        if base.is_dir():
            for path in base.rglob("*"):
                if path.is_file() and "_freeze" not in path.parts:
                    yield path
    site = root / "site.yml"
    if site.exists():
        yield site


def _snapshot(root: Path) -> dict:
    return {str(p): p.stat().st_mtime_ns for p in _sources(root)}


def _rebuild(options) -> bool:
    from .build import build

    try:
        report = build(options)
    except BuildError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("build failed; still serving the last good build", file=sys.stderr)
        return False
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"rebuilt in {report.seconds:.1f} s", file=sys.stderr)
    return True


def _handler(directory: Path):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/__vellum_version":
                body = str(_State.version).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                body = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>", 1)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    return functools.partial(Handler, directory=str(directory))


def serve(options, port: int = 8000, *, poll: float = 0.5) -> int:
    _rebuild(options)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(options.output))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving http://127.0.0.1:{port}/ — Ctrl+C to stop", file=sys.stderr)
    seen = _snapshot(options.root)
    try:
        while True:
            time.sleep(poll)
            now = _snapshot(options.root)
            if now != seen:
                seen = now
                if _rebuild(options):
                    _State.version += 1
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
