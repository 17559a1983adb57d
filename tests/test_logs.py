"""No token, ticket, secret or password appears in logs: every sign-in dialect's credentials
(passwords, app secrets, jump tokens, OAuth codes and tokens, QingCloud's temporary keys and
signatures, CAS tickets, ISV DES keys and session tokens, session cookies) go through the
platform with logging at DEBUG (structlog, and the standard library's loggers: Authlib, the
database drivers, the SDK), and none of them is found in what the platform logged."""

from __future__ import annotations

import io
import logging
from typing import Any

import httpx
import pytest
import structlog

from saasport.config import Settings
from saasport.core.logging import REDACTED, configure_logging
from saasport.core.mail import ConsoleMailer, Mail
from saasport.sdk import InvalidClientError, JumpTokenError
from saasport.sdk.huawei import HuaweiClient
from tests.conftest import PASSWORD, Api, published_listing
from tests.test_cas import SERVICE
from tests.test_cas import ticket_for as cas_ticket_for
from tests.test_huawei import CALLBACK, code_for
from tests.test_isvxml import arrive as isv_arrive
from tests.test_pages import sign_in
from tests.test_qingcloud import arrive, official, send
from tests.test_sso import launch, scnet_redeem

# The test's own HTTP clients stand for browsers and merchant apps: what httpx logs of their
# requests (URLs with the credentials the protocols put there) is theirs, not the platform's.
CLIENT_SIDE = ("httpx", "httpcore")


@pytest.fixture
def logged(settings: Settings, caplog: pytest.LogCaptureFixture) -> Any:
    """Everything the platform logged while the test runs, at DEBUG, as one string."""
    stream = io.StringIO()
    configure_logging(json=True, level="debug", stream=stream)
    caplog.set_level(logging.DEBUG)

    def text() -> str:
        records = [r for r in caplog.records if not r.name.startswith(CLIENT_SIDE)]
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return stream.getvalue() + "\n".join(formatter.format(r) for r in records)

    try:
        yield text
    finally:
        configure_logging(json=settings.log_json, level=settings.log_level)


