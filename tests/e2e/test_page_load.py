"""The login page of the compiled portal: what it loads and how it may be cached.

Goal 4 of issue 12 (bench/page_load.py measures it): one stylesheet, the
DSFR reduced to what the pages use (segur_app/frontend/dsfr_bundle.py), the
two Marianne weights of the first screen preloaded, a year of cache for every
content-hashed file and revalidation for the rest (api/cache_headers.py).
The page's frame stays small (≈ 185 elements, each landmark once, the
navigation once) and its mobile menu opens, shows the navigation and closes.
The code every page shares comes in one script chunk, the Marianne block is
drawn inline as the DSFR draws it, and what is typed into the form before the
scripts run is kept and sent.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from segur_app import routes
from segur_app.components.header import MENU_ID, PUBLIC_SHORTCUTS
from segur_app.components.navigation import PUBLIC_NAVIGATION
from segur_app.frontend import css_syntax, dsfr_bundle, shared_chunk
from tests.e2e.conftest import assert_accessible, create_account, log_in

IMMUTABLE = "public, max-age=31536000, immutable"
LEGACY = ("/dsfr/dsfr.min.css", "/dsfr/utility/icons/icons.min.css", "/segur.css")
HASHED = re.compile(r"/(?:assets/[^/]+-[A-Za-z0-9_-]{8}|dsfr-portail/(?:[^/]+/)*[^/]+-[0-9a-f]{10})\.[a-z0-9]+")


@pytest.fixture
def http_client(portal):
    with httpx.Client(base_url=portal.base_url, timeout=30) as client:
        yield client


def full_dsfr() -> str:
    return "".join((dsfr_bundle.DSFR_DIR / name).read_text() for name in dsfr_bundle.DSFR_STYLESHEETS)


def load(browser: Browser, url: str, context=None) -> tuple[Page, list[tuple[str, int, dict]]]:
    """Open ``url`` in a context (a new one: empty cache) and record every
    HTTP response of the load: (path, status, headers)."""
    context = context or browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen: list[tuple[str, int, dict]] = []
    page.on("response", lambda r: seen.append((urlsplit(r.url).path, r.status, r.all_headers())))
    page.goto(url)
    page.wait_for_function("() => window.__reflex !== undefined")
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, seen


def test_login_page_requests_and_their_cache_headers(portal, browser: Browser):
    page, seen = load(browser, portal.url(routes.LOGIN))
    try:
        paths = [path for path, _, _ in seen]
        # No redirect to /connexion/ (api/page_paths.py): the page comes at once.
        assert paths[0] == routes.LOGIN
        for path, status, headers in seen:
            assert status == 200, (path, status)
            expected = IMMUTABLE if HASHED.fullmatch(path) else "no-cache"
            assert headers.get("cache-control") == expected, (path, headers.get("cache-control"))
        # One stylesheet of ours, none of the full DSFR, no legacy font format.
        assert paths.count(dsfr_bundle.STYLESHEET_URL) == 1
        assert not [p for p in paths if p in LEGACY or p.endswith(".woff")]
        css = [p for p in paths if p.endswith(".css")]
        assert all(p == dsfr_bundle.STYLESHEET_URL or p.startswith("/assets/") for p in css), css
        # The two preloaded weights, each fetched once (a crossorigin mismatch
        # between the preload and the @font-face would fetch them twice).
        for link in dsfr_bundle.preload_links():
            assert paths.count(link["href"]) == 1, link["href"]
        preloads = page.eval_on_selector_all(
            'head link[rel="preload"][as="font"]',
            "links => links.map(l => [l.getAttribute('href'), l.crossOrigin, l.type])")
        assert preloads == [[link["href"], "anonymous", "font/woff2"] for link in dsfr_bundle.preload_links()]
        # Every other DSFR file the page needs comes from the bundle, hashed.
        assert not [p for p in paths if p.startswith("/dsfr/") and not p.startswith("/dsfr/favicon/")]
        assert [p for p in paths if p.startswith("/dsfr-portail/fonts/")] and all(
            HASHED.fullmatch(p) for p in paths if p.startswith("/dsfr-portail/") and p != dsfr_bundle.STYLESHEET_URL)

        # Its icons come from the one sprite (segur_app/frontend/icon_sprite.py).
        icons = [p for p in paths if p.startswith(dsfr_bundle.URL_PREFIX + "/icons/")]
        assert len(icons) == 1 and SPRITE.fullmatch(icons[0]), icons

        # A second visit in the same browser: the hashed files come from its
        # cache without asking the server, the page and the stylesheet are
        # revalidated (304).
        second = page.context.new_page()
        cdp = page.context.new_cdp_session(second)
        cdp.send("Network.enable")
        paths_of: dict[str, str] = {}
        from_cache: set[str] = set()
        wire_status: dict[str, int] = {}  # what the server answered (a 304 is reported as 200 otherwise)

        def received(event) -> None:
            response = event["response"]
            if response.get("fromDiskCache") or response.get("fromMemoryCache"):
                from_cache.add(event["requestId"])

        cdp.on("Network.requestWillBeSent",
               lambda e: paths_of.setdefault(e["requestId"], urlsplit(e["request"]["url"]).path))
        cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))
        cdp.on("Network.responseReceived", received)
        cdp.on("Network.responseReceivedExtraInfo", lambda e: wire_status.setdefault(e["requestId"], e["statusCode"]))
        second.goto(portal.url(routes.LOGIN))
        second.wait_for_function("() => window.__reflex !== undefined")
        second.wait_for_load_state("networkidle")
        network = {path: "cache" if rid in from_cache else str(wire_status.get(rid))
                   for rid, path in paths_of.items() if path.startswith("/") and not path.startswith("/_event")}
        assert network[routes.LOGIN] == "304", network
        assert network[dsfr_bundle.STYLESHEET_URL] == "304", network
        hashed = {path: how for path, how in network.items() if HASHED.fullmatch(path)}
        assert hashed and set(hashed.values()) == {"cache"}, hashed
    finally:
        page.context.close()


SPRITE = re.compile(re.escape(dsfr_bundle.URL_PREFIX) + r"/icons/sprite-[0-9a-f]{10}\.svg")

# Compares two screenshots (PNG data URLs) pixel by pixel in the browser.
COMPARE_SCREENSHOTS = """async ([first, second]) => {
  const pixels = async url => {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width; canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return [image.width, image.height, context.getImageData(0, 0, image.width, image.height).data];
  };
  const [[w1, h1, a], [w2, h2, b]] = [await pixels(first), await pixels(second)];
  if (w1 !== w2 || h1 !== h2) return {size: [w1, h1, w2, h2]};
  let touched = 0, differ = 0;
  for (let i = 0; i < a.length; i += 4) {
    const d = Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
    if (d > 0) touched++;
    if (d > 48) differ++;
  }
  return {touched, differ, pixels: a.length / 4};
}"""


STAFF_PAGES = (routes.STAFF_FUNDING_REQUESTS, routes.STAFF_ENROLMENTS)
ICON_PAGES = (routes.LOGIN, routes.FAQ, routes.SITEMAP, *STAFF_PAGES)


def test_the_icons_drawn_from_the_sprite_are_the_dsfr_files_pixel_for_pixel(portal, browser: Browser, staff):
    """The pages as served (every mask icon from the sprite) against the same
    pages with the stylesheet of one file per icon, as the DSFR ships them:
    public pages, then the staff's lists (sort buttons, badges, pagination)."""
    per_file = dsfr_bundle.make_bundle(
        [*dsfr_bundle.compiled_sources(dsfr_bundle.PROJECT_ROOT / ".web"), *dsfr_bundle.python_sources()],
        sprite=False)
    assert not per_file.generated and any(t.startswith("icons/") for t in per_file.files)

    def per_file_icons(route) -> None:
        path = urlsplit(route.request.url).path
        if path == dsfr_bundle.STYLESHEET_URL:
            route.fulfill(status=200, content_type="text/css", body=per_file.css)
        else:
            source = per_file.files[path[len(dsfr_bundle.URL_PREFIX) + 1:]]
            route.fulfill(status=200, content_type="image/svg+xml", body=source.read_bytes())

    shots = {}
    for variant in ("sprite", "files"):
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        try:
            if variant == "files":
                context.route(re.compile(re.escape(dsfr_bundle.URL_PREFIX) + r"/(portail\.css|icons/.*)$"),
                              per_file_icons)
            page = context.new_page()
            requested: list[str] = []
            page.on("request", lambda r: requested.append(urlsplit(r.url).path))
            for route in ICON_PAGES:
                if route == STAFF_PAGES[0]:
                    log_in(page, portal, "bundle.staff", "Bundle-2026!x")
                    page.wait_for_url(re.compile(r"/instruction"))
                page.goto(portal.url(route))
                page.wait_for_function("() => window.__reflex !== undefined")
                page.wait_for_load_state("networkidle")
                page.evaluate("document.fonts.ready")
                shots[variant, route] = page.screenshot(full_page=True, animations="disabled")
            icons = {p for p in requested if p.startswith(dsfr_bundle.URL_PREFIX + "/icons/")}
            if variant == "sprite":
                assert len(icons) == 1 and SPRITE.fullmatch(icons.pop()), icons
            else:
                assert len(icons) >= 4 and not any(SPRITE.fullmatch(p) for p in icons), icons
        finally:
            context.close()
    page = browser.new_page()
    try:
        for route in ICON_PAGES:
            urls = ["data:image/png;base64," + base64.b64encode(shots[v, route]).decode() for v in ("sprite", "files")]
            found = page.evaluate(COMPARE_SCREENSHOTS, urls)
            # The anti-aliasing of an icon's edge may move by a shade on a few
            # pixels (4 of 1.5 million on the login page, 242 on the FAQ's
            # accordions); no pixel changes more than that.
            assert found.get("differ") == 0 and found["touched"] < found["pixels"] / 1000, (route, found)
    finally:
        page.close()


