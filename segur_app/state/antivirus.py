"""Whether the antivirus scan is switched off (``SEGUR_ANTIVIRUS=off``): the staff
dashboard then says so (« Analyse antivirus désactivée »)."""

from __future__ import annotations

import reflex as rx

from segur_app.core.config import get_settings
from segur_app.state.base import SessionState


class AntivirusNoticeState(SessionState):
    @rx.var
    def antivirus_disabled(self) -> bool:
        return get_settings().antivirus_mode == "off"
