"""Accounts: registration, sign-in with throttling, sessions, API tokens, enterprises."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import (
    ApiToken,
    LoginThrottle,
    Organization,
    OrgMember,
    OrgRole,
    User,
    WebSession,
)
from saasport.core.clock import utcnow
from saasport.core.crypto import new_token, token_digest
from saasport.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Msg,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from saasport.core.platform import Passwords
from saasport.db.base import UTCDateTime
from saasport.db.session import upsert_insert

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
API_TOKEN_PREFIX = "sp_pat_"
_HOUR = timedelta(hours=1)


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int  # per sign-in name
    ip_max_failures: int  # per client address: higher, many people may share one
    window: timedelta
    lockout_base: timedelta

    def limit_for(self, key: str) -> int:
        return self.ip_max_failures if key.startswith("ip:") else self.max_failures


def _normalise_email(email: str, fields: dict[str, str]) -> str | None:
    email = email.strip()
    if not email:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        fields["email"] = "Enter a valid email address."
        return None


def _check_password(password: str, fields: dict[str, str], name: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        fields[name] = Msg("Use %(min)d to %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)


async def register_user(
    db: AsyncSession,
    *,
    passwords: Passwords,
    username: str,
    password: str,
    email: str = "",
    phone: str = "",
    display_name: str = "",
    now: datetime,
) -> User:
    """Create an account; at least the user name and a password are required."""
    fields: dict[str, str] = {}
    username = username.strip()
    if not USERNAME_RE.match(username):
        fields["username"] = "3–32 letters, digits, '_', '.', '-'; start with a letter."
    normal_email = _normalise_email(email, fields)
    phone = phone.strip().replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        fields["phone"] = "Enter a phone number of 6–15 digits."
    _check_password(password, fields)
    display_name = display_name.strip() or username
    if len(display_name) > 64:
        fields["display_name"] = "At most 64 characters."
    if not fields:
        same = [func.lower(User.username) == username.lower()]
        if normal_email:
            same.append(User.email == normal_email)
        if phone:
            same.append(User.phone == phone)
        clashes = await db.execute(select(User.username, User.email, User.phone).where(or_(*same)))
        for row in clashes:
            if row.username.lower() == username.lower():
                fields["username"] = "This user name is taken."
            if normal_email and row.email == normal_email:
                fields["email"] = "This email is already registered."
            if phone and row.phone == phone:
                fields["phone"] = "This phone number is already registered."
    if fields:
        raise ValidationFailed(fields)
    user = User(
        username=username,
        email=normal_email,
        phone=phone or None,
        display_name=display_name,
        password_hash=await passwords.hash(password),
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    await db.flush()
    return user


LOCK_STEPS = 8  # lockouts double up to base * 2**7 (capped at an hour)
MAX_IDENTIFIER = 254


async def _throttle_rows(db: AsyncSession, keys: list[str]) -> list[LoginThrottle]:
    rows = await db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return list(rows)


async def _refuse_if_locked(db: AsyncSession, keys: list[str], now: datetime) -> None:
    for row in await _throttle_rows(db, keys):
        if row.locked_until is not None and row.locked_until > now:
            retry = int((row.locked_until - now).total_seconds()) + 1
            raise RateLimited("Too many failed sign-ins; try again later.", retry_after=retry)


async def reserve_login_attempt(
    db: AsyncSession, *, keys: list[str], policy: ThrottlePolicy, now: datetime
) -> None:
    """Count this attempt against every key before the password is checked.

    Each key is one conditional UPDATE that only matches while the key is not locked, so
    concurrent guesses serialise on the row and none slips past the limit; the attempt that
    reaches the limit also starts the (doubling) lockout. The caller commits right after,
    before the slow password check, and refunds the attempt on success.
    """
    insert = upsert_insert(db)
    t = LoginThrottle
    stamp = UTCDateTime()
    fresh = t.window_started_at < literal(now - policy.window, stamp)
    count = case((fresh, 1), else_=t.failures + 1)
    for key in keys:
        limit = policy.limit_for(key)
        await db.execute(
            insert(t)
            .values(key=key, failures=0, window_started_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        steps = [
            (count == limit + n, literal(now + min(policy.lockout_base * 2**n, _HOUR), stamp))
            for n in range(LOCK_STEPS)
        ]
        lock = case(
            *steps,
            (count > limit + LOCK_STEPS - 1, literal(now + _HOUR, stamp)),
            else_=literal(None, stamp),
        )
        counted = await db.execute(
            update(t)
            .where(t.key == key, or_(t.locked_until.is_(None), t.locked_until <= now))
            .values(
                failures=count,
                window_started_at=case((fresh, literal(now, stamp)), else_=t.window_started_at),
                locked_until=lock,
            )
            .returning(t.failures)
        )
        if counted.first() is None:
            await _refuse_if_locked(db, [key], now)
    # Now and then, forget keys whose window and lock are over.
    if random.random() < 0.01:  # noqa: S311 - housekeeping odds, not a secret
        await db.execute(
            delete(t).where(
                t.window_started_at < now - policy.window,
                or_(t.locked_until.is_(None), t.locked_until < now),
            )
        )


async def _refund_attempt(db: AsyncSession, *, keys: list[str], policy: ThrottlePolicy) -> None:
    """After a good password: the account's keys start over, the address gets its try back."""
    account_keys = [k for k in keys if not k.startswith("ip:")]
    await db.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(account_keys)))
    t = LoginThrottle
    for key in keys:
        if key.startswith("ip:"):
            await db.execute(
                update(t)
                .where(t.key == key, t.failures > 0)
                .values(
                    failures=t.failures - 1,
                    locked_until=case(
                        (t.failures - 1 < policy.limit_for(key), None), else_=t.locked_until
                    ),
                )
            )


