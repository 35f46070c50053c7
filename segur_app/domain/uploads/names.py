"""Uploaded file names: only metadata, cleaned before they are shown or trusted.

The extension is taken after stripping directories and control characters, so
``"facture.pdf\\x00.exe"`` is an ``.exe``; the name shown is harmless
(:func:`safe_display_name`).
"""

from __future__ import annotations

import re
import unicodedata

MAX_DISPLAY_NAME = 120
DEFAULT_DISPLAY_STEM = "document"

# Control, format (bidi overrides, zero-width...), surrogate and private-use
# characters are dropped; line/paragraph separators become spaces.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACE_CATEGORIES = frozenset({"Zl", "Zp"})
_EXT_RE = re.compile(r"\.[^\s.]{1,10}")


def clean_base(name: str | None) -> str:
    """Last path component, without control/format characters (incl. bidi
    overrides such as U+202E), whitespace collapsed, outer spaces and trailing
    dots removed. Leading dots are kept (they matter for the extension)."""
    text = unicodedata.normalize("NFC", name or "")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES:
            kept.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            kept.append(char)
    text = "".join(kept)
    text = re.split(r"[/\\]", text)[-1]
    text = " ".join(text.split())
    return text.strip().rstrip(". ")


def split_extension(base: str) -> tuple[str, str]:
    """(stem, extension) of a cleaned base name; the extension keeps its dot
    and case. ``".pdf"`` gives ``("", ".pdf")``; no dot gives ``(base, "")``."""
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return base, ""
    return stem, "." + ext


def safe_display_name(name: str | None) -> str:
    """A harmless name to show for an uploaded file.

    Directories (``/`` and ``\\``), control and invisible formatting characters
    (bidi overrides...) are removed, whitespace collapsed, leading dots/spaces
    stripped; letters of every script are kept. At most 120 characters, the
    extension kept. An empty result (or ``..``) becomes ``document`` + extension.
    """
    stem, ext = split_extension(clean_base(name))
    if ext and not _EXT_RE.fullmatch(ext):
        stem, ext = f"{stem}{ext}", ""
    stem = stem.strip(". ")
    if not stem:
        stem = DEFAULT_DISPLAY_STEM
    if len(stem) + len(ext) > MAX_DISPLAY_NAME:
        stem = stem[: MAX_DISPLAY_NAME - len(ext)].rstrip(". ") or DEFAULT_DISPLAY_STEM
    return stem + ext
