"""Base layout, navigation, per-role home page, public pages."""
