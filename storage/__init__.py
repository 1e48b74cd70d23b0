"""SQLAlchemy 2 (async) models, repositories, migrations and the dialog-state Storage."""
