"""Email verification: a one-time link proves the user reads the address they gave.

Apps are told whether an address is verified (`email_verified`), so they can decide whether to
trust it for anything that matters.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import EmailVerification, User
from saasport.core.crypto import new_token, token_digest
from saasport.core.errors import DomainError
from saasport.core.mail import Mail, Mailer
from saasport.core.messages import N_

LINK_TTL = timedelta(days=2)


class VerificationFailed(DomainError):
    code = "verification_failed"
    status = 400


async def send_verification(
    db: AsyncSession, *, user: User, mailer: Mailer, base_url: str, now: datetime
) -> None:
    """Mail the user a link that verifies their current address (no address: nothing sent)."""
    if not user.email or user.email_verified:
        return
    token = new_token()
    db.add(
        EmailVerification(
            token_digest=token_digest(token),
            user_id=user.id,
            email=user.email,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
    )
    await db.flush()
    link = f"{base_url.rstrip('/')}/account/email/verify?token={token}"
    await mailer.send(
        Mail(
            to=user.email,
            subject="Verify your email address / 验证邮箱地址",
            text=(
                f"Hello {user.display_name},\n\n"
                f"Open this link within two days to verify {user.email}:\n{link}\n\n"
                f"请在两天内打开上面的链接，验证邮箱 {user.email}。\n"
            ),
        )
    )


async def verify_email(db: AsyncSession, *, token: str, now: datetime) -> User:
    """Spend a verification link: its user's address (if unchanged since) is verified."""
    if len(token) != 43:
        raise VerificationFailed(N_("This verification link is not valid."))
    row = (
        await db.execute(
            update(EmailVerification)
            .where(
                EmailVerification.token_digest == token_digest(token),
                EmailVerification.used_at.is_(None),
                EmailVerification.expires_at > now,
            )
            .values(used_at=now)
            .returning(EmailVerification.user_id, EmailVerification.email)
        )
    ).first()
    if row is None:
        raise VerificationFailed(N_("This verification link is not valid, used or expired."))
    user = await db.scalar(select(User).where(User.id == row.user_id))
    if user is None or user.email != row.email:
        raise VerificationFailed(N_("This link was for an address the account no longer has."))
    user.email_verified_at = now
    await db.flush()
    return user