# The login page's scripts (segur_app/frontend/shared_chunk.py): React
# Router's manifest and entries, Rolldown's helper, Reflex's env, the one chunk
# of the code every page shares, and the page's own module (the other e2e
# tests use the pages built so).
LOGIN_SCRIPTS = sorted(["manifest", "entry.client", "root", "rolldown-runtime", "reflex-env",
                        shared_chunk.CHUNK_NAME, "_connexion_._index"])


def test_the_login_page_loads_the_shared_code_in_one_chunk(portal, browser: Browser):
    page, seen = load(browser, portal.url(routes.LOGIN))
    try:
        scripts = [path for path, _, _ in seen if path.endswith(".js")]
        assert all(path.startswith("/assets/") and HASHED.fullmatch(path) for path in scripts), scripts
        names = sorted(re.sub(r"-[A-Za-z0-9_-]{8}\.js$", "", path.rsplit("/", 1)[1]) for path in scripts)
        assert names == LOGIN_SCRIPTS, scripts
        # Each is announced to the preload scanner in the page's <head>.
        preloaded = page.eval_on_selector_all(
            'head link[rel="modulepreload"]', "links => links.map(l => l.getAttribute('href'))")
        assert sorted(preloaded) == sorted(scripts)
    finally:
        page.context.close()


