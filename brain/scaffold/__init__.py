"""Scaffolding: new projects from templates (`brain generate`) or from existing projects.

Modules: `catalog` finds templates, `sandbox` renders text safely, `tree` turns a template
or a project into files in a staging folder, `placement` moves that folder into place,
`answers` holds what the user answered, `origin` and `derive` start from another project,
and `generate` ties them together.
"""
