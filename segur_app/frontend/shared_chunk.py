"""One JavaScript chunk for the code every page loads (issue 12, goal 4).

Reflex's production build (Vite 8, Rolldown) splits the modules every page
needs — React, React DOM, React Router, Emotion, socket.io, Reflex's
``utils/`` (state, context, helpers) — into nine chunks (``entry.client``,
``components``, ``react-dom``, ``errorBoundaries``, ``emotion-react``,
``context``, ``state``…): the login page made 11 script requests for them.
They are always loaded together, so splitting them buys no caching (each
carries its content hash and is cached for a year, ``api/cache_headers.py``)
and costs a request each on a cold load — on 2 cores, ≈ 10 ms of CPU a
request across Chromium's processes and the server (``bench/page_cpu.py``).

:class:`SharedChunkPlugin` (declared in ``rxconfig.py``) adds to the
``vite.config.js`` Reflex writes at each compile one more Rolldown group,
``runtime``: the modules of :data:`SHARED_PACKAGES`, Reflex's ``utils/``
and ``styles/`` and the memo components of ``segur_app/components/`` (the
Marianne block) go into one chunk. What a single page needs
(``react-dropzone`` for the deposit forms, the portal's own page modules)
is left to Rolldown's default splitting, so a page never loads another
page's code; a package missing from the list is split as before. Reflex's
own ``reflex-env`` group (``env.json``) keeps precedence.

The login page now loads 7 scripts: React Router's manifest, ``entry.client``
and ``root`` (its entry modules, tiny now), Rolldown's runtime helper,
``reflex-env``, the ``runtime`` chunk and the page's route module.
"""

from __future__ import annotations

import re

from reflex_base import constants
from reflex_base.plugins import Plugin

VITE_CONFIG = constants.ReactRouter.VITE_CONFIG_FILE
CHUNK_NAME = "runtime"

# npm packages loaded by every page (React Router's entry and root route,
# Reflex's state and context), each a directory under node_modules; a scope
# (``@emotion``) stands for all its packages.
SHARED_PACKAGES = (
    "react", "react-dom", "react-router", "scheduler",
    "@emotion", "@babel/runtime", "hoist-non-react-statics", "react-is", "stylis",
    "socket.io-client", "socket.io-parser", "engine.io-client", "engine.io-parser", "@socket.io",
    "mergician", "universal-cookie", "cookie",
    "react-error-boundary", "sonner", "lucide-react",
)
# Modules under .web/: Reflex's utils/ (state.js, context.jsx, helpers) and
# styles/, and the memo components of segur_app/components/ (the frame every
# page shows: the Marianne block of components/branding.py); and reflex.json
# (imported by state.js).
SHARED_WEB_DIRS = ("utils", "styles", "app_components/segur_app/components")

# The group Reflex's template declares (the anchor of the insertion).
REFLEX_ENV_GROUP = re.compile(
    r'(?P<indent>[ \t]*)\{\s*test: /env\.json/,\s*name: "reflex-env",\s*\},\n')


class ViteConfigChanged(RuntimeError):
    """Reflex's vite.config.js no longer has the group this plugin extends."""


def _literal(text: str) -> str:
    """``text`` in a JavaScript regular expression (package names: letters,
    digits, ``-``, ``_``, ``.``, ``@``)."""
    return text.replace(".", r"\.")


def _package_pattern(name: str) -> str:
    parts = [_literal(part) for part in name.split("/")]
    if name.startswith("@") and len(parts) == 1:
        parts.append(r"[^\\/]+")  # every package of the scope
    return r"[\\/]".join(parts)


def group_test(web_dir_name: str = ".web") -> str:
    """The JavaScript regular expression literal matching the shared modules' ids."""
    sep = r"[\\/]"
    packages = "|".join(_package_pattern(name) for name in SHARED_PACKAGES)
    web = _literal(web_dir_name)
    dirs = "|".join(sep.join(_literal(part) for part in path.split("/")) for path in SHARED_WEB_DIRS)
    return (f"/{sep}node_modules{sep}(?:{packages}){sep}"
            f"|{sep}{web}{sep}(?:{dirs}){sep}"
            f"|{sep}{web}{sep}reflex\\.json$/")


def add_shared_chunk(config: str, web_dir_name: str = ".web") -> str:
    """``config`` (the text of vite.config.js) with the ``runtime`` group after
    Reflex's ``reflex-env`` group, which gets a higher priority. Idempotent."""
    if f'name: "{CHUNK_NAME}"' in config:
        return config
    match = REFLEX_ENV_GROUP.search(config)
    if match is None:
        raise ViteConfigChanged(
            f"{VITE_CONFIG}: Reflex's `reflex-env` code-splitting group was not found; "
            "segur_app/frontend/shared_chunk.py must follow the new template")
    pad = match["indent"]
    groups = (
        f'{pad}{{\n{pad}  test: /env.json/,\n{pad}  name: "reflex-env",\n{pad}  priority: 2,\n{pad}}},\n'
        f'{pad}{{\n{pad}  name: "{CHUNK_NAME}",\n{pad}  test: {group_test(web_dir_name)},\n'
        f'{pad}  priority: 1,\n{pad}}},\n'
    )
    return config[:match.start()] + groups + config[match.end():]


class SharedChunkPlugin(Plugin):
    """Puts the code every page loads into one chunk of the production build."""

    def pre_compile(self, **context) -> None:
        from reflex.utils import prerequisites

        web_dir_name = prerequisites.get_web_dir().name
        context["add_modify_task"](VITE_CONFIG, lambda text: add_shared_chunk(text, web_dir_name))
