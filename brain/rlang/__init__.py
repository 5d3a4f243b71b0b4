"""R support: package names and version specifiers, the project's R library, CRAN-like
repositories (see docs/r.md)."""
