"""Where a substituted value lands in a command, read the way bash (or shlex) reads it.

A value must stay one piece of data. In a plain word brain shell-quotes it; inside the
command's own `"..."`, `'...'` or `$'...'` (at plain command level) it is escaped for those
quotes (`escape_for`). Everywhere else (backticks, `${...}`, arithmetic, `[[ ]]`,
here-documents, comments, array subscripts, after `$` or `\\`, an argument of a builtin that
reads its arguments as code: `eval`, `let`, `declare`...) bash would re-read it, so it is
refused. `placements` walks the command with each value replaced by a marker span and says
where each landed; what it cannot follow (an unbalanced quote, an unusual here-document
delimiter) refuses every value, never guesses.
"""

from __future__ import annotations

import re

from brain.shell_cursor import UNVISITED, Confused, SpanCursor

IN_DOUBLE_QUOTES = "inside double quotes"
IN_SINGLE_QUOTES = "inside single quotes"
IN_ANSI_C_QUOTES = "inside $'...' quotes"
QUOTED = frozenset({IN_DOUBLE_QUOTES, IN_SINGLE_QUOTES, IN_ANSI_C_QUOTES})
"""Places a value is escaped for (by `escape_for`) rather than refused."""
_KEEP_COMMAND_START = frozenset({
    "!", "time", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}",
    "esac"})
# Builtins that read an argument as code, or as a variable name whose subscript bash
# evaluates (`unset 'a[$(cmd)]'` runs cmd): a value is refused anywhere in their arguments.
_CODE_BUILTINS = frozenset({"eval", "let", "declare", "typeset", "source", ".", "unset",
                            "read", "mapfile", "readarray"})
# Builtins that do so only with some options ("" = any option): `local x={{ v }}` is fine,
# `local -a x={{ v }}` re-reads the text; `printf -v NAME` and `[ -v NAME ]` take a name.
_FLAG_BUILTINS = {"local": "", "export": "", "readonly": "", "printf": "v", "test": "vR",
                  "[": "vR"}
