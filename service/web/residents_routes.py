"""The routes of the residents' journeys: report, follow, request a service. Their paths are
French and stable (a tracking link is printed as a QR code); tokens travel only in query
strings and posted forms, never in a path."""

from __future__ import annotations

from starlette.routing import BaseRoute

from service.web import follow_pages, mail_pages, report_pages, service_request_pages
from service.web.rendering import Web


def residents_routes(web: Web) -> list[BaseRoute]:
    return [
        web.route("/signaler", report_pages.report_form(web)),
        web.route("/signaler", report_pages.report_post(web), "POST"),
        web.route("/signaler/a-proximite", report_pages.nearby_fragment(web)),
        web.route("/signaler/soutien", report_pages.support_post(web), "POST"),
        web.route("/demandes", service_request_pages.catalogue(web)),
        web.route("/demandes/{code}", service_request_pages.request_form(web)),
        web.route("/demandes/{code}", service_request_pages.request_post(web), "POST"),
        web.route("/suivi", follow_pages.follow_page(web)),
        web.route("/suivi", follow_pages.follow_by_code(web), "POST"),
        web.route("/suivi/confirmation", follow_pages.confirmation_page(web)),
        web.route("/suivi/information", follow_pages.add_information(web), "POST"),
        web.route("/suivi/avis", follow_pages.give_feedback(web), "POST"),
        web.route("/suivi/consentement", follow_pages.withdraw_consent(web), "POST"),
        web.route("/suivi/export", follow_pages.export_data(web), "POST"),
        web.route("/suivi/effacement", follow_pages.erase_data(web), "POST"),
        web.route(mail_pages.PATH, mail_pages.unsubscribe_page(web)),
        web.route(mail_pages.PATH, mail_pages.unsubscribe_post(web), "POST"),
        web.route(mail_pages.CONFIRM_PATH, mail_pages.confirm_page(web)),
        web.route(mail_pages.CONFIRM_PATH, mail_pages.confirm_post(web), "POST"),
        web.route(mail_pages.DATA_PATH, mail_pages.data_page(web)),
    ]
