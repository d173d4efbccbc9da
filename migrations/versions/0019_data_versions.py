"""data versions: a number per domain that changes with what its readers read (issue 12)

The compliance report is kept per process under the version of the data it was
computed from (lms.reports.cache); lms.reports.versions bumps the row of a domain in
the same transaction as any write to its tables.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 17:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

DOMAINS = ('reports', 'units')


def upgrade():
    table = op.create_table(
        'data_versions',
        sa.Column('domain', sa.String(length=40), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('domain', name=op.f('pk_data_versions')),
    )
    op.bulk_insert(table, [{'domain': domain, 'version': 0, 'token': secrets.token_hex(16)}
                           for domain in DOMAINS])


def downgrade():
    op.drop_table('data_versions')
