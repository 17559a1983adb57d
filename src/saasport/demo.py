"""Demo data for `saasport demo`: accounts, published listings, the merchant app's keys.

The listings are the applications of `demo_content`, with icons and screenshots drawn when the
demo is seeded. Each connects to the demo merchant app beside the platform.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts import service as accounts
from saasport.accounts.models import User
from saasport.accounts.schemas import RegisterIn
from saasport.billing import wallets
from saasport.catalog import media, plans, service, workflow
from saasport.catalog.models import Listing, ListingState
from saasport.catalog.plan_schemas import PlanIn
from saasport.catalog.schemas import ListingCreate
from saasport.config import Settings
from saasport.core import rules
from saasport.core.money import Money
from saasport.demo_content import DEMO_APPS, DemoApp, render_icon, render_screenshot
from saasport.dialects import builtin
from saasport.platform import Platform

DEMO_PASSWORD = "saasport-demo"  # printed on the console: demo accounts only

# Plans of some demo applications (the others are free: their free plan only).
DEMO_PLANS: dict[str, dict[str, dict[str, object]]] = {
    "workbench": {
        "team-monthly": {
            "name": "团队版 Team",
            "kind": "periodic",
            "period": "month",
            "price": "199.00",
            "per_seat": True,
            "max_seats": 50,
            "trial_days": 14,
            "included": ["并行求解 64 核 · 64 solver cores", "100 GB 项目空间 · project storage"],
        },
        "hourly": {"name": "按时 Hourly", "kind": "hourly", "price": "3.50", "position": 1},
    },
    "notebook": {
        "pay-as-you-go": {
            "name": "按量 Pay as you go",
            "kind": "usage",
            "summary": "GPU 时长按累进阶梯计费 · GPU hours in graduated tiers",
            "dimensions": [
                {
                    "code": "gpu-hours",
                    "name": "GPU 时长 GPU hours",
                    "unit": "h",
                    "tiers": [
                        {"up_to": "100", "unit_price": "6.00"},
                        {"up_to": None, "unit_price": "4.80"},
                    ],
                }
            ],
        }
    },
}


@dataclass
class DemoCredentials:
    apps: dict[str, dict[str, str]] = field(default_factory=dict)

    def connections_env(self, platform_url: str) -> str:
        return json.dumps(
            {name: app | {"platform_url": platform_url} for name, app in self.apps.items()}
        )


async def _user(
    platform: Platform, db: AsyncSession, username: str, password: str, email: str
) -> tuple[User, bool]:
    user = await db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is not None:
        return user, False
    data = RegisterIn(username=username, password=password, email=email)
    user = await accounts.register_user(
        db, passwords=platform.passwords, data=data, now=platform.clock()
    )
    user.email_verified_at = platform.clock()  # demo addresses are taken as verified
    return user, True


async def ensure_operator(settings: Settings, *, username: str, password: str, email: str) -> bool:
    """Create the operator (or promote the existing user); True when it was created."""
    platform = Platform.build(settings, dialects=builtin())
    try:
        with rules.applying(platform.input_rules):
            async with platform.sessionmaker() as db:
                user, created = await _user(platform, db, username, password, email)
                user.is_operator = True
                await db.commit()
                return created
    finally:
        await platform.close()


async def seed_demo(settings: Settings, *, merchant_url: str) -> DemoCredentials:
    """Demo users and published listings (made once), with fresh secrets for the merchant app."""
    platform = Platform.build(settings, dialects=builtin())
    creds = DemoCredentials()
    try:
        with rules.applying(platform.input_rules):
            async with platform.sessionmaker() as db:
                await _seed(platform, db, creds, merchant_url)
                await db.commit()
    finally:
        await platform.close()
    return creds


async def _seed(
    platform: Platform, db: AsyncSession, creds: DemoCredentials, merchant_url: str
) -> None:
    now = platform.clock()
    alice, _ = await _user(platform, db, "alice", DEMO_PASSWORD, "alice@example.com")
    operator, _ = await _user(platform, db, "operator", DEMO_PASSWORD, "ops@example.com")
    operator.is_operator = True
    await db.flush()
    # Alice has money to buy with, booked once (the key) like an offline bank transfer.
    await wallets.adjust(
        db,
        operator=operator,
        holder=wallets.Holder(user_id=alice.id),
        direction="credit",
        amount=Money.parse("500.00", platform.settings.currency),
        reason="演示充值 demo credit",
        idempotency_key="demo:alice-credit",
        now=now,
    )
    merchant, _ = await _user(platform, db, "merchant", DEMO_PASSWORD, "isv@example.com")
    merchant.is_merchant = True
    for app in DEMO_APPS:
        entry_url = f"{merchant_url}/sso/{app.slug}"
        demo_url = f"{merchant_url}/try/{app.slug}" if app.offers_demo else ""
        # The demo merchant app takes the native dialect's provisioning calls.
        hooks = f"{merchant_url}/hooks/{app.slug}" if app.dialect == "native" else ""
        listing = await db.scalar(
            select(Listing).where(
                Listing.owner_id == merchant.id,
                Listing.name == app.name,
                Listing.state != ListingState.DELETED,
            )
        )
        if listing is None:
            listing, secret = await _publish(
                platform, db, app, merchant, operator, entry_url, demo_url, hooks
            )
        else:
            # The merchant app starts afresh each run: a new secret, and no old one kept.
            listing.entry_url, listing.demo_url = entry_url, demo_url
            listing.provisioning_url = hooks
            listing, secret = await service.rotate_secret(
                db,
                owner=merchant,
                listing_id=listing.id,
                box=platform.box,
                overlap_seconds=0,
                now=now,
            )
        creds.apps[app.slug] = {
            "dialect": app.dialect,
            "app_id": listing.app_id,
            "app_secret": secret,
        }


async def _publish(
    platform: Platform,
    db: AsyncSession,
    app: DemoApp,
    merchant: User,
    operator: User,
    entry_url: str,
    demo_url: str,
    provisioning_url: str,
) -> tuple[Listing, str]:
    now = platform.clock()
    fields = ListingCreate(
        name=app.name,
        summary=app.summary,
        description_md=app.description_md,
        category=app.category,  # type: ignore[arg-type]
        dialect=app.dialect,
        website=app.website,
        guide_md=app.guide_md,
        permissions=list(app.permissions),  # type: ignore[arg-type]
        entry_url=entry_url,
        demo_url=demo_url,
        provisioning_url=provisioning_url,
        # Sold by plans: identity and billing (mode 2); the others are free (mode 1).
        integration_mode=2 if app.slug in DEMO_PLANS else 1,
    )
    listing, secret = await service.create_listing(
        db, owner=merchant, fields=fields, box=platform.box, now=now
    )
    for code, plan in DEMO_PLANS.get(app.slug, {}).items():
        await plans.set_plan(
            db,
            owner=merchant,
            listing_id=listing.id,
            code=code,
            fields=PlanIn.model_validate(plan),
            notice=timedelta(days=platform.settings.price_notice_days),
            now=now,
        )
    await media.set_icon(db, owner=merchant, listing_id=listing.id, data=render_icon(app), now=now)
    shots = [render_screenshot(app, variant) for variant in (0, 1)]
    await media.add_screenshots(db, owner=merchant, listing_id=listing.id, files=shots, now=now)
    for action, actor in (("submit", merchant), ("approve", operator), ("publish", merchant)):
        await workflow.transition(db, actor=actor, listing_id=listing.id, action=action, now=now)
    return listing, secret
