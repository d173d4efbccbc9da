"""organisation over time: dated units and roster, frozen reports

Every unit gets one period holding its present name, level and parent for all
dates; every official gets their present assignment as one open period (an
official who left: an active period up to the day before left_on, then a
"left" period). Nothing is lost: downgrading drops the history tables only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:00:00

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_by', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_units_successor_id_units'), 'units',
                                    ['successor_id'], ['id'])
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_on', sa.Date(), nullable=True))

    unit_periods = op.create_table(
        'unit_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['units.id'],
                                name=op.f('fk_unit_periods_parent_id_units')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_unit_periods_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_periods')),
    )
    op.create_index('ix_unit_periods_unit_id_valid_from', 'unit_periods',
                    ['unit_id', 'valid_from'], unique=False)

    official_periods = op.create_table(
        'official_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('official_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('position', sa.String(length=255), nullable=True),
        sa.Column('is_leader', sa.Boolean(), nullable=False),
        sa.Column('is_it_officer', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['official_id'], ['officials.id'],
                                name=op.f('fk_official_periods_official_id_officials')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_official_periods_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_official_periods')),
    )
    op.create_index('ix_official_periods_official_id_valid_from', 'official_periods',
                    ['official_id', 'valid_from'], unique=False)
    op.create_index('ix_official_periods_unit_id_status', 'official_periods',
                    ['unit_id', 'status'], unique=False)

    op.create_table(
        'frozen_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('unit_code', sa.String(length=64), nullable=False),
        sa.Column('unit_name', sa.String(length=255), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('cycle', sa.String(length=10), nullable=False),
        sa.Column('structure', sa.String(length=10), nullable=False),
        sa.Column('frozen_at', sa.DateTime(), nullable=False),
        sa.Column('frozen_by_id', sa.Integer(), nullable=True),
        sa.Column('frozen_by_label', sa.String(length=255), nullable=False),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.Column('officials_total', sa.Integer(), nullable=False),
        sa.Column('officials_trained', sa.Integer(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('counted', sa.LargeBinary(), nullable=False),
        sa.Column('csv_data', sa.LargeBinary(), nullable=False),
        sa.Column('xlsx_data', sa.LargeBinary(), nullable=False),
        sa.Column('json_data', sa.LargeBinary(), nullable=False),
        sa.Column('csv_sha256', sa.String(length=64), nullable=False),
        sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
        sa.Column('json_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'],
                                name=op.f('fk_frozen_reports_frozen_by_id_users')),
        sa.ForeignKeyConstraint(['superseded_by_id'], ['frozen_reports.id'],
                                name=op.f('fk_frozen_reports_superseded_by_id_frozen_reports')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_frozen_reports_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_frozen_reports')),
    )
    op.create_index('ix_frozen_reports_unit_id_as_of', 'frozen_reports', ['unit_id', 'as_of'],
                    unique=False)

    # Today's data becomes one period each, valid for every date.
    connection = op.get_bind()
    units = connection.execute(sa.text("SELECT id, name, level, parent_id FROM units"))
    rows = [dict(row._mapping, valid_from=None, valid_to=None, unit_id=row.id) for row in units]
    for row in rows:
        del row["id"]
    if rows:
        op.bulk_insert(unit_periods, rows)
    officials = connection.execute(sa.text(
        "SELECT id, unit_id, category, position, is_leader, is_it_officer, status, left_on "
        "FROM officials ORDER BY id"))
    batch = []
    for row in officials:
        values = {"official_id": row.id, "unit_id": row.unit_id, "category": row.category,
                  "position": row.position, "is_leader": bool(row.is_leader),
                  "is_it_officer": bool(row.is_it_officer)}
        left_on = row.left_on
        if isinstance(left_on, str):  # SQLite hands dates back as text here
            from datetime import date
            left_on = date.fromisoformat(left_on)
        if row.status == "left" and left_on is not None:
            batch.append({**values, "valid_from": None,
                          "valid_to": left_on - timedelta(days=1), "status": "active"})
            batch.append({**values, "valid_from": left_on, "valid_to": None, "status": "left"})
        else:
            batch.append({**values, "valid_from": None, "valid_to": None, "status": row.status})
        if len(batch) >= 5000:
            op.bulk_insert(official_periods, batch)
            batch = []
    if batch:
        op.bulk_insert(official_periods, batch)


def downgrade():
    op.drop_index('ix_frozen_reports_unit_id_as_of', table_name='frozen_reports')
    op.drop_table('frozen_reports')
    op.drop_index('ix_official_periods_unit_id_status', table_name='official_periods')
    op.drop_index('ix_official_periods_official_id_valid_from', table_name='official_periods')
    op.drop_table('official_periods')
    op.drop_index('ix_unit_periods_unit_id_valid_from', table_name='unit_periods')
    op.drop_table('unit_periods')
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.drop_column('joined_on')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_units_successor_id_units'), type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('ended_by')
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
