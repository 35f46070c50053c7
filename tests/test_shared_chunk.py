"""The code every page loads in one chunk (segur_app/frontend/shared_chunk.py).

The group is added to the vite.config.js of the pinned Reflex's own template;
its test captures the shared packages and Reflex's utils, never a page's own
modules nor a package only some pages use. tests/e2e/test_page_load.py checks
the scripts of the compiled login page.
"""

from __future__ import annotations

import re

import pytest
from reflex_base.compiler import templates

from segur_app.frontend import shared_chunk


def reflex_vite_config() -> str:
    """The vite.config.js Reflex writes for a production build."""
    return templates.vite_config_template(
        base="/", hmr=False, force_full_reload=False, experimental_hmr=False, sourcemap=False)


def captured(module_id: str, web_dir_name: str = ".web") -> bool:
    literal = shared_chunk.group_test(web_dir_name)
    assert literal.startswith("/") and literal.endswith("/")
    # The pattern uses only what JavaScript and Python regular expressions share.
    return re.search(literal[1:-1], module_id) is not None


def test_the_group_follows_reflex_env_in_reflex_own_template():
    config = reflex_vite_config()
    changed = shared_chunk.add_shared_chunk(config)
    groups = changed[changed.index("groups: ["):changed.index("],", changed.index("groups: ["))]
    assert groups.index('name: "reflex-env"') < groups.index('name: "runtime"')
    env = groups[:groups.index('name: "runtime"')]
    assert "test: /env.json/" in env and "priority: 2" in env
    assert f"test: {shared_chunk.group_test()}" in groups and "priority: 1" in groups
    # Nothing else of Reflex's configuration changes; a second pass adds nothing.
    assert changed.replace(groups, "") == config.replace(
        config[config.index("groups: ["):config.index("],", config.index("groups: ["))], "")
    assert shared_chunk.add_shared_chunk(changed) == changed


def test_a_template_without_reflex_env_group_fails_the_build():
    config = reflex_vite_config().replace('name: "reflex-env"', 'name: "env"')
    with pytest.raises(shared_chunk.ViteConfigChanged, match="reflex-env"):
        shared_chunk.add_shared_chunk(config)


@pytest.mark.parametrize("module_id", [
    "/srv/portail/.web/node_modules/react/cjs/react.production.js",
    "/srv/portail/.web/node_modules/react-dom/cjs/react-dom-client.production.js",
    "/srv/portail/.web/node_modules/react-router/dist/development/chunk-abc.mjs",
    "/srv/portail/.web/node_modules/@emotion/react/dist/emotion-react.browser.esm.js",
    "/srv/portail/.web/node_modules/@emotion/cache/dist/emotion-cache.browser.esm.js",
    "/srv/portail/.web/node_modules/@socket.io/component-emitter/lib/esm/index.js",
    "/srv/portail/.web/node_modules/socket.io-client/build/esm/index.js",
    "/srv/portail/.web/node_modules/@babel/runtime/helpers/esm/extends.js",
    "/srv/portail/.web/utils/state.js",
    "/srv/portail/.web/utils/context.jsx",
    "/srv/portail/.web/utils/helpers/upload.js",
    "/srv/portail/.web/styles/__reflex_global_styles.css?url",
    "/srv/portail/.web/reflex.json",
    "/srv/portail/.web/app_components/segur_app/components/branding.jsx",
    "C:\\portail\\.web\\node_modules\\react\\index.js",
])
def test_shared_modules_are_captured(module_id):
    assert captured(module_id)


@pytest.mark.parametrize("module_id", [
    # A package only the deposit and correction forms use.
    "/srv/portail/.web/node_modules/react-dropzone/dist/es/index.js",
    "/srv/portail/.web/node_modules/attr-accept/dist/es/index.js",
    # Names that only start like a shared package.
    "/srv/portail/.web/node_modules/react-helmet/es/Helmet.js",
    "/srv/portail/.web/node_modules/cookies-next/index.js",
    "/srv/portail/.web/node_modules/@babel/core/lib/index.js",
    # The pages' own code, React Router's entries and Reflex's env chunk.
    "/srv/portail/.web/app/routes/[connexion]._index.jsx",
    "/srv/portail/.web/app/root.jsx",
    "/srv/portail/.web/app/entry.client.js",
    "/srv/portail/.web/app_components/segur_app/pages/login.jsx",
    "/srv/portail/.web/env.json",
    # utils/ of a package, not Reflex's.
    "/srv/portail/.web/node_modules/file-selector/dist/es2015/utils/index.js",
])
def test_page_modules_and_other_packages_are_not(module_id):
    assert not captured(module_id)


def test_another_web_directory_name_is_followed():
    assert captured("/srv/portail/.web-prod/utils/state.js", ".web-prod")
    assert not captured("/srv/portail/.web/utils/state.js", ".web-prod")
