"""The DSFR reduced to what the portal's pages use (segur_app/frontend).

The subsetting rules on small stylesheets, then the bundle made from the real
DSFR (``assets/dsfr``, fetched by ``make install``) for a few pages.
tests/e2e/test_page_load.py checks the bundle of the compiled portal: every
DSFR class of its pages keeps its rules, and the page loads nothing else.
"""

from __future__ import annotations

from pathlib import Path

import re

import pytest

from segur_app.frontend import css_subset, css_syntax, dsfr_bundle
from segur_app.frontend.css_subset import (
    Usage,
    can_match,
    family,
    required_classes,
    subset,
)


def usage(*classes: str, attributes: str = "") -> Usage:
    page = " ".join(f'className:"{c}"' for c in classes) + " " + attributes
    return Usage.from_sources([page])


def test_families_are_the_first_word_of_the_class():
    assert family("fr-btn") == family("fr-btn--secondary") == family("fr-btn__icon") == "btn"
    assert family("fr-btns-group--inline-md") == "btns"
    assert family("fr-input-group--error") == "input"
    assert family("fr-") is None


def test_tokens_are_read_from_compiled_pages_only_as_whole_words():
    found = Usage.from_sources([
        'jsx("a",{className:"fr-link fr-icon-arrow-right-line"}) href:"/dsfr-portail/x.css"',
        'jsx("ol",{"data-fr-steps":"5",className:("fr-badge--"+x)})',
    ])
    assert {"fr-link", "fr-icon-arrow-right-line", "fr-badge--"} <= found.classes
    assert "fr-portail" not in found.classes and "fr-steps" not in found.classes
    assert found.attributes == {"data-fr-steps"}
    assert found.prefixes == ("fr-badge--",)


def test_required_classes_ignore_what_parentheses_and_brackets_hold():
    assert required_classes(".fr-card .fr-btn:hover") == ["fr-card", "fr-btn"]
    assert required_classes("a:not(.fr-btn)") == []
    assert required_classes(":is(.fr-tile,.fr-card) .fr-link") == ["fr-link"]
    assert required_classes('[class*=" fr-icon-"]:before') == []
    assert required_classes('.fr-cell--fixed\\@lg .fr-label') == ["fr-cell--fixed@lg", "fr-label"]
    assert required_classes('a[href="x.fr-tile"]') == []


def test_a_selector_matches_when_every_required_dsfr_class_or_attribute_can_be_there():
    used = usage("fr-btn", "fr-header__body", "fr-icon-mail-line", "fr-mb-2w", attributes='"data-fr-steps"')
    keep = ["a", ":root", ".fr-btn--secondary", ".fr-header .fr-btn", ".segur-x .fr-btn",
            "a:not(.fr-tile)", '[class^=fr-icon-]:before', ".fr-icon-mail-line:before",
            ".fr-icon--sm:before", ".fr-mb-2w", "[data-fr-steps] .fr-btn", "a[href]"]
    drop = [".fr-tile", ".fr-card .fr-btn", ".fr-icon-close-line:before", ".fr-mb-3w",
            ".fr-mb-md-2w", ":root[data-fr-theme=dark]", "[data-fr-js-range] .fr-btn",
            ".fr-fi-mail-line:before"]
    assert [s for s in keep if not can_match(s, used)] == []
    assert [s for s in drop if can_match(s, used)] == []


def test_exact_classes_completed_at_run_time_keep_their_whole_prefix():
    used = Usage.from_sources(['className:("fr-icon-"+name)'])
    assert can_match(".fr-icon-mail-line:before", used)
    assert not can_match(".fr-mb-2w", used)


SAMPLE = (
    '@charset "UTF-8";/*!\n * DSFR | licence\n */'
    ':root{--used:#000;--chained:var(--used);--unused:red;--also-unused:var(--unused)}'
    'a{color:var(--chained)}/* dropped */'
    '.fr-btn,.fr-tile{content:"}{";background:url("data:image/svg+xml;charset=utf-8,%3Csvg x=\'1\'/%3E")}'
    '.fr-tile .fr-btn{margin:0}'
    '@media (min-width:48em){.fr-tile{padding:0}.fr-btn--lg{padding:1rem}}'
    '@media screen and (-ms-high-contrast:active),screen and (-ms-high-contrast:none){.fr-btn{color:red}}'
    '@supports (aspect-ratio:16/9){.fr-tile{aspect-ratio:1}}'
    '@font-face{font-display:swap;font-family:Marianne;font-weight:400;'
    'src:url(fonts/Marianne-Regular.woff2) format("woff2"),url(fonts/Marianne-Regular.woff) format("woff")}'
    '@keyframes spin{to{transform:rotate(var(--turn))}}'
    '.fr-icon-a:before{mask-image:url(../icons/a.svg)}.fr-icon-b:before{mask-image:url(../icons/b.svg)}'
)


