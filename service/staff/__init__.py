"""Staff: accounts attached to a body, roles, sessions and personal access tokens."""
