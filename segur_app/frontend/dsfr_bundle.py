"""The portal's one stylesheet: the DSFR reduced to what its pages use, plus segur.css.

``make install`` fetches the DSFR package into ``assets/dsfr`` (``dsfr.min.css``
≈ 710 KB, ``utility/icons/icons.min.css`` ≈ 350 KB, fonts, icons). Instead of
linking those, every page links one stylesheet, ``/dsfr-portail/portail.css``,
made at each build by :class:`DsfrBundlePlugin` (declared in ``rxconfig.py``):

1. the classes the portal can use are read from the **compiled** frontend
   (``.web/app`` and ``.web/app_components``, written by Reflex's compile:
   every ``class_name`` is there, the ones built with f-strings or inside
   ``rx.cond`` included), plus every complete ``fr-…`` string of the Python
   sources (a class a state variable would hand to the page at run time:
   those never appear in the compiled pages);
2. ``dsfr.min.css`` then ``icons.min.css`` are reduced to the rules those
   classes can match (:mod:`segur_app.frontend.css_subset`: whole component
   families, icons one by one) — the Marianne block's two ``data:`` images
   set to ``none`` first, the pages draw them inline
   (:mod:`segur_app.frontend.dsfr_logo`) —, ``assets/segur.css`` is appended
   unchanged (same cascade order as the three ``<link>`` it replaces);
3. the icons drawn as CSS masks are put in one SVG sprite
   (:mod:`segur_app.frontend.icon_sprite`: one request and one SVG document
   per page instead of one per icon);
4. every file the kept rules point to (the woff2 fonts, the sprite, the
   other SVG images) is copied or written next to it under a name carrying
   its content hash (``fonts/Marianne-Regular-0123456789.woff2``), so that
   those files can be cached for a year (``api/cache_headers.py``). The
   stylesheet itself keeps a fixed name (the pages name it before it exists)
   and is revalidated.

When it runs: in production (``reflex run --env prod``, ``reflex export``) after
the frontend build (``post_build``), straight into the static directory that is
served, before Reflex compresses it; in development after each compile
(``post_compile``), into ``.web/public``, which Vite's dev server serves. It
never writes under ``assets/``.

:func:`preload_links` gives the ``<link rel=preload>`` of the two Marianne
weights the first screen uses (regular text, bold titles and header).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from reflex_base.plugins import Plugin

from segur_app.frontend import css_subset, css_syntax, dsfr_logo, icon_sprite

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DSFR_DIR = PROJECT_ROOT / "assets" / "dsfr"
SEGUR_CSS = PROJECT_ROOT / "assets" / "segur.css"
# The DSFR's stylesheets, in cascade order, relative to DSFR_DIR.
DSFR_STYLESHEETS = ("dsfr.min.css", "utility/icons/icons.min.css")

OUTPUT_DIR_NAME = "dsfr-portail"
URL_PREFIX = "/" + OUTPUT_DIR_NAME
STYLESHEET_NAME = "portail.css"
STYLESHEET_URL = f"{URL_PREFIX}/{STYLESHEET_NAME}"
# Compiled frontend scanned for class names, relative to .web.
COMPILED_DIRS = ("app", "app_components")
COMPILED_SUFFIXES = {".js", ".jsx", ".ts", ".tsx"}

SPRITE_DIR = "icons"  # the icon sprite's directory in the bundle

# Used above the fold by every page: body text (400), buttons of the header and
# forms (500, `.fr-btn`) and titles (700).
PRELOADED_FONTS = ("Marianne-Regular", "Marianne-Medium", "Marianne-Bold")
HASH_LENGTH = 10


class DsfrMissing(RuntimeError):
    pass


def _require_dsfr() -> None:
    if not (DSFR_DIR / DSFR_STYLESHEETS[0]).is_file():
        raise DsfrMissing(f"{DSFR_DIR} has no {DSFR_STYLESHEETS[0]}: run `make install` (fetches the DSFR)")


@lru_cache(maxsize=256)
def _content_hash(path: Path, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # cache keys: a changed file is hashed again
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


def hashed_name(path: Path) -> str:
    """``Marianne-Regular.woff2`` → ``Marianne-Regular-<hash>.woff2``."""
    stat = path.stat()
    return f"{path.stem}-{_content_hash(path, stat.st_mtime_ns, stat.st_size)}{path.suffix}"


def font_url(name: str) -> str:
    """The URL of a DSFR woff2 font in the bundle (``Marianne-Bold``)."""
    _require_dsfr()
    return f"{URL_PREFIX}/fonts/{hashed_name(DSFR_DIR / 'fonts' / f'{name}.woff2')}"


def preload_links() -> list[dict[str, str]]:
    """Attributes of the ``<link rel=preload>`` of the fonts of the first screen."""
    return [
        {"rel": "preload", "href": font_url(name), "as": "font", "type": "font/woff2",
         "crossorigin": "anonymous"}
        for name in PRELOADED_FONTS
    ]


def python_sources(root: Path = PROJECT_ROOT / "segur_app") -> list[str]:
    """The complete ``fr-…`` strings of the Python sources, one text (this
    package excepted: its docstrings name classes as examples). Incomplete
    ones (``f"fr-icon-{icon}"``) are resolved in the compiled pages."""
    tokens = set()
    for path in sorted(root.rglob("*.py")):
        if Path(__file__).parent in path.parents:
            continue
        for token in css_subset.class_tokens(path.read_text(encoding="utf-8")):
            if not token.endswith(("-", "_")):
                tokens.add(token)
    return [" ".join(sorted(tokens))]


def compiled_sources(web_dir: Path) -> list[str]:
    texts = []
    for name in COMPILED_DIRS:
        root = web_dir / name
        if root.is_dir():
            texts += [path.read_text(encoding="utf-8", errors="replace")
                      for path in sorted(root.rglob("*")) if path.suffix in COMPILED_SUFFIXES]
    if not texts:
        raise RuntimeError(f"no compiled page under {web_dir}: compile the app first")
    return texts


@dataclass
class Bundle:
    css: str
    files: dict[str, Path] = field(default_factory=dict)  # output path (posix) -> source
    generated: dict[str, bytes] = field(default_factory=dict)  # output path (posix) -> content (the icon sprite)
    stats: css_subset.Stats = field(default_factory=css_subset.Stats)
    usage: css_subset.Usage | None = None


def make_bundle(pages: list[str], *, dsfr_dir: Path = DSFR_DIR, segur_css: Path = SEGUR_CSS,
                sprite: bool = True) -> Bundle:
    """The reduced stylesheet for the compiled ``pages`` (their JS/JSX text)
    and the files it points to (nothing written). ``sprite=False``: each mask
    icon keeps its own file, as the DSFR ships it (what the sprite is compared
    with, pixel for pixel, in tests/e2e/test_page_load.py)."""
    dsfr_root = dsfr_dir.resolve()
    usage = css_subset.Usage.from_sources(pages)
    bundle = Bundle(css="", usage=usage)

    def located(base: Path):
        """A relative url() of a DSFR stylesheet → /dsfr-portail/<its path in the DSFR>."""
        def rewrite(url: str) -> str:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("/", "#")) or not parts.path:
                return url
            source = (base / parts.path).resolve()
            try:
                relative = source.relative_to(dsfr_root)
            except ValueError:
                raise ValueError(f"{url!r} points outside the DSFR ({source})") from None
            return f"{URL_PREFIX}/{relative.as_posix()}" + (f"#{parts.fragment}" if parts.fragment else "")

        return rewrite

    def hashed(url: str) -> str:
        """/dsfr-portail/<path> → /dsfr-portail/<path with the file's hash>, recorded."""
        parts = urlsplit(url)
        if parts.scheme or not parts.path.startswith(URL_PREFIX + "/"):
            return url
        relative = Path(parts.path[len(URL_PREFIX) + 1:])
        if relative.as_posix() in bundle.generated:
            return url
        source = dsfr_root / relative
        if not source.is_file():
            raise FileNotFoundError(f"{url!r}: {source} is missing (run `make install`)")
        target = (relative.parent / hashed_name(source)).as_posix()
        bundle.files[target] = source
        return f"{URL_PREFIX}/{target}" + (f"#{parts.fragment}" if parts.fragment else "")

    # Both DSFR stylesheets as one (one cascade; icons.min.css reads the
    # custom properties of dsfr.min.css), their url()s made absolute first.
    sources = []
    for name in DSFR_STYLESHEETS:
        path = dsfr_dir / name
        css = path.read_text(encoding="utf-8").replace('@charset "UTF-8";', "", 1)
        if name == DSFR_STYLESHEETS[0]:
            css = dsfr_logo.without_logo_images(css)  # drawn inline by the pages
        sources.append(css_syntax.rewrite_urls(css, located(path.resolve().parent)))
    extra = segur_css.read_text(encoding="utf-8")
    reduced = css_subset.subset("\n".join(sources), usage, stats=bundle.stats,
                                extra_texts=[extra, *pages])
    # Every mask icon from one SVG file (one request, one SVG document per page).
    icons = icon_sprite.mask_icon_urls(reduced) if sprite else []
    if icons:
        drawn = icon_sprite.build_sprite(
            icons, read=lambda url: (dsfr_root / url[len(URL_PREFIX) + 1:]).read_text(encoding="utf-8"))
        target = f"{SPRITE_DIR}/sprite-{hashlib.sha256(drawn.svg).hexdigest()[:HASH_LENGTH]}.svg"
        bundle.generated[target] = drawn.svg
        reduced = icon_sprite.apply(reduced, drawn, f"{URL_PREFIX}/{target}")
    bundle.css = "\n".join([
        '@charset "UTF-8";',
        (f"/* {' + '.join(DSFR_STYLESHEETS)}, reduced to the rules the portal's pages can match"
         " (segur_app/frontend/dsfr_bundle.py) */"),
        css_syntax.rewrite_urls(reduced, hashed),
        "/* assets/segur.css */",
        extra,
    ]) + "\n"
    return bundle


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_bundle(bundle: Bundle, out_dir: Path) -> bool:
    """Write the bundle into ``out_dir`` (its own directory: whatever else is
    there is removed). Returns False when it already held exactly this."""
    css = bundle.css.encode("utf-8")
    wanted = {STYLESHEET_NAME, *bundle.files, *bundle.generated}
    present = ({p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
               if out_dir.is_dir() else set())
    if present == wanted and _same_content(out_dir / STYLESHEET_NAME, css):
        return False
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for target, source in bundle.files.items():
        (tmp / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp / target)
    for target, data in bundle.generated.items():
        (tmp / target).parent.mkdir(parents=True, exist_ok=True)
        (tmp / target).write_bytes(data)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / STYLESHEET_NAME).write_bytes(css)
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return True


