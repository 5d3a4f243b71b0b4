"""Run records, their provenance, the SQLite store, and the runner."""
