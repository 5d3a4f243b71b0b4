"""Exports for other schedulers: a Kubernetes Job manifest, an Airflow DAG, both running the
project's image (`brain build --docker`) through its dispatcher (`IMAGE ENTRY -P name=value`)."""
