"""The DSFR's mask icons drawn from one SVG sprite (segur_app/frontend/icon_sprite.py)."""

import hashlib
import re
import xml.etree.ElementTree as ET

import pytest

from segur_app.frontend import css_syntax, dsfr_bundle, icon_sprite

A = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24"><path d="M1 1h2"/></svg>'
B = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M5 5h9"/><path d="M2 2h1"/></svg>'
ICONS = {"/p/a.svg": A, "/p/b.svg": B, "/p/c.svg": A.replace("M1 1h2", "M7 7h7")}
CSS = ('[class*=" fr-icon-"]:before{--icon-size:1.5rem;-webkit-mask-size:100% 100%;mask-size:100% 100%}'
       '.fr-icon-a:before{-webkit-mask-image:url(/p/a.svg);mask-image:url(/p/a.svg)}'
       '@media (min-width:62em){.fr-icon-b:before{mask-image:url(/p/b.svg)!important}}'
       '[target=_blank]:after{mask-image:url(/p/c.svg);mask-size:100% 100%;content:""}'
       'input::-webkit-contacts-auto-fill-button{-webkit-mask-size:1.25rem 1.25rem}'
       '.fr-icon-a-again:before{mask-image:url(/p/a.svg)}.x{mask-image:none}')


def sprite() -> icon_sprite.Sprite:
    return icon_sprite.build_sprite(icon_sprite.mask_icon_urls(CSS), read=ICONS.__getitem__)


def test_each_mask_icon_is_taken_once_in_the_order_of_the_stylesheet():
    assert icon_sprite.mask_icon_urls(CSS) == ["/p/a.svg", "/p/b.svg", "/p/c.svg"]


def test_the_sprite_holds_each_icon_in_its_own_cell_with_a_gap():
    made = sprite()
    root = ET.fromstring(made.svg)
    assert made.width == 3 * 24 + 2 * icon_sprite.GAP == int(root.get("width"))
    assert root.get("viewBox") == f"0 0 {made.width} 24"
    cells = list(root)
    assert [c.get("x") for c in cells] == ["0", "32", "64"]
    assert all(c.get("width") == c.get("height") == "24" and c.get("viewBox") == "0 0 24 24" for c in cells)
    assert [len(list(c)) for c in cells] == [1, 2, 1]  # the icons' paths, nothing else
    assert cells[2][0].get("d") == "M7 7h7"


def test_each_rule_names_the_sprite_with_its_cells_position_and_every_full_size_is_the_sprites():
    made = sprite()
    out = icon_sprite.apply(CSS, made, "/p/sprite-1.svg")
    assert css_syntax.urls(out) == ["/p/sprite-1.svg"] * 5
    assert made.size == "366.66667% 100%"  # 88 / 24
    rules = {node.prelude: node.body for node in css_syntax.parse(out) if node.kind == "rule"}
    generic = rules['[class*=" fr-icon-"]:before']
    assert generic == "--icon-size:1.5rem;-webkit-mask-size:366.66667% 100%;mask-size:366.66667% 100%"
    a = rules[".fr-icon-a:before"]
    assert a.endswith("mask-size:366.66667% 100%;-webkit-mask-position:0% 0;mask-position:0% 0")
    c = rules["[target=_blank]:after"]
    assert "mask-position:100% 0" in c and "100% 100%" not in c and 'content:""' in c
    assert rules[".fr-icon-a-again:before"].endswith("mask-position:0% 0")
    # a media query's rule, its !important carried to what it adds
    assert "mask-position:50% 0!important" in out  # 32 / (88 - 24)
    assert "mask-image:url(/p/sprite-1.svg)!important" in out
    # the browser's own masks keep their size; "none" stays none
    assert rules["input::-webkit-contacts-auto-fill-button"] == "-webkit-mask-size:1.25rem 1.25rem"
    assert rules[".x"] == "mask-image:none"


@pytest.mark.parametrize("css", [
    ".a:before{mask:url(/p/a.svg) center/100%}",
    ".a:before{mask-image:url(/p/a.svg);mask-position:center}",
    ".a:before{mask-image:url(/p/a.png)}",
    ".a:before{mask-image:url(/p/a.svg#x)}",
    ".a:before{mask-image:linear-gradient(red,blue)}",
    ".a:before{mask-image:url(data:image/svg+xml,%3Csvg/%3E)}",
])
def test_a_mask_the_sprite_cannot_draw_stops_the_build(css):
    with pytest.raises(icon_sprite.UnsupportedMask):
        icon_sprite.mask_icon_urls(css)


def test_an_icon_at_another_size_than_its_box_or_with_ids_stops_the_build():
    made = sprite()
    with pytest.raises(icon_sprite.UnsupportedMask):
        icon_sprite.apply(".a:before{mask-image:url(/p/a.svg);mask-size:50% 50%}", made, "/s.svg")
    with pytest.raises(icon_sprite.UnsupportedMask):
        icon_sprite.build_sprite(["/p/d.svg"], read=lambda _: A.replace("<path", '<path id="x"'))


def test_the_portals_bundle_draws_every_mask_icon_from_one_hashed_sprite():
    pages = ["fr-icon-mail-line fr-btn fr-breadcrumb fr-link fr-link--icon-left fr-icon-account-circle-line"]
    bundle = dsfr_bundle.make_bundle(pages)
    (target, svg), = bundle.generated.items()
    assert target == f"icons/sprite-{hashlib.sha256(svg).hexdigest()[:dsfr_bundle.HASH_LENGTH]}.svg"
    masks = set(re.findall(r"mask-image:([^;}!]*)", bundle.css))
    assert masks == {f"url({dsfr_bundle.URL_PREFIX}/{target})"}, masks
    assert "mask-size:100% 100%" not in bundle.css
    # one cell per icon, each shown by a position of its own
    cells = list(ET.fromstring(svg))
    positions = set(re.findall(r"(?<!-webkit-)mask-position:([^;}!]*)", bundle.css))
    assert len(cells) == len(positions) >= 4, (len(cells), positions)
    # every file the bundle ships is named by the stylesheet: no icon file left behind
    assert all(f"{dsfr_bundle.URL_PREFIX}/{t}" in bundle.css for t in [*bundle.files, *bundle.generated])