def build(web_dir: Path, out_dir: Path) -> Bundle:
    """Scan the compiled frontend under ``web_dir``, write the bundle into ``out_dir``."""
    _require_dsfr()
    bundle = make_bundle([*compiled_sources(web_dir), *python_sources()])
    usage = bundle.usage
    if write_bundle(bundle, out_dir):
        logger.info(
            "DSFR bundle %s: %d KB (%d of %d rules kept, %d families, %d icons), %d files",
            out_dir / STYLESHEET_NAME, len(bundle.css.encode()) // 1000, bundle.stats.rules_out,
            bundle.stats.rules_in, len(usage.families),
            sum(1 for c in usage.classes if c.startswith("fr-icon-") and not c.startswith("fr-icon--")),
            len(bundle.files),
        )
    return bundle


class DsfrBundlePlugin(Plugin):
    """Builds the bundle: after the production build, or after each development compile."""

    def post_build(self, **context) -> None:
        from reflex.utils import prerequisites

        static_dir = Path(context["static_dir"])
        build(prerequisites.get_web_dir(), static_dir / OUTPUT_DIR_NAME)

    def post_compile(self, **context) -> None:
        from reflex.utils import prerequisites
        from reflex_base.constants import Env
        from reflex_base.environment import environment

        if environment.REFLEX_ENV_MODE.get() == Env.PROD:
            return  # post_build writes into the served static directory
        web_dir = prerequisites.get_web_dir()
        build(web_dir, web_dir / "public" / OUTPUT_DIR_NAME)
