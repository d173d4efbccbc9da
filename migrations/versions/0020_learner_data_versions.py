"""learner data versions: a signed-in learner's pages kept under their data's version (issue 12)

``users.data_version`` changes with every write to the learner's own rows, and the
``learners`` row of data_versions with every other write a learner page reads
(lms.learning.versions); lms.http_cache.learner_page keeps pages under both.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 20:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.BigInteger(), server_default='0',
                                      nullable=False))
    versions = sa.table('data_versions', sa.column('domain', sa.String),
                        sa.column('version', sa.BigInteger), sa.column('token', sa.String))
    op.bulk_insert(versions, [{'domain': 'learners', 'version': 0,
                               'token': secrets.token_hex(16)}])


def downgrade():
    op.execute("DELETE FROM data_versions WHERE domain = 'learners'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('data_version')
