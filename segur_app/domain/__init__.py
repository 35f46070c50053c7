"""Domain layer: plain Python services over SQLModel tables. Never imports Reflex."""

# Every ORM session of the process bumps the auth epoch when it revokes a session
# or alters an account's rights (see session_cache): registered once, here.
from segur_app.domain import session_cache as _session_cache  # noqa: E402, F401
