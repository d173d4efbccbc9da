"""official documents: signature blocks per issuing unit; officials sorted in
Vietnamese order (issue 16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signatories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('issuing_body', sa.String(length=255), nullable=False),
        sa.Column('parent_body', sa.String(length=255), nullable=True),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('authority', sa.String(length=100), nullable=True),
        sa.Column('signer_title', sa.String(length=150), nullable=False),
        sa.Column('signer_name', sa.String(length=150), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_signatories_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signatories')),
        sa.UniqueConstraint('unit_id', 'valid_from',
                            name=op.f('uq_signatories_unit_id_valid_from')),
    )
    op.create_index(op.f('ix_signatories_unit_id'), 'signatories', ['unit_id'])

    name_type = sa.String(length=255).with_variant(
        sa.String(length=255, collation='C'), 'postgresql')
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', name_type, nullable=False,
                                      server_default=''))
    # Existing officials get their key (the same function the app uses).
    from lms.util.formatting import name_sort_key
    bind = op.get_bind()
    officials = sa.table('officials', sa.column('id', sa.Integer),
                         sa.column('full_name', sa.String), sa.column('sort_name', sa.String))
    rows = bind.execute(sa.select(officials.c.id, officials.c.full_name)).all()
    for start in range(0, len(rows), 5000):
        bind.execute(officials.update().where(officials.c.id == sa.bindparam('oid'))
                     .values(sort_name=sa.bindparam('key')),
                     [{'oid': oid, 'key': name_sort_key(name or '')}
                      for oid, name in rows[start:start + 5000]])
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.alter_column('sort_name', server_default=None)
        batch_op.create_index('ix_officials_unit_id_sort_name', ['unit_id', 'sort_name'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.drop_index('ix_officials_unit_id_sort_name')
        batch_op.drop_column('sort_name')
    op.drop_index(op.f('ix_signatories_unit_id'), table_name='signatories')
    op.drop_table('signatories')
