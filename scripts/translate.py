#!/usr/bin/env python3
"""Fill zh_CN translations from a Python file holding a dict `T` of English → Chinese.

    python scripts/translate.py translations.py

Each message in the dict gets its translation and loses the fuzzy flag; the catalog is then
written back. Run `python scripts/i18n.py --check` afterwards.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from babel.messages.pofile import write_po

    from saasport.web.i18n_catalog import po_path, read_catalog

    table: dict[str, str] = runpy.run_path(argv[1])["T"]
    path = po_path("zh_CN", ROOT)
    catalog = read_catalog(path, "zh_CN")
    done = 0
    for message in catalog:
        if isinstance(message.id, str) and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            message.previous_id = []
            done += 1
        elif isinstance(message.id, tuple) and message.id[0] in table:  # Chinese: one form
            message.string = (table[message.id[0]],)
            message.flags.discard("fuzzy")
            message.previous_id = []
            done += 1
    with path.open("wb") as f:
        write_po(f, catalog, width=100, include_lineno=False)
    print(f"{done} translations written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
