"""The content store, through dvc-data: hashing, the cache, transfers, checkout.

Nothing here hashes, copies or links bytes itself: dvc-data builds objects (md5 per file, a
`.dir` listing object per folder, exactly as DVC), transfers them between object databases
(the cache, a remote) and checks them out into the project. What brain adds is policy:
every object is verified against its hash before it is checked out (a damaged blob is
refused and dropped, the dataset in the project untouched), and a dataset whose bytes in
the project are not in the cache is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from brain.data.pointer import Pointer
from brain.data.remotes import HASH_NAME, OBJECTS
from brain.errors import EnvironmentFailure

if TYPE_CHECKING:
    from dvc_data.hashfile.db import HashFileDB
    from dvc_data.hashfile.obj import HashFile
    from dvc_data.hashfile.state import StateBase
    from dvc_data.hashfile.tree import Tree
    from fsspec.callbacks import Callback


class DataDamaged(EnvironmentFailure):
    """A stored object does not match its hash (exit 3); it was refused, nothing overwritten."""


class DataMissing(EnvironmentFailure):
    """A dataset version is in neither the cache nor the remote asked (exit 3)."""


@dataclass
class Store:
    """The project's cache and hash state, opened once per command."""

    root: Path
    cache: HashFileDB
    state: StateBase

    def close(self) -> None:
        """Release the hash state's database."""
        self.state.close()


def open_store(root: Path) -> Store:
    """The cache (`BRAIN_DATA_CACHE`, else `<root>/.brain/data/cache`) and the hash state."""
    from dvc_data.hashfile.db.local import LocalHashFileDB
    from dvc_data.hashfile.state import State
    from dvc_objects.fs.local import LocalFileSystem

    from brain import settings
    from brain.statefs import safe_dir, state_folder

    shared = settings.path("BRAIN_DATA_CACHE")
    data = state_folder(root, "data")  # marked: brain's; the folders below are dvc-data's
    objects = safe_dir(shared or data / "cache", *OBJECTS)
    # The hash state (inode, mtime, size -> md5) spares hashing unchanged files again.
    state = State(root_dir=str(root), tmp_dir=str(safe_dir(data, "state")))
    # Cache files are written read-only (0444) by dvc-data; checkouts copy (or reflink),
    # never hardlink, so editing a dataset can never edit the cache.
    cache = LocalHashFileDB(LocalFileSystem(), str(objects), hash_name=HASH_NAME,
                            state=state, type=["reflink", "copy"])
    return Store(root, cache, state)


def _local_fs() -> Any:
    from dvc_objects.fs.local import LocalFileSystem

    return LocalFileSystem()


def _hash_info(md5: str) -> Any:
    from dvc_data.hashfile.hash_info import HashInfo

    return HashInfo(HASH_NAME, md5)


def build(store: Store, dataset: Path, *, save: bool,
          callback: Callback | None = None) -> Pointer:
    """The pointer of the file or folder `dataset` as it is now; its objects go to the
    cache when `save`."""
    from dvc_data.hashfile.build import build as build_objects
    from dvc_data.hashfile.transfer import transfer
    from fsspec.callbacks import DEFAULT_CALLBACK

    fs = _local_fs()
    staging, meta, obj = build_objects(store.cache, str(dataset), fs, HASH_NAME,
                                       dry_run=not save, callback=callback or DEFAULT_CALLBACK)
    assert obj.hash_info.value is not None
    if save:
        transfer(staging, store.cache, {obj.hash_info}, shallow=False, hardlink=False,
                 callback=callback or DEFAULT_CALLBACK)
    return Pointer(path=dataset.name, md5=obj.hash_info.value, size=meta.size,
                   nfiles=meta.nfiles if obj.hash_info.isdir else None)


def current_md5(store: Store, dataset: Path) -> str | None:
    """The md5 of the dataset at `dataset` as it is now (from the hash state when its
    files are unchanged), or None when it is absent."""
    if not dataset.exists():
        return None
    return build(store, dataset, save=False).md5


