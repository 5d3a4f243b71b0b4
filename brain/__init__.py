"""brain: manage data-science microprojects described by onebrain.yml."""

__version__ = "0.1.0"
