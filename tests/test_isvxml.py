"""The isvxml dialect: DES bodies with both key derivations, the session token and its
heartbeat, enterprise and staff information, all three transports (POST `Msg=`, and SOAP by
zeep from the WSDL), and every malformed or hostile message answered in the protocol."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from zeep import Client as SoapClient

from saasport.sdk.isvxml import (
    IsvError,
    IsvxmlClient,
    decrypt_body,
    des_key,
    encrypt_body,
    parse_fields,
    parse_message,
)
from tests.conftest import Api, OffsetClock, published_listing, signup
from tests.test_cas import cas_server  # noqa: F401 - the platform behind a real server
from tests.test_pages import csrf_of, sign_in

ENTRY = "https://isv-app.example.com/sso"


def test_des_bodies_round_trip_under_both_derivations() -> None:
    body = "<Body><OPType>1</OPType><OPNote>变更原因</OPNote></Body>"
    for derivation in ("raw", "md5"):
        sealed = encrypt_body(body, "ABCD1234", derivation)  # the seed's example key
        assert decrypt_body(sealed, "ABCD1234", derivation) == body
    assert des_key("ABCD1234", "raw") == b"ABCD1234"
    assert len(des_key("ABCD1234", "md5")) == 8 and des_key("ABCD1234", "md5") != b"ABCD1234"
    with pytest.raises(ValueError, match=r"MD5|decrypt"):
        decrypt_body(encrypt_body(body, "ABCD1234"), "WXYZ9876")


async def arrive(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api, *, derivation: str = "raw"
) -> tuple[dict[str, Any], IsvxmlClient, httpx.AsyncClient, Api, str]:
    listing, _ = await published_listing(
        merchant,
        operator,
        dialect="isvxml",
        entry_url=ENTRY,
        permissions=["email", "enterprise"],
    )
    r = await merchant.post(
        f"/api/v1/listings/{listing['id']}/credentials/isv-key", json={"derivation": derivation}
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store", r.text
    key = r.json()["des_key"]
    user = await signup(client)
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    entitlement = r.json()["id"]
    b = browser()
    await sign_in(b, user.user["username"])
    page = await b.get("/console/apps")
    r = await b.post(f"/console/apps/{entitlement}/launch", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"].startswith(ENTRY + "?")
    token = parse_qs(urlsplit(r.headers["location"]).query)["Token"][0]
    isv = IsvxmlClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=key,
        derivation=derivation,  # type: ignore[arg-type]
        async_transport=httpx.ASGITransport(app=app),
    )
    return listing, isv, b, user, token


@pytest.fixture
async def isv(app: Any, client: Any, browser: Any, merchant: Api, operator: Api) -> Any:
    found = await arrive(app, client, browser, merchant, operator)
    yield found
    await found[1].aclose()


async def test_token_check_heartbeat_and_product_access(isv: Any, clock: OffsetClock) -> None:
    _, market, _, user, token = isv
    who = await market.check_token(token)
    assert who["UserID"] == user.user["id"] and who["UserName"] == user.user["username"]
    assert who["CorpID"] == ""  # held by the user, not through an enterprise
    clock.offset = timedelta(minutes=25)
    assert (await market.heartbeat(token))["ExpireTime"]
    clock.offset = timedelta(minutes=50)  # alive: the heartbeat gave it another half hour
    assert (await market.call("SYS10202", {"Token": token}))["Authorized"] == "1"
    clock.offset = timedelta(minutes=90)
    with pytest.raises(IsvError) as gone:
        await market.heartbeat(token)
    assert gone.value.code == "11010202"
    with pytest.raises(IsvError) as expired:
        await market.check_token(token)
    assert expired.value.code == "11010103"
    with pytest.raises(IsvError) as unknown:
        await market.check_token("A" * 43)
    assert unknown.value.code == "11010102"
    with pytest.raises(IsvError) as bad:
        await market.check_token("<not a token>")
    assert bad.value.code == "11010104"


async def test_the_md5_key_derivation(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    listing, market, _, user, token = await arrive(
        app, client, browser, merchant, operator, derivation="md5"
    )
    assert (await market.check_token(token))["UserID"] == user.user["id"]
    raw = IsvxmlClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=market.app_secret,
        derivation="raw",
        async_transport=httpx.ASGITransport(app=app),
    )
    with pytest.raises(Exception):  # noqa: B017 - the answer is sealed the md5 way, too
        await raw.check_token(token)
    await raw.aclose()
    await market.aclose()


async def test_wrong_key_bad_md5_bad_xml_entities_and_unknown_codes(isv: Any) -> None:
    listing, market, b, _, token = isv

    async def post(msg: str) -> str:
        r = await b.post("/isv/interface", data={"Msg": msg})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
        return r.text

    def result_of(answer: str) -> str:
        return parse_fields(decrypt_body(parse_message(answer).body, market.app_secret))[
            "ResultCode"
        ]

    other_key = IsvxmlClient(
        base_url="http://testserver", app_id=listing["app_id"], app_secret="WRONGKEY"
    )
    assert result_of(await post(other_key.request("SYS10101", {"Token": token}))) == "101"
    message = market.request("SYS10101", {"Token": token})
    sealed = parse_message(message).body
    raw = bytearray(base64.b64decode(sealed))
    raw[3] ^= 0x01  # inside the MD5: decrypts, but no longer matches
    tampered = message.replace(sealed, base64.b64encode(bytes(raw)).decode())
    assert result_of(await post(tampered)) == "101"
    not_xml_body = message.replace(sealed, encrypt_body("not <xml", market.app_secret))
    assert result_of(await post(not_xml_body)) == "102"
    assert result_of(await post(market.request("SYS99999", {"Token": token}))) == "1"
    for hostile in (
        "<RequestInfo><Head>",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<RequestInfo><Head><Code>&x;</Code><AppID>a</AppID></Head><Body/></RequestInfo>",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<RequestInfo><Head><Code>&lol2;</Code></Head></RequestInfo>",
        "",
        "x" * 300_000,
    ):
        answer = await post(hostile)
        assert parse_message(answer).head["Status"] == "-1", hostile[:40]
        assert "root:" not in answer and "lollol" not in answer
    unknown_app = market.request("SYS10101", {"Token": token}).replace(
        listing["app_id"], "spnobody"
    )
    assert parse_message(await post(unknown_app)).head["Status"] == "-1"
    await other_key.aclose()


async def test_enterprise_and_staff_information(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    listing, _ = await published_listing(
        merchant, operator, dialect="isvxml", entry_url=ENTRY, permissions=["email", "enterprise"]
    )
    key = (
        await merchant.post(f"/api/v1/listings/{listing['id']}/credentials/isv-key", json={})
    ).json()["des_key"]
    admin = await signup(client, email=f"admin-{listing['app_id']}@example.com")
    org = (await admin.post("/api/v1/orgs", json={"name": f"Lab {listing['app_id']}"})).json()
    r = await admin.post(f"/api/v1/catalog/{listing['id']}/trial", json={"org_id": org["id"]})
    assert r.status_code == 201, r.text
    b = browser()
    await sign_in(b, admin.user["username"])
    page = await b.get("/console/apps")
    r = await b.post(
        f"/console/apps/{r.json()['id']}/launch", data={"csrf_token": csrf_of(page.text)}
    )
    token = parse_qs(urlsplit(r.headers["location"]).query)["Token"][0]
    market = IsvxmlClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=key,
        async_transport=httpx.ASGITransport(app=app),
    )
    who = await market.check_token(token)
    assert who["CorpID"] == org["id"]
    corp = await market.call("SYS10301", {"CorpID": org["id"]})
    assert corp["CorpName"] == org["name"]
    answer = await b.post(
        "/isv/interface",
        data={
            "Msg": market.request("SYS10302", {"CorpID": org["id"], "UserIDs": admin.user["id"]})
        },
    )
    body = decrypt_body(parse_message(answer.text).body, key)
    assert admin.user["username"] in body and admin.user["email"] in body
    for bad in ("", "not-a-uuid", ",".join([admin.user["id"]] * 101)):
        with pytest.raises(IsvError) as refused:
            await market.call("SYS10302", {"CorpID": org["id"], "UserIDs": bad})
        assert refused.value.code == "11030201"
    with pytest.raises(IsvError) as nobody:
        await market.call("SYS10301", {"CorpID": "00000000-0000-0000-0000-000000000000"})
    assert nobody.value.code == "11030102"
    await market.aclose()


async def test_soap_through_zeep_and_the_wsdl(isv: Any, cas_server: str) -> None:  # noqa: F811
    _, market, _, user, token = isv
    wsdl = cas_server.removesuffix("/cas/") + "/isv/soap?wsdl"
    soap = await asyncio.to_thread(SoapClient, wsdl)
    service = soap.create_service(
        "{http://SaaSInterface.Sispark.Microsoft.com/}SaaSISVInterfaceSoap",
        cas_server.removesuffix("/cas/") + "/isv/soap",
    )
    as_string = await asyncio.to_thread(
        service.SaaSISVInterfaceXMLString, xml=market.request("SYS10101", {"Token": token})
    )
    assert market.read(as_string)["UserID"] == user.user["id"]
    message = parse_message(market.request("SYS10101", {"Token": token}))
    entity = await asyncio.to_thread(
        service.SaaSISVInterface, req={"Head": message.head, "Body": message.body}
    )
    assert entity.Head.Status == "0" and entity.Head.Code == "SYS10101"
    fields = parse_fields(decrypt_body(entity.Body, market.app_secret))
    assert fields["ResultCode"] == "0" and fields["UserID"] == user.user["id"]


async def test_signing_out_ends_the_token(isv: Any) -> None:
    _, market, b, _, token = isv
    page = await b.get("/account")
    await b.post("/logout", data={"csrf_token": csrf_of(page.text)})
    with pytest.raises(IsvError) as ended:
        await market.check_token(token)
    assert ended.value.code == "11010103"
