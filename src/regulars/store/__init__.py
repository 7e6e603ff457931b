"""Storage: SQLAlchemy tables, engine, unit of work, repositories and Alembic migrations."""
