"""The session in Chromium: HttpOnly cookie, nothing of a user left in a tab
after logout, the raw token nowhere on disk."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from segur_app import routes
from segur_app.core.config import PROJECT_ROOT
from segur_app.core.security import SESSION_COOKIE
from tests.e2e.conftest import create_account, h1, log_in

DEMO_IBAN_GROUPED = "FR76 3000 6000 0112 3456 7890 189"
DEMO_IBAN = DEMO_IBAN_GROUPED.replace(" ", "")


class Frames:
    """Every websocket message the page receives, with its arrival time."""

    def __init__(self, page: Page) -> None:
        self.received: list[tuple[float, str]] = []
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: self.received.append(
                (time.monotonic(), payload if isinstance(payload, str) else payload.decode(
                    "utf-8", "replace"))
            )
        ))

    def since(self, moment: float) -> str:
        return "\n".join(text for at, text in self.received if at >= moment)


def hydrated(page: Page) -> None:
    page.wait_for_function("() => window.__reflex !== undefined")
    # The hydrate's answer arrived: the header shows « Se connecter » or a name.
    expect(page.get_by_role("banner")).to_be_visible()


def assert_nothing_of(page: Page, frames: Frames, since: float, *secrets: str) -> None:
    text = frames.since(since)
    body = page.locator("body").inner_text()
    for secret in secrets:
        for shown in (text, text.replace(" ", ""), body, body.replace(" ", "")):
            assert secret not in shown, f"{secret!r} reached the browser after logout"


def test_staff_tab_holds_nothing_after_logout_even_with_its_old_tab_token(portal, page: Page):
    create_account(portal, identifiant="agent.session", password="Agent-Pass-71",
                   email="agent.session@asp.example", role="staff",
                   secret_question="Service ?", secret_answer="Instruction")
    frames = Frames(page)
    log_in(page, portal, "agent.session", "Agent-Pass-71")
    expect(h1(page)).to_have_text("Tableau de bord de l'instruction")

    # The cookie is HttpOnly, SameSite=Strict, path /: scripts cannot read it.
    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    token = cookie["value"]

    page.goto(portal.url(f"{routes.STAFF_ENROLMENTS}?{routes.PARAM_STATUS}=validee"))
    expect(page.get_by_text(DEMO_IBAN_GROUPED).first).to_be_visible()
    number = re.search(r"ENRSAS\d{6}", page.locator("main").inner_text()).group(0)
    old_tab_token = page.evaluate("sessionStorage.getItem('token')")
    # The websocket only ever carried the tab token, never the session token.
    assert token not in "".join(text for _, text in frames.received)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()
    logged_out = time.monotonic()
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    # A fresh tab token after logout (Clear-Site-Data: "storage").
    assert page.evaluate("sessionStorage.getItem('token')") != old_tab_token

    page.reload()
    hydrated(page)
    assert_nothing_of(page, frames, logged_out, DEMO_IBAN, number, "agent.session")

    # Someone who kept the old tab token replays it: the server wiped its states.
    replayed = time.monotonic()
    page.evaluate("t => sessionStorage.setItem('token', t)", old_tab_token)
    page.goto(portal.url(routes.HOME))
    hydrated(page)
    assert page.evaluate("sessionStorage.getItem('token')") == old_tab_token
    assert_nothing_of(page, frames, replayed, DEMO_IBAN, number, "agent.session")

    # The raw session token was written to no file of the instance.
    for root in (portal.data_dir, PROJECT_ROOT / ".states"):
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file() and path.stat().st_size < 50_000_000:
                assert token.encode() not in path.read_bytes(), f"session token in {path}"


def test_supplier_account_screen_leaves_nothing_after_logout(portal, page: Page):
    create_account(portal, identifiant="compte.session", password="Fourn-Pass-72",
                   email="compte.session@le-select.example",
                   secret_question="Ville ?", secret_answer="Antony")
    frames = Frames(page)
    log_in(page, portal, "compte.session", "Fourn-Pass-72")
    expect(h1(page)).to_have_text("Accueil fournisseur SAS")
    page.goto(portal.url(routes.ACCOUNT))
    expect(page.get_by_text("compte.session@le-select.example").first).to_be_visible()
    old_tab_token = page.evaluate("sessionStorage.getItem('token')")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(h1(page)).to_have_text("Accéder à mon espace personnel")
    logged_out = time.monotonic()
    page.evaluate("t => sessionStorage.setItem('token', t)", old_tab_token)
    page.reload()
    hydrated(page)
    assert_nothing_of(page, frames, logged_out, "compte.session@le-select.example",
                      "compte.session")


def test_login_works_before_hydration_and_refuses_cross_site_posts(portal, page: Page):
    create_account(portal, identifiant="sans.js", password="Fourn-Pass-73",
                   email="sans.js@le-select.example",
                   secret_question="Ville ?", secret_answer="Antony")
    # No JavaScript at all: the login form is a real POST.
    context = page.context.browser.new_context(java_script_enabled=False)
    try:
        raw = context.new_page()
        raw.goto(portal.url(routes.LOGIN))
        raw.fill("input[name=identifiant]", "sans.js")
        raw.fill("input[name=password]", "Fourn-Pass-73")
        raw.click("button[type=submit]")
        raw.wait_for_url(re.compile(re.escape(routes.PRIVATE_HOME) + "/?$"))
        assert [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    finally:
        context.close()
    # A POST from another site does not log anyone in.
    response = page.context.request.post(
        portal.url(routes.SESSION_LOGIN),
        form={"identifiant": "sans.js", "password": "Fourn-Pass-73"},
        headers={"Origin": "https://attacker.example"}, max_redirects=0,
    )
    assert response.status == 303 and "refuse" in response.headers["location"]
    assert "set-cookie" not in response.headers
