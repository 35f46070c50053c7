"""React Router's entry hydrates inside `startTransition` (5 ms slices, frames
between them); this variant hydrates in one synchronous render, in both apps."""

import re

from page_variants import Variant

ENTRY = "assets/entry.client-*.js"
# (0,x.startTransition)(()=>{(0,y.hydrateRoot)(document,(0,x.createElement)(z))});
IN_TRANSITION = re.compile(
    rb"\(0,\w+\.startTransition\)\(\(\)=>\{(\(0,\w+\.hydrateRoot\)\(document,\(0,\w+\.createElement\)\(\w+\)\))\}\);")

VARIANTS = {
    "hydration without startTransition": Variant(
        apps=("portal", "bare"),
        edits=(("portal", ENTRY, IN_TRANSITION, r"\1;"), ("bare", ENTRY, IN_TRANSITION, r"\1;")),
    ),
}
