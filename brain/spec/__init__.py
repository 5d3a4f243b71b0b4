"""The onebrain.yml spec: models, loading with positions, problems, schema."""
