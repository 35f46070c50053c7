"""Keep only the DSFR rules the portal's pages can match (pure functions, no I/O).

The DSFR ships one stylesheet for all its components (≈ 710 KB) and one for
its ≈ 1,600 icons (≈ 350 KB); the portal uses a few dozen components and a
dozen icons. :func:`subset` removes the selectors that cannot match any
element of the portal, judged by the classes (and ``data-fr-…`` attributes)
its pages use (:class:`Usage`, read from the compiled pages):

* a selector is kept unless it *requires* a DSFR class (``fr-…``) the portal
  cannot carry. Only what is outside parentheses is required: ``.fr-card
  .fr-btn`` requires both classes, ``a:not(.fr-btn)`` none (what a
  ``:not()``/``:is()``/``:where()``/``:has()`` holds is never judged);
* the judgement is by **family**, not by exact class: a family is the first
  word of the class (``fr-btn``, ``fr-btn--secondary`` and ``fr-btn__x`` are
  family ``btn``; ``fr-btns-group--inline-md`` is ``btns``). A family the
  portal uses keeps all its rules, modifiers and sizes included, so a
  modifier built at run time (``f"fr-alert--{kind}"``) is still styled; a
  family it never uses (tile, tabs, tags, quotes…) is dropped whole;
* icons, spacing utilities and grid columns are judged class by class,
  because they are hundreds of independent classes: ``.fr-icon-mail-line`` is
  kept only if the portal uses that icon, ``.fr-mb-md-4w`` or ``.fr-col-lg-6``
  only if that class is used (the icon size modifiers ``fr-icon--sm``… are the
  family ``icon``). A page completing such a class at run time (a compiled
  ``"fr-icon-"`` with nothing after it) keeps every class with that prefix;
* classes that are not the DSFR's (no ``fr-`` prefix) are never judged;
* the DSFR's own attributes (``data-fr-…``, set by its JavaScript, which the
  portal does not load, or by a page) are judged like classes:
  ``:root[data-fr-theme=dark]`` (the dark theme) or ``[data-fr-js-range]`` are
  dropped unless the pages use that attribute; no other attribute
  (``[href]``, ``[type=checkbox]``, ``[class^=fr-icon-]``…) is judged.

Then the custom properties nothing can read are dropped
(:func:`prune_custom_properties`): ``--x`` is kept when a ``var(--x)``
appears in a kept declaration, in the value of a kept custom property, or in
``extra_texts`` (segur.css and the compiled pages, whose inline styles may use
``var()``). The DSFR defines 1,006 of them, the portal's rules read ≈ 470.

Rules left without selectors or declarations are dropped, then at-rule blocks
left empty. ``@font-face``, ``@keyframes`` and the other at-rules without
selectors are kept, except that ``src`` lists keep their ``woff2`` sources
only (every browser the DSFR supports reads woff2; the ``woff`` fallbacks are
for IE11), and that ``@media`` blocks whose every query tests
``-ms-high-contrast`` (IE and legacy Edge only, "not all" for every current
browser) are dropped. Comments go, except the licence (``/*! … */``). The syntax (parsing,
serialising, ``url()``) is :mod:`segur_app.frontend.css_syntax`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from segur_app.frontend.css_syntax import (
    Node,
    declarations,
    find_top_level,
    parse,
    rewrite_urls,
    rules,
    serialise,
    skip_string,
    split_selector_list,
)

_CLASS_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])fr-[A-Za-z0-9_@-]*")
_ATTRIBUTE_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])data-fr-[A-Za-z0-9_-]*[A-Za-z0-9_]")
_FAMILY = re.compile(r"fr-([A-Za-z0-9]+)")
# Judged class by class: icons, spacing utilities (fr-mb-4w, fr-px-md-2v...),
# grid columns (fr-col-12, fr-col-md-6, fr-col-offset-2...).
_EXACT = re.compile(r"fr-(?:(?:icon|fi)-(?!-)|(?:[mp][trblxy]?|col)(?:-|$))")


@dataclass(frozen=True)
class Usage:
    """The DSFR classes the portal's pages can carry."""

    classes: frozenset[str]
    families: frozenset[str]
    # Tokens ending with "-": a class completed at run time ("fr-icon-" + name).
    prefixes: tuple[str, ...]
    attributes: frozenset[str]

    @classmethod
    def from_sources(cls, texts: Iterable[str]) -> Usage:
        """Every ``fr-…`` and ``data-fr-…`` token of the compiled pages (JS/JSX text)."""
        texts = list(texts)
        classes = {token for text in texts for token in _CLASS_TOKEN.findall(text)}
        attributes = {token for text in texts for token in _ATTRIBUTE_TOKEN.findall(text)}
        prefixes = tuple(sorted(token for token in classes if token.endswith("-")))
        families = {family(token) for token in classes} - {None}
        return cls(frozenset(classes), frozenset(families), prefixes, frozenset(attributes))

    def allows(self, class_name: str) -> bool:
        """Whether an element of the portal may carry ``class_name``."""
        if not class_name.startswith("fr-"):
            return True
        if _EXACT.match(class_name):
            return class_name in self.classes or (bool(self.prefixes) and class_name.startswith(self.prefixes))
        return family(class_name) in self.families

    def allows_attribute(self, name: str) -> bool:
        """Whether an element may carry the attribute ``name`` (only the DSFR's
        ``data-fr-…`` attributes are judged)."""
        return not name.startswith("data-fr-") or name in self.attributes