def test_subset_keeps_what_the_pages_can_match_and_nothing_else():
    stats = css_subset.Stats()
    out = subset(SAMPLE, usage("fr-btn", "fr-icon-a"), stats=stats, extra_texts=[])
    assert out.startswith('@charset "UTF-8";/*!\n * DSFR | licence\n */')
    assert "dropped" not in out
    # The selector list is cut, the strings and data URIs left untouched.
    assert '.fr-btn{content:"}{";background:url("data:image/svg+xml;charset=utf-8,%3Csvg x=\'1\'/%3E")}' in out
    assert ".fr-tile" not in out
    assert "@media (min-width:48em){.fr-btn--lg{padding:1rem}}" in out
    assert "-ms-high-contrast" not in out and "@supports" not in out
    assert 'src:url(fonts/Marianne-Regular.woff2) format("woff2")}' in out and ".woff)" not in out
    assert "@keyframes spin{to{transform:rotate(var(--turn))}}" in out
    assert "mask-image:url(../icons/a.svg)" in out and "icons/b.svg" not in out
    # Custom properties: read ones (and the ones they read) kept.
    assert ":root{--used:#000;--chained:var(--used)}" in out
    assert "--unused" not in out
    assert (stats.rules_in, stats.rules_out) == (9, 5)


def test_custom_properties_read_by_other_stylesheets_or_pages_are_kept():
    out = subset(":root{--a:1;--b:2;--c:3}", usage(), extra_texts=["x{y:var(--a)}", 'css:{"c":"var( --c)"}'])
    assert out == ":root{--a:1;--c:3}"
    assert subset(":root{--a:1}", usage(), extra_texts=[]) == ""
    assert subset(":root{--a:1}", usage()) == ":root{--a:1}"  # no pruning without extra texts


def test_an_unclosed_block_is_closed_at_the_end_as_browsers_do():
    assert css_syntax.serialise(css_syntax.parse(".a{color:red;.b{x:y}")) == ".a{color:red;.b{x:y}}"


def test_urls_are_rewritten_outside_strings():
    css = 'a{b:url(x.svg)}c{d:url("data:x,url(%23y)")}e{f:url( \'z.png\' )}'
    assert css_syntax.rewrite_urls(css, lambda u: u if u.startswith("data:") else "/p/" + u) == (
        'a{b:url(/p/x.svg)}c{d:url("data:x,url(%23y)")}e{f:url(/p/z.png)}')


# --------------------------------------------------------------------------- #
# The real DSFR
# --------------------------------------------------------------------------- #

LOGIN_LIKE = (
    'jsx("div",{className:"fr-container"},jsx("a",{className:"fr-btn fr-btn--secondary fr-icon-mail-line'
    ' fr-btn--icon-left"}),jsx("div",{className:"fr-input-group fr-mb-2w"},jsx("input",{className:"fr-input",'
    'css:({["color"]:"var(--text-mention-grey)"})})),jsx("header",{className:"fr-header"}))'
)


@pytest.fixture(scope="module")
def bundle() -> dsfr_bundle.Bundle:
    return dsfr_bundle.make_bundle([LOGIN_LIKE])


def dsfr_text() -> str:
    return "".join((dsfr_bundle.DSFR_DIR / name).read_text() for name in dsfr_bundle.DSFR_STYLESHEETS)


def test_the_bundle_is_a_fraction_of_the_dsfr(bundle):
    full = len(dsfr_text())
    assert len(bundle.css) < 0.25 * full, (len(bundle.css), full)
    assert bundle.css.startswith('@charset "UTF-8";')
    assert bundle.css.count('@charset') == 1
    assert "DSFR v" in bundle.css  # the licence
    assert bundle.css.rstrip().endswith(dsfr_bundle.SEGUR_CSS.read_text().rstrip())


