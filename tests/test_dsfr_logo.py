"""The Marianne block's images drawn inline (segur_app/frontend/dsfr_logo.py).

Path data moved as SVG defines it; the real DSFR's two images read, reduced
to a few nodes without ids, and removed from the bundled stylesheet.
tests/e2e/test_page_load.py compares the drawings with the DSFR's in Chromium
and checks where the login page draws them.
"""

from __future__ import annotations

import re

import pytest

from segur_app.components import branding
from segur_app.frontend import dsfr_bundle, dsfr_logo
from segur_app.frontend.dsfr_bundle import DSFR_DIR
from segur_app.frontend.dsfr_logo import DsfrLogoChanged, translate_path


@pytest.mark.parametrize(("d", "moved"), [
    # Absolute coordinates move, relative ones do not, Z closes.
    ("M1 2h3v4H5V6L7 8C1 2 3 4 5 6Zm1 1", "M11 22h3v4H15V26L17 28C11 22 13 24 15 26Zm1 1"),
    # Implicit linetos after a moveto, S, Q and T.
    ("M0 0 1 1S2 2 3 3Q4 4 5 5T6 6", "M10 20 11 21S12 22 13 23Q14 24 15 25T16 26"),
    # Compact numbers (.5.5 is two numbers, -1-2 too).
    ("M.5.5L-1-2", "M10.5 20.5L9 18"),
    # Arcs: radii, rotation and flags stay; flags may be glued to the next number.
    ("M0 0a10.7 10.7 0 01.3-2.2A1 1 30 1 1 5 5", "M10 20a10.7 10.7 0 0 1 .3 -2.2A1 1 30 1 1 15 25"),
    # A first relative moveto is absolute; its other pairs are relative linetos.
    ("m1 2 3 4z", "M11 22l3 4z"),
])
def test_path_data_is_moved_as_svg_defines_it(d, moved):
    assert translate_path(d, 10, 20) == moved


@pytest.mark.parametrize("d", ["1 2", "M0 0X1 1", "M0 0a1 1 0 2 1 3 3", "M0 0C1 1"])
def test_path_data_it_cannot_read_is_refused(d):
    with pytest.raises(DsfrLogoChanged):
        translate_path(d, 1, 1)


def dsfr_css() -> str:
    return (DSFR_DIR / "dsfr.min.css").read_text(encoding="utf-8")


def nodes(node: dsfr_logo.SvgNode) -> list[dsfr_logo.SvgNode]:
    return [node, *(n for child in node.children for n in nodes(child))]


def test_the_dsfr_images_become_a_few_nodes_without_ids():
    marianne, devise = dsfr_logo.marianne(DSFR_DIR), dsfr_logo.devise(DSFR_DIR)
    assert [n.tag for n in nodes(marianne)] == ["svg", "path", "path"]
    assert marianne.attr("viewBox") == "0 1 44 16"  # the flag's part of 0 0 44 18
    assert [n.attr("fill") for n in marianne.children] == ["#fff", "gray"]
    assert [n.tag for n in nodes(devise)] == ["svg", "path"]
    assert devise.attr("viewBox") == "0 0 126 90" and devise.children[0].attr("fill") is None
    for node in nodes(marianne) + nodes(devise):
        assert {name for name, _ in node.attrs} <= {"viewBox", "d", "fill"}, node.attrs
    # Every letter of the devise's black copy (a <use> in the sprite's symbol
    # « n ») is in the path, each starting its own subpath.
    sprite = dsfr_logo.logo_images(dsfr_css())["after"]
    letters = re.findall(r"<use [^>]*href='#[a-m]'", sprite.split("<symbol id='n'")[1])
    assert len(letters) == 24
    assert devise.children[0].attr("d").count("M") >= len(letters)


def test_the_bundle_keeps_the_boxes_and_the_flag_but_not_the_images():
    css = dsfr_css()
    images = dsfr_logo.logo_images(css)
    reduced = dsfr_logo.without_logo_images(css)
    assert reduced.count(".fr-logo:before{background-image:none,linear-gradient(") == 1
    assert ".fr-logo:after{background-image:none;" in reduced
    assert len(css) - len(reduced) > sum(map(len, images.values()))  # still URL-encoded there
    bundle = dsfr_bundle.make_bundle(['className:"fr-logo"', 'className:"fr-header__logo"',
                                      'className:"fr-footer__brand"'])
    assert "fr-logo:before" in bundle.css and "viewBox='0 0 252 180'" not in bundle.css
    assert "%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 44 18'" not in bundle.css


def test_a_changed_dsfr_stylesheet_is_refused():
    with pytest.raises(DsfrLogoChanged, match="not found"):
        dsfr_logo.logo_images(".fr-logo:before{background-image:url(logo.svg)}")
    one = dsfr_css().replace(".fr-logo:after{background-image:url(", ".fr-logo:after{background:url(", 1)
    with pytest.raises(DsfrLogoChanged, match="1 .fr-logo"):
        dsfr_logo.without_logo_images(one)


def test_the_block_carries_both_drawings_hidden_from_assistive_technologies():
    rendered = str(branding.marianne_block.__wrapped__())  # the memo component's body
    assert rendered.count('"aria-hidden":"true"') == 2 and rendered.count('focusable:"false"') == 2
    assert 'className:"segur-logo__marianne"' in rendered and 'className:"segur-logo__devise"' in rendered
    assert '"R\\u00e9publique"' in rendered and '"Fran\\u00e7aise"' in rendered
