"""question pools and attempt rules: the pool size, cooldown and time limit on the
course row (from `courses sync`), and an attempt's deadline

Until now every quiz asked all of its questions with no cooldown and no time limit,
so existing courses get a pool the size of their quiz and zero minutes; a
`courses sync` after upgrading stores what quiz.yml says.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_pool_questions', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('quiz_cooldown_minutes', sa.Integer(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('quiz_time_limit_minutes', sa.Integer(),
                                      server_default='0', nullable=False))
    courses = sa.table('courses', sa.column('quiz_questions', sa.Integer()),
                       sa.column('quiz_pool_questions', sa.Integer()))
    op.get_bind().execute(courses.update().values(quiz_pool_questions=courses.c.quiz_questions))

    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('deadline')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('quiz_time_limit_minutes')
        batch_op.drop_column('quiz_cooldown_minutes')
        batch_op.drop_column('quiz_pool_questions')
