"""The long-lived parts one platform instance shares, built once from its settings.

Routes reach them through `deps.PlatformDep`; the CLI, the demo and the tests build one with
`Platform.build(settings, dialects=…)`. Which implementation of a part is used — the
PostgreSQL or the portable jump-token store, the console or SMTP mailer — is decided here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saasport.accounts.models import User
from saasport.accounts.service import deactivate_user, end_session
from saasport.accounts.throttle import Throttle, ThrottlePolicy
from saasport.commerce.service import active_holders
from saasport.config import Settings
from saasport.core.clock import Clock, utcnow
from saasport.core.crypto import SecretBox, derive_key
from saasport.core.dialects import DialectRegistry
from saasport.core.egress import merchant_client
from saasport.core.mail import ConsoleMailer, Mailer, MemoryMailer, SmtpMailer
from saasport.core.passwords import Passwords
from saasport.core.rules import InputRules
from saasport.db.session import make_engine, make_sessionmaker
from saasport.provisioning.worker import DeliveryRules, Worker
from saasport.sso.keys import KeyRing
from saasport.sso.logout import (
    LogoutNotice,
    LogoutSender,
    end_session_everywhere,
    revoke_everything_of,
)
from saasport.sso.provider import OAuthProvider
from saasport.sso.service import Launcher
from saasport.sso.store import JumpTokenStore, SessionJumpTokenStore
from saasport.sso.store_pg import PostgresJumpTokenStore


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    dialects: DialectRegistry
    box: SecretBox
    passwords: Passwords
    throttle: Throttle
    jump_tokens: JumpTokenStore
    launcher: Launcher
    oauth: OAuthProvider
    logouts: LogoutSender
    mailer: Mailer
    csrf_key: bytes
    clock: Clock = utcnow
    holders = staticmethod(active_holders)  # how many hold a listing (deletion asks)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        dialects: DialectRegistry,
        clock: Clock = utcnow,
        mailer: Mailer | None = None,
    ) -> Platform:
        master = settings.master_key()
        engine = make_engine(settings)
        sessionmaker = make_sessionmaker(engine)
        box = SecretBox(master)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            dialects=dialects,
            box=box,
            passwords=Passwords(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                concurrency=settings.argon2_concurrency,
            ),
            throttle=Throttle(
                make_engine(settings, pool_size=3, max_overflow=2),
                policies=throttle_policies(settings),
            ),
            jump_tokens=jump_token_store(engine, box, settings),
            launcher=Launcher(
                ttl=timedelta(seconds=settings.jump_token_ttl_seconds),
                jump_params=dialects.jump_params,
                signing_in_apps=dialects.signing_in_apps,
                tokens_in_url=dialects.tokens_in_url,
                session_token_params=dialects.session_token_params,
            ),
            oauth=OAuthProvider(
                box=box,
                # A retired key is published for as long as a token it signed may live.
                keys=KeyRing(box, keep=timedelta(seconds=settings.id_token_ttl_seconds + 600)),
                issuer=settings.base_url,
                sessionmaker=sessionmaker,
                clock=clock,
                id_token_ttl=timedelta(seconds=settings.id_token_ttl_seconds),
            ),
            logouts=LogoutSender(dev_mode=settings.dev_mode),
            mailer=mailer or mailer_for(settings),
            csrf_key=derive_key(master, "csrf"),
            clock=clock,
        )

    def delivery_worker(self, *, http: httpx.AsyncClient | None = None) -> Worker:
        """A worker delivering outbox events to apps (`run_forever`); its client (guarded
        against private addresses outside dev mode) is closed with `worker.http.aclose()`."""
        rules = DeliveryRules.of(self.settings)
        return Worker(
            self.sessionmaker,
            self.dialects,
            self.box,
            rules,
            http=http
            or merchant_client(
                dev_mode=self.settings.dev_mode, timeout=rules.timeout, max_connections=rules.batch
            ),
            clock=self.clock,
        )

    async def close(self) -> None:
        """Close every pool of connections the platform opened."""
        await self.engine.dispose()
        await self.throttle.close()

    async def sign_out(self, db: AsyncSession, *, session_token: str) -> list[LogoutNotice]:
        """End a browser's platform session and what apps were given in it; the logout
        notices to send (`self.logouts.send`) once the change is committed."""
        ended = await end_session(db, token=session_token)
        if ended is None:
            return []
        return await end_session_everywhere(
            db,
            keys=self.oauth.keys,
            box=self.box,
            issuer=self.oauth.issuer,
            session_id=ended,
            now=self.clock(),
        )

    async def deactivate_user(
        self, db: AsyncSession, *, operator: User, user_id: uuid.UUID
    ) -> tuple[User, list[LogoutNotice]]:
        """An operator stops an account: no new sign-ins or tokens, and every session and
        token it had ends (apps are told, as on sign-out)."""
        now = self.clock()
        user, sessions = await deactivate_user(db, operator=operator, user_id=user_id, now=now)
        notices: list[LogoutNotice] = []
        for session_id in sessions:
            notices += await end_session_everywhere(
                db,
                keys=self.oauth.keys,
                box=self.box,
                issuer=self.oauth.issuer,
                session_id=session_id,
                now=now,
            )
        await revoke_everything_of(db, user_id=user.id, now=now)
        return user, notices

    @property
    def input_rules(self) -> InputRules:
        """What input validation needs to know of this platform (dev mode, dialects)."""
        return InputRules(dev_mode=self.settings.dev_mode, dialects=frozenset(self.dialects.names))


def throttle_policies(settings: Settings) -> dict[str, ThrottlePolicy]:
    window = timedelta(seconds=settings.login_failure_window_seconds)
    lockout = timedelta(seconds=settings.login_lockout_base_seconds)
    account = ThrottlePolicy(settings.login_max_failures, window, lockout)
    registration_window = timedelta(seconds=settings.register_window_seconds)
    return {
        "user": account,  # an account, by any of its sign-in names
        "id": account,  # a typed name that is nobody's
        "ip": ThrottlePolicy(settings.login_ip_max_failures, window, lockout),
        # Registration tells whether a name is taken, and each costs an Argon2 hash.
        "reg": ThrottlePolicy(settings.register_ip_max_attempts, registration_window, lockout),
    }


def jump_token_store(engine: AsyncEngine, box: SecretBox, settings: Settings) -> JumpTokenStore:
    """The one-statement store on PostgreSQL, the portable one elsewhere."""
    store = PostgresJumpTokenStore if engine.dialect.name == "postgresql" else SessionJumpTokenStore
    return store(
        engine,
        box=box,
        window=timedelta(seconds=settings.signature_window_seconds),
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )


def mailer_for(settings: Settings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
            starttls=settings.smtp_starttls,
        )
    if settings.mail_backend == "memory":
        return MemoryMailer()
    return ConsoleMailer(show_text=settings.dev_mode)
