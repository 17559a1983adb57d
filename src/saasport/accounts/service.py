"""Accounts: registration, sign-in, password changes, browser sessions and API tokens.

Enterprises are in `orgs`, attempt counting in `throttle`, email verification in `email`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import ApiToken, User, WebSession
from saasport.accounts.schemas import IDENTIFIER_MAX, RegisterIn
from saasport.accounts.throttle import Throttle
from saasport.core.crypto import new_token, token_digest
from saasport.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.core.passwords import Passwords

API_TOKEN_PREFIX = "sp_pat_"
WRONG_CREDENTIALS = N_("The sign-in name or password is wrong.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


@dataclass(frozen=True)
class Guard:
    """What stands between a caller and a password check: the hasher and the attempt counter."""

    passwords: Passwords
    throttle: Throttle
    client: str  # the caller's address, counted like an account

    @property
    def client_key(self) -> str:
        return f"ip:{self.client}"


async def register_user(
    db: AsyncSession, *, passwords: Passwords, data: RegisterIn, now: datetime
) -> User:
    """Create an account; the name, email and phone must not be anyone else's."""
    email, phone = data.email or None, data.phone or None
    same = [func.lower(User.username) == data.username.lower()]
    if email:
        same.append(User.email == email)
    if phone:
        same.append(User.phone == phone)
    fields: dict[str, str] = {}
    for row in await db.execute(select(User.username, User.email, User.phone).where(or_(*same))):
        if row.username.lower() == data.username.lower():
            fields["username"] = N_("This user name is taken.")
        if email and row.email == email:
            fields["email"] = N_("This email is already registered.")
        if phone and row.phone == phone:
            fields["phone"] = N_("This phone number is already registered.")
    if fields:
        raise ValidationFailed(fields)
    user = User(
        username=data.username,
        email=email,
        phone=phone,
        display_name=data.display_name or data.username,
        password_hash=await passwords.hash(data.password),
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    await db.flush()
    return user


async def find_by_identifier(db: AsyncSession, identifier: str) -> User | None:
    """The active user whose user name, email or phone this is."""
    if not identifier or len(identifier) > IDENTIFIER_MAX:
        return None
    return await db.scalar(
        select(User).where(
            or_(
                func.lower(User.username) == identifier.lower(),
                User.email == identifier.lower(),
                User.phone == identifier,
            ),
            User.is_active.is_(True),
        )
    )


async def authenticate(
    db: AsyncSession, *, guard: Guard, identifier: str, password: str, now: datetime
) -> User:
    """The user whose name, email or phone and password match.

    Every attempt counts against the typed name (or the account it names) and the client
    address before the password is checked; a success refunds it. Unknown names cost the same
    time as known ones.
    """
    user = await find_by_identifier(db, identifier)
    # The account is a key of its own: its user name, email and phone share one count.
    account = f"user:{user.id}" if user else f"id:{identifier.lower()[: IDENTIFIER_MAX + 1]}"
    keys = [account, guard.client_key]
    await guard.throttle.reserve(keys, now=now)
    if user is None:
        await guard.passwords.burn(password)
        raise InvalidCredentials(WRONG_CREDENTIALS)
    if not await guard.passwords.verify(user.password_hash, password):
        raise InvalidCredentials(WRONG_CREDENTIALS)
    await guard.throttle.refund(keys)
    if guard.passwords.needs_rehash(user.password_hash):
        # Parameters were raised since this hash was made: store one made with today's.
        user.password_hash = await guard.passwords.hash(password)
        await db.flush()
    return user


async def change_password(
    db: AsyncSession,
    *,
    guard: Guard,
    user: User,
    current: str,
    new: str,
    keep_session_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Set a new password, end every other browser session and revoke every API token.

    A wrong current password counts like a failed sign-in (whoever holds a session could
    otherwise guess it without limit). Whoever knew the old password may have signed in or
    made tokens with it, hence the rest.
    """
    keys = [f"user:{user.id}", guard.client_key]
    await guard.throttle.reserve(keys, now=now)
    if not await guard.passwords.verify(user.password_hash, current):
        raise ValidationFailed({"current_password": N_("The current password is wrong.")})
    await guard.throttle.refund(keys)
    user.password_hash = await guard.passwords.hash(new)
    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        stmt = stmt.where(WebSession.id != keep_session_id)
    await db.execute(stmt)
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
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


async def end_session(db: AsyncSession, *, token: str) -> uuid.UUID | None:
    """Sign the browser out; returns the ended session's id (None: it had already ended)."""
    ended = await db.execute(
        delete(WebSession)
        .where(WebSession.token_digest == token_digest(token))
        .returning(WebSession.id)
    )
    return ended.scalar_one_or_none()


async def create_api_token(
    db: AsyncSession, *, user: User, name: str, ttl: timedelta | None, now: datetime
) -> tuple[ApiToken, str]:
    """A personal API token; the plaintext is returned once and never stored."""
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


LAST_USED_PRECISION = timedelta(minutes=5)  # fewer writes: "last used" to the nearest 5 min


async def resolve_api_token(db: AsyncSession, *, token: str, now: datetime) -> User | None:
    """The user behind a live API token, noting when it was used (saved with the request)."""
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
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
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
        raise NotFound(N_("No such token."))


async def become_merchant(db: AsyncSession, *, user: User) -> User:
    """Any user may become a merchant (an ISV) and start listing applications."""
    user.is_merchant = True
    await db.flush()
    return user


async def deactivate_user(
    db: AsyncSession, *, operator: User, user_id: uuid.UUID, now: datetime
) -> tuple[User, list[uuid.UUID]]:
    """An operator stops an account: it cannot sign in, its browser sessions and API tokens end.
    Returns the user and the ids of the sessions that ended (what apps got in them ends too)."""
    if not operator.is_operator:
        raise Forbidden(N_("Only operators can deactivate accounts."))
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    if user.id == operator.id:
        raise Forbidden(N_("Operators cannot deactivate themselves."))
    user.is_active = False
    ended = await db.execute(
        delete(WebSession).where(WebSession.user_id == user.id).returning(WebSession.id)
    )
    await db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.flush()
    return user, list(ended.scalars())