# The Marianne block (segur_app/frontend/dsfr_logo.py): the DSFR's two data:
# images drawn by inline SVG placed on the pseudo-elements' boxes.
LOGO_GEOMETRY = """() => [...document.querySelectorAll('.fr-logo')].map(p => {
  const r = p.getBoundingClientRect(), s = getComputedStyle(p);
  const before = getComputedStyle(p, '::before'), after = getComputedStyle(p, '::after');
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; };
  const left = r.left + parseFloat(s.paddingLeft), top = r.top + parseFloat(s.paddingTop);
  const devise = p.querySelector('.segur-logo__devise');
  return {
    images: [before.backgroundImage.split(', ')[0], after.backgroundImage],
    marianne: box(p.querySelector('.segur-logo__marianne')),
    before: [left, top, parseFloat(before.width), parseFloat(before.height)],
    devise: box(devise),
    after: [left, r.bottom - parseFloat(s.paddingBottom), parseFloat(after.paddingTop)],
    hidden: [...p.querySelectorAll('svg')].map(e => e.getAttribute('aria-hidden')),
    colours: [getComputedStyle(devise).fill, s.color],
  };
})"""

# Draws two SVG documents as images on canvases, compares their coverage.
COMPARE_DRAWINGS = """async ([first, second, width, height]) => {
  const draw = async svg => {
    const image = new Image();
    image.src = 'data:image/svg+xml;charset=utf8,' + encodeURIComponent(svg);
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = width; canvas.height = height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0, width, height);
    return context.getImageData(0, 0, width, height).data;
  };
  const [a, b] = [await draw(first), await draw(second)];
  let ink = 0, differ = 0;
  for (let i = 3; i < a.length; i += 4) {
    if (a[i] > 0 || b[i] > 0) ink++;
    if (Math.abs(a[i] - b[i]) > 64) differ++;
  }
  return {ink, differ};
}"""