def in_cache(store: Store, md5: str) -> bool:
    """True when every object of version `md5` is in the cache (not verified)."""
    return missing_objects(store.cache, md5) == []


def missing_objects(db: HashFileDB, md5: str) -> list[str] | None:
    """The object ids of version `md5` that `db` lacks; None when even its listing is
    missing (a folder's content is then unknown)."""
    if not db.exists(md5):
        return None
    if not md5.endswith(".dir"):
        return []
    tree = cast("Tree", _load(db, md5))
    wanted = sorted({str(info.value) for _, _, info in tree})
    present = set(db.oids_exist(wanted)) if wanted else set()
    return [oid for oid in wanted if oid not in present]


def _load(db: HashFileDB, md5: str) -> HashFile:
    from dvc_data.hashfile import load

    return load(db, _hash_info(md5))


def verify(store: Store, md5: str, what: str) -> HashFile:
    """The object of version `md5`, every byte checked against its hash first.

    A damaged object is removed from the cache (so that a pull can fetch it again) and
    DataDamaged raised; nothing in the project is touched.
    """
    from dvc_data.hashfile.tree import Tree
    from dvc_objects.errors import ObjectFormatError

    cache = store.cache
    try:
        cache.check(md5, check_hash=True)
        obj = _load(cache, md5)
        if isinstance(obj, Tree):
            for _, _, info in obj:
                cache.check(str(info.value), check_hash=True)
    except ObjectFormatError:
        raise DataDamaged(f"{what}: the cached copy does not match its hash; brain removed "
                          "the damaged object and changed nothing in the project",
                          hint="`brain data pull` fetches it again from the remote") from None
    except FileNotFoundError:
        raise DataMissing(f"{what}: version {md5[:12]} is not in the cache",
                          hint="`brain data pull` fetches it from the remote") from None
    return obj


def checkout(store: Store, dataset: Path, md5: str, what: str,
             callback: Callback | None = None) -> None:
    """Put version `md5` at `dataset` (verified first; the project's bytes are replaced only
    when they are themselves in the cache)."""
    from dvc_data.hashfile.checkout import CheckoutError, LinkError
    from dvc_data.hashfile.checkout import checkout as checkout_objects
    from fsspec.callbacks import DEFAULT_CALLBACK

    obj = verify(store, md5, what)
    if dataset.exists():
        now = current_md5(store, dataset)
        if now == md5:
            return
        if now is None or not in_cache(store, now):
            raise DataMissing(
                f"{what}: the copy in the project has changes that are in no cache; "
                "restoring another version would lose them",
                hint="`brain data add` it first (or move it away), then try again")
    try:
        checkout_objects(str(dataset), _local_fs(), obj, store.cache, force=True,
                         state=store.state, progress_callback=callback or DEFAULT_CALLBACK)
    except CheckoutError as error:
        raise EnvironmentFailure(f"{what}: could not check out {len(error.paths)} file(s)",
                                 hint="run `brain data pull` again") from None
    except LinkError as error:  # no link type worked and neither did a copy (a full disk)
        cause = error.__cause__ or error.__context__
        raise EnvironmentFailure(
            f"{what}: could not write it into the project from the cache"
            + (f": {cause.strerror or cause}" if isinstance(cause, OSError) else ""),
            hint="check the free space on the project's disk, then `brain data pull` "
            "again") from None


def transfer_objects(source: HashFileDB, destination: HashFileDB, versions: Iterable[str],
                     *, verify_hashes: bool, callback: Callback | None = None
                     ) -> tuple[int, int]:
    """Copy the objects of `versions` that `destination` lacks; (copied, failed)."""
    from dvc_data.hashfile.transfer import transfer
    from fsspec.callbacks import DEFAULT_CALLBACK

    result = transfer(source, destination, {_hash_info(md5) for md5 in versions},
                      verify=verify_hashes, shallow=False,
                      callback=callback or DEFAULT_CALLBACK)
    return len(result.transferred), len(result.failed)
