"""What the platform answers to each ISV → platform operation code (seed 003 §5.6–§5.8).

`answer(db, platform, xml)` takes a request envelope and returns the answer envelope; every
refusal is a result code in the (encrypted) answer body: 101 a body that does not decrypt
under the listing's key or whose MD5 is wrong, 102 XML that is not this protocol's (entities
and DTDs are refused by the parser), 1 an unknown operation code, and each operation's own.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from saasport.accounts.models import Organization, OrgMember, User
from saasport.catalog.credentials import isv_key
from saasport.catalog.models import Listing, ListingState
from saasport.commerce.models import Entitlement
from saasport.sdk.isvxml import (
    BadKey,
    BadXml,
    Derivation,
    Message,
    decrypt_body,
    elements,
    encrypt_body,
    fields_xml,
    parse_fields,
    parse_message,
    response_xml,
    stamp,
)
from saasport.sso.oauth import may_sign_in
from saasport.sso.provider import keep_alive, session_token
from saasport.sso.service import SESSION_TOKEN_TTL

DIALECT = "isvxml"
OK, UNDEFINED, BAD_KEY, BAD_XML = "0", "1", "101", "102"
RESULTS = {
    OK: "成功",
    UNDEFINED: "未定义错误",
    BAD_KEY: "数据非法加密",
    BAD_XML: "非法的XML格式",
    # SYS10101: the SSO token check
    "11010102": "用户Token不存在",
    "11010103": "用户Token已失效",
    "11010104": "用户Token非法",
    # SYS10102: the SSO heartbeat
    "11010202": "用户Token已失效",
    "11010203": "用户Token不存在",
    # SYS10202: product access
    "11020201": "用户Token已失效",
    "11020202": "用户Token不存在",
    "11020203": "用户Token非法",
    # SYS10301 / SYS10302: enterprise and staff information
    "11030102": "未获得企业信息",
    "11030201": "非法的UserIDs",
    "11030202": "获取用户信息错误",
}
MAX_USER_IDS = 100


class Context:
    """One message being answered: its listing, its decrypted fields, the clock."""

    def __init__(self, db: AsyncSession, platform: Any, listing: Listing, fields: dict[str, str]):
        self.db = db
        self.platform = platform
        self.listing = listing
        self.fields = fields
        self.now = platform.clock()


Result = tuple[str, str]  # (result code, the rest of the body as XML)


def result(code: str, extra: str = "") -> Result:
    return code, extra


async def _token(ctx: Context, codes: tuple[str, str, str]) -> tuple[Any, Result | None]:
    """The session token of the message, or the refusal (`codes`: malformed, unknown, expired)."""
    found = await session_token(
        ctx.db, token=ctx.fields.get("Token", ""), listing_id=ctx.listing.id, now=ctx.now
    )
    refusal = {"malformed": codes[0], "unknown": codes[1], "expired": codes[2]}.get(found.state)
    return found, (result(refusal) if refusal else None)


async def token_check(ctx: Context) -> Result:
    """SYS10101: who the token's user is (CorpID: the enterprise, when the listing holds one)."""
    found, refused = await _token(ctx, ("11010104", "11010102", "11010103"))
    if refused:
        return refused
    user: User = found.user
    corp = str(found.token.org_id) if found.token.org_id else ""
    return result(
        OK,
        elements(
            {
                "CorpID": corp,
                "UserID": str(user.id),
                "UserName": user.username,
                "DisplayName": user.display_name,
            }
        ),
    )


async def heartbeat(ctx: Context) -> Result:
    """SYS10102: the app is still in use; the token lives another half hour."""
    found, refused = await _token(ctx, ("11010104", "11010203", "11010202"))
    if refused:
        return refused
    await keep_alive(ctx.db, found.token, ttl=SESSION_TOKEN_TTL, now=ctx.now)
    expires = stamp(ctx.now + SESSION_TOKEN_TTL)
    return result(OK, f"<ExpireTime>{expires}</ExpireTime>")


async def product_access(ctx: Context) -> Result:
    """SYS10202: may the token's user use this product now (its entitlement still holds)?"""
    found, refused = await _token(ctx, ("11020203", "11020202", "11020201"))
    if refused:
        return refused
    allowed, _ = await ctx.db.run_sync(
        lambda s: may_sign_in(s, found.user, ctx.listing, now=ctx.now)
    )
    return result(OK, f"<Authorized>{1 if allowed else 0}</Authorized>")


