"""community digital teams, in-person classes and commune population (issue 17)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('team_role', sa.String(length=10), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'],
                            name=op.f('fk_community_team_members_official_id_officials')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_community_team_members_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_community_team_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_team_members'))
    )
    with op.batch_alter_table('community_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_team_members_unit_id'), ['unit_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_community_team_members_user_id'), ['user_id'],
                              unique=False)

    op.create_table('community_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=12), nullable=True),
    sa.Column('consent_at', sa.DateTime(), nullable=False),
    sa.Column('consent_version', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', sa.DateTime(), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['helper_id'], ['users.id'],
                            name=op.f('fk_community_registrations_helper_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_community_registrations_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_community_registrations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_registrations')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_community_registrations_citizen_id')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_community_registrations_code_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_community_registrations_user_id'))
    )
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_registrations_unit_id'), ['unit_id'],
                              unique=False)

    op.create_table('community_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=255), nullable=True),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                            name=op.f('fk_community_classes_course_id_courses')),
    sa.ForeignKeyConstraint(['helper_id'], ['users.id'],
                            name=op.f('fk_community_classes_helper_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_community_classes_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_classes'))
    )
    with op.batch_alter_table('community_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_classes_helper_id'), ['helper_id'],
                              unique=False)
        batch_op.create_index('ix_community_classes_unit_id_held_on', ['unit_id', 'held_on'],
                              unique=False)

    op.create_table('community_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['community_classes.id'],
                            name=op.f('fk_community_attendance_class_id_community_classes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_community_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_attendance')),
    sa.UniqueConstraint('class_id', 'user_id',
                        name=op.f('uq_community_attendance_class_id_user_id'))
    )
    with op.batch_alter_table('community_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_attendance_user_id'), ['user_id'],
                              unique=False)

    op.create_table('commune_populations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('adults', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                            name=op.f('fk_commune_populations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commune_populations')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_commune_populations_unit_id_year'))
    )


def downgrade():
    op.drop_table('commune_populations')
    with op.batch_alter_table('community_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_attendance_user_id'))
    op.drop_table('community_attendance')
    with op.batch_alter_table('community_classes', schema=None) as batch_op:
        batch_op.drop_index('ix_community_classes_unit_id_held_on')
        batch_op.drop_index(batch_op.f('ix_community_classes_helper_id'))
    op.drop_table('community_classes')
    with op.batch_alter_table('community_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_registrations_unit_id'))
    op.drop_table('community_registrations')
    with op.batch_alter_table('community_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_team_members_unit_id'))
    op.drop_table('community_team_members')
