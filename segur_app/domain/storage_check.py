"""Reconciliation of the private storage with the ``attachment`` table.

Used by ``python -m segur_app.cli storage-check [--repair]`` and by the
periodic sweep (``segur_app/tasks.py``). It finds

- **unreferenced files**: final files no row points to, older than the grace
  period (a transaction that published them and never committed, a crash
  after the commit that deleted their row, a temporary ``.part`` file);
- **abandoned staged files**: files chosen in a form and never deposited,
  older than the staging lifetime;
- **missing / altered files**: rows whose file does not exist or whose
  sha256 differs from the one recorded (the hourly sweep of an object store
  compares sizes: it does not download every document every hour). These are
  only ever reported.

Safe with several workers running it at once: files are listed *before* the
rows are read (so a file published and committed meanwhile is young, hence
kept), a removal that finds the file already gone is not an error, and a row
reported missing is read again first (it may have been deleted meanwhile).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from segur_app.domain import storage
from segur_app.domain.models import Attachment

log = logging.getLogger(__name__)

# The background sweep never removes more unreferenced files than there are
# rows (beyond this floor): a storage pointed at the wrong, empty database
# must not be emptied. ``storage-check --repair`` is the explicit way.
MASS_REMOVAL_FLOOR = 10


@dataclass(frozen=True)
class StoredEntry:
    name: str  # in the store, e.g. "ab/ab12…", "staging/ab/ab12…"
    key: str | None  # None for anything that is not a document name (".part")
    size_bytes: int
    mtime: float
    staged: bool


@dataclass(frozen=True)
class RowProblem:
    attachment_id: int
    kind: str
    key: str


@dataclass
class StorageReport:
    referenced: int = 0
    unreferenced: list[StoredEntry] = field(default_factory=list)
    abandoned: list[StoredEntry] = field(default_factory=list)
    missing: list[RowProblem] = field(default_factory=list)
    altered: list[RowProblem] = field(default_factory=list)
    removed: list[StoredEntry] = field(default_factory=list)
    removal_refused: bool = False

    @property
    def intact(self) -> bool:
        """Every row has its file, with the recorded sha256."""
        return not self.missing and not self.altered

    @property
    def leftovers(self) -> list[StoredEntry]:
        """Stale files still on disk (not removed by this run)."""
        gone = {entry.name for entry in self.removed}
        return [e for e in self.unreferenced + self.abandoned if e.name not in gone]

    def summary(self) -> str:
        """One line for the log."""
        line = (
            f"storage check: {self.referenced} referenced file(s), "
            f"{len(self.unreferenced)} unreferenced and {len(self.abandoned)} abandoned "
            f"staged file(s) past their grace period, {len(self.removed)} removed, "
            f"{len(self.missing)} missing, {len(self.altered)} altered"
        )
        if self.missing:
            line += " (missing: attachment " + ", ".join(
                str(p.attachment_id) for p in self.missing) + ")"
        if self.altered:
            line += " (altered: attachment " + ", ".join(
                str(p.attachment_id) for p in self.altered) + ")"
        if self.removal_refused:
            line += "; removal refused: more unreferenced files than rows, run storage-check"
        return line


def _entry(item: storage.Entry) -> StoredEntry | None:
    """What the sweep makes of an object: only ``[staging/]<2 chars>/<name>`` are ours."""
    parts = item.name.split("/")
    staged = parts[0] == storage.STAGING
    if staged:
        parts = parts[1:]
    if len(parts) != 2 or len(parts[0]) != 2:
        return None
    shard, name = parts
    return StoredEntry(name=item.name,
                       key=name if storage.is_key(name) and name[:2] == shard else None,
                       size_bytes=item.size_bytes, mtime=item.mtime, staged=staged)


def scan(store: storage.Storage) -> list[StoredEntry]:
    """Every file of the storage: documents, staged files, temporaries."""
    return [entry for item in storage.resolve(store).list()
            if (entry := _entry(item)) is not None]


Row = tuple[int, str, str, str, int]  # id, kind, storage key, sha256, size


def _rows(session: Session, ids: list[int] | None = None) -> list[Row]:
    table = Attachment.__table__
    query = sa.select(table.c.id, table.c.kind, table.c.storage_key, table.c.sha256,
                      table.c.size_bytes)
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    rows = [tuple(r) for r in session.execute(query.order_by(table.c.id)).all()]
    session.rollback()  # end the read: the next one sees later commits
    return rows


def _verify(row: Row, store: storage.Store, sizes: dict[str, int] | None) -> str | None:
    """None when the row's file is intact, else "missing" or "altered".

    ``sizes`` (name → size, from the listing): a shallow check, existence and
    size only (an object store's sweep must not download every document every
    hour); None: the content's sha256 is verified.
    """
    _, _, key, sha256, size_bytes = row
    try:
        name = storage.object_name(key)
        if sizes is None:
            return None if storage.sha256_of(store, name) == sha256 else "altered"
        size = sizes.get(name)
        if size is None:  # not listed: it may have been published since
            entry = store.stat(name)
            if entry is None:
                return "missing"
            size = entry.size_bytes
        return None if size == size_bytes else "altered"
    except (FileNotFoundError, ValueError):
        return "missing"


def _remove(store: storage.Store, entry: StoredEntry) -> bool:
    """False when another worker was faster (S3 does not say whether a DELETE
    removed anything: concurrent sweeps may both count an object)."""
    if store.stat(entry.name) is None:
        return False
    store.delete(entry.name)
    return True


def check(
    session: Session,
    *,
    store: storage.Storage,
    grace_seconds: float,
    staging_max_age_seconds: float,
    now: float,
    repair: bool = False,
    refuse_mass_removal: bool = False,
    verify_content: bool = True,
) -> StorageReport:
    """Compare the storage with the rows; with ``repair``, remove the stale files.

    Missing or altered files are never "repaired": they are reported. Without
    ``verify_content`` a row's file is only checked to exist with its size.
    """
    store = storage.resolve(store)
    entries = scan(store)  # first: see the module docstring
    rows = _rows(session)
    keys = {row[2] for row in rows}
    report = StorageReport(referenced=len(rows))
    for entry in entries:
        age = now - entry.mtime
        if entry.staged:
            if age > staging_max_age_seconds:
                report.abandoned.append(entry)
        elif entry.key not in keys and age > grace_seconds:
            report.unreferenced.append(entry)

    sizes = None if verify_content else {e.name: e.size_bytes for e in entries if not e.staged}
    suspects = {row[0]: (row, problem) for row in rows
                if (problem := _verify(row, store, sizes)) is not None}
    if suspects:
        for row in _rows(session, list(suspects)):
            original, problem = suspects[row[0]]
            if row[2] != original[2]:
                continue  # the row now points elsewhere: not this run's business
            recheck = None if sizes is None else {}  # the object itself, not the listing
            problem = _verify(row, store, recheck)  # the first look may predate a commit
            if problem is not None:
                target = report.missing if problem == "missing" else report.altered
                target.append(RowProblem(attachment_id=row[0], kind=row[1], key=row[2]))

    if repair:
        report.removed = [e for e in report.abandoned if _remove(store, e)]
        if refuse_mass_removal and len(report.unreferenced) > max(MASS_REMOVAL_FLOOR,
                                                                  report.referenced):
            report.removal_refused = True
        else:
            report.removed += [e for e in report.unreferenced if _remove(store, e)]
    return report


def _when(mtime: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(mtime))


def report_lines(report: StorageReport, *, store: storage.Storage, grace_seconds: float,
                 staging_max_age_seconds: float, repair: bool) -> list[str]:
    """The French report printed by ``storage-check``."""
    removed = {entry.name for entry in report.removed}

    def fate(entry: StoredEntry) -> str:
        if entry.name in removed:
            return "supprimé"
        return "conservé (trop nombreux)" if repair else "à supprimer (--repair)"

    lines = [f"Stockage {storage.resolve(store).location} : {report.referenced} pièce(s) jointe(s) en base, "
             f"délai de grâce {grace_seconds:g} s, fichiers en préparation "
             f"conservés {staging_max_age_seconds:g} s."]
    for label, entries in (("Fichier non référencé", report.unreferenced),
                           ("Fichier en préparation abandonné", report.abandoned)):
        lines += [f"{label} : {e.name} ({e.size_bytes} octets, modifié le {_when(e.mtime)})"
                  f" — {fate(e)}" for e in entries]
    for label, problems in (("Fichier manquant", report.missing),
                            ("Fichier altéré (empreinte SHA-256 différente)", report.altered)):
        lines += [f"{label} : pièce jointe n° {p.attachment_id} ({p.kind}, clé {p.key})"
                  for p in problems]
    lines.append(
        f"Bilan : {len(report.unreferenced)} fichier(s) non référencé(s), "
        f"{len(report.abandoned)} fichier(s) en préparation abandonné(s), "
        f"{len(report.removed)} supprimé(s), {len(report.missing)} fichier(s) manquant(s), "
        f"{len(report.altered)} fichier(s) altéré(s)."
    )
    if report.leftovers and not repair:
        lines.append("Relancez avec --repair pour supprimer les fichiers non référencés.")
    if not report.intact:
        lines.append("Les fichiers manquants ou altérés ne sont jamais corrigés automatiquement :"
                     " restaurez-les depuis une sauvegarde.")
    return lines


def sweep(session: Session, *, store: storage.Storage, grace_seconds: float,
          staging_max_age_seconds: float, now: float) -> StorageReport:
    """The periodic clean-up: :func:`check` with repair and the mass-removal guard.

    It hashes every document of a local directory; in an object store it checks
    that each exists with its size (``storage-check`` hashes them all)."""
    store = storage.resolve(store)
    report = check(session, store=store, grace_seconds=grace_seconds,
                   staging_max_age_seconds=staging_max_age_seconds, now=now,
                   repair=True, refuse_mass_removal=True,
                   verify_content=isinstance(store, storage.LocalStore))
    if not report.intact or report.removal_refused:
        log.error(report.summary())
    elif report.removed:
        log.info(report.summary())
    return report
