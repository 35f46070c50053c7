"""The enumerations: stored codes (French) and the labels the screens show."""

from __future__ import annotations

from segur_app.domain.models.base import LabelledEnum


class Role(LabelledEnum):
    SUPPLIER = ("supplier", "Fournisseur SAS")
    STAFF = ("staff", "Agent ASP")


class EnrolmentStatus(LabelledEnum):
    """The same members and codes as :class:`FundingStatus`."""

    TO_REVIEW = ("a_instruire", "A instruire")
    IN_PROGRESS = ("en_cours", "En cours")
    VALIDATED = ("validee", "Validée")
    REJECTED = ("rejetee", "Rejetée")


class FundingKind(LabelledEnum):
    ADVANCE = ("avance", "Demande d'avance")
    BALANCE = ("solde", "Demande de solde")


class FundingStatus(LabelledEnum):
    TO_REVIEW = ("a_instruire", "A instruire")
    IN_PROGRESS = ("en_cours", "En cours")
    # Staff asked the supplier to replace pieces (CorrectionRequest); the
    # dossier goes back to « En cours » when the supplier sends them.
    AWAITING_CORRECTIONS = ("complements", "En attente de compléments")
    VALIDATED = ("validee", "Validée")
    REJECTED = ("rejetee", "Rejetée")


class ControlStatus(LabelledEnum):
    """Per-block control decision on a funding request."""

    PENDING = ("a_instruire", "A instruire")
    OK = ("ok", "Contrôle OK")
    KO = ("ko", "Contrôle KO")


class ReviewStatus(LabelledEnum):
    """Per-attachment review decision."""

    PENDING = ("a_instruire", "A instruire")
    COMPLIANT = ("conforme", "Conforme")
    NON_COMPLIANT = ("non_conforme", "Non conforme")


class ScanResult(LabelledEnum):
    """What the antivirus (clamd) said of an uploaded file (``domain/antivirus.py``)."""

    CLEAN = ("sain", "Sain")
    INFECTED = ("infecte", "Infecté")  # refused at once: never stored on a row
    ERROR = ("erreur", "Erreur d'analyse")  # clamd unavailable, SEGUR_ANTIVIRUS=optional
    NOT_SCANNED = ("non_analyse", "Non analysé")  # SEGUR_ANTIVIRUS=off, or before 0010


class CorrectionReason(LabelledEnum):
    """Why a piece is « Non conforme » (shown to the supplier in the correction request)."""

    ILLEGIBLE = ("illisible", "Document illisible")
    EXPIRED = ("expire", "Document expiré")
    WRONG_DOCUMENT = ("mauvais_document", "Mauvais document")
    MISSING_INFORMATION = ("info_manquante", "Information manquante")
    OTHER = ("autre", "Autre (préciser)")


class AttachmentKind(LabelledEnum):
    PV_MISE_EN_SERVICE = ("pv_mise_en_service", "Procès-verbal de mise en service")
    ATTESTATION_HONNEUR = (
        "attestation_honneur",
        "Attestation sur l'honneur de procuration de documents à la destination "
        "des Régulateurs et des Effecteurs",
    )
    JUSTIFICATIF_TRANSMISSION = (
        "justificatif_transmission",
        "Justificatif de transmission des données à la plateforme numérique SAS",
    )
    FACTURE = ("facture", "Copie de la facture émise au client final")
    PV_VERIFICATION = (
        "pv_verification",
        "Procès-verbal de vérification d'aptitude ou déclaration de mise en "
        "ordre de marche",
    )
    RIB = ("rib", "Relevé d'identité bancaire (RIB)")
    NEWS = ("news", "Pièce jointe d'actualité")
    ASSISTANCE = ("assistance", "Pièce jointe de demande d'assistance")
    OTHER = ("autre", "Autre document")


class TicketCategory(LabelledEnum):
    ENROLMENT = ("enrolement", "Enrôlement")
    LOGIN = ("connexion", "Connexion et identifiants")
    ADVANCE = ("avance", "Demande d'avance")
    BALANCE = ("solde", "Demande de solde")
    DOCUMENTS = ("pieces", "Pièces justificatives")
    OTHER = ("autre", "Autre")


class TicketStatus(LabelledEnum):
    OPEN = ("en_attente", "En attente de réponse")
    ANSWERED = ("repondue", "Répondue")
    CLOSED = ("close", "Close")


class NewsCategory(LabelledEnum):
    """Who reads a news item (the staff read every category)."""

    SUPPLIER = ("FOURNISSEUR", "FOURNISSEUR")
    ASP = ("ASP", "ASP")


class NewsState(LabelledEnum):
    """A news item as the staff list shows it (``NewsItem.is_published``)."""

    PUBLISHED = ("publiee", "Publiée")
    DRAFT = ("brouillon", "Brouillon")


class EmailStatus(LabelledEnum):
    PENDING = ("en_attente", "En attente")
    SENT = ("envoye", "Envoyé")
    FAILED = ("echec", "Echec")


class GeneratedDocumentKind(LabelledEnum):
    """A PDF the portal issues itself (``domain/receipts.py``, ``domain/letters.py``)."""

    DEPOSIT_RECEIPT = ("accuse_depot", "Accusé de dépôt")
    DECISION_LETTER = ("decision", "Courrier de décision")
