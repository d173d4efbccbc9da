"""course review metadata: reviewed_on and sources from course.yml (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('sources')
        batch_op.drop_column('reviewed_on')
