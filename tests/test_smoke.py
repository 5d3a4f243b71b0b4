from __future__ import annotations


def test_help_lists_groups(brain):
    result = brain("--help")
    assert result.exit_code == 0
    assert "validate" in result.stdout and "Projects:" in result.stdout


def test_validate_seed(brain, make_project):
    root = make_project({"onebrain.yml": """
        name: x
        version: 0.1.0
    """})
    result = brain("validate", str(root))
    assert result.exit_code == 0, result.output


def test_invalid_exit_2(brain, make_project):
    root = make_project({"onebrain.yml": "name: X\nversion: 1\n"})
    result = brain("validate", str(root))
    assert result.exit_code == 2
    assert "onebrain.yml:1:7: name:" in result.stderr
    assert "Traceback" not in result.output
