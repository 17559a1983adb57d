"""The layers import-linter checks (pyproject's contracts) cover every module, and the tests
never reach a database they were not given."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tests.conftest import TEST_POSTGRES_DEFAULT, postgres_url

ROOT = Path(__file__).resolve().parents[1]
NOT_DOMAINS = {"core", "db", "web", "dialects", "sdk", "demo_content"}
DOMAINS = ("accounts", "billing", "catalog", "commerce", "outbox", "provisioning", "sso")
# And every `*_pages` module, and `*_http` (HTTP handlers a dialect mounts at its own paths).
ROUTE_MODULES = {"api", "pages", "models", "__init__"}
ROUTE_SUFFIXES = ("_pages", "_http")


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["contracts"])


def test_every_service_module_of_a_domain_is_under_the_services_contract() -> None:
    (services,) = [c for c in contracts() if str(c["name"]).startswith("services and flows")]
    listed = set(services["source_modules"])  # type: ignore[arg-type]
    found = {
        f"saasport.{domain}.{path.stem}"
        for domain in DOMAINS
        for path in (ROOT / "src" / "saasport" / domain).glob("*.py")
        if path.stem not in ROUTE_MODULES and not path.stem.endswith(ROUTE_SUFFIXES)
    }
    assert found - listed == set(), "add new domain modules to the contract in pyproject.toml"
    assert listed - found == set(), "the contract names modules that no longer exist"


def test_every_domain_is_in_the_domain_order() -> None:
    (order,) = [c for c in contracts() if c["type"] == "layers"]
    # Every package is a domain but the shared layers, the dialects and the SDK.
    packages = {
        p.name
        for p in (ROOT / "src" / "saasport").iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_DOMAINS
    }
    assert {f"saasport.{p}" for p in packages} == set(order["layers"])  # type: ignore[arg-type]


def test_tests_never_use_the_operators_database_url() -> None:
    production = "postgresql+asyncpg://saasport:secret@db.internal/saasport"
    assert postgres_url({"SAASPORT_DATABASE_URL": production}) == TEST_POSTGRES_DEFAULT
    given = "postgresql+asyncpg://postgres@127.0.0.1:5432/mine"
    assert (
        postgres_url({"SAASPORT_DATABASE_URL": production, "SAASPORT_TEST_POSTGRES_URL": given})
        == given
    )
    # The shell's settings are gone for the whole run: only explicit test settings apply.
    assert not [
        n for n in os.environ if n.startswith("SAASPORT_") and not n.startswith("SAASPORT_TEST_")
    ]
