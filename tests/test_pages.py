"""Page registration: every @template page is given to the app once.

Reflex applies ``@rx.page`` pages again at each compile of the same ``App``;
in production every forked worker compiles the app its parent compiled, which
logged « Page … is being redefined with the same component » per page and per
worker. The portal registers its pages with ``app.add_page`` instead.
"""

from __future__ import annotations

import logging

from reflex_base.registry import RegistrationContext

from segur_app import routes


def test_pages_are_registered_once_and_a_recompile_redefines_none(caplog) -> None:
    from segur_app.segur_app import app

    registered = dict(app._unevaluated_pages)
    assert RegistrationContext.ensure_context().decorated_pages == []
    assert {"connexion", "instruction/demandes-financement/dossier", "index"} <= set(registered)
    every_page_route = {
        value.strip("/") or "index" for name, value in vars(routes).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/")
        and not value.startswith(("/session/", "/documents", "/instruction/export/"))
    }
    assert every_page_route == set(registered)

    with caplog.at_level(logging.WARNING):
        app._apply_decorated_pages()  # the first step of every compile (reflex/compiler)
    assert "redefined" not in caplog.text
    assert dict(app._unevaluated_pages) == registered