def class_tokens(text: str) -> list[str]:
    """Every ``fr-…`` token of a text (compiled page, Python source)."""
    return _CLASS_TOKEN.findall(text)


def family(class_name: str) -> str | None:
    """``fr-btns-group--inline`` → ``btns``; ``fr-`` alone → None."""
    match = _FAMILY.match(class_name)
    return match.group(1).lower() if match else None



# --------------------------------------------------------------------------- #
# Selectors
# --------------------------------------------------------------------------- #




_IDENT_CHAR = re.compile(r"[A-Za-z0-9_\-\u0080-\uffff]")


_ATTRIBUTE_NAME = re.compile(r"\[\s*([A-Za-z0-9_-]+)")


def required_attributes(selector: str) -> list[str]:
    """The attribute names ``selector`` requires outside parentheses
    (``:root[data-fr-theme=dark]`` → ``data-fr-theme``)."""
    names, i, depth = [], 0, 0
    while i < len(selector):
        char = selector[i]
        if char in "\"'":
            i = skip_string(selector, i)
            continue
        if char == "\\":
            i += 2
            continue
        if char == "[" and depth == 0:
            match = _ATTRIBUTE_NAME.match(selector, i)
            if match:
                names.append(match.group(1).lower())
            i = find_top_level(selector, i + 1, "]") + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        i += 1
    return names


def can_match(selector: str, usage: Usage) -> bool:
    """False when ``selector`` requires a class or a ``data-fr-`` attribute no
    element of the portal can carry."""
    return (all(usage.allows(name) for name in required_classes(selector))
            and all(usage.allows_attribute(name) for name in required_attributes(selector)))


def required_classes(selector: str) -> list[str]:
    """The classes an element must carry for ``selector`` to match, as far as
    the selector says outside parentheses and attribute brackets."""
    classes, i, depth = [], 0, 0
    while i < len(selector):
        char = selector[i]
        if char in "\"'":
            i = skip_string(selector, i)
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "\\":
            i += 2
            continue
        elif char == "." and depth == 0:
            j, name = i + 1, []
            while j < len(selector):
                if selector[j] == "\\" and j + 1 < len(selector):
                    name.append(selector[j + 1])
                    j += 2
                elif _IDENT_CHAR.match(selector[j]):
                    name.append(selector[j])
                    j += 1
                else:
                    break
            if name:
                classes.append("".join(name))
            i = j
            continue
        i += 1
    return classes


# --------------------------------------------------------------------------- #
# Filtering
# --------------------------------------------------------------------------- #


def _legacy_media(prelude: str) -> bool:
    """@media whose every query tests -ms-high-contrast (IE / legacy Edge only)."""
    queries = split_selector_list(prelude[len("@media"):])
    return all("-ms-high-contrast" in query for query in queries)


def woff2_only(body: str) -> str:
    """An @font-face body whose ``src`` keeps its woff2 sources only (all of
    them when none is woff2)."""
    def rewrite(match: re.Match) -> str:
        sources = split_selector_list(match.group(2))
        kept = [s for s in sources if re.search(r"format\(\s*[\"']?woff2", s)]
        return match.group(1) + ",".join(s.strip() for s in (kept or sources))

    return re.sub(r"(\bsrc\s*:)([^;}]*)", rewrite, body)


