"""Pure business rules: no I/O, no SQLAlchemy, no framework."""
