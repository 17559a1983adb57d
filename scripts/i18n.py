#!/usr/bin/env python3
"""Keep the web UI's translation catalogs in step with the templates and the domain messages.

    python scripts/i18n.py           rewrite locales/messages.pot and each locale's messages.po,
                                     keeping existing translations
    python scripts/i18n.py --check   exit 1 if a message lacks a translation or is fuzzy

The catalogs live in src/saasport/web/locales; the app compiles the .po files in memory at run
time, so no .mo file is written. The logic is in saasport.web.i18n_catalog.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report missing or fuzzy translations"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))  # this checkout's package, installed or not
    from saasport.web import i18n_catalog

    if args.check:
        problems = i18n_catalog.check(ROOT)
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s); translate them, then run python scripts/i18n.py")
            return 1
        print("catalogs complete")
        return 0

    for written in i18n_catalog.update_catalogs(ROOT):
        state = "written" if written.changed else "unchanged"
        line = f"{written.path.relative_to(ROOT)}: {written.messages} messages"
        if written.path.suffix == ".po":
            line += f", {written.untranslated} untranslated, {written.fuzzy} fuzzy"
        print(f"{line} ({state})")
    skipped = i18n_catalog.untranslatable(ROOT)
    if skipped:
        print(f"note: {len(skipped)} f-string messages cannot be translated:")
        for found in skipped:
            print(f"  {found.path}:{found.lineno}: {found.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
