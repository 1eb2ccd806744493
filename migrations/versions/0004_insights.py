"""insights: the read model behind /insights, themes, re-analysis runs, "we fixed it" notes, full-text search

The full-text search objects are dialect-specific and not mapped (survey.models.insights.include_in_autogenerate
keeps them out of autogenerate): SQLite gets an FTS5 external-content table over verbatims.text kept in sync by
triggers; PostgreSQL gets a tsvector table with a GIN index kept in sync by a trigger (a stored tsvector, so
ranking does not recompute to_tsvector per matching row). The read model starts empty; the first sync (a job,
or `feedloop insights rebuild-facts`) fills it.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS verbatim_search USING fts5("
    "text, content='verbatims', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS verbatim_search_ai AFTER INSERT ON verbatims BEGIN "
    "INSERT INTO verbatim_search(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS verbatim_search_ad AFTER DELETE ON verbatims BEGIN "
    "INSERT INTO verbatim_search(verbatim_search, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS verbatim_search_au AFTER UPDATE OF text ON verbatims BEGIN "
    "INSERT INTO verbatim_search(verbatim_search, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO verbatim_search(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO verbatim_search(verbatim_search) VALUES ('rebuild')",
]
POSTGRES_SEARCH = [
    "CREATE TABLE verbatim_search (verbatim_id INTEGER PRIMARY KEY REFERENCES verbatims(id) ON DELETE CASCADE, "
    "document TSVECTOR NOT NULL)",
    "CREATE INDEX ix_verbatim_search_document ON verbatim_search USING GIN (document)",
    """CREATE FUNCTION verbatim_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO verbatim_search (verbatim_id, document)
  VALUES (NEW.id, to_tsvector('english', coalesce(NEW.text, '')))
  ON CONFLICT (verbatim_id) DO UPDATE SET document = EXCLUDED.document;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER verbatim_search_sync AFTER INSERT OR UPDATE OF text ON verbatims "
    "FOR EACH ROW EXECUTE FUNCTION verbatim_search_sync()",
    "INSERT INTO verbatim_search (verbatim_id, document) SELECT id, to_tsvector('english', text) FROM verbatims",
]


