"""The parameters of a Reflex event handler, and whether client values fit them.

Shared by the websocket guard and the upload checks: a client may only call a
handler with the arguments it declares (all required ones present), each of a
type its annotation allows.
"""

from __future__ import annotations

import enum
import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

_INT_RE = re.compile(r"[+-]?\d{1,19}")
_FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BOOL_STRINGS = frozenset({"true", "false"})


@dataclass(frozen=True)
class HandlerSignature:
    """What a handler accepts; ``open_kwargs`` with no ``params``: anything."""

    params: frozenset[str]
    required: frozenset[str]
    open_kwargs: bool
    hints: dict[str, Any] = field(default_factory=dict)
    # The ``list[rx.UploadFile]`` parameter of an upload handler, else None.
    upload_param: str | None = None


def handler_signature(handler: Any) -> HandlerSignature:
    """The parameters of a Reflex ``EventHandler`` (or plain method), ``self`` excluded.

    Decorated handlers are unwrapped (``functools.wraps``) for their annotations.
    """
    fn = getattr(handler, "fn", handler)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return HandlerSignature(frozenset(), frozenset(), True)
    params = list(sig.parameters.values())[1:]  # drop ``self``
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return HandlerSignature(frozenset(), frozenset(), True)
    named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    try:
        hints = typing.get_type_hints(inspect.unwrap(fn))
    except Exception:  # noqa: BLE001 - unresolvable annotations: check names only
        hints = {}
    return HandlerSignature(
        params=frozenset(p.name for p in named),
        required=frozenset(p.name for p in named if p.default is p.empty),
        open_kwargs=any(p.kind is p.VAR_KEYWORD for p in params),
        hints={p.name: hints[p.name] for p in named if p.name in hints},
        upload_param=next((p.name for p in named if _is_upload_list(hints.get(p.name))), None),
    )


def _is_upload_list(hint: Any) -> bool:
    """``list[rx.UploadFile]`` (what Reflex requires of an upload handler)."""
    if typing.get_origin(hint) is not list:
        return False
    from reflex_components_core.core._upload import UploadFile

    (item, *_) = typing.get_args(hint) or (None,)
    return isinstance(item, type) and issubclass(item, UploadFile)


def value_matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` (decoded JSON) can be what ``hint`` asks for.

    Lenient where Reflex converts (strings for numbers and booleans, lists for
    tuples and sets); unknown or complex hints accept anything.
    """
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(value_matches(value, arg) for arg in typing.get_args(hint))
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    base = origin or hint
    if not isinstance(base, type):
        return True
    if base is bool:
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOL_STRINGS)
    if base is int:
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and _INT_RE.fullmatch(value.strip()) is not None
        )
    if base is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()) is not None
        )
    if base is str:
        return isinstance(value, str)
    if issubclass(base, enum.Enum):
        return any(value == member.value for member in base)
    if base in (list, tuple, set, frozenset):
        if not isinstance(value, list):
            return False
        args = typing.get_args(hint)
        return base is tuple or not args or all(value_matches(item, args[0]) for item in value)
    if base is dict:
        return isinstance(value, dict)
    return True  # models, dataclasses, upload files...: Reflex's business
