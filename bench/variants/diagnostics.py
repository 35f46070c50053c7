"""What parts of the DSFR frame cost the login page (bench/README « Figures of 2026-12-06 »).

Diagnostics, not proposals: each removes something the page must keep."""

from page_variants import Variant

CSS = "dsfr-portail/portail.css"


def rule(css: str) -> Variant:
    """The page with one more rule at the end of the portal's stylesheet."""
    return Variant(edits=(("portal", CSS, "", css),))


VARIANTS = {
    "no filter, no box-shadow": rule("*,*::before,*::after{box-shadow:none!important;filter:none!important}"),
    "no mask icon": rule("*::before,*::after{-webkit-mask-image:none!important;mask-image:none!important}"),
    "no visible text": rule("body *{color:transparent!important}"),
    "websocket never connected": Variant(block_websocket=True),
}
