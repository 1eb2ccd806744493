"""advocacy: advocates, activities, invite templates, review campaigns, champion moves, praise notices; invite links

Hand-written: every new column on advocacy_invites and advocate_flags is nullable, so existing rows stay
valid; new tables only reference tables from 0001/0002.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None

TYPES = "('educator','validator','status_seeker','collaborator')"


def upgrade() -> None:
    op.create_table('advocates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('csm_id', sa.Integer(), nullable=True),
    sa.Column('segment', sa.String(length=50), nullable=True),
    sa.Column('inferred_type', sa.String(length=20), nullable=False),
    sa.Column('type_override', sa.String(length=20), nullable=True),
    sa.Column('type_reasons', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(f"inferred_type IN {TYPES}", name=op.f('ck_advocates_inferred_type')),
    sa.CheckConstraint(f"type_override IS NULL OR type_override IN {TYPES}", name=op.f('ck_advocates_type_override')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_advocates_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_advocates_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['csm_id'], ['users.id'], name=op.f('fk_advocates_csm_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advocates')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_advocates_contact_id'))
    )
    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advocates_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocates_csm_id'), ['csm_id'], unique=False)

    op.create_table('advocacy_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ask_type', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_advocacy_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advocacy_templates')),
    sa.UniqueConstraint('ask_type', name=op.f('uq_advocacy_templates_ask_type'))
    )

    op.create_table('review_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_review_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_campaigns'))
    )

    op.create_table('champion_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('move_key', sa.String(length=400), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('advocate_id', sa.Integer(), nullable=True),
    sa.Column('old_email', sa.String(length=254), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=False),
    sa.Column('old_account_id', sa.Integer(), nullable=True),
    sa.Column('new_account_id', sa.Integer(), nullable=True),
    sa.Column('new_company', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('edit','import','api')", name=op.f('ck_champion_moves_source')),
    sa.CheckConstraint("status IN ('new','contacted','won','dismissed')", name=op.f('ck_champion_moves_status')),
    sa.ForeignKeyConstraint(['advocate_id'], ['advocates.id'], name=op.f('fk_champion_moves_advocate_id_advocates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_champion_moves_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['new_account_id'], ['accounts.id'], name=op.f('fk_champion_moves_new_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['old_account_id'], ['accounts.id'], name=op.f('fk_champion_moves_old_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_champion_moves')),
    sa.UniqueConstraint('move_key', name=op.f('uq_champion_moves_move_key'))
    )
    with op.batch_alter_table('champion_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_champion_moves_advocate_id'), ['advocate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_champion_moves_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_champion_moves_detected_at'), ['detected_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_champion_moves_status'), ['status'], unique=False)

    with op.batch_alter_table('advocate_flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('advocacy_invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advocate_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('site', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('link_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('send_after', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('held_from', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('response_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('outbox_email_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_advocacy_invites_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocacy_invites_send_after'), ['send_after'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_advocacy_invites_campaign_id_review_campaigns'), 'review_campaigns', ['campaign_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_advocacy_invites_approved_by_id_users'), 'users', ['approved_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_advocacy_invites_outbox_email_id_outbox_emails'), 'outbox_emails', ['outbox_email_id'], ['id'], ondelete='SET NULL')

    op.create_table('advocacy_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('advocate_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('invite_id', sa.Integer(), nullable=True),
    sa.Column('champion_move_id', sa.Integer(), nullable=True),
    sa.Column('activity_type', sa.String(length=30), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('referred_company', sa.String(length=200), nullable=True),
    sa.Column('pipeline_value', sa.Integer(), nullable=False),
    sa.Column('won_revenue', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_advocacy_activities_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['advocate_id'], ['advocates.id'], name=op.f('fk_advocacy_activities_advocate_id_advocates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['champion_move_id'], ['champion_moves.id'], name=op.f('fk_advocacy_activities_champion_move_id_champion_moves'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_advocacy_activities_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_advocacy_activities_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invite_id'], ['advocacy_invites.id'], name=op.f('fk_advocacy_activities_invite_id_advocacy_invites'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advocacy_activities')),
    sa.UniqueConstraint('invite_id', name=op.f('uq_advocacy_activities_invite_id'))
    )
    with op.batch_alter_table('advocacy_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advocacy_activities_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocacy_activities_advocate_id'), ['advocate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocacy_activities_champion_move_id'), ['champion_move_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advocacy_activities_contact_id'), ['contact_id'], unique=False)

    op.create_table('praise_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['flag_id'], ['advocate_flags.id'], name=op.f('fk_praise_notices_flag_id_advocate_flags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_praise_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_praise_notices')),
    sa.UniqueConstraint('flag_id', 'user_id', name='uq_praise_notices_flag_user')
    )
    with op.batch_alter_table('praise_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_praise_notices_flag_id'), ['flag_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_praise_notices_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('praise_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_praise_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_praise_notices_flag_id'))
    op.drop_table('praise_notices')

    with op.batch_alter_table('advocacy_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advocacy_activities_contact_id'))
        batch_op.drop_index(batch_op.f('ix_advocacy_activities_champion_move_id'))
        batch_op.drop_index(batch_op.f('ix_advocacy_activities_advocate_id'))
        batch_op.drop_index(batch_op.f('ix_advocacy_activities_account_id'))
    op.drop_table('advocacy_activities')

    with op.batch_alter_table('advocacy_invites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_advocacy_invites_outbox_email_id_outbox_emails'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_advocacy_invites_approved_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_advocacy_invites_campaign_id_review_campaigns'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_advocacy_invites_send_after'))
        batch_op.drop_index(batch_op.f('ix_advocacy_invites_campaign_id'))
        for column in ('outbox_email_id', 'response_note', 'hold_reason', 'held_from', 'completed_at', 'expires_at',
                       'send_after', 'approved_by_id', 'approved_at', 'link_nonce', 'campaign_id', 'site',
                       'advocate_type'):
            batch_op.drop_column(column)

    with op.batch_alter_table('advocate_flags', schema=None) as batch_op:
        batch_op.drop_column('dismissed_at')

    with op.batch_alter_table('champion_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_champion_moves_status'))
        batch_op.drop_index(batch_op.f('ix_champion_moves_detected_at'))
        batch_op.drop_index(batch_op.f('ix_champion_moves_contact_id'))
        batch_op.drop_index(batch_op.f('ix_champion_moves_advocate_id'))
    op.drop_table('champion_moves')
    op.drop_table('review_campaigns')
    op.drop_table('advocacy_templates')

    with op.batch_alter_table('advocates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advocates_csm_id'))
        batch_op.drop_index(batch_op.f('ix_advocates_created_at'))
        batch_op.drop_index(batch_op.f('ix_advocates_account_id'))
    op.drop_table('advocates')
