"""Continuous evaluation: the per-commit plan (`brain ci run`), workflow files, a git hook."""
