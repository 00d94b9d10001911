"""The schema revisions, oldest first: connections (0001), relay credentials (0002)."""
