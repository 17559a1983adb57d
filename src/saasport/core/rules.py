"""What validating an input depends on besides the input: the platform's mode and dialects.

An entry URL may point at localhost only in dev mode, and a listing may choose only a dialect
the platform speaks. Both are facts of the platform, not of the input, and pydantic models are
validated where FastAPI decides; so the platform's middleware sets them here for each request,
before any body is read, and validators read them with `current()`. Outside a request — the
demo seeder, a CLI command — the caller applies the platform's rules the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class InputRules:
    dev_mode: bool
    dialects: frozenset[str]


_current: ContextVar[InputRules | None] = ContextVar("input_rules", default=None)


def current() -> InputRules:
    """The rules in force; validating a dialect-dependent input outside them is a bug."""
    rules = _current.get()
    if rules is None:
        raise RuntimeError("no input rules apply here: wrap the call in rules.applying(...)")
    return rules


def set_current(rules: InputRules) -> Token[InputRules | None]:
    """Apply `rules` until `reset_current(token)` (the middleware does this per request)."""
    return _current.set(rules)


def reset_current(token: Token[InputRules | None]) -> None:
    _current.reset(token)


@contextmanager
def applying(rules: InputRules) -> Iterator[None]:
    """Validate inputs under these rules inside the block."""
    token = set_current(rules)
    try:
        yield
    finally:
        reset_current(token)
