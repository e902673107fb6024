"""The routes of the residents' journeys: report, follow, request a service. Their paths are
French and stable (a tracking link is printed as a QR code); tokens travel only in query
strings and posted forms, never in a path."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from service.web import follow_pages, report_pages, service_request_pages
from service.web.rendering import Web


def residents_routes(web: Web) -> list[BaseRoute]:
    return [
        Route("/signaler", report_pages.report_form(web), methods=["GET"]),
        Route("/signaler", report_pages.report_post(web), methods=["POST"]),
        Route("/signaler/a-proximite", report_pages.nearby_fragment(web), methods=["GET"]),
        Route("/signaler/soutien", report_pages.support_post(web), methods=["POST"]),
        Route("/demandes", service_request_pages.catalogue(web), methods=["GET"]),
        Route("/demandes/{code}", service_request_pages.request_form(web), methods=["GET"]),
        Route("/demandes/{code}", service_request_pages.request_post(web), methods=["POST"]),
        Route("/suivi", follow_pages.follow_page(web), methods=["GET"]),
        Route("/suivi", follow_pages.follow_by_code(web), methods=["POST"]),
        Route("/suivi/confirmation", follow_pages.confirmation_page(web), methods=["GET"]),
        Route("/suivi/information", follow_pages.add_information(web), methods=["POST"]),
        Route("/suivi/avis", follow_pages.give_feedback(web), methods=["POST"]),
        Route("/suivi/consentement", follow_pages.withdraw_consent(web), methods=["POST"]),
        Route("/suivi/export", follow_pages.export_data(web), methods=["POST"]),
        Route("/suivi/effacement", follow_pages.erase_data(web), methods=["POST"]),
    ]
