"""The Marianne block's two images as inline SVG (issue 12, goal 4).

The DSFR draws the « République Française » block (``.fr-logo``) with two
``data:`` SVG backgrounds: the Marianne on the flag (``.fr-logo::before``) and
the devise « Liberté Égalité Fraternité » (``.fr-logo::after``, a sprite of a
black and a white copy). Chromium builds each such image as an SVG document of
its own — a page, a frame, a style engine — synchronously inside the page's
first style recalculation: with the header's and the footer's blocks, ≈ 60 ms
of main-thread CPU of a cold load of the login page on 2 cores (bench/README,
« Figures of 2026-12-04 »). Drawn as inline SVG in the page they cost a few
paths.

This module reads both images from the DSFR's own stylesheet (one source: a
DSFR update brings its drawing), and gives

* :func:`without_logo_images`: that stylesheet with the two image layers set
  to ``none`` (the pseudo-elements keep their boxes and the flag's gradients,
  so the block's layout is the DSFR's), used by ``dsfr_bundle``;
* :func:`marianne` and :func:`devise`: the drawings as :class:`SvgNode` trees
  of a few nodes: the Marianne's two paths cropped to the flag (the part the
  ``::before`` box shows); the devise's black copy as **one** path — its
  letters, ``<use>`` of ``<symbol>`` at scale 1, moved to their place
  (:func:`translate_path`): no ids (the block appears twice in a page), no
  ``<use>`` shadow trees, 2 elements instead of ≈ 50 — left without a fill
  (``assets/segur.css`` gives it the text colour, so that forced colours and
  the dark theme apply to it as to the words above).

``components/branding.py`` renders them; ``assets/segur.css`` places them on
the pseudo-elements' boxes. Plain Python, no Reflex.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

SVG_NS = "{http://www.w3.org/2000/svg}"
# The two rules of dsfr.min.css that carry the images (first layer of
# ::before, only layer of ::after).
LOGO_IMAGE = re.compile(
    r'(\.fr-logo:(?P<part>before|after)\{background-image:)url\("data:image/svg\+xml;charset=utf8,'
    r'(?P<svg>[^"]*)"\)')
# The Marianne's viewBox is 0 0 44 18; the ::before box shows rows 1 to 17
# (the image is shifted up by 1/18 of its height and clipped to the flag).
MARIANNE_VIEW_BOX = "0 1 44 16"
# The devise sprite is 252 × 180: its black copy is the symbol drawn at (0, 0),
# 126 × 90; the white one (the dark theme) is at (126, 90).
DEVISE_VIEW_BOX = "0 0 126 90"


class DsfrLogoChanged(RuntimeError):
    """The DSFR stylesheet no longer draws the block as this module expects."""


@dataclass(frozen=True)
class SvgNode:
    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[SvgNode, ...] = ()

    def attr(self, name: str) -> str | None:
        return dict(self.attrs).get(name)

    def to_markup(self) -> str:
        """The node as SVG markup (tests, documentation)."""
        attrs = "".join(f' {name}="{value}"' for name, value in self.attrs)
        inner = "".join(child.to_markup() for child in self.children)
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>" if inner else f"<{self.tag}{attrs}/>"


def logo_images(css: str) -> dict[str, str]:
    """``{"before": <Marianne SVG>, "after": <devise SVG>}`` from dsfr.min.css."""
    images = {m["part"]: unquote(m["svg"]) for m in LOGO_IMAGE.finditer(css)}
    if set(images) != {"before", "after"}:
        raise DsfrLogoChanged("dsfr.min.css: the .fr-logo::before/::after data: images were not found")
    return images


def without_logo_images(css: str) -> str:
    """dsfr.min.css with the two images of ``.fr-logo`` replaced by ``none``."""
    replaced, count = LOGO_IMAGE.subn(lambda m: f"{m.group(1)}none", css)
    if count != 2:
        raise DsfrLogoChanged(f"dsfr.min.css: {count} .fr-logo data: images instead of 2")
    return replaced


def _local(tag: str) -> str:
    return tag[len(SVG_NS):] if tag.startswith(SVG_NS) else tag


# --- path data ------------------------------------------------------------
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"\s*,?\s*(?:(?P<cmd>[MmLlHhVvCcSsQqTtAaZz])|(?P<num>{_NUMBER}))")
_FLAG = re.compile(r"\s*,?\s*([01])")
# Per absolute command: for each parameter, which translation it takes.
_AXES = {"M": "xy", "L": "xy", "T": "xy", "H": "x", "V": "y", "C": "xyxyxy", "S": "xyxy",
         "Q": "xyxy", "A": "..-ffxy", "Z": ""}


def _segments(d: str) -> list[tuple[str, list[str]]]:
    """``d`` as (command, parameters), arcs' flags read one digit each
    (``a10.7 10.7 0 01.3-2.2``: flags 0 and 1, then .3 and -2.2)."""
    segments: list[tuple[str, list[str]]] = []
    d, pos = d.strip(), 0  # every token consumes the white space before it
    while pos < len(d):
        if segments and segments[-1][0] in "Aa" and len(segments[-1][1]) % 7 in (3, 4):
            match = _FLAG.match(d, pos)
            if match is None:
                raise DsfrLogoChanged(f"path data: an arc flag expected at {d[pos:pos + 20]!r}")
            segments[-1][1].append(match.group(1))
            pos = match.end()
            continue
        match = _TOKEN.match(d, pos)
        if match is None:
            raise DsfrLogoChanged(f"path data not understood at {d[pos:pos + 20]!r}")
        pos = match.end()
        if match["cmd"]:
            segments.append((match["cmd"], []))
        elif not segments:
            raise DsfrLogoChanged("path data starts with a number")
        else:
            segments[-1][1].append(match["num"])
    return segments


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def translate_path(d: str, dx: float, dy: float) -> str:
    """Path data ``d`` moved by (dx, dy): absolute coordinates shifted, relative
    ones kept; a first relative moveto (absolute by definition) made absolute."""
    out = []
    for index, (cmd, params) in enumerate(_segments(d)):
        if index == 0 and cmd == "m":
            if len(params) < 2:
                raise DsfrLogoChanged("path data: moveto without coordinates")
            out.append(f"M{_number(float(params[0]) + dx)} {_number(float(params[1]) + dy)}")
            if params[2:]:
                out.append("l" + " ".join(params[2:]))
            continue
        axes = _AXES.get(cmd)
        if axes is None:  # relative: unchanged
            out.append(cmd + " ".join(params))
            continue
        if len(params) % max(len(axes), 1) or (params and not axes):
            raise DsfrLogoChanged(f"path data: {cmd} with {len(params)} parameters")
        shift = {"x": dx, "y": dy}
        out.append(cmd + " ".join(
            _number(float(value) + shift[axis]) if (axis := axes[i % len(axes)]) in shift else value
            for i, value in enumerate(params)))
    return "".join(out)


def _paths(elements: Iterable[ET.Element], symbols: dict[str, ET.Element], dx: float, dy: float) -> list[str]:
    """The path data of ``elements`` moved by (dx, dy), each ``<use>`` of a
    symbol followed (the DSFR's letters are placed at scale 1: a use's size is
    its symbol's viewBox size)."""
    found = []
    for child in elements:
        tag = _local(child.tag)
        if tag == "path":
            found.append(translate_path(child.get("d", ""), dx, dy))
        elif tag == "use":
            href = child.get("href") or child.get("{http://www.w3.org/1999/xlink}href") or ""
            symbol = symbols.get(href.removeprefix("#"))
            if symbol is None:
                raise DsfrLogoChanged(f"<use href={href!r}> names no symbol")
            box = [float(v) for v in symbol.get("viewBox", "").replace(",", " ").split()]
            size = [float(child.get("width", "nan")), float(child.get("height", "nan"))]
            if len(box) != 4 or box[:2] != [0, 0] or size != box[2:]:
                raise DsfrLogoChanged(f"<use href={href!r}> scales its symbol")
            found += _paths(symbol, symbols, dx + float(child.get("x", 0)), dy + float(child.get("y", 0)))
        elif tag not in ("defs", "symbol", "title", "desc"):
            raise DsfrLogoChanged(f"unexpected <{tag}> in a DSFR logo")
    return found


def _dsfr_css(dsfr_dir: Path) -> str:
    path = dsfr_dir / "dsfr.min.css"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make install` (fetches the DSFR)")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def marianne(dsfr_dir: Path) -> SvgNode:
    """The Marianne on the flag (its two paths, their fills), cropped to the
    part the DSFR shows."""
    root = ET.fromstring(logo_images(_dsfr_css(dsfr_dir))["before"])
    paths = [child for child in root if _local(child.tag) == "path"]
    if root.get("viewBox") != "0 0 44 18" or len(paths) != len(root):
        raise DsfrLogoChanged(f"the Marianne is no longer paths in 0 0 44 18 ({root.get('viewBox')!r})")
    return SvgNode("svg", (("viewBox", MARIANNE_VIEW_BOX),), tuple(
        SvgNode("path", tuple((name, path.get(name)) for name in ("fill", "d") if path.get(name) is not None))
        for path in paths))


@lru_cache(maxsize=4)
def devise(dsfr_dir: Path) -> SvgNode:
    """The devise's black copy as one path without a fill."""
    root = ET.fromstring(logo_images(_dsfr_css(dsfr_dir))["after"])
    symbols = {s.get("id"): s for s in root.iter(f"{SVG_NS}symbol")}
    copies = [child for child in root if _local(child.tag) == "use"]
    black = [c for c in copies if float(c.get("x", 0)) == 0 and float(c.get("y", 0)) == 0]
    if root.get("viewBox") != "0 0 252 180" or len(black) != 1:
        raise DsfrLogoChanged("the devise sprite has no copy at (0, 0)")
    box = symbols.get((black[0].get("href") or "").removeprefix("#"))
    if box is None or box.get("viewBox") != DEVISE_VIEW_BOX:
        raise DsfrLogoChanged("the devise's copy is not 126 × 90")
    return SvgNode("svg", (("viewBox", DEVISE_VIEW_BOX),),
                   (SvgNode("path", (("d", "".join(_paths(black, symbols, 0, 0))),)),))
