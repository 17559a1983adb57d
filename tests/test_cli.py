"""`saasport demo`, the README's first command, as a new user runs it (SQLite, fresh dir)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from saasport.demo_content import DEMO_APPS
from tests.test_e2e_browser import ROOT, free_port, wait_healthy


def test_cli_help_and_db_upgrade(tmp_path: Path) -> None:
    env = os.environ | {"SAASPORT_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "saasport", "--help"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0
    for command in ("serve", "db", "admin", "demo"):
        assert command in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "saasport", "db", "upgrade"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "saasport.db").exists()


def test_demo_serves_demo_data_and_the_merchant_app(tmp_path: Path) -> None:
    port, merchant_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAASPORT_")}
    env["SAASPORT_DATA_DIR"] = str(tmp_path / "data")
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saasport",
            "demo",
            "--port",
            str(port),
            "--merchant-port",
            str(merchant_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base, merchant = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{merchant_port}"
    try:
        wait_healthy(f"{base}/healthz", demo, timeout=60)
        wait_healthy(f"{merchant}/", demo)
        names = {x["name"] for x in httpx.get(f"{base}/api/v1/catalog").json()["items"]}
        assert {app.name for app in DEMO_APPS} == names  # every demo application, published
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"identifier": "alice", "password": "saasport-demo"}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        wallet = httpx.get(f"{base}/api/v1/me/wallet", headers=auth).json()
        assert wallet["balance"] == "500.000000"  # the demo credit, booked once
        for item in httpx.get(f"{base}/api/v1/catalog").json()["items"]:
            # Free applications are taken free; those sold by plans, bought (the first plan).
            plans = httpx.get(f"{base}/api/v1/catalog/{item['id']}").json()["plans"]
            if plans[0]["kind"] == "free":
                r = httpx.post(f"{base}/api/v1/catalog/{item['id']}/trial", json={}, headers=auth)
                assert r.status_code == 201, r.text
            else:
                assert all(p["kind"] != "free" for p in plans)  # sold: nothing given away
                r = httpx.post(
                    f"{base}/api/v1/catalog/{item['id']}/orders",
                    json={"plan": plans[0]["code"]},
                    headers=auth | {"Idempotency-Key": f"demo-{item['id']}"},
                )
                assert r.status_code == 201, r.text
            (ent,) = [
                e
                for e in httpx.get(f"{base}/api/v1/entitlements", headers=auth).json()
                if e["listing"]["id"] == item["id"]
            ]
            url = httpx.post(f"{base}/api/v1/entitlements/{ent['id']}/launch", headers=auth).json()[
                "redirect_url"
            ]
            assert url.startswith(merchant)
            page = httpx.get(url, follow_redirects=True)
            assert "Signed in as" in page.text and "alice" in page.text
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        output = demo.communicate(timeout=20)[0].decode()
    assert f"{base}/" in output and "alice" in output
    key = tmp_path / "data" / "secret.key"
    assert oct(key.stat().st_mode)[-3:] == "600"  # generated once, readable by the owner only


def test_stopping_the_demo_with_sigterm_stops_the_merchant_app_too(tmp_path: Path) -> None:
    port, merchant_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAASPORT_")}
    env["SAASPORT_DATA_DIR"] = str(tmp_path / "data")
    demo = subprocess.Popen(
        [
            *(sys.executable, "-m", "saasport", "demo"),
            *("--port", str(port), "--merchant-port", str(merchant_port)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    merchant = f"http://127.0.0.1:{merchant_port}"
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", demo, timeout=60)
        wait_healthy(f"{merchant}/", demo)
        demo.send_signal(signal.SIGTERM)  # the demo process only, as a service manager does
        demo.wait(timeout=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(merchant + "/", timeout=1)
            except httpx.HTTPError:
                break  # the merchant app has stopped with it
            time.sleep(0.2)
        else:
            raise AssertionError("the merchant app outlived the demo")
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever of the session is left
            os.killpg(demo.pid, signal.SIGKILL)
