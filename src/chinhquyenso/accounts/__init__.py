"""Users, roles, unit scopes, second factor, API tokens."""
