"""generated documents: deposit receipts and decision letters (PDF)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:19:12

``generated_document`` links a PDF the portal issued (its file is an
``attachment`` row, kind « autre ») to its dossier: a funding request or an
enrolment, one document of each kind per dossier (segur_app/domain/receipts.py,
segur_app/domain/letters.py).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('generated_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('funding_request_id', sa.Integer(), nullable=True),
    sa.Column('enrolment_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('accuse_depot', 'decision')", name=op.f('ck_generated_document_kind_valid')),
    sa.CheckConstraint('(funding_request_id IS NULL) <> (enrolment_id IS NULL)', name=op.f('ck_generated_document_one_dossier')),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_generated_document_attachment_id_attachment')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_generated_document_enrolment_id_enrolment')),
    sa.ForeignKeyConstraint(['funding_request_id'], ['funding_request.id'], name=op.f('fk_generated_document_funding_request_id_funding_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_document')),
    sa.UniqueConstraint('attachment_id', name=op.f('uq_generated_document_attachment_id')),
    sa.UniqueConstraint('enrolment_id', 'kind', name=op.f('uq_generated_document_enrolment_id_kind')),
    sa.UniqueConstraint('funding_request_id', 'kind', name=op.f('uq_generated_document_funding_request_id_kind'))
    )


def downgrade() -> None:
    op.drop_table('generated_document')
