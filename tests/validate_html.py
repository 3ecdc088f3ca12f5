"""Run the Nu HTML Checker (vnu.jar, installed by `npm install`) on HTML files.

    from validate_html import validate_html, require_vnu
    errors = validate_html([path])          # [] when every file is valid
    assert not errors, "\n".join(map(str, errors))

Or from the shell: `.venv/bin/python tests/validate_html.py build/index.html ...`.

Nothing is filtered: every message of type "error" (and every fatal "non-document-error")
comes back. Warnings are not errors and are left out (`--errors-only`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

__all__ = ["VNU_JAR", "HtmlError", "require_vnu", "validate_html"]


@dataclass(frozen=True)
class HtmlError:
    """One error reported by the checker."""

    path: str
    line: int | None
    message: str
    extract: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}" + (f"  [{self.extract.strip()}]" if self.extract else "")


def require_vnu() -> None:
    """Skip (or, under CI=true, fail) the calling test when java or vnu.jar is missing."""
    missing = [what for what, ok in (("java", shutil.which("java")), (str(VNU_JAR), VNU_JAR.exists())) if not ok]
    if not missing:
        return
    message = f"the Nu HTML Checker needs {' and '.join(missing)}: run `npm install` and install a JRE"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def validate_html(paths: Iterable[Path]) -> list[HtmlError]:
    """Check HTML files with vnu.jar; return every error (empty list: all valid)."""
    files = [str(Path(p)) for p in paths]
    if not files:
        return []
    result = subprocess.run(
        ["java", "-Xss8m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True, text=True, timeout=300, check=False,
    )
    report = result.stderr.strip() or result.stdout.strip()
    try:
        messages = json.loads(report)["messages"] if report else []
    except json.JSONDecodeError as error:
        raise RuntimeError(f"vnu.jar did not answer in JSON (exit {result.returncode}): {report[:500]}") from error
    errors = [
        HtmlError(
            path=m.get("url", "").removeprefix("file:"),
            line=m.get("lastLine"),
            message=m.get("message", ""),
            extract=m.get("extract", ""),
        )
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    if result.returncode != 0 and not errors:
        raise RuntimeError(f"vnu.jar failed (exit {result.returncode}): {report[:500]}")
    return errors


def main(argv: list[str]) -> int:
    """Print each error on its own line; exit 1 if there was any."""
    errors = validate_html(Path(a) for a in argv)
    for error in errors:
        sys.stdout.write(f"{error}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
