"""quiz attempts keep their question ids beside the questions (issue 12)

A pool's draw reads which questions each of the learner's earlier attempts showed;
reading and decoding every attempt's whole questions (texts, choices, answers) made
opening a quiz slower with each attempt a learner had made.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 11:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_ids', sa.JSON(), nullable=True))
    attempts = sa.table('quiz_attempts', sa.column('id', sa.Integer),
                        sa.column('questions', sa.JSON), sa.column('question_ids', sa.JSON))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(attempts.c.id, attempts.c.questions)
            .where(attempts.c.id > last).order_by(attempts.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(
            attempts.update().where(attempts.c.id == sa.bindparam('attempt'))
            .values(question_ids=sa.bindparam('ids')),
            [{'attempt': row.id,
              'ids': [q['id'] for q in (json.loads(row.questions)
                                         if isinstance(row.questions, str)
                                         else row.questions) or ()]}
             for row in rows])
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('question_ids')
