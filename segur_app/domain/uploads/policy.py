"""What a file field accepts (:class:`UploadPolicy`) and what is said when a file is refused.

Every message starts with the field's label (« Relevé d'identité bancaire (RIB) :
le fichier est vide. »). The texts are those of the user guide's screens; the
browser's own refusals (a file too large or a second file, refused before it
is sent) are worded by :meth:`UploadPolicy.browser_refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
"""« Taille maximum : 4 Mo » — 4 MiB, as the DSFR upload hint says."""

EXTENSION_MIME_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".pdf": "application/pdf",
}
DOCUMENT_EXTENSIONS: tuple[str, ...] = tuple(EXTENSION_MIME_TYPES)
ALLOWED_EXTENSIONS: frozenset[str] = frozenset(EXTENSION_MIME_TYPES)
ALLOWED_MIME_TYPES: frozenset[str] = frozenset(EXTENSION_MIME_TYPES.values())
MAX_IMAGE_SIDE = 20000
MAX_IMAGE_PIXELS = 50_000_000
"""50 megapixels: far above any scan or photo of a document, far below a bomb."""

KIND_LABELS = {
    "image/png": "une image PNG",
    "image/jpeg": "une image JPEG",
    "application/pdf": "un document PDF",
}

PROBLEM_MESSAGES = {
    "pdf_corrupt": "le fichier PDF est illisible ou endommagé.",
    "pdf_trailing_data": (
        "le fichier PDF contient des données inattendues après la fin du document "
        "(fichier modifié ou composite)."
    ),
    "pdf_encrypted": "les fichiers PDF protégés par mot de passe ne sont pas acceptés.",
    "pdf_active_content": (
        "le fichier PDF contient des éléments actifs (JavaScript, fichiers incorporés…) "
        "non acceptés. Enregistrez-le à nouveau avec « Imprimer en PDF » puis déposez "
        "cette copie."
    ),
    "image_corrupt": "l'image est illisible ou endommagée.",
    "image_too_large": (
        f"les dimensions de l'image dépassent le maximum de {MAX_IMAGE_SIDE} × "
        f"{MAX_IMAGE_SIDE} pixels."
    ),
    "image_too_many_pixels": (
        "l'image compte trop de pixels (image de décompression abusive) : le maximum est "
        f"de {MAX_IMAGE_PIXELS // 1_000_000} mégapixels. Enregistrez-la dans une définition "
        "plus faible puis déposez-la à nouveau."
    ),
    "image_trailing_data": (
        "l'image contient des données inattendues après sa fin (fichier modifié ou composite)."
    ),
    "hidden_archive": "le fichier contient une archive cachée et n'est pas accepté.",
}


class DocumentRejected(ValueError):
    """An uploaded document refused by the checks.

    ``message`` is the French text to show next to the field (it starts with
    the field label); ``reason`` is a stable code for tests and logs;
    ``detail`` an optional technical explanation (English, never shown).
    """

    def __init__(
        self, message: str, *, field_label: str, reason: str, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_label = field_label
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class FormatProblem(Exception):
    """Raised by the format checks (:mod:`.pdf`, :mod:`.images`); ``reason`` is a
    key of :data:`PROBLEM_MESSAGES`, ``detail`` the technical explanation."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CheckedDocument:
    original_name: str
    """The uploaded name, sanitised for display (metadata only, never a path)."""
    extension: str
    """Lower-case, with the dot: ``.png``, ``.jpg``, ``.jpeg`` or ``.pdf``."""
    mime_type: str
    """Detected from the content: ``image/png``, ``image/jpeg`` or ``application/pdf``."""
    size_bytes: int
    sha256: str


def format_size(num_bytes: int) -> str:
    """French size for messages: ``4 Mo``, ``500 ko``, ``1,5 Mo``."""
    if num_bytes >= 1024 * 1024:
        value, unit = num_bytes / (1024 * 1024), "Mo"
    elif num_bytes >= 1024:
        value, unit = num_bytes / 1024, "ko"
    else:
        return f"{num_bytes} octets"
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} {unit}"


def extension_list(extensions: tuple[str, ...]) -> str:
    """``.png, .jpg, .jpeg ou .pdf``."""
    if len(extensions) == 1:
        return extensions[0]
    return ", ".join(extensions[:-1]) + " ou " + extensions[-1]


@dataclass(frozen=True)
class UploadPolicy:
    """What one file field accepts, and how it names itself in messages.

    The same policy configures the picker (``components/file_picker.py``: hint,
    size and count the browser enforces), the state that stages the file
    (``state/uploads.py``) and the server-side checks (:func:`~.staging.stage`).
    """

    label: str
    """The field's name: every message starts with it."""
    extensions: tuple[str, ...] = DOCUMENT_EXTENSIONS
    """Allowed extensions (lower-case, with the dot), in the order the hint lists them."""
    max_bytes: int = MAX_UPLOAD_BYTES
    max_files: int = 1
    kind: str = ""
    """What a staged file is for (an ``AttachmentKind`` value), recorded with it."""
    browser_types: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """MIME type → extensions the browser's file chooser offers (empty: any file,
    so that a wrong file reaches the server and gets its precise message)."""
    browser_label: str = ""
    """The label of the browser's refusals when the screen names the field
    differently (empty: ``label``)."""

    @classmethod
    def for_kind(cls, kind, **changes) -> UploadPolicy:
        """The policy of a document field for ``kind`` (an ``AttachmentKind``:
        its label names the field, its value is recorded with the staged file)."""
        return cls(label=kind.label, kind=kind.value, **changes)

    @property
    def is_document(self) -> bool:
        """Only PDF, PNG and JPEG documents are checked and staged."""
        return bool(self.extensions) and set(self.extensions) <= ALLOWED_EXTENSIONS

    @property
    def hint(self) -> str:
        """« Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo »."""
        return (f"Fichier de type {extension_list(self.extensions)}. "
                f"Taille maximum : {format_size(self.max_bytes)}")

    @property
    def accept(self) -> dict[str, list[str]] | None:
        """``rx.upload(accept=...)``."""
        return {mime: list(exts) for mime, exts in self.browser_types} or None

    def rejected(self, text: str, reason: str, detail: str | None = None) -> DocumentRejected:
        return DocumentRejected(
            f"{self.label} : {text}", field_label=self.label, reason=reason, detail=detail
        )

    def interrupted(self) -> str:
        """The connection dropped while the file was being sent."""
        return (f"{self.browser_label or self.label} : la connexion a été interrompue pendant "
                "l'envoi du fichier. Vérifiez votre connexion internet puis choisissez à "
                "nouveau le fichier.")

    def browser_refusal(self, rejections: list[dict]) -> str:
        """French message for a file the browser refused before sending it
        (``on_drop_rejected``: react-dropzone's error codes)."""
        label = self.browser_label or self.label
        codes = {e.get("code") for r in rejections for e in r.get("errors", [])}
        if "file-too-large" in codes:
            return f"{label} : le fichier dépasse la taille maximum de {format_size(self.max_bytes)}."
        if "file-invalid-type" in codes:
            return f"{label} : ce type de fichier n'est pas accepté."
        if self.max_files == 1:
            return f"{label} : un seul fichier peut être joint."
        return f"{label} : {self.max_files} fichiers au plus peuvent être joints."
