"""Notebook entry points: papermill runs in the project's environment, HTML reports, provenance."""