async def authenticate(
    db: AsyncSession,
    *,
    passwords: Passwords,
    identifier: str,
    password: str,
    client: str,
    policy: ThrottlePolicy,
    now: datetime,
    commit_attempt: Callable[[], Awaitable[None]],
) -> User:
    """The user whose name, email or phone and password match.

    Every attempt counts against the typed name, the account and the client address, and is
    committed (`commit_attempt`) before the password is checked; a success refunds it.
    """
    identifier = identifier.strip()[: MAX_IDENTIFIER + 1]
    user = None
    if len(identifier) <= MAX_IDENTIFIER:
        user = await db.scalar(
            select(User).where(
                or_(
                    func.lower(User.username) == identifier.lower(),
                    User.email == identifier.lower(),
                    User.phone == identifier,
                ),
                User.is_active.is_(True),
            )
        )
    # The account is a key of its own: its user name, email and phone share one count.
    keys = [f"user:{user.id}" if user else f"id:{identifier.lower()}", f"ip:{client}"]
    await reserve_login_attempt(db, keys=keys, policy=policy, now=now)
    await commit_attempt()
    if user is None:
        await passwords.burn(password)
        raise InvalidCredentials("The sign-in name or password is wrong.")
    if not await passwords.verify(user.password_hash, password):
        raise InvalidCredentials("The sign-in name or password is wrong.")
    await _refund_attempt(db, keys=keys, policy=policy)
    return user


async def change_password(
    db: AsyncSession,
    *,
    passwords: Passwords,
    user: User,
    current: str,
    new: str,
    keep_session_id: uuid.UUID | None,
) -> None:
    """Set a new password, end every other browser session and revoke every API token.

    Whoever knew the old password may have signed in or made tokens with it.
    """
    fields: dict[str, str] = {}
    if not await passwords.verify(user.password_hash, current):
        fields["current_password"] = "The current password is wrong."
    _check_password(new, fields, "new_password")
    if fields:
        raise ValidationFailed(fields)
    user.password_hash = await passwords.hash(new)
    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        stmt = stmt.where(WebSession.id != keep_session_id)
    await db.execute(stmt)
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await db.flush()


async def start_session(
    db: AsyncSession, *, user: User, ttl: timedelta, now: datetime
) -> tuple[WebSession, str]:
    """A new browser session; returns the row and the cookie value (shown only now)."""
    token = new_token()
    session = WebSession(
        token_digest=token_digest(token), user_id=user.id, created_at=now, expires_at=now + ttl
    )
    db.add(session)
    await db.flush()
    return session, token


