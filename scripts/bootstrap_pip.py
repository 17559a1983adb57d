#!/usr/bin/env python3
"""Install pip into the running Python (a venv made with --without-pip), from PyPI.

Debian's python3 comes without ensurepip unless python3-venv is installed; this needs only the
standard library. It takes the newest pip wheel from PyPI's JSON API, checks its SHA-256
against the digest PyPI publishes, and lets that wheel install itself.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

INDEX = "https://pypi.org/pypi/pip/json"


def main() -> int:
    with urllib.request.urlopen(INDEX, timeout=60) as answer:
        release = json.load(answer)
    wheel = next(
        f for f in release["urls"] if f["packagetype"] == "bdist_wheel" and not f["yanked"]
    )
    url = urljoin(INDEX, wheel["url"])  # some mirrors answer with relative links
    with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310 - PyPI's own link
        data = answer.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        print(f"pip wheel from {url} does not match PyPI's SHA-256", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / wheel["filename"]
        path.write_bytes(data)
        # A wheel is a zip Python can import from: pip installs itself from its own wheel.
        return subprocess.call(  # noqa: S603 - our interpreter, our downloaded file
            [sys.executable, f"{path}/pip", "install", "--quiet", "--no-index", str(path)]
        )


if __name__ == "__main__":
    sys.exit(main())
