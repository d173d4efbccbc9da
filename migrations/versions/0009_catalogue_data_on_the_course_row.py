"""catalogue data on the course row: lesson and question counts from `courses sync`

The catalogue, the home page and the course page showed each course's lesson count
and quiz size by loading every lesson (with its rendered HTML) and the quiz; the
counts are now computed at `courses sync` and stored here. Existing rows are filled
from the lessons and quizzes already in the database, so no re-sync is needed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lesson_count', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('quiz_questions', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('quiz_pass_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quiz_max_attempts', sa.Integer(), server_default='0',
                                      nullable=False))

    courses = sa.table('courses', sa.column('id', sa.Integer()), sa.column('quiz', sa.JSON()),
                       sa.column('lesson_count', sa.Integer()),
                       sa.column('quiz_questions', sa.Integer()),
                       sa.column('quiz_pass_percent', sa.Integer()),
                       sa.column('quiz_max_attempts', sa.Integer()))
    lessons = sa.table('lessons', sa.column('id', sa.Integer()),
                       sa.column('course_id', sa.Integer()),
                       sa.column('is_active', sa.Boolean()))
    bind = op.get_bind()
    active = (sa.select(sa.func.count(lessons.c.id))
              .where(lessons.c.course_id == courses.c.id, lessons.c.is_active.is_(True))
              .scalar_subquery())
    bind.execute(courses.update().values(lesson_count=active))
    for course_id, quiz in bind.execute(sa.select(courses.c.id, courses.c.quiz)).all():
        if not quiz:
            continue
        bind.execute(courses.update().where(courses.c.id == course_id).values(
            quiz_questions=len(quiz.get('questions') or []),
            quiz_pass_percent=quiz.get('pass_percent'),
            quiz_max_attempts=quiz.get('max_attempts') or 0))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('quiz_max_attempts')
        batch_op.drop_column('quiz_pass_percent')
        batch_op.drop_column('quiz_questions')
        batch_op.drop_column('lesson_count')
