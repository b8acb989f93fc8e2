"""The SQL store: models, engine and typed functions per aggregate. Imports no other airace package."""
