"""The DSFR header's shadow: `filter: drop-shadow(--raised-shadow)`, the page's only blur.

An opaque rectangle's drop shadow is its box-shadow: the second variant draws
the same shadow without a filter (no offscreen layer for the header)."""

from page_variants import Variant

CSS = "dsfr-portail/portail.css"

VARIANTS = {
    "header without its shadow": Variant(edits=(("portal", CSS, "", ".fr-header{filter:none!important}"),)),
    "header shadow as box-shadow": Variant(edits=((
        "portal", CSS, "",
        ".fr-header{filter:none!important;box-shadow:0 1px 3px rgba(0,0,18,.16)}"),)),
}