def upgrade() -> None:
    op.create_table('insight_sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('last_verbatim_id', sa.Integer(), nullable=False),
    sa.Column('last_response_id', sa.Integer(), nullable=False),
    sa.Column('last_analysis_id', sa.Integer(), nullable=False),
    sa.Column('last_label_id', sa.Integer(), nullable=False),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_sync_state'))
    )
    op.create_table('theme_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('n_verbatims', sa.Integer(), nullable=False),
    sa.Column('n_themes', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending','running','done','failed')", name=op.f('ck_theme_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_runs')),
    sa.UniqueConstraint('period_start', 'period_end', name='uq_theme_runs_period')
    )
    op.create_table('reanalysis_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('start_analysis_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=120), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending','running','done','failed')", name=op.f('ck_reanalysis_runs_status')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reanalysis_runs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reanalysis_runs'))
    )
    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('example_ids', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('previous_size', sa.Integer(), nullable=False),
    sa.Column('detractor_share', sa.Double(), nullable=False),
    sa.Column('nearest_category', sa.String(length=60), nullable=True),
    sa.Column('coverage', sa.Double(), nullable=False),
    sa.Column('emerging', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('centroid', sa.LargeBinary(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('new','emerging','stable','promoted','dismissed')", name=op.f('ck_themes_status')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_themes_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['theme_runs.id'], name=op.f('fk_themes_run_id_theme_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes'))
    )
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_themes_run_id'), ['run_id'], unique=False)

    op.create_table('fix_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_key', sa.String(length=60), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('release_note', sa.Text(), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('drafted', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending','running','done','failed')", name=op.f('ck_fix_notes_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_fix_notes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_fix_notes_theme_id_themes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix_notes'))
    )
    op.create_table('fix_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('verbatim_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outbox_email_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('drafted','sent','discarded')", name=op.f('ck_fix_messages_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_fix_messages_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_fix_messages_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['note_id'], ['fix_notes.id'], name=op.f('fk_fix_messages_note_id_fix_notes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_email_id'], ['outbox_emails.id'], name=op.f('fk_fix_messages_outbox_email_id_outbox_emails'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_fix_messages_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verbatim_id'], ['verbatims.id'], name=op.f('fk_fix_messages_verbatim_id_verbatims'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix_messages')),
    sa.UniqueConstraint('note_id', 'contact_id', name='uq_fix_messages_note_contact')
    )
    with op.batch_alter_table('fix_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fix_messages_note_id'), ['note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fix_messages_owner_id'), ['owner_id'], unique=False)

    op.create_table('insight_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('verbatim_id', sa.Integer(), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('has_text', sa.Boolean(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('survey_kind', sa.String(length=20), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('bucket', sa.String(length=10), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('analysis_id', sa.Integer(), nullable=True),
    sa.Column('sentiment', sa.String(length=10), nullable=True),
    sa.Column('praise', sa.Boolean(), nullable=False),
    sa.Column('churn_risk', sa.Boolean(), nullable=False),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('category_mask', sa.BigInteger(), nullable=False),
    sa.Column('positive_mask', sa.BigInteger(), nullable=False),
    sa.Column('negative_mask', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_insight_facts_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_insight_facts_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_insight_facts_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_insight_facts_survey_id_surveys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verbatim_id'], ['verbatims.id'], name=op.f('fk_insight_facts_verbatim_id_verbatims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_facts')),
    sa.UniqueConstraint('response_id', name=op.f('uq_insight_facts_response_id')),
    sa.UniqueConstraint('verbatim_id', name=op.f('uq_insight_facts_verbatim_id'))
    )
    with op.batch_alter_table('insight_facts', schema=None) as batch_op:
        batch_op.create_index('ix_insight_facts_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_facts_analysis_id'), ['analysis_id'], unique=False)
        batch_op.create_index('ix_insight_facts_bucket_created', ['bucket', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_facts_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_insight_facts_created_verbatim', ['created_at', 'verbatim_id'], unique=False)
        batch_op.create_index('ix_insight_facts_sentiment_created', ['sentiment', 'created_at'], unique=False)
        batch_op.create_index('ix_insight_facts_survey_created', ['survey_id', 'created_at'], unique=False)

    op.create_table('theme_members',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('verbatim_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_members_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verbatim_id'], ['verbatims.id'], name=op.f('fk_theme_members_verbatim_id_verbatims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'verbatim_id', name=op.f('pk_theme_members'))
    )
    with op.batch_alter_table('theme_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_members_verbatim_id'), ['verbatim_id'], unique=False)

    op.create_table('insight_fact_categories',
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('category_key', sa.String(length=60), nullable=False),
    sa.Column('polarity', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fact_id'], ['insight_facts.id'], name=op.f('fk_insight_fact_categories_fact_id_insight_facts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('fact_id', 'category_key', name=op.f('pk_insight_fact_categories'))
    )
    with op.batch_alter_table('insight_fact_categories', schema=None) as batch_op:
        batch_op.create_index('ix_insight_fact_categories_key_created', ['category_key', 'created_at'], unique=False)


    dialect = op.get_bind().dialect.name
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRES_SEARCH if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("verbatim_search_ai", "verbatim_search_ad", "verbatim_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS verbatim_search")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS verbatim_search_sync ON verbatims")
        op.execute("DROP FUNCTION IF EXISTS verbatim_search_sync()")
        op.execute("DROP TABLE IF EXISTS verbatim_search")
    with op.batch_alter_table('insight_fact_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_fact_categories_key_created')

    op.drop_table('insight_fact_categories')
    with op.batch_alter_table('theme_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_members_verbatim_id'))

    op.drop_table('theme_members')
    with op.batch_alter_table('insight_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_facts_survey_created')
        batch_op.drop_index('ix_insight_facts_sentiment_created')
        batch_op.drop_index('ix_insight_facts_created_verbatim')
        batch_op.drop_index(batch_op.f('ix_insight_facts_contact_id'))
        batch_op.drop_index('ix_insight_facts_bucket_created')
        batch_op.drop_index(batch_op.f('ix_insight_facts_analysis_id'))
        batch_op.drop_index('ix_insight_facts_account_created')

    op.drop_table('insight_facts')
    with op.batch_alter_table('fix_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fix_messages_owner_id'))
        batch_op.drop_index(batch_op.f('ix_fix_messages_note_id'))

    op.drop_table('fix_messages')
    op.drop_table('fix_notes')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_themes_run_id'))

    op.drop_table('themes')
    op.drop_table('reanalysis_runs')
    op.drop_table('theme_runs')
    op.drop_table('insight_sync_state')
