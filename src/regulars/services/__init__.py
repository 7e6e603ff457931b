"""Use cases: one verb-named function each, keyword-only arguments, one transaction."""
