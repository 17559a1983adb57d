"""Accounts over the native API: registration, sign-in and throttling, tokens, enterprises."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, Api, registered_elsewhere, signup, unique


async def test_register_validates_every_field_and_saves_nothing(client: httpx.AsyncClient) -> None:
    name = unique()
    r = await client.post(
        "/api/v1/auth/register",
        json={"username": name, "password": "short", "email": "nope", "phone": "12ab"},
    )
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"password", "email", "phone"}
    r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": "short"})
    assert r.status_code == 401


async def test_duplicates_are_refused(client: httpx.AsyncClient) -> None:
    email, phone = f"{unique()}@example.com", "+86" + unique("")[:9].replace("a", "1")
    phone = "+8613" + str(abs(hash(email)))[:9]
    first = await signup(client, email=email, phone=phone)
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "username": first.user["username"].upper(),
            "password": PASSWORD,
            "email": email.upper(),
            "phone": phone,
        },
    )
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"username", "email", "phone"}


async def test_login_by_name_email_or_phone(client: httpx.AsyncClient) -> None:
    email = f"{unique()}@example.com"
    phone = "1380" + str(abs(hash(email)))[:8]
    api = await signup(client, email=email, phone=phone)
    for identifier in (api.user["username"], email.upper(), phone):
        r = await client.post(
            "/api/v1/auth/login", json={"identifier": identifier, "password": PASSWORD}
        )
        assert r.status_code == 200, identifier
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['token']}"}
        )
        assert me.json()["id"] == api.user["id"]


async def test_repeated_failed_logins_are_slowed_down(client: httpx.AsyncClient, platform) -> None:
    api = await signup(client)
    name = api.user["username"]
    limit = platform.settings.login_max_failures
    for _ in range(limit):
        r = await client.post(
            "/api/v1/auth/login", json={"identifier": name, "password": "wrong-password"}
        )
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "rate_limited"


async def test_lockout_ends_after_its_period(client: httpx.AsyncClient, platform, clock) -> None:
    api = await signup(client)
    name = api.user["username"]
    for _ in range(platform.settings.login_max_failures):
        await client.post(
            "/api/v1/auth/login", json={"identifier": name, "password": "wrong-password"}
        )
    clock.advance(seconds=platform.settings.login_lockout_base_seconds + 1)
    r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": PASSWORD})
    assert r.status_code == 200


async def test_unknown_user_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, user: Api
) -> None:
    a = await client.post("/api/v1/auth/login", json={"identifier": unique(), "password": "x" * 10})
    b = await client.post(
        "/api/v1/auth/login", json={"identifier": user.user["username"], "password": "x" * 10}
    )
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


async def test_password_change(client: httpx.AsyncClient, user: Api) -> None:
    r = await user.post(
        "/api/v1/me/password", json={"current_password": "wrong-one!", "new_password": "n" * 12}
    )
    assert r.status_code == 422 and "current_password" in r.json()["error"]["fields"]
    r = await user.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "n" * 12}
    )
    assert r.status_code == 204
    ok = await client.post(
        "/api/v1/auth/login", json={"identifier": user.user["username"], "password": "n" * 12}
    )
    assert ok.status_code == 200


async def test_api_tokens_are_shown_once_and_revocable(
    client: httpx.AsyncClient, user: Api
) -> None:
    r = await user.post("/api/v1/me/tokens", json={"name": "ci"})
    assert r.status_code == 201
    created = r.json()
    assert created["token"].startswith("sp_pat_")
    listed = (await user.get("/api/v1/me/tokens")).json()
    assert created["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed)
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await user.delete(f"/api/v1/me/tokens/{created['id']}")).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_missing_or_bad_bearer_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    r = await client.get("/api/v1/me", headers={"Authorization": "Bearer sp_pat_nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


async def test_enterprise_staff_and_roles(client: httpx.AsyncClient, user: Api) -> None:
    staff = await signup(client)
    r = await user.post("/api/v1/orgs", json={"name": unique("Org ")})
    assert r.status_code == 201
    org = r.json()
    assert org["role"] == "admin"
    r = await user.post(
        f"/api/v1/orgs/{org['id']}/members", json={"username": staff.user["username"]}
    )
    assert r.status_code == 201 and r.json()["role"] == "member"
    assert r.json()["status"] == "invited"
    # Invited is not joined: no access until the user accepts.
    assert (await staff.get(f"/api/v1/orgs/{org['id']}/members")).status_code == 404
    assert (await staff.get("/api/v1/orgs")).json() == []
    invitations = (await staff.get("/api/v1/me/invitations")).json()
    assert [i["id"] for i in invitations] == [org["id"]]
    r = await staff.post(f"/api/v1/me/invitations/{org['id']}/accept")
    assert r.status_code == 200 and r.json()["role"] == "member"
    assert (await staff.get("/api/v1/me/invitations")).json() == []
    assert (await staff.post(f"/api/v1/me/invitations/{org['id']}/accept")).status_code == 404
    # A member may look but not manage.
    r = await staff.get(f"/api/v1/orgs/{org['id']}/members")
    assert r.status_code == 200
    assert {m["status"] for m in r.json()} == {"active"}
    r = await staff.post(
        f"/api/v1/orgs/{org['id']}/members",
        json={"username": user.user["username"], "role": "admin"},
    )
    assert r.status_code == 403
    # The last admin cannot be removed.
    r = await user.delete(f"/api/v1/orgs/{org['id']}/members/{user.user['id']}")
    assert r.status_code == 409
    assert (
        await user.delete(f"/api/v1/orgs/{org['id']}/members/{staff.user['id']}")
    ).status_code == 204
    assert (await staff.get(f"/api/v1/orgs/{org['id']}/members")).status_code == 404


async def test_a_declined_invitation_leaves_nothing(client: httpx.AsyncClient, user: Api) -> None:
    invitee = await signup(client)
    org = (await user.post("/api/v1/orgs", json={"name": unique("Org ")})).json()
    await user.post(
        f"/api/v1/orgs/{org['id']}/members", json={"username": invitee.user["username"]}
    )
    assert (await invitee.post(f"/api/v1/me/invitations/{org['id']}/decline")).status_code == 204
    assert (await invitee.get("/api/v1/me/invitations")).json() == []
    members = (await user.get(f"/api/v1/orgs/{org['id']}/members")).json()
    assert [m["username"] for m in members] == [user.user["username"]]


async def test_parallel_guesses_cannot_outrun_the_limit(
    client: httpx.AsyncClient, platform
) -> None:
    import asyncio

    api = await signup(client)
    name = api.user["username"]
    answers = await asyncio.gather(
        *[
            client.post("/api/v1/auth/login", json={"identifier": name, "password": f"guess-{n}"})
            for n in range(20)
        ]
    )
    codes = [r.status_code for r in answers]
    assert codes.count(401) == platform.settings.login_max_failures
    assert codes.count(429) == 20 - platform.settings.login_max_failures


async def test_a_good_sign_in_refunds_the_address(client: httpx.AsyncClient, platform) -> None:
    # Many people behind one address sign in successfully without locking it. (They register
    # elsewhere: registration from one address is throttled on its own.)
    names = [
        await registered_elsewhere(platform)
        for _ in range(platform.settings.login_ip_max_failures + 3)
    ]
    for name in names:
        r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["token"]


async def test_a_new_password_revokes_api_tokens(client: httpx.AsyncClient, user: Api) -> None:
    other = await client.post(
        "/api/v1/auth/login", json={"identifier": user.user["username"], "password": PASSWORD}
    )
    stolen = {"Authorization": f"Bearer {other.json()['token']}"}
    r = await user.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "z" * 12}
    )
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=stolen)).status_code == 401
    assert (await user.get("/api/v1/me")).status_code == 401  # sign in again


async def test_overlong_identifiers_are_refused_cleanly(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", json={"identifier": "x" * 254, "password": "p" * 9})
    assert r.status_code == 401
