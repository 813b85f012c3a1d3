"""Counting right with several processes: prometheus_client's multiprocess mode, one folder per site.

Several ``gunicorn`` processes (docs/deploy.md: one per port behind nginx's ``ip_hash``) each count their own
requests, tickets and calls. Every serving process of a site writes its counters into memory-mapped files in
``[server] metrics_dir`` (default ``instance/metrics``), one file per process and kind, and a scrape of any of
them adds up every file: the whole site's totals, whichever process nginx or Prometheus reaches. Why this and
not only the database: request durations and socket counts exist nowhere else; and a scrape through nginx
lands on one process (sticky by address), so per-process counts would show a third of the site.

The folder lives as long as the site runs: counters of a process that ended stay in it (a total must not go
down while the site runs), its socket gauge is dropped. When the first process of a site starts and no other
holds the folder (a shared ``flock`` on ``.live``, taken under an exclusive ``.start`` lock), it empties the
folder: a restart of the whole site restarts the counters, which Prometheus' ``rate()`` expects.

Only serving processes (``mpp-queue serve``, the gunicorn worker: ``MPP_QUEUE_METRICS_MULTIPROCESS=1``) use
the folder. Command-line tools and tests count in memory; a process keeps the first folder it opened.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import glob
import logging
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, values
from prometheus_client import multiprocess as prom_multiprocess

from . import series

logger = logging.getLogger(__name__)

ENV = "MPP_QUEUE_METRICS_MULTIPROCESS"
#: the folder this process counts in (None: in memory)
_folder: Path | None = None
_live_lock: int | None = None
#: the registry of a process that counts in memory
_memory: CollectorRegistry | None = None


def folder() -> Path | None:
    return _folder


def wanted() -> bool:
    """Whether this process is a serving one (``mpp-queue serve``, the gunicorn worker: they set the variable)."""
    return os.environ.get(ENV) == "1"


def enable(path: Path) -> Path:
    """Count in ``path`` from now on (before any series has a value); once per process. :return: the folder used."""
    global _folder, _live_lock
    if _folder is not None:
        if _folder != path:
            logger.warning("metrics: this process already counts in %s; %s is not used", _folder, path)
        return _folder
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(path / ".start", fcntl.LOCK_EX):
        live = os.open(path / ".live", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(live, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # other processes of the site are running: keep their counts
            _drop_dead_gauges(path)
        else:  # the first process of the site: a new run, new totals
            for stale in glob.glob(str(path / "*.db")):
                os.unlink(stale)
        fcntl.flock(live, fcntl.LOCK_SH)  # held (by keeping the descriptor) until this process ends
        _live_lock = live
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    values.ValueClass = values.MultiProcessValue()
    _folder = path
    atexit.register(_gone)
    logger.info("metrics: counting in %s with the site's other processes", path)
    return path


@contextlib.contextmanager
def _locked(path: Path, how: int):  # noqa: ANN202
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, how)
        yield
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_dead_gauges(path: Path) -> None:
    """A process killed without its exit hook left its socket gauge: gone processes have no sockets."""
    for name in glob.glob(str(path / "gauge_live*_*.db")):
        pid = Path(name).stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            prom_multiprocess.mark_process_dead(int(pid), str(path))


def _gone() -> None:
    if _folder is not None:
        with contextlib.suppress(OSError):
            prom_multiprocess.mark_process_dead(os.getpid(), str(_folder))


def registry() -> CollectorRegistry:
    """What a scrape reads: every process's files (multiprocess), or this process's series (in memory)."""
    global _memory
    if _folder is not None:
        reg = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(reg, path=str(_folder))
        return reg
    if _memory is None:
        _memory = CollectorRegistry(auto_describe=True)
        for s in series.ALL:
            _memory.register(s)
    return _memory