def test_the_marianne_block_draws_the_dsfr_images_inline(portal, browser: Browser):
    for width, height in ((1280, 900), (375, 740)):
        context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            page.goto(portal.url(routes.LOGIN))
            page.wait_for_function("() => window.__reflex !== undefined")
            blocks = page.evaluate(LOGO_GEOMETRY)
            assert len(blocks) == 2, blocks  # the header's and the footer's
            for block in blocks:
                # No SVG document of the DSFR's: its two image layers are gone.
                assert block["images"] == ["none", "none"], block
                assert block["hidden"] == ["true", "true"], block
                # The Marianne covers the flag, the ::before box, exactly.
                assert block["marianne"] == pytest.approx(block["before"], abs=0.5), block
                # The devise sits at the bottom left of the ::after box, inside it.
                left, bottom, after_height = block["after"]
                x, y, w, h = block["devise"]
                assert (x, y + h) == pytest.approx((left, bottom), abs=0.5), block
                assert 0 < h <= after_height and w > 0, block
                assert block["colours"][0] == block["colours"][1], block  # the words' colour
        finally:
            context.close()


def test_the_inline_drawings_are_the_dsfr_images(browser: Browser):
    from segur_app.frontend import dsfr_logo

    images = dsfr_logo.logo_images((dsfr_bundle.DSFR_DIR / "dsfr.min.css").read_text(encoding="utf-8"))
    svg = 'xmlns="http://www.w3.org/2000/svg" '
    cases = (
        # The DSFR's image cropped as the ::before box shows it, against ours.
        (images["before"].replace("viewBox='0 0 44 18'", "viewBox='0 1 44 16'"),
         dsfr_logo.marianne(dsfr_bundle.DSFR_DIR).to_markup().replace("<svg ", "<svg " + svg, 1), 880, 320),
        # The sprite's black copy, against our single path (black: no fill).
        (images["after"].replace("viewBox='0 0 252 180'", "viewBox='0 0 126 90'"),
         dsfr_logo.devise(dsfr_bundle.DSFR_DIR).to_markup().replace("<svg ", "<svg " + svg, 1), 1260, 900),
    )
    page = browser.new_page()
    try:
        for dsfr, ours, width, height in cases:
            found = page.evaluate(COMPARE_DRAWINGS, [dsfr, ours, width, height])
            # Drawn 10 to 20 times larger than on the page: the same pixels but
            # for the edges the DSFR's symbols clip (under 1 %).
            assert found["ink"] > width * height / 20, found
            assert found["differ"] < found["ink"] / 100, found
    finally:
        page.close()


