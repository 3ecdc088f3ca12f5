"""`python -m generator serve`: build, serve `build/` on 127.0.0.1, rebuild when a source
changes, and reload open pages. When a rebuild fails, open pages show its errors (file, line,
fix) in an overlay over the last good build, until the next good build reloads them. The
script that does both is added to HTML responses only, never written into `build/`."""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

from .article import is_scratch
from .errors import BuildError

RELOAD_SCRIPT = b"""<script>(function(){var v=null,box=null;
function show(errors){if(!errors.length){if(box){box.remove();box=null;}return;}
if(!box){box=document.createElement('div');box.id='vellum-build-errors';box.setAttribute('role','alert');
box.style.cssText='position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:2147483647;'
+'margin:0;padding:12px 16px;background:#fff4f4;color:#5c0000;border-top:3px solid #b00020;'
+'font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap';document.body.appendChild(box);}
box.textContent='The build failed; this page is the last good build.\\n\\n'+errors.join('\\n');}
setInterval(function(){var x=new XMLHttpRequest();x.open('GET','/__vellum_status');x.onload=function(){
var s=JSON.parse(x.responseText);if(v!==null&&s.version!==v)location.reload();v=s.version;show(s.errors);};
x.send();},700);})();</script>"""


class _State:
    version = 0                  # bumped by every good build: open pages reload
    errors: list[str] = []       # the last build's errors, shown over open pages


def _sources(root: Path):
    for folder in ("articles", "assets", "templates"):
        base = root / folder
        if base.is_dir():
            for path in base.rglob("*"):
                if "_freeze" not in path.parts and not is_scratch(path.name) and path.is_file():
                    yield path
    site = root / "site.yml"
    if site.exists():
        yield site


def _snapshot(root: Path) -> dict:
    """Every source's modification time; a file that vanishes meanwhile is left out."""
    times = {}
    for path in _sources(root):
        try:
            times[str(path)] = path.stat().st_mtime_ns
        except FileNotFoundError:
            continue
    return times


def _rebuild(options) -> bool:
    from .build import build

    try:
        report = build(options)
    except BuildError as err:
        _State.errors = [f"error: {problem}" for problem in err.problems]
    except Exception as err:  # a bug, not the author's: say so, and keep serving the last build
        where = traceback.extract_tb(err.__traceback__)[-1]
        _State.errors = [f"error: unexpected {type(err).__name__}: {err} (at {Path(where.filename).name} "
                         f"line {where.lineno}) — please report it; the last good build is still served"]
    else:
        _State.errors = []
    if _State.errors:
        for line in _State.errors:
            print(line, file=sys.stderr)
        print("build failed; still serving the last good build", file=sys.stderr)
        return False
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"rebuilt in {report.seconds:.1f} s", file=sys.stderr)
    return True


MAX_PATH = 2048    # longer request paths get 414


def _handler(directory: Path):
    class Handler(http.server.SimpleHTTPRequestHandler):
        """`build/` as a static host serves it, plus the reload and error overlay of HTML
        pages, and the status the overlay polls."""

        def do_GET(self):
            self._respond(send_body=True)

        def do_HEAD(self):
            self._respond(send_body=False)

        def _respond(self, send_body: bool) -> None:
            if len(self.path) > MAX_PATH:
                return self.send_error(414, "URI too long")
            if "\x00" in urllib.parse.unquote(self.path):
                return self.send_error(400, "bad request")
            if self.path in ("/__vellum_version", "/__vellum_status"):
                if self.path == "/__vellum_status":
                    return self._send(json.dumps({"version": _State.version, "errors": _State.errors}).encode(),
                                      "application/json", send_body)
                return self._send(str(_State.version).encode(), "text/plain", send_body)
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                route = urllib.parse.urlsplit(self.path)
                if not route.path.endswith("/"):   # relative links need the slash: /slug -> /slug/
                    self.send_response(301)
                    self.send_header("Location", urllib.parse.urlunsplit(route._replace(path=route.path + "/")))
                    self.send_header("Content-Length", "0")
                    return self.end_headers()
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                body = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>", 1)
                return self._send(body, "text/html; charset=utf-8", send_body)
            return super().do_GET() if send_body else super().do_HEAD()

        def _send(self, body: bytes, kind: str, send_body: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))   # HEAD says what GET sends
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    return functools.partial(Handler, directory=str(directory))


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128          # a page loads many files at once; the default 5 queues them
    daemon_threads = True


def serve(options, port: int = 8000, *, poll: float = 0.5) -> int:
    _rebuild(options)
    server = _Server(("127.0.0.1", port), _handler(options.output))
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
