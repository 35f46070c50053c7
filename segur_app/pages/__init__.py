"""Every page of the portal: importing a module registers its ``@template`` pages.

Keep this order: it is the order of the pages in the « Plan du site ».
"""

from segur_app.pages import home  # noqa: F401  (isort: skip)
from segur_app.pages import login  # noqa: F401  (isort: skip)
from segur_app.pages import forgot_identifiant  # noqa: F401  (isort: skip)
from segur_app.pages import forgot_password  # noqa: F401  (isort: skip)
from segur_app.pages import reset_password  # noqa: F401  (isort: skip)
from segur_app.pages import first_login  # noqa: F401  (isort: skip)
from segur_app.pages import private_home  # noqa: F401  (isort: skip)
from segur_app.pages import news_item  # noqa: F401  (isort: skip)
from segur_app.pages import funding_advance  # noqa: F401  (isort: skip)
from segur_app.pages import funding_tracking  # noqa: F401  (isort: skip)
from segur_app.pages import enrolment  # noqa: F401  (isort: skip)
from segur_app.pages import json_simulation  # noqa: F401  (isort: skip)
from segur_app.pages import enrolment_tracking  # noqa: F401  (isort: skip)
from segur_app.pages import staff_enrolments  # noqa: F401  (isort: skip)
from segur_app.pages import faq  # noqa: F401  (isort: skip)
from segur_app.pages import upcoming  # noqa: F401  (isort: skip)
from segur_app.pages import sitemap  # noqa: F401  (isort: skip)
from segur_app.pages import accessibility  # noqa: F401  (isort: skip)
from segur_app.pages import legal  # noqa: F401  (isort: skip)
from segur_app.pages import cgu  # noqa: F401  (isort: skip)