_SUBSCRIPT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[")
_WORD_END = frozenset(" \t\n;&|()<>")


def placements(text: str, spans: list[tuple[int, int]], *, bash: bool) -> list[str | None]:
    """For each (start, end) value span of `text`: None for a plain word, else where it
    landed: one of QUOTED, or a place where it is refused (`bash` False reads the text as
    `shlex.split` does, for argv entries)."""
    lexer = _Lexer(text, spans)
    try:
        if bash:
            lexer.command(closer=None, reason=None)
            if lexer.i < len(text) or lexer.heredocs:
                raise Confused
        else:
            lexer.argv()
    except Confused:
        return [UNVISITED] * len(spans)
    return [reason if reason != "" else None for reason in lexer.reasons]


def escape_for(place: str, text: str, *, bash: bool) -> str:
    """`text` written inside the quotes `place` names, so that it stays literal there."""
    if place == IN_SINGLE_QUOTES:
        return text.replace("'", "'\\''")  # close, an escaped quote, reopen
    if place == IN_ANSI_C_QUOTES:
        return text.replace("\\", "\\\\").replace("'", "\\'")
    specials = '\\$`"' if bash else '\\"'  # shlex only honours \\ and \" in "..."
    return "".join("\\" + char if char in specials else char for char in text)


class _Lexer(SpanCursor):
    """Bash's (or shlex's) reading of the text, one quoting state at a time."""

    def argv(self) -> None:
        text = self.text
        while self.i < len(text):
            if self.take_value(None):
                continue
            char = text[self.i]
            if char == "\\":
                self.escape("after a backslash")
            elif char == "'":
                end = text.find("'", self.i + 1)
                if end < 0:
                    raise Confused
                self.skip_to(end + 1, IN_SINGLE_QUOTES)
            elif char == '"':
                self.i += 1
                while self.peek() != '"':
                    if self.i >= len(text):
                        raise Confused
                    value = self.at_value()
                    if value is not None:
                        self.mark(value, IN_DOUBLE_QUOTES)
                    self.i += 2 if self.peek() == "\\" and self.peek(1) in '"\\' else 1
                self.i += 1
            else:
                self.i += 1

    def command(self, closer: str | None, reason: str | None) -> None:
        """A command list until `closer` (`)` or the word `]]`); values here are words when
        `reason` is None."""
        text = self.text
        word = ""  # the current word's unquoted text, "\0" standing for quotes and values
        command_start = True
        command_name = ""
        flags = ""
        open_cases = 0
        while True:
            value = self.at_value()
            char = text[self.i] if self.i < len(text) else "\n"  # the end ends a word too
            if value is not None:
                self.mark(value, reason or self.word_reason(word, command_name, flags))
                self.i = self.spans[value][1]
                word += "\0"
                continue
            if char in _WORD_END and word:
                if closer == "]]" and word == "]]":
                    return
                if command_start and word == "[[":
                    self.command(closer="]]", reason="inside [[ ]]")
                    word = ""
                    command_start = False
                    continue
                if command_start and word == "case":
                    open_cases += 1
                elif word == "esac" and open_cases:
                    open_cases -= 1
                if command_start and word not in _KEEP_COMMAND_START and "=" not in word:
                    command_name, flags, command_start = word, "", False
                elif not command_start and word.startswith("-"):
                    flags += word
                elif command_name == "function" and not flags:  # `function name { ... }`
                    command_start, command_name = True, ""
                word = ""
            if self.i >= len(text):
                break
            if char == "\\":
                if self.peek(1) == "\n":
                    self.i += 2
                    continue
                self.escape("after a backslash")
                word += "\0"
            elif char == "'":
                end = text.find("'", self.i + 1)
                if end < 0:
                    raise Confused
                outer = reason or self.word_reason(word, command_name, flags)
                self.skip_to(end + 1, outer or IN_SINGLE_QUOTES)
                word += "\0"
            elif char == '"':
                self.double_quoted(reason or self.word_reason(word, command_name, flags))
                word += "\0"
            elif char == "`":
                self.backticks()
                word += "\0"
            elif char == "$":
                self.dollar(reason or self.word_reason(word, command_name, flags), quoted=False)
                word += "\0"
            elif char in " \t":
                self.i += 1
            elif char == "\n":
                self.i += 1
                command_start, command_name, flags = True, "", ""
                if self.heredocs:
                    self.heredoc_bodies()
            elif char == "#" and not word:
                end = text.find("\n", self.i)
                self.skip_to(len(text) if end < 0 else end, "in a comment")
            elif char in ";&|":
                while self.peek() in ";&|" and self.peek():
                    self.i += 1
                command_start, command_name, flags = True, "", ""
            elif char == "(":
                if re.match(r"\(\s*\)", text[self.i:]):
                    self.i = text.index(")", self.i) + 1  # `name ()`: a function body follows
                    command_start, command_name, flags = True, "", ""
                    continue
                if command_start and self.peek(1) == "(":
                    self.i += 2
                    self.arithmetic(")", nested=True)
                else:
                    self.i += 1
                    self.command(closer=")", reason=reason)
                command_start = False
            elif char == ")":
                if open_cases:
                    self.i += 1
                    command_start = True
                elif closer == ")":
                    self.i += 1
                    return
                else:
                    raise Confused
            elif char in "<>":
                self.redirection(reason)
            else:
                word += char
                self.i += 1
        if closer is not None:
            raise Confused

    def word_reason(self, word: str, command_name: str, flags: str) -> str | None:
        if _SUBSCRIPT.match(word) and "]" not in word:
            return "in an array subscript"
        letters = _FLAG_BUILTINS.get(command_name)
        if command_name in _CODE_BUILTINS or (letters is not None and flags and (
                not letters or any(letter in flags for letter in letters))):
            return f"in an argument of {command_name!r}"
        return None

    def redirection(self, reason: str | None) -> None:
        text = self.text
        if text.startswith("<<<", self.i):
            self.i += 3
        elif text.startswith("<<", self.i):
            strip = text.startswith("<<-", self.i)
            self.i += 3 if strip else 2
            self.heredoc_delimiter(strip)
        elif self.peek(1) == "(":  # process substitution <( ) >( )
            self.i += 2
            self.command(closer=")", reason=reason)
        else:
            while self.peek() and self.peek() in "<>&|":
                self.i += 1

    def heredoc_delimiter(self, strip: bool) -> None:
        text = self.text
        while self.peek() in (" ", "\t"):
            self.i += 1
        start = self.i
        delimiter = ""
        while self.i < len(text) and text[self.i] not in _WORD_END:
            if self.at_value() is not None:
                raise Confused  # a value deciding where a here-document ends
            char = text[self.i]
            if char in "'\"":
                end = text.find(char, self.i + 1)
                if end < 0:
                    raise Confused
                delimiter += text[self.i + 1:end]
                self.i = end + 1
            elif char == "\\":
                delimiter += self.peek(1)
                self.i += 2
            else:
                delimiter += char
                self.i += 1
        if not delimiter or self.i == start or any(c in delimiter for c in "$`\\\n"):
            raise Confused
        self.heredocs.append((delimiter, strip))

    def heredoc_bodies(self) -> None:
        text = self.text
        for delimiter, strip in self.heredocs:
            start = self.i
            while self.i < len(text):
                end = text.find("\n", self.i)
                end = len(text) if end < 0 else end
                line = text[self.i:end]
                self.i = min(end + 1, len(text))
                if (line.lstrip("\t") if strip else line) == delimiter:
                    break
            after = self.i
            self.i = start
            self.skip_to(after, "inside a here-document")
        self.heredocs = []

    def double_quoted(self, reason: str | None) -> None:
        """`"..."`; values in it are escaped for it unless `reason` (the enclosing place's
        refusal) says otherwise."""
        text = self.text
        self.i += 1
        while True:
            if self.i >= len(text):
                raise Confused
            if self.take_value(reason or IN_DOUBLE_QUOTES):
                continue
            char = text[self.i]
            if char == '"':
                self.i += 1
                return
            if char == "\\":
                self.escape("after a backslash")
            elif char == "`":
                self.backticks()
            elif char == "$":
                self.dollar(reason, quoted=True)
            else:
                self.i += 1

    def backticks(self) -> None:
        text = self.text
        end = self.i + 1
        while end < len(text) and text[end] != "`":
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise Confused
        self.skip_to(end + 1, "inside backticks")

    def dollar(self, reason: str | None, *, quoted: bool) -> None:
        """`$` and what follows it; `reason` is the enclosing command's (for `$( )`)."""
        text = self.text
        following = self.peek(1)
        if self.starts.get(self.i + 1) is not None:
            self.i += 1
            self.mark(self.starts[self.i], "right after '$'")
        elif text.startswith("$((", self.i):
            self.i += 3
            self.arithmetic(")", nested=True)
        elif following == "(":
            self.i += 2
            self.command(closer=")", reason=reason)
        elif following == "[":
            self.i += 2
            self.arithmetic("]", nested=False)
        elif following == "{":
            self.i += 2
            self.braced(quoted)
        elif following == "'" and not quoted:
            end = self.i + 2
            while end < len(text) and text[end] != "'":
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise Confused
            self.skip_to(end + 1, reason or IN_ANSI_C_QUOTES)
        elif following == '"' and not quoted:
            self.i += 1
            self.double_quoted(reason)
        elif following and following in "#?$!@*-0123456789":
            self.i += 2
        else:
            self.i += 1

    def nested(self, reason: str, *, quoted: bool) -> bool:
        """Quotes and expansions inside `${ }` or arithmetic; True when one was consumed."""
        char = self.text[self.i]
        if char == "\\":
            self.escape(reason)
        elif char == "'":
            if quoted:  # bash's rules for ' inside "${...}" vary by operator: do not guess
                raise Confused
            end = self.text.find("'", self.i + 1)
            if end < 0:
                raise Confused
            self.skip_to(end + 1, reason)
        elif char == '"':
            self.double_quoted(reason)
        elif char == "`":
            self.backticks()
        elif char == "$":
            self.dollar(reason, quoted=quoted)
        else:
            return False
        return True

    def braced(self, quoted: bool) -> None:
        reason = "inside ${...}"
        depth = 0
        while self.i < len(self.text):
            if self.take_value(reason):
                continue
            if self.nested(reason, quoted=quoted):
                continue
            char = self.text[self.i]
            self.i += 1
            if char == "{":
                depth += 1
            elif char == "}":
                if not depth:
                    return
                depth -= 1
        raise Confused

    def arithmetic(self, closer: str, *, nested: bool) -> None:
        """`$(( ))`, `(( ))` (closer `)` twice) or `$[ ]`."""
        reason = "in an arithmetic expression"
        depth = 0
        while self.i < len(self.text):
            if self.take_value(reason):
                continue
            if self.nested(reason, quoted=False):
                continue
            char = self.text[self.i]
            self.i += 1
            if char == "(":
                depth += 1
            elif char == ")" and depth:
                depth -= 1
            elif char == closer and not nested:
                return
            elif char == ")" and closer == ")":
                if self.peek() != ")":
                    raise Confused
                self.i += 1
                return
        raise Confused
