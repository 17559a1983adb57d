"""Enterprises (企业): created by a user who becomes their admin; staff join by invitation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, OrgMember, OrgRole, User
from saasport.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from saasport.core.messages import N_


async def create_org(db: AsyncSession, *, user: User, name: str, now: datetime) -> Organization:
    """Create an enterprise with the creator as its first admin."""
    if await db.scalar(select(Organization.id).where(Organization.name == name)):
        raise ValidationFailed({"name": N_("An enterprise with this name exists.")})
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


def accepted_orgs_of(user_id: uuid.UUID) -> Select[Any]:
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
        raise NotFound(N_("No such enterprise."))
    return row[0], row[1]


async def answer_invitation(
    db: AsyncSession, *, user: User, org_id: uuid.UUID, accept: bool, now: datetime
) -> None:
    """Join the enterprise that invited the user, or decline (the invitation goes away)."""
    member = await db.get(OrgMember, (org_id, user.id))
    if member is None or member.accepted:
        raise NotFound(N_("No such invitation."))
    if accept:
        member.accepted_at = now
    else:
        await db.delete(member)
    await db.flush()


async def require_org_admin(db: AsyncSession, *, user: User, org_id: uuid.UUID) -> Organization:
    org, member = await get_membership(db, user=user, org_id=org_id)
    if member.role != OrgRole.ADMIN:
        raise Forbidden(N_("Only an enterprise admin can do this."))
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
    target = await db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if target is None:
        raise ValidationFailed({"username": N_("No user with this name.")})
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
        raise NotFound(N_("No such member."))
    if member.role == OrgRole.ADMIN and member.accepted:
        admins = await db.scalar(
            select(func.count()).where(
                OrgMember.org_id == org_id,
                OrgMember.role == OrgRole.ADMIN,
                OrgMember.accepted_at.is_not(None),
            )
        )
        if admins == 1:
            raise Conflict(N_("An enterprise needs at least one admin."))
    await db.delete(member)
    await db.flush()
