"""structlog set-up: key-value lines for people, JSON lines for machines.

No token, ticket, secret or password is logged: the code logs ids and outcomes, never
credentials, and `redact` blanks any field whose name says it holds one, in case a future
line forgets. Loggers are not cached on first use, so a later `configure_logging` (another app
in the same process, a test) applies to every logger at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_FIELD = re.compile(
    r"(password|passwd|secret|token|ticket|authorization|cookie|api_?key|signature|^code)$",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event:
        if SECRET_FIELD.search(key) and event[key] not in (None, ""):
            event[key] = REDACTED
    return event


def configure_logging(*, json: bool, level: str, stream: TextIO | None = None) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
