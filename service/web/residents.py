"""What the residents' journeys share (report, service request, follow): the consented contact
and its texts, the idempotency key of a form, the same per-origin limits as the API, and
posted forms checked for their CSRF token.

A refusal comes from the domain's own rules (``DomainError``), shown beside its field by
``forms.field_errors``; the few things only a form can get wrong are said here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_
from service.privacy.models import ConsentPurpose
from service.privacy.rules import ContactRequest
from service.web.forms import Form, read_form
from service.web.rendering import Page, Web

# The version of the consent texts below; stored with each consent (proof of what was read).
# A change of their wording is a new version.
CONSENT_TEXT_VERSION = "web-2026-06"
CONSENT_TEXTS = {
    ConsentPurpose.FOLLOW_UP_CONTACT: N_(
        "I agree that the body handling my request contacts me about it with these details. "
        "They are deleted once it is finished, or as soon as I withdraw my consent."
    ),
    ConsentPurpose.SHARE_WITH_OPERATOR: N_(
        "I also agree that these details are sent to the handling body's own system (for "
        "example the company working for it)."
    ),
    ConsentPurpose.SATISFACTION_SURVEY: N_("I also agree to be asked afterwards how it went."),
}
# The form's names of the consents, in the order shown.
CONSENT_FIELDS = {
    ConsentPurpose.FOLLOW_UP_CONTACT: "consent_follow_up",
    ConsentPurpose.SHARE_WITH_OPERATOR: "consent_share",
    ConsentPurpose.SATISFACTION_SURVEY: "consent_survey",
}
# The rules' names of the contact's fields -> the form's.
CONTACT_FIELDS = {
    "contact.name": "contact_name",
    "contact.email": "contact_email",
    "contact.phone": "contact_phone",
    "contact.followUpConsent": "consent_follow_up",
    "contact.consentTextVersion": "consent_follow_up",
}
IDEMPOTENCY_FIELD = "idempotency_key"


def new_idempotency_key() -> str:
    """Made once when the form is shown, sent back with it: a double post is one item."""
    return "web-" + secrets.token_urlsafe(18)


def contact_from(form: Form) -> ContactRequest | None:
    """The contact the resident gave, with their consents; None when they gave none."""
    name, email, phone = (form.get(f"contact_{k}").strip() for k in ("name", "email", "phone"))
    ticked = {purpose for purpose, field in CONSENT_FIELDS.items() if form.get(field)}
    if not (name or email or phone or ticked):
        return None
    return ContactRequest(
        name=name or None,
        email=email or None,
        phone=phone or None,
        follow_up_consent=ConsentPurpose.FOLLOW_UP_CONTACT in ticked,
        # The version of the texts this server shows, never what a browser says it read.
        consent_text_version=CONSENT_TEXT_VERSION,
        share_with_body=ConsentPurpose.SHARE_WITH_OPERATOR in ticked,
        satisfaction_survey=ConsentPurpose.SATISFACTION_SURVEY in ticked,
    )


@dataclass(frozen=True)
class Consent:
    field: str
    text: str
    checked: bool


def consents(page: Page, form: Form | None) -> list[Consent]:
    """The consent boxes as shown: their text in the reader's language, ticked as posted."""
    return [
        Consent(field, page.gettext(CONSENT_TEXTS[purpose]), bool(form and form.get(field)))
        for purpose, field in CONSENT_FIELDS.items()
    ]


async def posted(
    web: Web, request: Request, page: Page, purpose: str, *, back: str
) -> Form | Response:
    """The posted form when its CSRF token holds; otherwise the page saying that nothing was
    saved, with a link ``back`` to the form (the action's path may take posts only)."""
    form = await read_form(request)
    if form is None or not page.csrf_valid(form.as_mapping(), purpose):
        return web.render(page, "form_expired.html", status=403, back=back)
    return form


# Renders a template with values: (template, status, values) -> the response.
Renderer = Callable[[str, int, dict[str, Any]], Response]


@dataclass(frozen=True)
class FormPlace:
    """Where a residents' form (report, service request) is shown and posted: the residents'
    own pages, or the staff console, where an agent fills it in for a resident (counter,
    phone, letter). The form, its rules and its messages are the same; the layout around it,
    where it posts, its CSRF purpose and the agent's extra fields differ."""

    layout: str  # the template the form's page extends
    action: str  # where it posts
    purpose: str  # its CSRF purpose
    renderer: Renderer
    # For an agent: the channel and the resident's language (see web.console.assisted).
    assisted: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """What the form's template needs to know of its place."""
        return {
            "layout": self.layout,
            "form_action": self.action,
            "form_purpose": self.purpose,
            "assisted": self.assisted,
        }

    def render(self, template: str, status: int, **values: Any) -> Response:
        return self.renderer(template, status, {**values, **self.fields()})


def residents_place(web: Web, page: Page, action: str, purpose: str) -> FormPlace:
    """The form on the residents' pages."""
    return FormPlace(
        "base.html",
        action,
        purpose,
        lambda template, status, values: web.render(
            page, template, status=status, private=True, **values
        ),
    )
