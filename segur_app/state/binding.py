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
"""

from __future__ import annotations

from reflex.middleware import Middleware

from segur_app.state.base import SessionState, wipe_tab


class TabBinding(Middleware):
    async def preprocess(self, app, state, event):
        base = await state.get_state(SessionState)
        presented = base._session_key()
        if base._bound_key != presented:
            await wipe_tab(base, bound_key=presented)
        return None
