"""Headers, CORS and hostile input against the real compiled portal.

``reflex run --env prod --single-port`` serves the prerendered pages and
static files from the backend: these tests check the security headers on
what that server really sends, that Chromium hydrates the pages under the
Content-Security-Policy without reporting a violation, that CORS and the
websocket only accept the portal's own origin, and that hostile uploads,
document ids and websocket events get short answers and short log lines
while the portal keeps serving everyone else.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from segur_app import routes
from segur_app.core.security import SESSION_COOKIE, new_token
from tests.document_samples import valid_png
from tests.e2e.conftest import assert_accessible, create_account
from tests.e2e.sio_client import Refused, SioClient

EVIL = "https://evil.example"
INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


@pytest.fixture(scope="module")
def handler_names():
    """Full names of a few real event handlers (the portal's own code, imported)."""
    from reflex_base.registry import RegistrationContext

    import segur_app.segur_app as module

    with module.app.set_contexts():
        names = list(RegistrationContext.get().event_handlers)

    def find(suffix: str) -> str:
        return next(name for name in names if name.endswith(suffix))

    return {
        "hydrate": find("reflex___state____state.hydrate"),
        "rib_rejected": find("enrolment_form_state.rib_rejected"),
        "edit_step": find("enrolment_form_state.edit_step"),
        "upload": find("assistance_form_state.stage_file"),
    }


@pytest.fixture
def http(portal):
    with httpx.Client(base_url=portal.base_url, timeout=30, follow_redirects=True) as client:
        yield client


def log_since(portal, offset: int) -> str:
    return (portal.data_dir / "reflex.log").read_text(encoding="utf-8", errors="replace")[offset:]


def log_size(portal) -> int:
    return len((portal.data_dir / "reflex.log").read_text(encoding="utf-8", errors="replace"))


def wait_for_log(portal, offset: int, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = log_since(portal, offset)
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    parsed = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_common_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "same-origin", response.url
    assert "camera=()" in response.headers["permissions-policy"], response.url
    assert "content-security-policy" in response.headers, response.url
    assert "strict-transport-security" not in response.headers  # the test portal is http


# --------------------------------------------------------------------------- #
# Headers and CORS
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_pages_carry_a_strict_csp_with_their_inline_hashes(portal, http, encoding):
    for route in (routes.HOME, routes.LOGIN, routes.ENROLMENT, routes.STAFF_HOME, "/pas-de-page-ici"):
        response = http.get(route, headers={"accept-encoding": encoding})
        assert response.headers["content-type"].startswith("text/html")
        assert_common_headers(response)
        csp = csp_directives(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
        assert f"ws://localhost:{portal.base_url.rsplit(':', 1)[1]}" in csp["connect-src"]
        assert "'unsafe-inline'" not in csp["script-src"]
        inline = INLINE_SCRIPT_RE.findall(response.text)
        assert len(inline) >= 3, route
        for script in inline:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp["script-src"], (route, script[:60])


def test_static_files_and_api_routes_carry_the_headers(portal, http):
    home = http.get(routes.HOME).text
    asset = re.search(r'src="(/assets/[^"]+\.js)"|href="(/assets/[^"]+\.js)"', home)
    assert asset, "no bundle referenced by the home page"
    responses = [
        http.get(asset.group(1) or asset.group(2)),
        http.get("/dsfr/dsfr.min.css"),
        http.get("/segur.css"),
        http.get("/documents/abc"),
        http.get("/documents/1"),
        http.post("/_upload", content=b"x"),
        http.get("/ping"),
        http.options("/_upload", headers={"origin": EVIL, "access-control-request-method": "POST"}),
    ]
    # Anonymous: the access policy answers before the id is even read (401), so
    # ids cannot be probed; hostile ids for a logged-in reader are 404
    # (tests/test_document_ids.py).
    assert [r.status_code for r in responses[3:]] == [401, 401, 400, 200, 400]
    for response in responses:
        assert_common_headers(response)
        assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/documents/1"), ("POST", "/_upload"),
                                              ("GET", "/ping")])
def test_cors_answers_only_the_portal_origin(portal, http, method, path):
    foreign = http.request(method, path, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in foreign.headers
    preflight = http.options(path, headers={"origin": EVIL, "access-control-request-method": method})
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    own = http.request(method, path, headers={"origin": portal.base_url})
    assert own.headers["access-control-allow-origin"] == portal.base_url
    assert own.headers["access-control-allow-credentials"] == "true"


def test_the_websocket_accepts_only_the_portal_origin(portal):
    with pytest.raises(Refused, match="403"):
        SioClient(portal.base_url, origin=EVIL)
    client = SioClient(portal.base_url, origin=portal.base_url)
    try:
        assert client.sid and client.connected
    finally:
        client.close()


# --------------------------------------------------------------------------- #
# Chromium under the policy
# --------------------------------------------------------------------------- #

VIOLATION_REPORTER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


def watch_console(page: Page) -> list[str]:
    messages: list[str] = []
    page.add_init_script(VIOLATION_REPORTER)
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    return messages


def assert_no_violation(messages: list[str]) -> None:
    bad = [m for m in messages if re.search(
        r"CSP-VIOLATION|Content Security Policy|Refused to|Permissions-Policy|pageerror", m)]
    assert not bad, "\n".join(bad)


def test_chromium_hydrates_every_page_kind_without_a_csp_violation(portal, page: Page, tmp_path):
    messages = watch_console(page)
    for route in (routes.HOME, routes.FAQ, routes.HELP, routes.SITEMAP, routes.JSON_SIMULATION):
        page.goto(portal.url(route))
        page.wait_for_function("() => window.__reflex !== undefined")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)  # axe-core still runs under the policy
    # Events go over the websocket and come back (connect-src).
    page.goto(portal.url(routes.LOGIN))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_label("Votre identifiant").fill("personne")
    page.get_by_label("Votre mot de passe").fill("Mauvais-Mot-2024")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    # rx.call_script (focus management) runs: this is why 'unsafe-eval' stays.
    page.goto(portal.url(routes.ENROLMENT))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_role("button", name="Étape suivante").click()
    expect(page.locator("#champ-ans_number")).to_be_focused()
    # A real upload from the frontend passes the /_upload checks.
    capture = tmp_path / "capture.png"
    capture.write_bytes(valid_png())
    page.goto(portal.url(routes.ASSISTANCE))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_label("Pièce jointe (facultative)").set_input_files(capture)
    expect(page.get_by_text("capture.png")).to_be_visible()
    assert_no_violation(messages)


def test_staff_previews_of_private_documents_load_in_their_frame(portal, page: Page):
    create_account(portal, identifiant="agent.csp", password="Agent-Csp-2024",
                   email="agent.csp@asp.example", role="staff",
                   secret_question="Q ?", secret_answer="reponse")
    messages = watch_console(page)
    page.goto(portal.url(routes.LOGIN))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_label("Votre identifiant").fill("agent.csp")
    page.get_by_label("Votre mot de passe").fill("Agent-Csp-2024")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord de l'instruction")
    page.goto(portal.url(routes.STAFF_ENROLMENTS) + "?statut=validee")
    card = page.get_by_role("article").filter(has_text="LE SELECT")
    with page.expect_response(re.compile(r"/documents/\d+$")) as preview:
        card.locator("summary").filter(has_text="Aperçu du RIB").click()
    response = preview.value
    assert response.status == 200
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    expect(card.locator("iframe")).to_be_visible()
    # A hostile id is a 404 for a logged-in reader too (nothing reaches the DB).
    for bad in ("99999999999999999999", "abc"):
        assert page.context.request.get(portal.url(f"/documents/{bad}")).status == 404
    assert_no_violation(messages)


# --------------------------------------------------------------------------- #
# Hostile uploads
# --------------------------------------------------------------------------- #


def test_hostile_uploads_get_a_french_4xx_and_their_bodies_stay_out_of_the_log(
        portal, http, handler_names):
    marker = f"CORPS-{uuid.uuid4().hex}"
    offset = log_size(portal)
    upload = handler_names["upload"]
    headers = {"reflex-client-token": str(uuid.uuid4())}

    def post(handler, **kwargs):
        return http.post("/_upload", headers={**headers, "reflex-event-handler": handler}, **kwargs)

    boundary = "xyz"
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    cases = {
        "no filename": post(upload, files={"files": (None, marker)}),
        "unknown handler": post("reflex___state____state.inconnu", files={"files": ("a.pdf", marker)}),
        "large text part": post(upload, data={"commentaire": marker * 40_000},
                                files={"files": ("a.pdf", b"%PDF")}),
        "malformed": http.post("/_upload", headers={**headers, "reflex-event-handler": upload, **multipart},
                               content=f"garbage {marker} --{boundary}\r\nContent-Disposition".encode()),
        "not multipart": post(upload, json={"files": marker}),
    }
    for case, response in cases.items():
        assert 400 <= response.status_code < 500, case
        assert response.headers["content-type"] == "application/json; charset=utf-8", case
        assert response.json()["detail"].startswith("Requête de dépôt invalide"), case
    log = log_since(portal, offset)
    assert marker not in log
    assert "Traceback" not in log and "Internal Server Error" not in log


# --------------------------------------------------------------------------- #
# Hostile websocket events
# --------------------------------------------------------------------------- #


def test_malformed_events_cost_one_short_line_and_abusers_are_cut_off(
        portal, page: Page, handler_names):
    secret = new_token()
    huge = "Z" * 300_000
    offset = log_size(portal)
    abuser = SioClient(portal.base_url, origin=portal.base_url,
                       headers={"Cookie": f"{SESSION_COOKIE}={secret}"})
    router = {"pathname": "/enrolement", "asPath": "/enrolement"}
    abuser.emit("event", {"name": handler_names["hydrate"], "payload": {}, "router_data": router})
    assert abuser.next_event() is not None  # hydrated: a normal connection so far
    for event in (
        "not an object", [1, 2], {"name": 5},
        {"name": "reflex___state____state.inconnu" + huge},
        {"name": handler_names["edit_step"], "payload": {"step": huge}},
        {"name": handler_names["edit_step"], "payload": {"step": 2, "cookie": secret}},
        {"name": handler_names["upload"], "payload": {"files": ["x"]}},
    ):
        abuser.emit("event", event)
    # A handler that fails on what it is sent: one line from the exception handler.
    abuser.emit("event", {"name": handler_names["rib_rejected"], "router_data": router,
                          "payload": {"rejections": [{"errors": 5}]}})
    log = wait_for_log(portal, offset, "event handler failed")

    # Meanwhile everyone else is served.
    page.goto(portal.url(routes.LOGIN))
    page.wait_for_function("() => window.__reflex !== undefined")
    page.get_by_label("Votre identifiant").fill("personne")
    page.get_by_label("Votre mot de passe").fill("Mauvais-Mot-2024")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()

    # A flood: the connection is closed once its bucket is empty.
    flooder = SioClient(portal.base_url, origin=portal.base_url)
    for _ in range(200):
        if not flooder.connected:
            break
        try:
            flooder.emit("event", {"name": handler_names["hydrate"], "payload": {}, "router_data": router})
        except Exception:  # noqa: BLE001 - the server hung up mid-flood
            break
    assert flooder.wait_closed()
    log = wait_for_log(portal, offset, f"websocket {flooder.sid}: more than")
    abuser.close()

    abuser_lines = [line for line in log.splitlines() if abuser.sid in line]
    assert 1 <= len(abuser_lines) <= 6  # 5 per minute, then one « suppressed » notice
    assert any("suppressed" in line for line in abuser_lines)
    assert all(len(line) < 300 for line in abuser_lines)
    assert "event handler failed: TypeError" in log
    assert f"websocket {flooder.sid}: more than 60 events in a burst" in log
    assert "Traceback" not in log
    assert secret not in log and huge[:1000] not in log
    # Still serving after the flood.
    assert httpx.get(portal.url(routes.HOME), timeout=30).status_code == 200
