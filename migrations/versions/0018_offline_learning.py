"""offline learning: question draws fixed when a course is saved (issue 17)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'offline_draws',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('quiz_version', sa.String(length=64), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('pass_percent', sa.Integer(), nullable=False),
        sa.Column('drawn_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'course_id', 'quiz_version'),
    )
    with op.batch_alter_table('offline_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_draws_course_id'), ['course_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_offline_draws_user_id'), ['user_id'], unique=False)

    op.create_table(
        'offline_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('quiz_version', sa.String(length=64), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=True),
        sa.Column('attempt_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], ),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'client_id'),
    )
    with op.batch_alter_table('offline_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_submissions_course_id'), ['course_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_offline_submissions_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('offline_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_submissions_user_id'))
        batch_op.drop_index(batch_op.f('ix_offline_submissions_course_id'))
    op.drop_table('offline_submissions')
    with op.batch_alter_table('offline_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offline_draws_user_id'))
        batch_op.drop_index(batch_op.f('ix_offline_draws_course_id'))
    op.drop_table('offline_draws')