# Records when the backend's hydrate reached the page (its websocket message).
BACKEND_HYDRATE = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string" && event.data.includes('"is_hydrated_rx_state_":true'))
          window.__backendHydrated = true;
      });
    }
  };
})();"""


def test_what_is_typed_before_the_scripts_run_is_kept_and_sent(portal, browser: Browser):
    """The login form is on screen at the first paint, before the scripts:
    what a person types then survives the hydration and the backend's state,
    and is what « Valider » sends."""
    create_account(portal, identifiant="avant.scripts", password="Fourn-Pass-74",
                   email="avant.scripts@le-select.example",
                   secret_question="Ville ?", secret_answer="Sceaux")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    try:
        context.add_init_script(BACKEND_HYDRATE)
        page = context.new_page()
        held, released = [], []

        def hold(route) -> None:  # the page's scripts wait until the form is filled
            (route.continue_() if released else held.append(route))

        page.route("**/assets/*.js", hold)
        page.goto(portal.url(routes.LOGIN), wait_until="domcontentloaded")
        page.get_by_label("Votre identifiant").fill("avant.scripts")
        page.get_by_label("Votre mot de passe").fill("Fourn-Pass-74")
        assert held and page.evaluate("window.__reflex === undefined")
        released.append(True)
        for route in held:
            route.continue_()
        page.wait_for_function("() => window.__reflex !== undefined && window.__backendHydrated === true")
        expect(page.get_by_label("Votre identifiant")).to_have_value("avant.scripts")
        expect(page.get_by_label("Votre mot de passe")).to_have_value("Fourn-Pass-74")
        with page.expect_navigation(wait_until="commit"):
            page.get_by_role("button", name="Valider").click()
        page.wait_for_url(re.compile(re.escape(routes.PRIVATE_HOME) + "/?$"))
    finally:
        context.close()


def test_the_stylesheet_is_the_reduced_dsfr(portal, http_client):
    response = http_client.get(dsfr_bundle.STYLESHEET_URL, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["content-encoding"] == "gzip"  # precompressed by the build
    css = response.text
    assert "reduced to the rules the portal's pages can match" in css
    assert len(css) < 0.35 * len(full_dsfr()), len(css)
    for absent in (".fr-tile", ".fr-tabs", ".fr-icon-close-circle-line", "[data-fr-theme=dark]", ".woff)"):
        assert absent not in css, absent
    assert css.rstrip().endswith(dsfr_bundle.SEGUR_CSS.read_text().rstrip())
    for url in {u for u in css_syntax.urls(css) if not u.startswith("data:")}:
        assert HASHED.fullmatch(url), url
        assert http_client.head(url).headers["cache-control"] == IMMUTABLE


def dom_classes(page: Page) -> set[str]:
    return set(page.evaluate(
        "() => [...document.querySelectorAll('[class]')].flatMap(e => [...e.classList])"
        ".filter(c => c.startsWith('fr-'))"))


def class_selector(name: str) -> re.Pattern:
    escaped = re.escape(name).replace("@", r"\\@")
    return re.compile(r"\." + escaped + r"(?![A-Za-z0-9_@-])")


@pytest.fixture(scope="module")
def staff(portal):
    create_account(portal, identifiant="bundle.staff", password="Bundle-2026!x", email="bundle.staff@asp.fr",
                   role="staff", secret_question="Ville ?", secret_answer="Lyon")
    create_account(portal, identifiant="bundle.supplier", password="Bundle-2026!x",
                   email="bundle.supplier@example.fr", secret_question="Ville ?", secret_answer="Lyon")


def test_every_dsfr_class_of_the_pages_keeps_its_rules(portal, browser: Browser, http_client, staff):
    """A class the pages carry and the full DSFR styles is styled by the bundle too."""
    bundle = http_client.get(dsfr_bundle.STYLESHEET_URL).text
    full = full_dsfr()
    seen: dict[str, set[str]] = {}
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        for route in (routes.HOME, routes.LOGIN, routes.FAQ, routes.ENROLMENT, routes.ASSISTANCE,
                      routes.SITEMAP, routes.HELP):
            page.goto(portal.url(route))
            page.wait_for_function("() => window.__reflex !== undefined")
            seen[route] = dom_classes(page)
        for who, pages in (("bundle.staff", (routes.STAFF_HOME, routes.STAFF_FUNDING_REQUESTS,
                                             routes.STAFF_ENROLMENTS)),
                           ("bundle.supplier", (routes.PRIVATE_HOME, routes.ACCOUNT, routes.FUNDING_TRACKING))):
            log_in(page, portal, who, "Bundle-2026!x")
            page.wait_for_url(re.compile(r"/(espace|instruction)"))
            for route in pages:
                page.goto(portal.url(route))
                page.wait_for_function("() => window.__reflex !== undefined")
                page.wait_for_load_state("networkidle")
                seen[route] = dom_classes(page)
            context.clear_cookies()
    finally:
        context.close()
    assert sum(map(len, seen.values())) > 100
    lost = {route: sorted(c for c in classes if class_selector(c).search(full) and not class_selector(c).search(bundle))
            for route, classes in seen.items()}
    assert not any(lost.values()), lost


# What the login page's document held on 2026-12-02 (desktop and mobile
# alike): 175 elements, of which the skip links 9, the header 43, the main 27,
# the footer 54 (each counted with its root); since 2026-12-04 the header's
# and the footer's Marianne blocks hold 5 SVG elements each (their drawings,
# segur_app/frontend/dsfr_logo.py): 185. The budgets leave ≈ 8 %.
ELEMENT_BUDGET = 200
FRAME_BUDGET = 122  # skip links + header + footer: 106 measured
REFLEX_STYLESHEET = re.compile(r"/assets/__reflex_global_styles-[A-Za-z0-9_-]{8}\.css")

FRAME = """() => {
  const size = e => e ? e.getElementsByTagName('*').length + 1 : 0;
  const scripts = new Set(['SCRIPT', 'STYLE', 'TEMPLATE']);
  // The roots of the subtrees the layout does not show (display: none).
  const hidden = [...document.body.querySelectorAll('*')]
    .filter(e => !scripts.has(e.tagName) && getComputedStyle(e).display === 'none'
                 && getComputedStyle(e.parentElement).display !== 'none')
    .map(e => ({classes: [...e.classList], elements: size(e)}));
  return {
    elements: document.getElementsByTagName('*').length,
    skipLinks: size(document.querySelector('.fr-skiplinks')),
    header: size(document.querySelector('header')),
    main: size(document.querySelector('main')),
    footer: size(document.querySelector('footer')),
    counts: ['main', 'header', 'footer', 'nav#navigation-principale'].map(
      s => document.querySelectorAll(s).length),
    hidden,
    stylesheets: [...document.querySelectorAll('link[rel~="stylesheet"]')].map(l => l.getAttribute('href')),
    styles: [...document.querySelectorAll('style')].map(
      s => s.hasAttribute('data-emotion') ? 'emotion' : s.textContent.includes('[data-sonner-toaster]')
        ? 'sonner' : s.textContent.slice(0, 80)),
  };
}"""


def open_login_page(page: Page, portal) -> None:
    """The login page once usable: hydrated (``window.__reflex``, set by
    Reflex's root component once mounted) and its first field enabled, the
    condition bench/page_load.py times."""
    page.goto(portal.url(routes.LOGIN))
    page.wait_for_function("() => window.__reflex !== undefined")
    expect(page.get_by_label("Votre identifiant")).to_be_enabled()


def test_the_login_page_frame_stays_small(portal, page: Page):
    open_login_page(page, portal)
    frame = page.evaluate(FRAME)
    assert frame["elements"] <= ELEMENT_BUDGET, frame
    assert frame["skipLinks"] + frame["header"] + frame["footer"] <= FRAME_BUDGET, frame
    # Each landmark once, the navigation once.
    assert frame["counts"] == [1, 1, 1, 1], frame
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    # On a large screen the DSFR shows the menu's block inline: each entry of
    # the navigation is in the document once, visible.
    header = page.get_by_role("banner")
    for entry in PUBLIC_NAVIGATION:
        link = header.get_by_role("link", name=entry.label, exact=True)
        expect(link).to_have_count(1)
        expect(link).to_be_visible()
    # What the layout hides there is only the mobile part of the DSFR header:
    # the « Menu » button's bar, « Fermer », and the menu's copy of the
    # shortcuts (« Se connecter », shown at the top right on a large screen).
    hidden = {" ".join(h["classes"]): h["elements"] for h in frame["hidden"]}
    assert hidden == {"fr-header__navbar": 2, "fr-btn--close fr-btn": 1,
                      "fr-header__menu-links": 1 + 3 * len(PUBLIC_SHORTCUTS)}, frame["hidden"]
    for shortcut in PUBLIC_SHORTCUTS:
        copies = header.locator(f'a[href="{shortcut.href}"]', has_text=shortcut.label)
        expect(copies).to_have_count(2)
        expect(copies.locator("visible=true")).to_have_count(1)
    # One stylesheet of ours, the bundled DSFR, first; then what Reflex adds:
    # its global styles file, emotion's rule of the connection banner and the
    # toaster's (sonner) styles.
    assert frame["stylesheets"][0] == dsfr_bundle.STYLESHEET_URL, frame["stylesheets"]
    assert len(frame["stylesheets"]) == 2 and REFLEX_STYLESHEET.fullmatch(frame["stylesheets"][1]), frame
    assert sorted(frame["styles"]) == ["emotion", "sonner"], frame["styles"]


def test_the_mobile_menu_opens_and_shows_the_navigation(portal, page: Page):
    page.set_viewport_size({"width": 375, "height": 740})
    open_login_page(page, portal)
    header = page.get_by_role("banner")
    # The menu by its id: a role locator finds nothing while it is closed,
    # which would make « hidden » true of a menu that does not exist.
    menu = page.locator(f"#{MENU_ID}")
    navigation = menu.get_by_role("navigation", name="Menu principal")
    menu_button = header.get_by_role("button", name="Menu", exact=True)
    close_button = menu.locator("button", has_text="Fermer")
    expect(menu).to_have_count(1)
    expect(close_button).to_have_count(1)
    expect(menu_button).to_be_visible()
    expect(menu).to_be_hidden()
    expect(close_button).to_be_hidden()

    menu_button.click()
    expect(menu).to_be_visible()
    expect(close_button).to_be_visible()
    expect(close_button).to_have_accessible_name("Fermer")
    for entry in PUBLIC_NAVIGATION:
        expect(navigation.get_by_role("link", name=entry.label, exact=True)).to_be_visible()
    # The menu's copy of the shortcuts, hidden on large screens, is shown here.
    for shortcut in PUBLIC_SHORTCUTS:
        expect(page.locator(".fr-header__menu-links").get_by_role(
            "link", name=shortcut.label, exact=True)).to_be_visible()
    assert_accessible(page)

    close_button.click()
    expect(menu).to_be_hidden()
    expect(close_button).to_be_hidden()
    expect(menu_button).to_be_visible()
