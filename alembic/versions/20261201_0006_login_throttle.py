"""login throttle: failed logins counted per identifiant typed, known or not

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:36:48.381954

The lockout counters move from ``user_account`` to ``login_throttle`` (see
segur_app/domain/throttling.py); the counters and locks in force are carried
over, so a deployment does not unlock an account under attack.
"""
import hashlib
import unicodedata
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _key(identifiant: str) -> str:
    # Frozen copy of throttling.identifiant_key as of this revision.
    normalised = unicodedata.normalize("NFKC", identifiant).strip().casefold()
    return hashlib.sha256(f"login:{normalised}".encode()).hexdigest()


def upgrade() -> None:
    throttle = op.create_table('login_throttle',
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_last_failure_at'), ['last_failure_at'], unique=False)

    now = datetime.now(timezone.utc)
    rows = op.get_bind().execute(sa.text(
        "SELECT identifiant, failed_login_count, locked_until FROM user_account "
        "WHERE failed_login_count > 0 OR locked_until IS NOT NULL"
    )).all()
    carried = {}
    for identifiant, failures, locked_until in rows:
        if isinstance(locked_until, str):  # SQLite without type information
            locked_until = datetime.fromisoformat(locked_until)
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=timezone.utc)
        carried[_key(identifiant)] = {
            "key_hash": _key(identifiant), "failed_count": failures or 0,
            "last_failure_at": now,
            "locked_until": locked_until if locked_until and locked_until > now else None,
        }
    if carried:
        op.bulk_insert(throttle, list(carried.values()))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('failed_login_count')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_login_count', sa.Integer(), nullable=False,
                                      server_default='0'))

    bind = op.get_bind()
    counters = {
        key: (failures, locked_until)
        for key, failures, locked_until in bind.execute(sa.text(
            "SELECT key_hash, failed_count, locked_until FROM login_throttle"))
    }
    if counters:
        for user_id, identifiant in bind.execute(
                sa.text("SELECT id, identifiant FROM user_account")).all():
            if _key(identifiant) in counters:
                failures, locked_until = counters[_key(identifiant)]
                bind.execute(
                    sa.text("UPDATE user_account SET failed_login_count = :f, "
                            "locked_until = :l WHERE id = :i"),
                    {"f": failures, "l": locked_until, "i": user_id},
                )

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failure_at'))

    op.drop_table('login_throttle')
