"""Moving the keyboard focus from a handler (new step, first error, confirmation)."""

from __future__ import annotations

import reflex as rx


def focus(selector: str):
    """Move the focus once React has rendered the change."""
    return rx.call_script(f"setTimeout(() => document.querySelector('{selector}')?.focus(), 60)")