async def resolve_session(
    db: AsyncSession, *, token: str, now: datetime
) -> tuple[WebSession, User] | None:
    row = (
        await db.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(
                WebSession.token_digest == token_digest(token),
                WebSession.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def end_session(db: AsyncSession, *, token: str) -> None:
    await db.execute(delete(WebSession).where(WebSession.token_digest == token_digest(token)))


async def create_api_token(
    db: AsyncSession, *, user: User, name: str, ttl: timedelta | None, now: datetime
) -> tuple[ApiToken, str]:
    """A personal API token; the plaintext is returned once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ValidationFailed({"name": "Give the token a name of 1–64 characters."})
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        token_digest=token_digest(token),
        user_id=user.id,
        name=name,
        prefix=token[: len(API_TOKEN_PREFIX) + 4],
        created_at=now,
        expires_at=now + ttl if ttl else None,
    )
    db.add(row)
    await db.flush()
    return row, token


async def resolve_api_token(db: AsyncSession, *, token: str, now: datetime) -> User | None:
    row = (
        await db.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(
                ApiToken.token_digest == token_digest(token),
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                User.is_active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
        api_token.last_used_at = now
    return user


async def list_api_tokens(db: AsyncSession, *, user: User) -> list[ApiToken]:
    rows = await db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    )
    return list(rows)


async def revoke_api_token(
    db: AsyncSession, *, user: User, token_id: uuid.UUID, now: datetime
) -> None:
    """Revoke one of the user's own tokens; another user's token is simply not found."""
    result = await db.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("No such token.")


async def become_merchant(db: AsyncSession, *, user: User) -> User:
    """Any user may become a merchant (an ISV) and start listing applications."""
    user.is_merchant = True
    await db.flush()
    return user


# Enterprises -----------------------------------------------------------------------------


async def create_org(db: AsyncSession, *, user: User, name: str, now: datetime) -> Organization:
    """Create an enterprise with the creator as its first admin."""
    name = name.strip()
    if not 2 <= len(name) <= 100:
        raise ValidationFailed({"name": "Use 2–100 characters."})
    if await db.scalar(select(Organization.id).where(Organization.name == name)):
        raise ValidationFailed({"name": "An enterprise with this name exists."})
    org = Organization(name=name, created_by_id=user.id, created_at=now, updated_at=now)
    db.add(org)
    await db.flush()
    db.add(
        OrgMember(
            org_id=org.id, user_id=user.id, role=OrgRole.ADMIN, joined_at=now, accepted_at=now
        )
    )
    await db.flush()
    return org


def accepted_orgs_of(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The ids of the enterprises a user is staff of (invitations accepted)."""
    return select(OrgMember.org_id).where(
        OrgMember.user_id == user_id, OrgMember.accepted_at.is_not(None)
    )


async def list_memberships(
    db: AsyncSession, *, user: User, accepted: bool = True
) -> list[tuple[Organization, OrgMember]]:
    """The user's enterprises, or (accepted=False) the invitations waiting for an answer."""
    state = OrgMember.accepted_at.is_not(None) if accepted else OrgMember.accepted_at.is_(None)
    rows = await db.execute(
        select(Organization, OrgMember)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, state)
        .order_by(OrgMember.joined_at)
    )
    return [(org, member) for org, member in rows]


async def get_membership(
    db: AsyncSession, *, user: User, org_id: uuid.UUID
) -> tuple[Organization, OrgMember]:
    """The org and the user's place in it; not (yet) a member means not found."""
    row = (
        await db.execute(
            select(Organization, OrgMember)
            .join(OrgMember, OrgMember.org_id == Organization.id)
            .where(
                Organization.id == org_id,
                OrgMember.user_id == user.id,
                OrgMember.accepted_at.is_not(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such enterprise.")
    return row[0], row[1]


async def answer_invitation(
    db: AsyncSession, *, user: User, org_id: uuid.UUID, accept: bool, now: datetime
) -> None:
    """Join the enterprise that invited the user, or decline (the invitation goes away)."""
    member = await db.get(OrgMember, (org_id, user.id))
    if member is None or member.accepted:
        raise NotFound("No such invitation.")
    if accept:
        member.accepted_at = now
    else:
        await db.delete(member)
    await db.flush()


async def require_org_admin(db: AsyncSession, *, user: User, org_id: uuid.UUID) -> Organization:
    org, member = await get_membership(db, user=user, org_id=org_id)
    if member.role != OrgRole.ADMIN:
        raise Forbidden("Only an enterprise admin can do this.")
    return org


async def list_org_members(
    db: AsyncSession, *, user: User, org_id: uuid.UUID
) -> list[tuple[User, OrgMember]]:
    await get_membership(db, user=user, org_id=org_id)
    rows = await db.execute(
        select(User, OrgMember)
        .join(OrgMember, OrgMember.user_id == User.id)
        .where(OrgMember.org_id == org_id)
        .order_by(OrgMember.joined_at)
    )
    return [(u, m) for u, m in rows]


async def add_org_member(
    db: AsyncSession,
    *,
    actor: User,
    org_id: uuid.UUID,
    username: str,
    role: str,
    now: datetime,
) -> OrgMember:
    """Invite an existing user as staff (admin only); they join when they accept.

    Inviting someone twice changes nothing.
    """
    await require_org_admin(db, user=actor, org_id=org_id)
    if role not in OrgRole.__members__.values():
        raise ValidationFailed({"role": "Choose admin or member."})
    target = await db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if target is None:
        raise ValidationFailed({"username": "No user with this name."})
    existing = await db.get(OrgMember, (org_id, target.id))
    if existing is not None:
        return existing
    member = OrgMember(org_id=org_id, user_id=target.id, role=role, joined_at=now)
    db.add(member)
    await db.flush()
    return member


async def remove_org_member(
    db: AsyncSession, *, actor: User, org_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove staff (admin only); the last admin cannot leave the enterprise headless."""
    await require_org_admin(db, user=actor, org_id=org_id)
    # Two admins removing each other at once must not both see "another admin remains".
    await db.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())
    member = await db.get(OrgMember, (org_id, user_id))
    if member is None:
        raise NotFound("No such member.")
    if member.role == OrgRole.ADMIN and member.accepted:
        admins = await db.scalar(
            select(func.count()).where(
                OrgMember.org_id == org_id,
                OrgMember.role == OrgRole.ADMIN,
                OrgMember.accepted_at.is_not(None),
            )
        )
        if admins == 1:
            raise Conflict("An enterprise needs at least one admin.")
    await db.delete(member)
    await db.flush()
