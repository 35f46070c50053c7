"""Reconciliation of the private storage with the ``attachment`` table.

Used by ``python -m segur_app.cli storage-check [--repair]`` and by the
periodic sweep (``segur_app/tasks.py``). It finds

- **unreferenced files**: final files no row points to, older than the grace
  period (a transaction that published them and never committed, a crash
  after the commit that deleted their row, a temporary ``.part`` file);
- **abandoned staged files**: files chosen in a form and never deposited,
  older than the staging lifetime;
- **missing / altered files**: rows whose file does not exist or whose
  sha256 differs from the one recorded. These are only ever reported.

Safe with several workers running it at once: files are listed *before* the
rows are read (so a file published and committed meanwhile is young, hence
kept), a removal that finds the file already gone is not an error, and a row
reported missing is read again first (it may have been deleted meanwhile).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

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
    path: Path
    name: str  # relative to the storage directory, e.g. "staging/ab/ab12…"
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
        gone = {entry.path for entry in self.removed}
        return [e for e in self.unreferenced + self.abandoned if e.path not in gone]

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


def _entries(root: Path, storage_dir: Path, *, staged: bool) -> list[StoredEntry]:
    found = []
    try:
        shards = [d for d in root.iterdir() if len(d.name) == 2 and d.is_dir()]
    except FileNotFoundError:
        return []
    for shard in shards:
        try:
            children = list(shard.iterdir())
        except FileNotFoundError:
            continue
        for path in children:
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            if not path.is_file() or path.is_symlink():
                continue
            found.append(StoredEntry(
                path=path, name=path.relative_to(storage_dir).as_posix(),
                key=path.name if storage.is_key(path.name) and path.name[:2] == shard.name
                else None,
                size_bytes=st.st_size, mtime=st.st_mtime, staged=staged,
            ))
    return found


def scan(storage_dir: Path) -> list[StoredEntry]:
    """Every file of the storage: documents, staged files, temporaries."""
    return (_entries(storage_dir, storage_dir, staged=False)
            + _entries(storage_dir / storage.STAGING, storage_dir, staged=True))


def _rows(session: Session, ids: list[int] | None = None) -> list[tuple[int, str, str, str]]:
    table = Attachment.__table__
    query = sa.select(table.c.id, table.c.kind, table.c.storage_key, table.c.sha256)
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    rows = [tuple(r) for r in session.execute(query.order_by(table.c.id)).all()]
    session.rollback()  # end the read: the next one sees later commits
    return rows


def _verify(row: tuple[int, str, str, str], storage_dir: Path) -> str | None:
    """None when the row's file is intact, else "missing" or "altered"."""
    _, _, key, sha256 = row
    try:
        return None if storage.file_sha256(
            storage.file_path(key, storage_dir=storage_dir)) == sha256 else "altered"
    except (FileNotFoundError, ValueError):
        return "missing"


def _remove(entry: StoredEntry) -> bool:
    try:
        entry.path.unlink()
    except FileNotFoundError:  # another worker was faster
        return False
    return True


def check(
    session: Session,
    *,
    storage_dir: Path,
    grace_seconds: float,
    staging_max_age_seconds: float,
    now: float,
    repair: bool = False,
    refuse_mass_removal: bool = False,
) -> StorageReport:
    """Compare the storage with the rows; with ``repair``, remove the stale files.

    Missing or altered files are never "repaired": they are reported.
    """
    entries = scan(storage_dir)  # first: see the module docstring
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

    suspects = {row[0]: (row, problem) for row in rows
                if (problem := _verify(row, storage_dir)) is not None}
    if suspects:
        for row in _rows(session, list(suspects)):
            original, problem = suspects[row[0]]
            if row[2] != original[2]:
                continue  # the row now points elsewhere: not this run's business
            problem = _verify(row, storage_dir)  # the first look may predate a commit
            if problem is not None:
                target = report.missing if problem == "missing" else report.altered
                target.append(RowProblem(attachment_id=row[0], kind=row[1], key=row[2]))

    if repair:
        report.removed = [e for e in report.abandoned if _remove(e)]
        if refuse_mass_removal and len(report.unreferenced) > max(MASS_REMOVAL_FLOOR,
                                                                  report.referenced):
            report.removal_refused = True
        else:
            report.removed += [e for e in report.unreferenced if _remove(e)]
    return report


def _when(mtime: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(mtime))


def report_lines(report: StorageReport, *, storage_dir: Path, grace_seconds: float,
                 staging_max_age_seconds: float, repair: bool) -> list[str]:
    """The French report printed by ``storage-check``."""
    removed = {entry.path for entry in report.removed}

    def fate(entry: StoredEntry) -> str:
        if entry.path in removed:
            return "supprimé"
        return "conservé (trop nombreux)" if repair else "à supprimer (--repair)"

    lines = [f"Stockage {storage_dir} : {report.referenced} pièce(s) jointe(s) en base, "
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


def sweep(session: Session, *, storage_dir: Path, grace_seconds: float,
          staging_max_age_seconds: float, now: float) -> StorageReport:
    """The periodic clean-up: :func:`check` with repair and the mass-removal guard."""
    report = check(session, storage_dir=storage_dir, grace_seconds=grace_seconds,
                   staging_max_age_seconds=staging_max_age_seconds, now=now,
                   repair=True, refuse_mass_removal=True)
    if not report.intact or report.removal_refused:
        log.error(report.summary())
    elif report.removed:
        log.info(report.summary())
    return report
