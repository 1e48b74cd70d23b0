"""With credentials configured, every request is validated as the Bot Framework requires; a
missing or bad token gets 401 and nothing is processed. Tokens are signed here and their keys
served from a local OpenID metadata endpoint (no network)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from app import create_app
from bot.core.settings import Settings

APP_ID = "7f1c3c1e-0000-4000-8000-00000000a1b0"
ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class _OpenIdHandler(BaseHTTPRequestHandler):
    """Serves metadata and keys. botbuilder fetches them with blocking ``requests`` calls on the
    event loop, so this server runs in its own thread, not on the test's loop."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        numbers = KEY.public_key().public_numbers()
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/openid":
            body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys",
                                    "id_token_signing_alg_values_supported": ["RS256"]}
        elif self.path == "/keys":
            body = {"keys": [{"kty": "RSA", "use": "sig", "kid": "test-key", "n": _b64(numbers.n),
                              "e": _b64(numbers.e), "endorsements": ["msteams"]}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test server
        return


@pytest.fixture(scope="module")
def openid() -> Iterator[str]:
    """A local stand-in for the Bot Framework's OpenID metadata and signing keys."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenIdHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
async def client(tmp_path: Path, openid: str) -> AsyncIterator[TestClient]:
    settings = Settings(app_id=APP_ID, app_password="secret", app_tenant_id="tenant-1", app_type="SingleTenant",
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/auth.db", openid_metadata_url=openid,
                        token_issuer=ISSUER)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def token(key: Any = KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600,
              **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key"})


def unsigned(algorithm: str, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    """Tokens an attacker makes without the key: alg=none, HS256 with a guessable secret, odd headers."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600,
              **overrides}
    if algorithm == "none":
        head = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT", **(headers or {})}).encode())
        body = base64.urlsafe_b64encode(json.dumps(claims).encode())
        return f"{head.rstrip(b'=').decode()}.{body.rstrip(b'=').decode()}."
    return jwt.encode(claims, "secret-guess-0123456789-0123456789", algorithm=algorithm, headers=headers)


def activity(conversation: str) -> dict[str, Any]:
    # A conversation update needs no reply, so nothing is sent to the (unreachable) connector.
    return {"type": "conversationUpdate", "channelId": "msteams", "serviceUrl": SERVICE_URL,
            "conversation": {"id": conversation, "conversationType": "groupChat"},
            "from": {"id": "29:user"}, "recipient": {"id": f"28:{APP_ID}"},
            "channelData": {"tenant": {"id": "tenant-1"}}}


async def post(client: TestClient, conversation: str, authorization: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await client.post("/api/messages", data=json.dumps(activity(conversation)), headers=headers)
    return response.status


def stored(tmp_path: Path, conversation: str) -> bool:
    import sqlite3

    with sqlite3.connect(tmp_path / "auth.db") as db:
        row = db.execute("SELECT 1 FROM conversation WHERE conversation_id = ?", (conversation,)).fetchone()
    return row is not None


async def test_a_valid_token_is_accepted_and_processed(client: TestClient, tmp_path: Path) -> None:
    assert await post(client, "c-valid", f"Bearer {token()}") in (200, 201)
    assert stored(tmp_path, "c-valid")


@pytest.mark.parametrize(
    ("case", "authorization"),
    [
        ("missing", None),
        ("empty", ""),
        ("not bearer", "Basic dXNlcjpwYXNz"),
        ("garbage", "Bearer not-a-jwt"),
        ("other key", f"Bearer {token(OTHER_KEY)}"),
        ("wrong audience", f"Bearer {token(aud='someone-else')}"),
        ("wrong issuer", f"Bearer {token(iss='https://evil.example')}"),
        ("expired", f"Bearer {token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)}"),
        ("other service url", f"Bearer {token(serviceurl='https://evil.example/')}"),
        ("alg none", f"Bearer {unsigned('none', {'kid': 'test-key'})}"),
        ("hs256", f"Bearer {unsigned('HS256', {'kid': 'test-key'})}"),
        ("unknown kid", f"Bearer {jwt.encode({'iss': ISSUER, 'aud': APP_ID}, KEY, 'RS256', {'kid': 'nope'})}"),
        ("missing kid", f"Bearer {jwt.encode({'iss': ISSUER, 'aud': APP_ID}, KEY, 'RS256')}"),
        ("emulator issuer", f"Bearer {token(iss='https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/')}"),
        ("skill issuer", f"Bearer {token(iss='https://login.microsoftonline.com/tenant-1/v2.0', ver='2.0')}"),
        ("no claims", f"Bearer {jwt.encode({}, KEY, 'RS256', {'kid': 'test-key'})}"),
    ],
)
async def test_a_missing_or_bad_token_is_refused_and_nothing_happens(
    client: TestClient, tmp_path: Path, case: str, authorization: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = f"c-{case.replace(' ', '-')}"
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert await post(client, conversation, authorization) == 401
    assert not stored(tmp_path, conversation)
    # One short line at most (besides the access log): no traceback that could flood the log.
    refusals = [r for r in caplog.records if r.name != "aiohttp.access" and r.levelno >= logging.WARNING]
    assert len(refusals) <= 1 and not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
