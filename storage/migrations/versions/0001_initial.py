"""Sources, crawl runs and documents.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(100), nullable=False, index=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("status", sa.String(20), nullable=False),
        *[
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in (
                "pages_fetched",
                "documents_new",
                "documents_updated",
                "documents_unchanged",
                "skipped",
                "blocked",
                "errors",
                "list_pages",
                "article_links",
            )
        ],
        sa.Column("error_text", sa.Text),
        sa.Column("stats", sa.JSON, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("final_url", sa.String(2048), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_kind", sa.String(20), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id", ondelete="SET NULL")),
        sa.Column("first_seen_at", TZ, nullable=False),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.Column("http_status", sa.Integer, nullable=False),
        sa.Column("etag", sa.String(512)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("encoding", sa.String(40)),
        sa.Column("raw_html", sa.LargeBinary, nullable=False),
        sa.Column("raw_size", sa.BigInteger, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("page_title", sa.Text),
        sa.Column("published_at", sa.String(32)),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_documents_source_fetched", "documents", ["source", "fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_source_fetched", "documents")
    op.drop_table("documents")
    op.drop_table("crawl_runs")
    op.drop_table("sources")
