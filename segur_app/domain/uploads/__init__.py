"""Uploaded documents (attachments, RIB, invoices...): checked on the server, then staged.

Nothing the browser says is trusted: not the declared type, not the size
(``rx.upload`` limits are a convenience only), not the name. A document is
accepted only when, in this order (the first failure gives a precise French
message naming the form field):

1. it is not empty and weighs at most 4 Mo (``MAX_UPLOAD_BYTES`` = 4 × 1024 ×
   1024 bytes, or the field's own limit);
2. its name has an allowed extension — ``.png``, ``.jpg``, ``.jpeg``, ``.pdf``
   (:mod:`.names`: the name is only metadata, sanitised for display);
3. libmagic recognises the content as that format;
4. the format's structure is sound and a PDF carries no active content
   (:mod:`.pdf`, :mod:`.images` — images over 50 megapixels refused from their
   header, before any pixel is inflated);
5. no ZIP archive is hidden at its end;

and, once written to staging, it is scanned by the antivirus before the
content checks (:mod:`.antivirus`, clamd: an infected file is refused and
never stored).

Modules: :mod:`.policy` (what a field accepts: :class:`UploadPolicy`, limits,
messages), :mod:`.names`, :mod:`.content` (the order above,
:func:`check_document` on bytes), :mod:`.pdf`, :mod:`.images`, :mod:`.staging`
(:func:`stage`: a form's file checked once, hashed once and streamed to
``storage/staging``; :func:`publish`: the deposit trusts that check;
:func:`attachment_row`: the row of a published file). Plain
Python, no Reflex import: used by states, API routes, CLI scripts and tests.
"""

from __future__ import annotations

from segur_app.domain.uploads.antivirus import Scanner
from segur_app.domain.uploads.content import check_document, sniff_mime
from segur_app.domain.uploads.names import safe_display_name
from segur_app.domain.uploads.policy import (
    ALLOWED_EXTENSIONS,
    ALLOWED_MIME_TYPES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_UPLOAD_BYTES,
    CheckedDocument,
    DocumentRejected,
    UploadPolicy,
    format_size,
)
from segur_app.domain.uploads.staging import (
    StagedDocument,
    StagedFileAltered,
    StagedFileMissing,
    attachment_row,
    publish,
    stage,
)

ACCEPT_HINT = UploadPolicy(label="").hint
"""« Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo »."""

__all__ = [
    "ACCEPT_HINT",
    "ALLOWED_EXTENSIONS",
    "ALLOWED_MIME_TYPES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "MAX_UPLOAD_BYTES",
    "CheckedDocument",
    "DocumentRejected",
    "Scanner",
    "StagedDocument",
    "StagedFileAltered",
    "StagedFileMissing",
    "UploadPolicy",
    "attachment_row",
    "check_document",
    "format_size",
    "publish",
    "safe_display_name",
    "sniff_mime",
    "stage",
]