async def test_credentials_of_every_dialect_stay_out_of_the_logs(
    logged: Any, app: Any, client: httpx.AsyncClient, browser: Any, merchant: Api, operator: Api
) -> None:
    secrets: list[str] = [PASSWORD, merchant.token, operator.token]
    r = await client.post(
        "/api/v1/auth/login",
        json={"identifier": merchant.user["username"], "password": "wr0ng-pw!"},
    )
    assert r.status_code == 401
    secrets.append("wr0ng-pw!")

    # scnet: the app secret, the jump token, the access token it is redeemed for
    scnet, scnet_secret = await published_listing(merchant, operator, dialect="scnet")
    jump = await launch(merchant, scnet)
    answer = await scnet_redeem(client, scnet["app_id"], scnet_secret, jump)
    secrets += [scnet_secret, jump, answer["data"]["token"]]
    r = await client.get(  # refused: the token again, and a wrong secret
        "/querySimpleUserInfoByToken.action",
        params={"token": jump},
        headers={"appId": scnet["app_id"], "appSecret": "not-the-secret"},
    )
    assert r.status_code in (200, 401) and "not-the-secret" not in r.text
    secrets.append("not-the-secret")

    # qingcloud: the tokens at the app's URL, the temporary keys, a signed call, a refresh
    qc = await arrive(app, client, browser, merchant, operator)
    session = await qc.market.check_token(qc.access_token)
    signed = official(session, "DescribeUsers")
    assert (await send(qc.browser, signed)).status_code == 200
    fresh, renewed = await qc.market.refresh(qc.refresh_token)
    secrets += [qc.secret, qc.access_token, qc.refresh_token, session.secret_key, session.token]
    secrets += [str(signed.params["signature"]), fresh["access_token"], fresh["refresh_token"]]
    secrets += [renewed.secret_key, renewed.token]
    await qc.market.aclose()

    # huawei: the code, the tokens, a refresh, a wrong secret
    hw, hw_secret = await published_listing(
        merchant, operator, dialect="huawei", redirect_uris=[CALLBACK]
    )
    b = browser()
    await sign_in(b, merchant.user["username"])
    market = HuaweiClient(
        base_url="http://testserver",
        app_id=hw["app_id"],
        app_secret=hw_secret,
        async_transport=httpx.ASGITransport(app=app),
    )
    code = await code_for(b, market)
    tokens = await market.exchange_code(code, CALLBACK)
    refreshed = await market.refresh(tokens["refresh_token"])
    with pytest.raises(JumpTokenError):
        await market.refresh(tokens["refresh_token"])  # reuse: the family is revoked
    wrong = HuaweiClient(
        base_url="http://testserver",
        app_id=hw["app_id"],
        app_secret="wrong-" + hw_secret,
        async_transport=httpx.ASGITransport(app=app),
    )
    with pytest.raises((InvalidClientError, JumpTokenError)):
        await wrong.exchange_code(await code_for(b, market, "st-2"), CALLBACK)
    secrets += [hw_secret, code, tokens["access_token"], tokens["refresh_token"]]
    secrets += [refreshed["access_token"], refreshed["refresh_token"], "wrong-" + hw_secret]
    await market.aclose()
    await wrong.aclose()

    # cas: a ticket validated, then replayed
    cas, _ = await published_listing(merchant, operator, dialect="cas", redirect_uris=[SERVICE])
    from saasport.sdk.cas import CasClient

    sdk = CasClient(
        base_url="http://testserver",
        app_id=cas["app_id"],
        app_secret="",
        async_transport=httpx.ASGITransport(app=app),
    )
    ticket = await cas_ticket_for(b, sdk)
    await sdk.validate(ticket, SERVICE)
    with pytest.raises(JumpTokenError):
        await sdk.validate(ticket, SERVICE)
    secrets.append(ticket)
    await sdk.aclose()
    # isvxml: the DES key, the session Token, its check and heartbeat
    _, isv, isv_browser, _, isv_token = await isv_arrive(app, client, browser, merchant, operator)
    await isv.check_token(isv_token)
    await isv.heartbeat(isv_token)
    secrets += [isv.app_secret, isv_token]
    await isv.aclose()
    browsers = (b, qc.browser, isv_browser)
    secrets += [v for c in browsers for v in c.cookies.values() if len(v) >= 20]

    text = logged()
    assert text.count('"event": "request"') >= 30, text[:2000]  # the log was written
    leaked = [s for s in secrets if s and s in text]
    lines = [line[:300] for line in text.splitlines() if any(s in line for s in leaked)]
    assert not leaked, lines[:5]


def test_a_field_named_for_a_credential_is_redacted(settings: Settings) -> None:
    stream = io.StringIO()
    configure_logging(json=True, level="info", stream=stream)
    try:
        structlog.get_logger("t").info(
            "x", token="t0k", client_secret="s3c", password="pw", listing_id="L1", code="c0de"
        )
    finally:
        configure_logging(json=settings.log_json, level=settings.log_level)
    line = stream.getvalue()
    assert "t0k" not in line and "s3c" not in line and "c0de" not in line and 'pw"' not in line
    assert line.count(REDACTED) == 4 and "L1" in line


async def test_outside_dev_mode_the_console_mailer_keeps_the_links_out_of_the_log(
    settings: Settings,
) -> None:
    stream = io.StringIO()
    configure_logging(json=True, level="debug", stream=stream)
    mail = Mail(to="a@example.com", subject="Reset", text="https://x/reset?token=SECRETLINK")
    try:
        await ConsoleMailer(show_text=False).send(mail)
        hidden = stream.getvalue()
        await ConsoleMailer(show_text=True).send(mail)  # dev mode: the console is the mailbox
    finally:
        configure_logging(json=settings.log_json, level=settings.log_level)
    assert "a@example.com" in hidden and "SECRETLINK" not in hidden
    assert "SECRETLINK" in stream.getvalue()
