"""Each tab's states belong to one session: a Reflex middleware enforces it.

Reflex keeps a tab's states on the server under the tab's token (memory,
``.states/`` or Redis) and sends them on every (re)connection. Before ANY
event of a tab is handled — the hydrate of a reload included — this
middleware compares the session key the event presents (from the websocket
handshake, see ``api.session.SessionHandshake``) with the key the states were
filled for. When they differ (logout, a new login, a cleared cookie, someone
replaying a tab token with another cookie or none), every state of the tab
is reset to its defaults before anything is sent: nothing of the previous
user can reach the browser. It resets the whole tree, not a list of states.

Expiry and revocation keep the same key: ``SessionState._authorise`` wipes
the tab the first time the policy refuses it.

Uploads (``POST /_upload``) carry no router data of their own: Reflex runs
them with the tab's last websocket headers. An upload whose own cookie is not
the session the tab is bound to (``core.session.upload_keys``) is dropped
before its handler runs, so knowing a tab token is not enough to act in it.
"""

from __future__ import annotations

import logging

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import StateUpdate

from segur_app.core.session import upload_keys
from segur_app.state.base import SessionState, wipe_tab

log = logging.getLogger(__name__)


class TabBinding(Middleware):
    async def preprocess(self, app, state, event):
        base = await state.get_state(SessionState)
        presented = base._session_key()
        if base._bound_key != presented:
            await wipe_tab(base, bound_key=presented)
        uploaders = upload_keys(base.router.session.client_token) if _carries_files(event) else None
        if uploaders and uploaders != {base._bound_key}:
            log.warning("upload refused: its session is not the one of the tab")
            return StateUpdate()  # nothing runs, nothing is sent
        return None


def _carries_files(event) -> bool:
    """An upload's event: files among its arguments."""
    payload = getattr(event, "payload", None) or {}
    return any(
        isinstance(value, list) and any(isinstance(item, rx.UploadFile) for item in value)
        for value in payload.values()
    )
