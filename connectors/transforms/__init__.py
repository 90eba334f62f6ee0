"""Single message transforms and predicates."""
