"""The one names grammar (README, "Names"): project, entry point, parameter and variable
names. Names are printed in tables and logs and used in paths, URLs and options, so none can
hold a control character, a path separator, a bidi override or a zero-width character: each
pattern is plain ASCII."""

from __future__ import annotations

import re

# Project names and namespaces: a lowercase slug.
NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"
# Entry point names: letters, digits, space, '.', '_', '-'; a letter or digit first; no
# trailing space; at most 64 characters (`fit models`, `query_historical_data`).
ENTRY_NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,62}[A-Za-z0-9._-])?$"
# Parameter names become template names and `--name` options; variable names go to `env`.
IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def entry_name_problem(name: str) -> str | None:
    """Why `name` is not a valid entry point name, or None when it is."""
    if re.fullmatch(ENTRY_NAME_PATTERN, name):
        return None
    for char in name:
        code = f"U+{ord(char):04X}"
        if char in "/\\":
            return f"it holds a path separator ({char!r})"
        if 0x202A <= ord(char) <= 0x202E or 0x2066 <= ord(char) <= 0x2069:
            return f"it holds a bidirectional override ({code})"
        if char in "\u200b\u200c\u200d\u2060\ufeff":
            return f"it holds a zero-width character ({code})"
        if not char.isprintable():
            return f"it holds a control character ({code})"
    if len(name) > 64:
        return "it is longer than 64 characters"
    return ("use letters, digits, spaces, '.', '_' and '-', starting with a letter or digit "
            "and not ending with a space")
