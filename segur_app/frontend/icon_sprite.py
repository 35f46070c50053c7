"""The DSFR's mask icons as one SVG sprite (pure functions, no I/O).

The DSFR draws its icons as CSS masks: ``.fr-icon-x::before`` (and the
buttons', links', breadcrumb's, alerts'… pseudo-elements) get
``mask-image: url(x.svg)`` with ``mask-size: 100% 100%``. A browser makes one
request and builds one SVG *document* (a page, a frame, a style engine of its
own) per image file, on the main thread, before the page's first paint: four
of them on the login page cost ≈ 40 ms of a ≈ 400 ms cold load
(``bench/README.md``, « Figures of 2026-12-04, later »).

Here every mask icon of the bundle is drawn into one SVG, side by side in cells
of 24 × 24 separated by a transparent gap (:func:`build_sprite`), and each
rule that sets a mask icon (:func:`apply`) names that one file instead, with
the ``mask-size`` and ``mask-position`` that show its cell, as an old-school
sprite: one request and one SVG document per page, whatever its icons. The
gap keeps a cell's anti-aliased edge from showing its neighbour's ink.

The cascade stays the DSFR's: every mask image of the stylesheet is the
sprite, so every ``mask-size: 100% 100%`` (the DSFR sets it in rules of their
own, such as ``[class*=" fr-icon-"]::before``) becomes the sprite's size
relative to the box, and each rule setting a mask image also sets that size
and its cell's position: whichever rules win, the pseudo-element shows the
cell of the icon its winning ``mask-image`` rule chose. A mask value this
module does not understand (a ``mask`` shorthand, a ``mask-position``, an
image that is not an SVG file, an icon drawn at another size than its box)
stops the build (:class:`UnsupportedMask`) instead of drawing a wrong part of
the sprite; ``assets/segur.css``, appended after, sets no mask.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from segur_app.frontend import css_syntax

__all__ = ["CELL", "GAP", "Sprite", "UnsupportedMask", "apply", "build_sprite", "mask_icon_urls"]

CELL = 24  # the DSFR's icons are drawn on a 24 × 24 viewBox
GAP = 8
FULL_SIZE = "100% 100%"

_IMAGE = {"mask-image", "-webkit-mask-image"}
_SIZE = {"mask-size", "-webkit-mask-size"}
# Properties the DSFR does not use today and the sprite would have to know about.
_REFUSED = {"mask", "-webkit-mask", "mask-position", "-webkit-mask-position", "mask-repeat",
            "-webkit-mask-repeat", "mask-origin", "-webkit-mask-origin"}
_SVG_NS = "http://www.w3.org/2000/svg"


class UnsupportedMask(ValueError):
    """A mask declaration the sprite cannot express."""


@dataclass(frozen=True)
class Sprite:
    urls: tuple[str, ...]  # the icons' URLs, in the sprite's order
    svg: bytes

    @property
    def width(self) -> int:
        return _width(len(self.urls))

    @property
    def size(self) -> str:
        """``mask-size`` showing one cell in a box of any size."""
        return f"{_number(self.width / CELL * 100)}% 100%"

    def position(self, url: str) -> str:
        """``mask-position`` of ``url``'s cell: the percentage moves the sprite
        by (box − sprite) × p, its cells being one box wide."""
        index = self.urls.index(url)
        if len(self.urls) == 1:
            return "0 0"
        return f"{_number(index * (CELL + GAP) / (self.width - CELL) * 100)}% 0"


def _width(cells: int) -> int:
    return cells * CELL + (cells - 1) * GAP


def _number(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _split(declaration: str) -> tuple[str, str, str]:
    """``"a:b !important"`` → ("a", "b", "!important")."""
    name, _, value = declaration.partition(":")
    value = value.strip()
    important = ""
    if value.lower().endswith("!important"):
        value, important = value[: -len("!important")].rstrip(), "!important"
    return name.strip().lower(), value, important


def _image_url(value: str) -> str | None:
    """The SVG file a mask image names; None for ``none``."""
    if value.lower() == "none":
        return None
    found = css_syntax.urls(value)
    whole = len(found) == 1 and value.lower().startswith("url(") and value.endswith(")")
    url = found[0] if whole else ""
    # A fragment would name an SVG <mask> element to some browsers, not a view.
    if url.startswith("data:") or "#" in url or not url.lower().endswith(".svg"):
        raise UnsupportedMask(f"mask image {value!r}: the sprite takes SVG files only")
    return url


def mask_icon_urls(css: str) -> list[str]:
    """The SVG files the stylesheet's mask images name, each once, in order."""
    found: dict[str, None] = {}
    for rule in css_syntax.rules(css_syntax.parse(css)):
        for declaration in css_syntax.declarations(rule.body):
            name, value, _ = _split(declaration)
            if name in _REFUSED:
                raise UnsupportedMask(f"{rule.prelude}: {declaration!r} is not supported by the icon sprite")
            if name in _IMAGE and (url := _image_url(value)):
                found.setdefault(url)
    return list(found)


