"""Every URL of the portal.

Never hard-code a path anywhere else: import the constant from this module
(``from segur_app import routes`` then ``routes.FAQ``).
"""

from __future__ import annotations

# --- Public portal (no login) -------------------------------------------------
HOME = "/"
LOGIN = "/connexion"
FORGOT_ID = "/identifiant-oublie"
FORGOT_PASSWORD = "/mot-de-passe-oublie"
ENROLMENT = "/enrolement"
JSON_SIMULATION = "/simuler-fichier-json"
FAQ = "/questions-frequentes"
ASSISTANCE = "/contacter-assistance"
HELP = "/aide"
HELP_GUIDE = "/aide/guide-utilisateur"
SITEMAP = "/plan-du-site"
ACCESSIBILITY = "/accessibilite"
LEGAL = "/mentions-legales"
CGU = "/cgu"

# --- Private portal (logged-in SAS supplier) -----------------------------------
PRIVATE_HOME = "/espace"
# First login: mandatory password change, then the secret question/answer.
FIRST_LOGIN_PASSWORD = "/espace/changement-mot-de-passe"
FIRST_LOGIN_SECRET_QUESTION = "/espace/question-secrete"
RESET_PASSWORD = "/reinitialiser-mot-de-passe"
# Query parameter of RESET_PASSWORD carrying the emailed single-use token.
RESET_TOKEN_PARAM = "jeton"
NEWS = "/espace/actualites"
# Query parameter of NEWS naming the news item to show in full.
NEWS_ID_PARAM = "id"
ENROLMENT_TRACKING = "/enrolement/suivi"
FUNDING_ADVANCE = "/demande-financement/avance"
FUNDING_BALANCE = "/demande-financement/solde"
FUNDING_TRACKING = "/demande-financement/suivi"
ACCOUNT = "/mon-compte"
MY_TICKETS = "/aide/mes-demandes"
# Link emailed to a new contact address (token in RESET_TOKEN_PARAM).
CONFIRM_EMAIL = "/confirmer-adresse"

# --- ASP staff (instruction of the requests) -----------------------------------
STAFF_HOME = "/instruction"
STAFF_ENROLMENTS = "/instruction/enrolements"
STAFF_FUNDING_REQUESTS = "/instruction/demandes-financement"
STAFF_NEWS = "/instruction/actualites"
STAFF_ASSISTANCE = "/instruction/assistance"
# One funding request; the dossier number and the list's filters in the query.
STAFF_FUNDING_REQUEST = "/instruction/demandes-financement/dossier"
# CSV export of the filtered list (served by segur_app/api/exports.py).
STAFF_FUNDING_EXPORT = "/instruction/export/demandes-financement.csv"
STAFF_ENROLMENT_EXPORT = "/instruction/export/enrolements.csv"

# --- Private documents, served by segur_app/api/documents.py: DOCUMENTS/<id> ---
DOCUMENTS = "/documents"
# A funding request's « Accusé de dépôt » by dossier number: DEPOSIT_RECEIPT/<number>
# (issued on demand if still missing, then redirected to DOCUMENTS/<id>).
DEPOSIT_RECEIPT = DOCUMENTS + "/accuse-de-depot"

# --- HTTP endpoints of the session (form POSTs answered by a 303 redirect) ------
# They set / clear the HttpOnly session cookie: see segur_app/api/session.py.
SESSION_LOGIN = "/session/connexion"
SESSION_LOGOUT = "/session/deconnexion"
# Query parameter of LOGIN carrying the code of the message to show
# (``api.session.LOGIN_MESSAGES``).
LOGIN_MESSAGE_PARAM = "message"

# Query parameters of the staff lists (bookmarkable filters).
PARAM_NUMBER = "numero"
PARAM_STATUS = "statut"
PARAM_KIND = "type"
PARAM_CATEGORY = "categorie"  # assistance and news lists
PARAM_FROM = "du"
PARAM_TO = "au"
PARAM_SEARCH = "q"
PARAM_SORT = "tri"
PARAM_PAGE = "page"
# Keyset pages: the id of the row just before (« suivante ») / after (« précédente ») the page.
PARAM_AFTER = "apres"
PARAM_BEFORE = "avant"
