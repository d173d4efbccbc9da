"""evidence for classroom training: training classes (organiser, decision or class
list, dates, an optional scan) and the review status of each external record

Every record already imported becomes `declared` (self-declared by a unit's HR); the
province verifies or rejects it in the review queue (lms/review). The indicator reads
the status with the date from a covering index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('training_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('organiser', sa.String(length=255), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('evidence', sa.LargeBinary(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_filename', sa.String(length=255), nullable=True),
    sa.Column('evidence_mimetype', sa.String(length=50), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('evidence_at', sa.DateTime(), nullable=True),
    sa.Column('evidence_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_training_classes_created_by_id_users')),
    sa.ForeignKeyConstraint(['evidence_by_id'], ['users.id'],
                            name=op.f('fk_training_classes_evidence_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_classes')),
    sa.UniqueConstraint('reference', 'organiser',
                        name=op.f('uq_training_classes_reference_organiser'))
    )
    with op.batch_alter_table('external_trainings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('training_class_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='declared',
                                      nullable=False))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.create_foreign_key(
            batch_op.f('fk_external_trainings_training_class_id_training_classes'),
            'training_classes', ['training_class_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_external_trainings_reviewed_by_id_users'),
                                    'users', ['reviewed_by_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_external_trainings_training_class_id'),
                              ['training_class_id'], unique=False)
        batch_op.create_index('ix_external_trainings_counted',
                              ['official_id', 'course_id', 'completed_on', 'status'],
                              unique=False)
        batch_op.create_index('ix_external_trainings_status_class',
                              ['status', 'training_class_id'], unique=False)


def downgrade():
    with op.batch_alter_table('external_trainings', schema=None) as batch_op:
        batch_op.drop_index('ix_external_trainings_status_class')
        batch_op.drop_index('ix_external_trainings_counted')
        batch_op.drop_index(batch_op.f('ix_external_trainings_training_class_id'))
        batch_op.drop_constraint(batch_op.f('fk_external_trainings_reviewed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_external_trainings_training_class_id_training_classes'),
            type_='foreignkey')
        batch_op.drop_column('review_note')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('status')
        batch_op.drop_column('training_class_id')
    op.drop_table('training_classes')
