"""Alembic migrations (run with `feedloop db upgrade`)."""
