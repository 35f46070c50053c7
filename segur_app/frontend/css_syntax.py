"""Just enough CSS syntax for minified stylesheets (pure functions, no I/O).

Strings, comments, ``url()``, nested blocks, selector lists and declaration
lists; what the parser does not understand is kept as text. :func:`parse`
turns a stylesheet into :class:`Node` s, :func:`serialise` writes them back.
:mod:`segur_app.frontend.css_subset` judges the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "GROUPING_AT_RULES",
    "Node",
    "declarations",
    "find_top_level",
    "parse",
    "rewrite_urls",
    "rules",
    "serialise",
    "skip_string",
    "split_selector_list",
    "urls",
]

# At-rules whose block holds rules (filtered recursively); every other block
# (@font-face, @keyframes, @page, @property...) is kept as it is.
GROUPING_AT_RULES = {"media", "supports", "layer", "container", "document", "-moz-document"}

_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))\s*\)")


@dataclass
class Node:
    """A comment, a rule (``prelude{body}``) or an at-rule (``@x prelude;`` or
    with a block: ``children`` parsed for grouping at-rules, else ``body``)."""

    kind: str  # "comment" | "rule" | "at"
    prelude: str = ""
    body: str | None = None
    children: list[Node] | None = None

    @property
    def at_name(self) -> str:
        return self.prelude[1:].split("(", 1)[0].split(None, 1)[0].lower() if self.kind == "at" else ""


def skip_string(css: str, i: int) -> int:
    """Index after the string starting at ``css[i]`` (a quote)."""
    quote = css[i]
    i += 1
    while i < len(css):
        char = css[i]
        if char == "\\":
            i += 2
            continue
        if char == quote or char == "\n":
            return i + 1
        i += 1
    return i


def _skip_comment(css: str, i: int) -> int:
    end = css.find("*/", i + 2)
    return len(css) if end < 0 else end + 2


def _code(css: str, i: int) -> Iterator[tuple[int, str]]:
    """``(index, character)`` of ``css`` from ``i``, strings, comments and escaped
    characters passed over: what the scanners below look at."""
    while i < len(css):
        char = css[i]
        if char in "\"'":
            i = skip_string(css, i)
            continue
        if char == "/" and css.startswith("/*", i):
            i = _skip_comment(css, i)
            continue
        if char == "\\":
            i += 2
            continue
        yield i, char
        i += 1


def find_top_level(css: str, i: int, stops: str) -> int:
    """Index of the first character of ``stops`` at nesting depth 0 from ``i``
    (strings, comments, parentheses and brackets skipped); len(css) if none."""
    depth = 0
    for at, char in _code(css, i):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and char in stops:
            return at
    return len(css)


def _block_end(css: str, i: int) -> int:
    """``css[i]`` is ``{``: index of its matching ``}``."""
    depth = 0
    for at, char in _code(css, i):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at
    return len(css)  # unclosed at the end: closed there, as browsers do


def parse(css: str) -> list[Node]:
    nodes: list[Node] = []
    i = 0
    while i < len(css):
        if css[i].isspace():
            i += 1
            continue
        if css.startswith("/*", i):
            end = _skip_comment(css, i)
            nodes.append(Node("comment", css[i:end]))
            i = end
            continue
        if css[i] == "}":  # stray closing brace: skip it (browsers do)
            i += 1
            continue
        stop = find_top_level(css, i, "{;}" if css[i] == "@" else "{}")
        prelude = css[i:stop].strip()
        if stop >= len(css) or css[stop] in ";}":
            if prelude:
                nodes.append(Node("at" if prelude.startswith("@") else "rule", prelude))
            i = stop + 1
            continue
        end = _block_end(css, stop)
        body = css[stop + 1:end]
        if prelude.startswith("@"):
            node = Node("at", prelude)
            if node.at_name in GROUPING_AT_RULES:
                node.children = parse(body)
            else:
                node.body = body
            nodes.append(node)
        else:
            nodes.append(Node("rule", prelude, body))
        i = end + 1
    return nodes


def serialise(nodes: list[Node]) -> str:
    out = []
    for node in nodes:
        if node.kind == "comment":
            out.append(node.prelude)
        elif node.children is not None:
            out.append(node.prelude + "{" + serialise(node.children) + "}")
        elif node.body is not None:
            out.append(node.prelude + "{" + node.body + "}")
        else:
            out.append(node.prelude + ";")
    return "".join(out)



def rules(nodes: list[Node]) -> Iterator[Node]:
    """Every style rule of ``nodes``, those inside grouping at-rules included."""
    for node in nodes:
        if node.kind == "rule" and node.body is not None:
            yield node
        elif node.children is not None:
            yield from rules(node.children)


def split_selector_list(prelude: str) -> list[str]:
    parts, i, start = [], 0, 0
    while True:
        comma = find_top_level(prelude, i, ",")
        parts.append(prelude[start:comma])
        if comma >= len(prelude):
            return parts
        i = start = comma + 1


def declarations(body: str) -> list[str]:
    """The declarations of a rule body, split on top-level semicolons."""
    out, i = [], 0
    while i < len(body):
        end = find_top_level(body, i, ";")
        if body[i:end].strip():
            out.append(body[i:end].strip())
        i = end + 1
    return out


def urls(css: str) -> list[str]:
    """Every ``url()`` of a stylesheet, unquoted."""
    return [next(g for g in match.groups() if g is not None) for match in _URL.finditer(css)]


def rewrite_urls(css: str, rewrite: Callable[[str], str]) -> str:
    def replace(match: re.Match) -> str:
        url = next(g for g in match.groups() if g is not None)
        new = rewrite(url)
        return match.group(0) if new == url else f"url({new})"

    return _URL.sub(replace, css)
