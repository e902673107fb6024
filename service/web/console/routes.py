"""The console's routes, under ``/console`` (French paths, as the residents' pages). Every
one goes through ``auth.require_staff`` but the sign-in page itself. Other console pages
append their routes to the list ``console_routes`` returns."""

from __future__ import annotations

from starlette.routing import BaseRoute

from service.staff import accounts
from service.web.console import (
    assisted,
    audit,
    auth,
    escalations,
    export,
    help_places,
    item,
    moderation,
    oidc,
    oidc_admin,
    photos,
    queue,
    second_factor,
    staff_accounts,
    tokens,
)
from service.web.rendering import Web


def console_routes(web: Web) -> list[BaseRoute]:
    return [
        web.route(auth.SIGN_IN, auth.sign_in_page(web)),
        web.route(auth.SIGN_IN, auth.sign_in_post(web), "POST"),
        web.route(auth.SIGN_OUT, auth.sign_out_post(web), "POST"),
        *sign_in_routes(web),
        web.route(auth.HOME, queue.queue_page(web)),
        web.route("/console/nouveaux", queue.live_rows(web)),
        web.route("/console/carte", queue.map_page(web)),
        web.route("/console/carte.json", queue.map_points(web)),
        web.route("/console/dossiers", queue.open_by_reference(web)),
        web.route(item.PATH, item.item_page(web)),
        web.route(item.PATH + "/contact", item.contact_page(web)),
        web.route(item.PATH + "/contact", item.contact_page(web), "POST"),
        web.route(item.PATH + "/{action}", item.act(web), "POST"),
        web.route(photos.PATH, photos.photo_page(web)),
        web.route(photos.PATH + "/{act}", photos.act_post(web), "POST"),
        web.route(moderation.PATH, moderation.queue_page(web)),
        web.route(moderation.ITEM, moderation.decision_page(web)),
        web.route(moderation.ITEM, moderation.decide_post(web), "POST"),
        web.route(tokens.PATH, tokens.tokens_page(web)),
        web.route(tokens.PATH, tokens.create_post(web), "POST"),
        web.route(tokens.PATH + "/revocation", tokens.revoke_post(web), "POST"),
        web.route(tokens.DIGEST_PATH, tokens.digest_post(web), "POST"),
        *part_b_routes(web),
    ]


def sign_in_routes(web: Web) -> list[BaseRoute]:
    """OpenID providers, the second factor, the security page."""
    return [
        web.route(oidc.PATH, oidc.depart(web)),
        web.route(oidc.RETURN, oidc.come_back(web)),
        web.route(auth.CODE_PAGE, second_factor.code_page(web)),
        web.route(auth.CODE_PAGE, second_factor.code_post(web), "POST"),
        web.route(auth.ENROL_PAGE, second_factor.enrol_page(web)),
        web.route(auth.ENROL_PAGE, second_factor.enrol_post(web), "POST"),
        web.route(second_factor.SECURITY, second_factor.security_page(web)),
        web.route(second_factor.SECURITY, second_factor.security_post(web), "POST"),
        web.route(second_factor.POLICY, second_factor.policy_post(web), "POST"),
        web.route(oidc_admin.PATH, oidc_admin.admin_page(web)),
        web.route(oidc_admin.PATH, oidc_admin.preauthorise_post(web), "POST"),
        web.route(oidc_admin.WITHDRAW, oidc_admin.withdraw_post(web), "POST"),
        web.route(oidc_admin.UNLINK, oidc_admin.unlink_post(web), "POST"),
    ]


def part_b_routes(web: Web) -> list[BaseRoute]:
    """Escalations, the audit log, staff accounts, assisted submission, the export."""
    return [
        web.route(escalations.PATH, escalations.escalations_page(web)),
        web.route(audit.PATH, audit.audit_page(web)),
        web.route(staff_accounts.PATH, staff_accounts.accounts_page(web)),
        web.route(staff_accounts.PATH, staff_accounts.invite_post(web), "POST"),
        web.route(staff_accounts.ROLE_PATH, staff_accounts.role_post(web), "POST"),
        web.route(staff_accounts.DEACTIVATE_PATH, staff_accounts.deactivate_post(web), "POST"),
        web.route(staff_accounts.RESET_PATH, staff_accounts.reset_post(web), "POST"),
        web.route(accounts.INVITATION_PATH, staff_accounts.invitation_page(web)),
        web.route(accounts.INVITATION_PATH, staff_accounts.invitation_post(web), "POST"),
        web.route(assisted.PATH, assisted.start_page(web)),
        web.route(assisted.REPORT_PATH, assisted.report_form(web)),
        web.route(assisted.REPORT_PATH, assisted.report_post(web), "POST"),
        web.route(assisted.REQUEST_PATH, assisted.request_form(web)),
        web.route(assisted.REQUEST_PATH, assisted.request_post(web), "POST"),
        web.route(assisted.RECEIPT_PATH, assisted.receipt_page(web)),
        web.route(export.PATH, export.export_csv(web)),
        web.route(help_places.PATH, help_places.list_page(web)),
        web.route(help_places.EDIT_PATH, help_places.edit_page(web)),
        web.route(help_places.EDIT_PATH, help_places.save_post(web), "POST"),
        web.route(help_places.DELETE_PATH, help_places.delete_post(web), "POST"),
    ]