def _icon_markup(svg_text: str, url: str) -> tuple[str, str]:
    """(viewBox, inner markup) of one DSFR icon, checked to hold drawing only."""
    root = ET.fromstring(svg_text)
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise UnsupportedMask(f"{url}: not an SVG document")
    for element in root.iter():
        if element.get("id") is not None or element.tag.rsplit("}", 1)[-1] in {"style", "script", "use", "image"}:
            raise UnsupportedMask(f"{url}: ids, styles, scripts and references would leak between cells")
    inner = re.sub(r"^.*?<svg\b[^>]*>|</svg>\s*$", "", svg_text.strip(), flags=re.S)
    return root.get("viewBox") or f"0 0 {CELL} {CELL}", inner


def build_sprite(urls: list[str], read: Callable[[str], str]) -> Sprite:
    """The sprite of the icons at ``urls`` (``read(url)`` gives an icon's SVG text)."""
    if not urls:
        raise ValueError("no icon to put in a sprite")
    cells = []
    for index, url in enumerate(urls):
        view_box, inner = _icon_markup(read(url), url)
        cells.append(f'<svg x="{index * (CELL + GAP)}" width="{CELL}" height="{CELL}" viewBox="{view_box}">'
                     f"{inner}</svg>")
    width = _width(len(urls))
    svg = (f'<svg xmlns="{_SVG_NS}" width="{width}" height="{CELL}" viewBox="0 0 {width} {CELL}">'
           + "".join(cells) + "</svg>\n")
    return Sprite(urls=tuple(urls), svg=svg.encode("utf-8"))


def _rewrite_rule(body: str, sprite: Sprite, sprite_url: str) -> str:
    out, chosen, important, sized = [], None, "", False
    for declaration in css_syntax.declarations(body):
        name, value, flag = _split(declaration)
        if name in _IMAGE and (url := _image_url(value)):
            if chosen not in (None, url):
                raise UnsupportedMask(f"{body!r}: two mask images in one rule")
            chosen, important = url, important or flag
            out.append(f"{name}:url({sprite_url}){flag}")
        elif name in _SIZE and value == FULL_SIZE:
            out.append(f"{name}:{sprite.size}{flag}")
        else:
            sized = sized or name in _SIZE
            out.append(declaration)
    if chosen is not None and sized:
        raise UnsupportedMask(f"{body!r}: a mask icon drawn at another size than its box")
    if chosen is not None:
        position = sprite.position(chosen)
        out += [f"-webkit-mask-size:{sprite.size}{important}",
                f"mask-size:{sprite.size}{important}",
                f"-webkit-mask-position:{position}{important}",
                f"mask-position:{position}{important}"]
    return ";".join(out)


def apply(css: str, sprite: Sprite, sprite_url: str) -> str:
    """``css`` with every mask icon drawn from the sprite served at ``sprite_url``."""
    nodes = css_syntax.parse(css)
    for rule in css_syntax.rules(nodes):
        if any(_split(d)[0] in _IMAGE | _SIZE for d in css_syntax.declarations(rule.body)):
            rule.body = _rewrite_rule(rule.body, sprite, sprite_url)
    return css_syntax.serialise(nodes)
