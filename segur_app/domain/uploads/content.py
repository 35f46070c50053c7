"""The checks of one document, in the order their messages are given.

1. it is not empty and weighs at most the policy's ``max_bytes`` (4 Mo) —
   checked before any content inspection, so a huge file costs nothing;
2. its name has an allowed extension (case-insensitive, see :mod:`.names`);
3. libmagic (python-magic) recognises the bytes as ``image/png``,
   ``image/jpeg`` or ``application/pdf`` and that type agrees with the
   extension (.png ↔ PNG, .jpg/.jpeg ↔ JPEG, .pdf ↔ PDF);
4. the format structure is sound (:mod:`.pdf`, :mod:`.images`);
5. for every format, no ZIP "end of central directory" record ends the file
   (an archive hidden inside a chunk, a segment or a comment).

:func:`check_document` runs them all on bytes in memory;
:func:`~.staging.stage` runs 1–2 before reading the upload and 3–5 on the
file it has just written (mapped, not copied).
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap

import magic

from segur_app.domain.uploads import images, pdf
from segur_app.domain.uploads.names import clean_base, safe_display_name, split_extension
from segur_app.domain.uploads.policy import (
    ALLOWED_MIME_TYPES,
    EXTENSION_MIME_TYPES,
    KIND_LABELS,
    MAX_UPLOAD_BYTES,
    PROBLEM_MESSAGES,
    CheckedDocument,
    FormatProblem,
    UploadPolicy,
    extension_list,
    format_size,
)

_MIME_ALIASES = {
    "image/apng": "image/png",
    "image/x-png": "image/png",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}


def sniff_mime(data) -> str:
    """MIME type detected by libmagic from the content (never from the name).

    Only the first ``MAX_UPLOAD_BYTES`` are examined; aliases are normalised
    (``image/jpg`` → ``image/jpeg``...). ``application/octet-stream`` when
    libmagic fails. ``data``: bytes, or a writable mapping (``mmap`` opened
    with ``ACCESS_COPY``), which libmagic reads in place.
    """
    if isinstance(data, mmap.mmap):
        sample = (ctypes.c_char * min(len(data), MAX_UPLOAD_BYTES)).from_buffer(data)
    else:
        sample = bytes(data[:MAX_UPLOAD_BYTES])
    try:
        detected = magic.from_buffer(sample, mime=True)
    except Exception:  # libmagic errors on odd input: treat as unknown
        return "application/octet-stream"
    finally:
        del sample  # a mapping cannot be closed while this view lives
    detected = (detected or "application/octet-stream").split(";")[0].strip().lower()
    return _MIME_ALIASES.get(detected, detected)


def check_size(size: int, policy: UploadPolicy) -> None:
    if size == 0:
        raise policy.rejected("le fichier est vide.", "empty")
    if size > policy.max_bytes:
        raise policy.rejected(
            f"le fichier dépasse la taille maximum de {format_size(policy.max_bytes)}.",
            "too_large",
            f"{size} bytes > {policy.max_bytes}",
        )


def check_name(filename: str, policy: UploadPolicy) -> str:
    """The file's extension (lower-case, with the dot) when the policy allows it."""
    allowed = extension_list(policy.extensions)
    base = clean_base(filename)
    if not base:
        raise policy.rejected("le fichier n'a pas de nom.", "no_name")
    _, raw_ext = split_extension(base)
    if not raw_ext:
        raise policy.rejected(
            f"le nom du fichier n'a pas d'extension ; seuls les fichiers {allowed} "
            "sont acceptés.",
            "no_extension",
        )
    extension = raw_ext.lower()
    if extension not in policy.extensions:
        raise policy.rejected(
            f"seuls les fichiers {allowed} sont acceptés.",
            "extension_not_allowed",
            f"extension {extension!r}",
        )
    return extension


def check_content(data, extension: str, policy: UploadPolicy) -> str:
    """libmagic, the format's structure, no hidden archive; the detected MIME type."""
    mime_type = sniff_mime(data)
    expected = EXTENSION_MIME_TYPES[extension]
    if mime_type not in ALLOWED_MIME_TYPES:
        raise policy.rejected(
            f"le contenu du fichier ne correspond pas à son extension ({extension}) : "
            "seuls les documents PDF et les images PNG ou JPEG sont acceptés.",
            "content_not_allowed",
            f"detected {mime_type}",
        )
    if mime_type != expected:
        raise policy.rejected(
            f"le contenu du fichier ne correspond pas à son extension ({extension}) : "
            f"c'est {KIND_LABELS[mime_type]}.",
            "content_mismatch",
            f"detected {mime_type}, expected {expected}",
        )
    try:
        if mime_type == "application/pdf":
            pdf.check_pdf(data)
        elif mime_type == "image/png":
            images.check_png(data)
        else:
            images.check_jpeg(data)
        if ends_with_zip_directory(data):
            raise FormatProblem("hidden_archive", "ZIP end of central directory at end of file")
    except FormatProblem as problem:
        raise policy.rejected(
            PROBLEM_MESSAGES[problem.reason], problem.reason, problem.detail
        ) from None
    return mime_type


def ends_with_zip_directory(data) -> bool:
    """A ZIP end-of-central-directory record whose comment ends the file."""
    start = max(0, len(data) - (22 + 0xFFFF))
    pos = data.rfind(b"PK\x05\x06", start)
    while pos >= 0:
        if pos + 22 <= len(data):
            comment_length = int.from_bytes(data[pos + 20 : pos + 22], "little")
            if pos + 22 + comment_length == len(data):
                return True
        pos = data.rfind(b"PK\x05\x06", start, pos)
    return False


def check_document(
    data: bytes,
    filename: str,
    *,
    field_label: str,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> CheckedDocument:
    """Validate a document held in memory; raise :class:`DocumentRejected` if refused."""
    return check_with_policy(data, filename, UploadPolicy(label=field_label, max_bytes=max_bytes))


def check_with_policy(data: bytes, filename: str, policy: UploadPolicy) -> CheckedDocument:
    check_size(len(data), policy)
    if not isinstance(data, bytes):
        data = bytes(data)  # bytearray / memoryview: only once the size is known
    extension = check_name(filename, policy)
    mime_type = check_content(data, extension, policy)
    return CheckedDocument(
        original_name=safe_display_name(filename),
        extension=extension,
        mime_type=mime_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
