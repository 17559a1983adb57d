"""The `saasport` command: serve, migrate, create operators, run the demo."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from saasport.config import Settings, load_settings

app = typer.Typer(help="saasport: an application marketplace platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="The keys ID tokens are signed with.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(keys_app, name="keys")
billing_app = typer.Typer(help="Wallets and the ledger.", no_args_is_help=True)
app.add_typer(billing_app, name="billing")


def _settings(**overrides: object) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from saasport.app import create_app
    from saasport.db.migrate import upgrade

    upgrade(settings)
    application = create_app(settings)
    # What start-up made lives as long as the process: kept out of the collector's way, so a
    # request's many short-lived objects do not make it walk the whole app (about a fifth of
    # the CPU of a 1000-record usage batch).
    gc.freeze()
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        # Sign-in throttling goes by client address: believe forwarded headers only from
        # the proxies the operator named.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    dev: Annotated[bool, typer.Option("--dev", help="Dev mode: http://localhost URLs.")] = False,
) -> None:
    """Migrate the database, then serve the platform."""
    settings = _settings(dev_mode=True if dev else None)
    if "base_url" not in settings.model_fields_set:
        # Not configured (SAASPORT_BASE_URL): the address served is the one apps are told,
        # e.g. the OpenID Connect issuer. Behind a proxy, configure it.
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    typer.echo(f"saasport on {settings.base_url}  (database: {_describe(settings)})")
    _serve(settings, host, port)


@app.command()
def worker(
    interval: Annotated[
        float, typer.Option(help="Seconds between looks for due calls when there were none.")
    ] = 1.0,
) -> None:
    """Deliver provisioning calls to merchant apps (as many workers as wanted, anywhere;
    `saasport serve` runs one too unless SAASPORT_OUTBOX_INTERVAL_SECONDS=0)."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    typer.echo(f"saasport worker  (database: {_describe(settings)})")
    asyncio.run(_deliver(settings, interval))


async def _deliver(settings: Settings, interval: float) -> None:
    from saasport.dialects import builtin
    from saasport.platform import Platform

    platform = Platform.build(settings, dialects=builtin())
    worker = platform.delivery_worker()
    try:
        await worker.run_forever(idle=interval)
    finally:
        await worker.http.aclose()
        await platform.close()


def _describe(settings: Settings) -> str:
    url = settings.effective_database_url
    if settings.is_sqlite:
        return url
    return url.split("@")[-1]  # never print credentials


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Run migrations up to REVISION (default: the latest)."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings, revision)
    typer.echo(f"database at {revision}: {_describe(settings)}")


@admin_app.command("create")
def admin_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    email: str = "",
) -> None:
    """Create an operator account (or make an existing user an operator)."""
    from saasport.db.migrate import upgrade
    from saasport.demo import ensure_operator

    settings = _settings()
    upgrade(settings)
    created = asyncio.run(
        ensure_operator(settings, username=username, password=password, email=email)
    )
    typer.echo(("created" if created else "updated") + f" operator {username}")


@billing_app.command("verify")
def billing_verify() -> None:
    """Check every invariant of the ledger, and that every charge is traceable to its order
    (and usage charges to their records); exit 1 on a breach."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    report = asyncio.run(_verify_ledger(settings))
    for breach in report.breaches:
        typer.echo(f"BREACH {breach}", err=True)
    verdict = f"{len(report.breaches)} breaches" if report.breaches else "the ledger holds"
    typer.echo(
        f"{report.transactions} transactions, {report.entries} entries, "
        f"{report.accounts} accounts: {verdict}"
    )
    if report.breaches:
        raise typer.Exit(1)


@billing_app.command("tick")
def billing_tick() -> None:
    """Run the scheduler once: usage rated, then renewals, suspensions, expiry and release."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    rated, report = asyncio.run(_tick(settings))
    typer.echo(
        " ".join(f"{k}={v}" for k, v in vars(report).items()) + f" usage_charged={rated.charged}"
    )


async def _tick(settings: Settings) -> Any:
    from saasport.commerce.scheduler import tick
    from saasport.commerce.tasks import Rules
    from saasport.dialects import builtin
    from saasport.platform import Platform
    from saasport.web.idempotency import purge_expired

    platform = Platform.build(settings, dialects=builtin())
    try:
        done = await tick(platform.sessionmaker, now=platform.clock(), rules=Rules.of(settings))
        await purge_expired(platform.sessionmaker, platform.clock())
        return done
    finally:
        await platform.close()


