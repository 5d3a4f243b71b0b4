"""A workspace: discovery of projects, the index, the dependency graph, `affected`."""
