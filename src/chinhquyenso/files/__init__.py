"""Content-addressed file store, upload validation, digitization."""
