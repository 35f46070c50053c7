"""antivirus: the clamd verdict of each attachment

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:30:00

* ``attachment.scan_result``: ``sain``, ``infecte``, ``erreur`` or
  ``non_analyse`` (segur_app/domain/models.ScanResult); the rows stored before
  this revision were not scanned (``non_analyse``).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCAN_RESULTS = "scan_result IN ('sain', 'infecte', 'erreur', 'non_analyse')"


def upgrade() -> None:
    # ``attachment`` carries no trigger: recreating it on SQLite (batch mode) is safe.
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_result', sa.String(length=16), nullable=False,
                                      server_default='non_analyse'))
        batch_op.create_check_constraint(op.f('ck_attachment_scan_result_valid'), SCAN_RESULTS)


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_scan_result_valid'), type_='check')
        batch_op.drop_column('scan_result')