@dataclass
class Stats:
    rules_in: int = 0
    rules_out: int = 0
    selectors_in: int = 0
    selectors_out: int = 0



_VAR_REFERENCE = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")
_CUSTOM_PROPERTY = re.compile(r"\s*(--[A-Za-z0-9_-]+)\s*:")


def _other_blocks(nodes: list[Node]):
    """The bodies of the at-rules kept as text (@keyframes, @font-face...)."""
    for node in nodes:
        if node.kind == "at" and node.body is not None:
            yield node.body
        elif node.children is not None:
            yield from _other_blocks(node.children)


def prune_custom_properties(nodes: list[Node], extra_texts: Iterable[str] = ()) -> list[Node]:
    """Drop the definitions of custom properties nothing can read (see the
    module's docstring), in place; returns ``nodes``."""
    definitions: dict[str, list[str]] = {}
    read: set[str] = set()
    for text in [*extra_texts, *_other_blocks(nodes)]:
        read.update(_VAR_REFERENCE.findall(text))
    for node in rules(nodes):
        for declaration in declarations(node.body or ""):
            match = _CUSTOM_PROPERTY.match(declaration)
            if match:
                definitions.setdefault(match.group(1), []).append(declaration[match.end():])
            else:
                read.update(_VAR_REFERENCE.findall(declaration))
    # Properties read by the properties that are read, and so on.
    todo = list(read)
    while todo:
        for value in definitions.get(todo.pop(), ()):
            for name in _VAR_REFERENCE.findall(value):
                if name not in read:
                    read.add(name)
                    todo.append(name)
    for node in rules(nodes):
        kept = [d for d in declarations(node.body or "")
                if not ((match := _CUSTOM_PROPERTY.match(d)) and match.group(1) not in read)]
        node.body = ";".join(kept)
    return nodes


def _drop_empty(nodes: list[Node]) -> list[Node]:
    kept = []
    for node in nodes:
        if node.kind == "rule" and node.body is not None and not node.body.strip():
            continue
        if node.children is not None:
            node.children = _drop_empty(node.children)
            if not node.children:
                continue
        kept.append(node)
    return kept


def subset(css: str, usage: Usage, *, rewrite_url: Callable[[str], str] | None = None,
           stats: Stats | None = None, extra_texts: Iterable[str] | None = None) -> str:
    """``css`` without the selectors the portal cannot match (see the module's
    docstring); ``rewrite_url`` maps every ``url()`` of what is kept. With
    ``extra_texts`` (the other CSS and the pages), unread custom properties
    are dropped too."""
    stats = stats if stats is not None else Stats()
    licences: set[str] = set()

    def filter_nodes(nodes: list[Node]) -> list[Node]:
        kept: list[Node] = []
        for node in nodes:
            if node.kind == "comment":
                if node.prelude.startswith("/*!") and node.prelude not in licences:
                    licences.add(node.prelude)  # the licence, once
                    kept.append(node)
            elif node.kind == "rule":
                if node.body is None:
                    continue
                stats.rules_in += 1
                selectors = split_selector_list(node.prelude)
                stats.selectors_in += len(selectors)
                matching = [s for s in selectors if can_match(s, usage)]
                if matching:
                    stats.rules_out += 1
                    stats.selectors_out += len(matching)
                    kept.append(Node("rule", ",".join(s.strip() for s in matching), node.body))
            elif node.children is not None:
                if node.at_name == "media" and _legacy_media(node.prelude):
                    continue
                children = filter_nodes(node.children)
                if children:
                    kept.append(Node("at", node.prelude, children=children))
            elif node.at_name == "font-face" and node.body is not None:
                kept.append(Node("at", node.prelude, body=woff2_only(node.body)))
            else:
                kept.append(node)
        return kept

    nodes = filter_nodes(parse(css))
    if extra_texts is not None:
        nodes = _drop_empty(prune_custom_properties(nodes, extra_texts))
    out = serialise(nodes)
    if rewrite_url is not None:
        out = rewrite_urls(out, rewrite_url)
    return out

