"""Demo data for `saasport demo`: accounts, two published listings, the merchant app's keys."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts import service as accounts
from saasport.accounts.models import User
from saasport.catalog import service as catalog
from saasport.catalog.models import Listing, ListingState
from saasport.config import Settings
from saasport.core.platform import Platform

DEMO_PASSWORD = "saasport-demo"  # printed on the console: demo accounts only


@dataclass
class DemoCredentials:
    apps: dict[str, dict[str, str]] = field(default_factory=dict)

    def connections_env(self, platform_url: str) -> str:
        return json.dumps(
            {name: app | {"platform_url": platform_url} for name, app in self.apps.items()}
        )


@dataclass(frozen=True)
class DemoListing:
    connection: str  # the demo merchant app's name for its link to this listing
    name: str
    summary: str
    description_md: str
    category: str
    dialect: str
    color: tuple[int, int, int]


DEMO_LISTINGS = [
    DemoListing(
        connection="notebook",
        name="Demo Notebook",
        summary="浏览器里的交互式计算笔记本",
        description_md="A **demo** notebook application.\n\n- Opens with single sign-on\n"
        "- Speaks the `scnet` dialect\n\n演示用的交互式笔记本应用。",
        category="data",
        dialect="scnet",
        color=(24, 89, 214),
    ),
    DemoListing(
        connection="workbench",
        name="Demo CAE Workbench",
        summary="仿真前后处理工作台",
        description_md="A demo simulation workbench using the `native` dialect.",
        category="cae",
        dialect="native",
        color=(6, 118, 71),
    ),
]


def demo_image(size: tuple[int, int], color: tuple[int, int, int], label: str) -> bytes:
    """A plain PNG of the given size, for demo icons and screenshots."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.text((size[0] // 10, size[1] // 2 - 6), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def _user(
    platform: Platform,
    db,
    username: str,
    password: str,
    email: str,  # type: ignore[no-untyped-def]
) -> tuple[User, bool]:
    user = await db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is not None:
        return user, False
    user = await accounts.register_user(
        db,
        passwords=platform.passwords,
        username=username,
        password=password,
        email=email,
        now=platform.clock(),
    )
    return user, True


async def ensure_operator(settings: Settings, *, username: str, password: str, email: str) -> bool:
    """Create the operator (or promote the existing user); True when it was created."""
    platform = Platform.build(settings)
    try:
        async with platform.sessionmaker() as db:
            user, created = await _user(platform, db, username, password, email)
            user.is_operator = True
            await db.commit()
            return created
    finally:
        await platform.engine.dispose()


async def seed_demo(settings: Settings, *, merchant_url: str) -> DemoCredentials:
    """Demo users and published listings (made once), with fresh secrets for the merchant app."""
    platform = Platform.build(settings)
    creds = DemoCredentials()
    try:
        async with platform.sessionmaker() as db:
            now = platform.clock()
            await _user(platform, db, "alice", DEMO_PASSWORD, "alice@example.com")
            operator, _ = await _user(platform, db, "operator", DEMO_PASSWORD, "ops@example.com")
            operator.is_operator = True
            merchant, _ = await _user(platform, db, "merchant", DEMO_PASSWORD, "isv@example.com")
            merchant.is_merchant = True
            for spec in DEMO_LISTINGS:
                entry_url = f"{merchant_url}/sso/{spec.connection}"
                listing = await db.scalar(
                    select(Listing).where(
                        Listing.owner_id == merchant.id,
                        Listing.name == spec.name,
                        Listing.state != ListingState.DELETED,
                    )
                )
                if listing is None:
                    listing, secret = await _publish_demo_listing(
                        platform, db, spec, merchant, operator, entry_url
                    )
                else:
                    listing.entry_url = entry_url
                    listing, secret = await catalog.rotate_secret(
                        db, owner=merchant, listing_id=listing.id, box=platform.box, now=now
                    )
                creds.apps[spec.connection] = {
                    "dialect": spec.dialect,
                    "app_id": listing.app_id,
                    "app_secret": secret,
                }
            await db.commit()
    finally:
        await platform.engine.dispose()
    return creds


async def _publish_demo_listing(
    platform: Platform,
    db: AsyncSession,
    spec: DemoListing,
    merchant: User,
    operator: User,
    entry_url: str,
) -> tuple[Listing, str]:
    now = platform.clock()
    data = {
        "name": spec.name,
        "summary": spec.summary,
        "description_md": spec.description_md,
        "category": spec.category,
        "dialect": spec.dialect,
        "entry_url": entry_url,
    }
    listing, secret = await catalog.create_listing(
        db, owner=merchant, data=data, box=platform.box, dev_mode=True, now=now
    )
    icon = demo_image((96, 96), spec.color, spec.name[:6])
    await catalog.set_icon(db, owner=merchant, listing_id=listing.id, data=icon, now=now)
    shot = demo_image((1024, 768), spec.color, spec.name)
    await catalog.add_screenshots(db, owner=merchant, listing_id=listing.id, files=[shot], now=now)
    for action, actor in (("submit", merchant), ("approve", operator), ("publish", merchant)):
        await catalog.transition(db, actor=actor, listing_id=listing.id, action=action, now=now)
    return listing, secret
