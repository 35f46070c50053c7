"""auth epoch: one counter bumped by every change that ends or alters a session

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:05:00

See segur_app/domain/session_cache.py: the workers cache validated sessions and
compare this counter at every event.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    epoch = op.create_table('auth_epoch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_epoch'))
    )
    op.bulk_insert(epoch, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table('auth_epoch')