async def _verify_ledger(settings: Settings) -> Any:
    from saasport.billing.verify import verify
    from saasport.commerce.audit import untraced
    from saasport.db.session import make_engine, make_sessionmaker

    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as db:
            report = await verify(db)
            report.breaches.extend(await untraced(db))
            return report
    finally:
        await engine.dispose()


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Start signing with a new key; the old one stays published until its tokens expire."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    kid = asyncio.run(_rotate_keys(settings))
    typer.echo(f"signing with key {kid}; earlier keys stay in the JWKS until their tokens expire")


@keys_app.command("list")
def keys_list() -> None:
    """The published signing keys, newest first."""
    from saasport.db.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    for kid, created, retired in asyncio.run(_published_keys(settings)):
        state = f"retired {retired:%Y-%m-%d %H:%M}" if retired else "signing"
        typer.echo(f"{kid}  created {created:%Y-%m-%d %H:%M}  {state}")


async def _rotate_keys(settings: Settings) -> str:
    from saasport.dialects import builtin
    from saasport.platform import Platform

    platform = Platform.build(settings, dialects=builtin())
    try:
        async with platform.sessionmaker() as db:
            kid = await platform.oauth.rotate_keys(db)
            await db.commit()
        return kid
    finally:
        await platform.close()


async def _published_keys(settings: Settings) -> list[tuple[str, object, object]]:
    from saasport.dialects import builtin
    from saasport.platform import Platform

    platform = Platform.build(settings, dialects=builtin())
    try:
        async with platform.sessionmaker() as db:
            keys = await platform.oauth.published_keys(db)
            await db.commit()  # the first key, if none existed
        return [(k.kid, k.created_at, k.retired_at) for k in keys]
    finally:
        await platform.close()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Platform port.")] = 8000,
    merchant_port: Annotated[int, typer.Option(help="Demo merchant app port.")] = 8001,
) -> None:
    """Serve the platform with demo data and the demo merchant app beside it (dev mode)."""
    from saasport.db.migrate import upgrade
    from saasport.demo import DEMO_PASSWORD, seed_demo

    if not (_repo_root() / "examples" / "demo_merchant" / "app.py").exists():
        raise typer.BadParameter("run `saasport demo` from a checkout of the repository")

    os.environ.setdefault("SAASPORT_DATA_DIR", "./saasport-data")
    settings = _settings(dev_mode=True, base_url=f"http://{host}:{port}")
    upgrade(settings)
    merchant_url = f"http://{host}:{merchant_port}"
    creds = asyncio.run(seed_demo(settings, merchant_url=merchant_url))
    merchant_dir = settings.data_dir / "demo-merchant"
    env = os.environ | {
        "DEMO_MERCHANT_DATA_DIR": str(merchant_dir.resolve()),
        "DEMO_MERCHANT_CONNECTIONS": creds.connections_env(f"http://{host}:{port}"),
    }
    merchant = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "examples.demo_merchant.app:create_app",
            "--factory",
            "--host",
            host,
            "--port",
            str(merchant_port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=str(_repo_root()),
    )
    time.sleep(0.3)
    typer.echo(
        "\n".join(
            [
                "",
                "saasport demo is running.",
                f"  Marketplace:        http://{host}:{port}/",
                f"  Demo merchant app:  {merchant_url}/",
                f"  API docs:           http://{host}:{port}/api/docs",
                "",
                f"  Sign in as   alice (user)   / {DEMO_PASSWORD}",
                f"               merchant (ISV) / {DEMO_PASSWORD}",
                f"               operator       / {DEMO_PASSWORD}",
                "",
                "  Or register a new account. Ctrl-C stops both.",
                "",
            ]
        )
    )

    def stop(signum: int, _frame: object) -> None:
        # uvicorn re-raises the signal that stopped it once it has shut down: end the merchant
        # app too before this process goes (a bare SIGTERM would leave it running).
        merchant.terminate()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        _serve(settings, host, port)
    finally:
        merchant.terminate()
        merchant.wait(timeout=10)


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def main() -> None:
    app()
