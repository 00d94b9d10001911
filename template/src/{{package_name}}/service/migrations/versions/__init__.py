"""The migration scripts, one a revision, oldest first by their ``down_revision`` chain."""