async def _corp(ctx: Context) -> Organization | None:
    """The enterprise named by CorpID, if it holds this listing and the listing may know it."""
    if "enterprise" not in ctx.listing.permissions:
        return None
    try:
        corp_id = uuid.UUID(ctx.fields.get("CorpID", ""))
    except ValueError:
        return None
    held = await ctx.db.scalar(
        select(Entitlement.id).where(
            Entitlement.listing_id == ctx.listing.id,
            Entitlement.org_id == corp_id,
            Entitlement.revoked_at.is_(None),
        )
    )
    return await ctx.db.get(Organization, corp_id) if held else None


async def corp_info(ctx: Context) -> Result:
    """SYS10301: the enterprise's name."""
    corp = await _corp(ctx)
    if corp is None:
        return result("11030102")
    return result(OK, f"<CorpID>{corp.id}</CorpID><CorpName>{escape(corp.name)}</CorpName>")


async def staff_info(ctx: Context) -> Result:
    """SYS10302: the named staff of the enterprise (comma-separated UserIDs, at most 100)."""
    corp = await _corp(ctx)
    if corp is None:
        return result("11030102")
    raw = [u.strip() for u in ctx.fields.get("UserIDs", "").split(",") if u.strip()]
    try:
        ids = [uuid.UUID(u) for u in raw[: MAX_USER_IDS + 1]]
    except ValueError:
        return result("11030201")
    if not ids or len(ids) > MAX_USER_IDS:
        return result("11030201")
    rows = await ctx.db.execute(
        select(User)
        .join(OrgMember, OrgMember.user_id == User.id)
        .where(
            OrgMember.org_id == corp.id,
            OrgMember.accepted_at.is_not(None),
            User.id.in_(ids),
        )
    )
    granted = set(ctx.listing.permissions)
    users = "".join(
        fields_xml(
            {
                "UserID": str(u.id),
                "UserName": u.username,
                "DisplayName": u.display_name,
                "Email": (u.email or "") if "email" in granted else "",
                "Mobile": (u.phone or "") if "phone" in granted else "",
            },
            root="User",
        )
        for u in rows.scalars()
    )
    return result(OK, f"<Users>{users}</Users>")


OPERATIONS: dict[str, Callable[[Context], Awaitable[Result]]] = {
    "SYS10101": token_check,
    "SYS10102": heartbeat,
    "SYS10202": product_access,
    "SYS10301": corp_info,
    "SYS10302": staff_info,
}


def _head(
    message: Message | None, *, app_id: str, received: str, now: Any, status: str
) -> dict[str, str]:
    return {
        "Code": message.code if message else "",
        "CTID": message.ctid if message else "",
        "STID": f"{app_id}_{now:%Y%m%d}{secrets.randbelow(10**8):08d}",
        "AppID": app_id,
        "RequestTime": received,
        "ResponseTime": stamp(now),
        "Version": "1",
        "Priority": "10",
        "Status": status,
    }


async def answer(db: AsyncSession, platform: Any, xml: str) -> str:
    """The answer envelope to one request envelope."""
    received = stamp(platform.clock())
    try:
        message = parse_message(xml)
        if not message.code or not message.app_id:
            raise BadXml("Head/Code and Head/AppID are required")
    except BadXml:
        head = _head(None, app_id="", received=received, now=platform.clock(), status="-1")
        return response_xml(head, "")
    listing = await db.scalar(
        select(Listing)
        .options(raiseload(Listing.screenshots))
        .where(
            Listing.app_id == message.app_id[:32],
            Listing.dialect == DIALECT,
            Listing.state != ListingState.DELETED,
        )
    )
    key = isv_key(platform.box, listing) if listing is not None else None
    if listing is None or key is None:  # nothing to seal an answer with
        head = _head(
            message,
            app_id=message.app_id[:32],
            received=received,
            now=platform.clock(),
            status="-1",
        )
        return response_xml(head, "")
    derivation: Derivation = "md5" if listing.isv_key_derivation == "md5" else "raw"
    try:
        fields = parse_fields(decrypt_body(message.body, key, derivation))
        operation = OPERATIONS.get(message.code)
        code, extra = (
            await operation(Context(db, platform, listing, fields))
            if operation is not None
            else result(UNDEFINED)
        )
    except BadKey:
        code, extra = result(BAD_KEY)
    except BadXml:
        code, extra = result(BAD_XML)
    outcome = f"<ResultCode>{code}</ResultCode><ResultDesc>{RESULTS[code]}</ResultDesc>"
    body = f"<Body>{outcome}{extra}</Body>"
    head = _head(
        message, app_id=listing.app_id, received=received, now=platform.clock(), status="0"
    )
    return response_xml(head, encrypt_body(body, key, derivation))
