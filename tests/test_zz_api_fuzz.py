"""Schemathesis over the whole OpenAPI document, in-process, as a merchant, on each backend:
no input reaches a server error, and every answer matches what the document says.

Named to run last: it leaves many odd users, tokens and drafts in the session's database.
`SAASPORT_TEST_FUZZ_EXAMPLES` (default 25) and `SAASPORT_TEST_FUZZ_SEED` tune it; the seed keeps the
inputs the same from run to run and from backend to backend.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from saasport.app import create_app
from saasport.config import Settings
from saasport.dialects import builtin
from saasport.platform import Platform
from tests.conftest import signup

EXAMPLES = int(os.environ.get("SAASPORT_TEST_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("SAASPORT_TEST_FUZZ_SEED", "20261201"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _openapi() -> dict[str, Any]:
    """The app's document, from an app that is built but never called."""
    data = Path(tempfile.mkdtemp(prefix="saasport-openapi-"))
    config = Settings(
        data_dir=data,
        database_url=f"sqlite+aiosqlite:///{data / 'unused.db'}",
        secret_key="openapi-only-" + "x" * 32,
        dev_mode=True,
        log_level="WARNING",
    )
    return create_app(config, platform=Platform.build(config, dialects=builtin())).openapi()


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
schema.config.generation.update(max_examples=EXAMPLES)
schema.config.seed = SEED


@pytest.fixture(scope="session")
async def merchant_token(app: Any) -> str:
    transport = httpx.ASGITransport(app=app, client=("10.250.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        api = await signup(c)
        r = await api.post("/api/v1/me/merchant")
        assert r.status_code == 200, r.text
        return api.token


@pytest.fixture
async def fuzz_ready(platform: Platform) -> AsyncIterator[None]:
    # Schemathesis serves the app on an event loop of its own (a thread), and asyncpg
    # connections belong to the loop that opened them: hand the pools over empty. After the
    # test, the app's lifespan ends on that loop and closes them again.
    await platform.close()
    yield


def test_the_fuzzed_document_is_the_apps(app: Any) -> None:
    assert app.openapi() == OPENAPI


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("fuzz_ready")
@schema.parametrize()
def test_api(case: Any, app: Any, merchant_token: str) -> None:
    case.operation.schema.app = app  # checks that send probes of their own use this app too
    case.call_and_validate(
        app=app, headers={"Authorization": f"Bearer {merchant_token}"}, checks=CHECKS
    )
