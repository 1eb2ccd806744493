"""Domain services: take a Session, flush, never commit (the view or the job owns the transaction)."""
