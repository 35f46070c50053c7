"""segur_app.links.absolute_url: the one way to write an absolute link."""

from __future__ import annotations

import pytest

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.links import absolute_url


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch):
    def use(url: str) -> None:
        monkeypatch.setenv("SEGUR_PUBLIC_URL", url)
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


def test_route_after_the_public_address(public_url) -> None:
    public_url("https://segurnum.asp-public.fr/segurnum")
    assert absolute_url(routes.ASSISTANCE) == (
        "https://segurnum.asp-public.fr/segurnum/contacter-assistance"
    )
    public_url("http://localhost:3000/")  # a trailing slash gives no double slash
    assert absolute_url(routes.LOGIN) == "http://localhost:3000/connexion"
    assert absolute_url(routes.HOME) == "http://localhost:3000/"


def test_query_is_url_encoded_and_none_left_out(public_url) -> None:
    public_url("http://localhost:3000")
    url = absolute_url(routes.RESET_PASSWORD, **{routes.RESET_TOKEN_PARAM: "a b&c=d/é"})
    assert url == "http://localhost:3000/reinitialiser-mot-de-passe?jeton=a+b%26c%3Dd%2F%C3%A9"
    assert absolute_url(routes.STAFF_FUNDING_REQUESTS, q="LE SELECT", page=2, statut=None) == (
        "http://localhost:3000/instruction/demandes-financement?q=LE+SELECT&page=2"
    )


def test_only_routes_are_accepted() -> None:
    with pytest.raises(ValueError):
        absolute_url("connexion")
