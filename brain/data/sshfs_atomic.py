"""sshfs with uploads that appear whole or not at all.

sshfs writes an upload straight to its final name, so a push killed midway leaves a
truncated object that every later push takes for present (object stores are checked by
name). Writing to a temporary name and renaming it (SFTP posix-rename) makes an object
exist only once all its bytes are there, as uploads to S3 and to a folder already do.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from sshfs import SSHFileSystem


class AtomicSSHFileSystem(SSHFileSystem):  # type: ignore[misc]  # sshfs ships no types
    """SSHFileSystem whose `put_file` renames a finished temporary file into place."""

    async def _put_file(self, lpath: str, rpath: str, **kwargs: Any) -> Any:
        partial = f"{rpath}.{secrets.token_hex(8)}.tmp"
        try:
            result = await super()._put_file(lpath, partial, **kwargs)
            await self._mv(partial, rpath)
        except BaseException:
            # Best effort: a leftover `.tmp` is never taken for an object (wrong name).
            with contextlib.suppress(Exception):  # the original error is the one to report
                await self._rm_file(partial)
            raise
        return result
