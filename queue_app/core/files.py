"""The site's files on disk: its private ``instance/`` folder, the SQLite file and its side files, the secret key."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from pathlib import Path

from queue_app.core.siteconfig import SiteConf

logger = logging.getLogger(__name__)


#: what SQLite keeps beside a database file: they hold the same rows (the WAL holds recent commits whole)
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path | None) -> None:
    """Make the site's ``instance/`` folder (database, secret key, first password, backups) this user's only,
    creating it 0700 when missing (a folder it cannot create is left to whatever needs it to say so)."""
    if path is None:
        return
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("cannot create %s (%s)", path, exc.strerror or exc)
        return
    owner_only(path, 0o700)


def owner_only(path: Path, mode: int) -> None:
    """Take group and other permissions off ``path`` when it is ours and has any (a file an earlier version
    or a careless copy left 0644); another user's file is left alone, with a warning."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if not st.st_mode & 0o077:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        logger.warning("%s is readable by other users and cannot be made private (%s): chmod %o it", path,
                       exc.strerror or exc, mode)


def prepare_sqlite_file(url: str) -> None:
    """Create a SQLite database's folder (0700) and the file itself (0600) before SQLite opens it.

    SQLite creates a new database with the umask's mode (0644 usually) and gives its WAL, shared-memory and
    journal files the database file's mode: created 0600 here, all of them are private. Files an earlier
    version left readable are tightened, the folder only when this created it or it is ``instance/``.
    """
    if not url.startswith("sqlite:///") or ":memory:" in url or url.startswith("sqlite:///file:"):
        return
    path = Path(url[len("sqlite:///"):].split("?", 1)[0])
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an empty file is an empty database to SQLite
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        owner_only(file, 0o600)


def secret_key(site: SiteConf) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start; shared by every local process."""
    assert site.instance_dir is not None
    path = site.instance_dir / "secret_key"
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        owner_only(path, 0o600)
        for _ in range(50):  # another process may be writing it right now
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it and start again") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()