def test_the_bundle_keeps_used_families_and_icons_and_drops_the_others(bundle):
    css = bundle.css
    for kept in (".fr-btn--tertiary", ".fr-btn--secondary", ".fr-input-group--error", ".fr-header__brand",
                 ".fr-icon-mail-line", ".fr-mb-2w", "--text-mention-grey:"):
        assert kept in css, kept
    for dropped in (".fr-tile", ".fr-card", ".fr-tabs", ".fr-icon-close-line", ".fr-mb-3w",
                    "[data-fr-theme=dark]", "data-fr-js-", "-ms-high-contrast", ".woff)"):
        assert dropped not in css, dropped


def test_every_file_the_bundle_names_is_hashed_and_copied_from_the_dsfr(bundle):
    urls = {url for url in css_syntax.urls(bundle.css) if not url.startswith("data:")}
    assert urls, "no url() at all"
    for url in urls:
        assert url.startswith(dsfr_bundle.URL_PREFIX + "/"), url
        target = url[len(dsfr_bundle.URL_PREFIX) + 1:]
        if target in bundle.generated:  # the icon sprite (tests/test_icon_sprite.py)
            continue
        source = bundle.files[target]
        assert source.is_file() and dsfr_bundle.hashed_name(source) == Path(target).name
    assert dsfr_bundle.font_url("Marianne-Regular")[len(dsfr_bundle.URL_PREFIX) + 1:] in bundle.files
    assert all(not name.endswith(".woff") for name in bundle.files)


def test_preloads_name_the_hashed_fonts(bundle):
    links = dsfr_bundle.preload_links()
    assert [Path(link["href"]).name.rsplit("-", 1)[0] for link in links] == ["Marianne-Regular", "Marianne-Medium", "Marianne-Bold"]
    for link in links:
        assert link["as"] == "font" and link["type"] == "font/woff2" and link["crossorigin"] == "anonymous"
        assert link["href"][len(dsfr_bundle.URL_PREFIX) + 1:] in bundle.files


def test_preloads_cover_the_weights_of_the_header_and_the_forms(bundle):
    """Body text, the header's and the forms' buttons and the titles are above the fold of
    every page: each weight they use is preloaded (a late font swaps and lays the page out again)."""
    weights = {"400": "Marianne-Regular", "500": "Marianne-Medium", "700": "Marianne-Bold"}
    used = set()
    for selector in ("body", ".fr-btn", "h1"):
        rule = re.search(r"(?:^|[}\s,])" + re.escape(selector) + r"\{([^}]*)\}", bundle.css)
        assert rule, selector
        weight = re.search(r"font-weight:(\d+)", rule.group(1))
        used.add(weights[weight.group(1)] if weight else "Marianne-Regular")
    assert used == {"Marianne-Regular", "Marianne-Medium", "Marianne-Bold"}
    assert used <= set(dsfr_bundle.PRELOADED_FONTS)


def test_write_bundle_replaces_its_directory_and_skips_an_identical_write(bundle, tmp_path):
    out = tmp_path / "dsfr-portail"
    out.mkdir()
    (out / "stale.css").write_text("old")
    assert dsfr_bundle.write_bundle(bundle, out) is True
    assert not (out / "stale.css").exists()
    assert (out / dsfr_bundle.STYLESHEET_NAME).read_text() == bundle.css
    assert all((out / target).is_file() for target in bundle.files)
    assert dsfr_bundle.write_bundle(bundle, out) is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dsfr-portail"]


def test_build_reads_the_compiled_pages(tmp_path):
    web = tmp_path / ".web"
    (web / "app" / "routes").mkdir(parents=True)
    (web / "app" / "routes" / "page.jsx").write_text(LOGIN_LIKE)
    built = dsfr_bundle.build(web, web / "public" / "dsfr-portail")
    assert ".fr-icon-mail-line" in built.css
    with pytest.raises(RuntimeError, match="compile the app first"):
        dsfr_bundle.build(tmp_path / "empty", tmp_path / "out")


def test_the_plugin_is_declared_and_the_pages_link_the_bundle_only():
    import rxconfig
    from segur_app.segur_app import _head_components

    assert any(isinstance(p, dsfr_bundle.DsfrBundlePlugin) for p in rxconfig.config.plugins)
    rendered = str([c.render() for c in _head_components()])
    assert dsfr_bundle.STYLESHEET_URL in rendered
    assert "dsfr.min.css" not in rendered and "icons.min.css" not in rendered and "segur.css" not in rendered
    assert rendered.count('rel:"preload"') == 3
