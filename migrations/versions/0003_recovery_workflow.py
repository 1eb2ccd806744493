"""recovery workflow: churn flag, claim, escalation, outcome code and the follow-up survey on recovery tasks

Hand-checked: churn_risk gets a server default so existing tasks stay valid; the follow-up links are nullable
foreign keys that survive the email or response being deleted (SET NULL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recovery_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('churn_risk', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('outcome_code', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('followup_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('followup_email_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('followup_response_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_recovery_tasks_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_tasks_followup_due_at'), ['followup_due_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_recovery_tasks_followup_email_id_outbox_emails'), 'outbox_emails',
                                    ['followup_email_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_recovery_tasks_followup_response_id_responses'), 'responses',
                                    ['followup_response_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('recovery_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recovery_tasks_followup_response_id_responses'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_recovery_tasks_followup_email_id_outbox_emails'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_recovery_tasks_followup_due_at'))
        batch_op.drop_index(batch_op.f('ix_recovery_tasks_due_at'))
        batch_op.drop_column('followup_response_id')
        batch_op.drop_column('followup_email_id')
        batch_op.drop_column('followup_due_at')
        batch_op.drop_column('outcome_code')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('churn_risk')
