"""The REST API root: authentication, errors and the routers of each app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.types import DictStrAny

from carefront.api.services import token_authenticate
from carefront.core.exceptions import ApplicationError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = token_authenticate(plain=token)
        if user is not None:
            request.user = user
        return user


class StaffOrContactSession(SessionAuth):
    """Django's session, with CSRF checked on unsafe methods by django-ninja."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


class StrictParser(Parser):
    """Refuse a repeated query parameter unless it is a list, instead of silently keeping the last value."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        for key in data:
            if key not in list_fields and len(data.getlist(key)) > 1:
                raise ValidationError([{"loc": ["query", key], "msg": "given more than once"}])
        return super().parse_querydict(data, list_fields, request)


api = NinjaAPI(
    parser=StrictParser(),
    title="Carefront API",
    version="1",
    description="One desk for customers and clients. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `carefront token create USER`) or a browser session with CSRF.",
    auth=[BearerToken(), StaffOrContactSession()],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in {"body", "payload", "query", "path"}]
        problems.append({"field": ".".join(location), "message": error.get("msg", "invalid")})
    first = problems[0] if problems else {"field": "", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return api.create_response(request, {"detail": detail, "errors": problems}, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Authentication required: send a bearer token or log in."}, status=401
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": "Request body is too large."}, status=413)


@api.get("/health", auth=None, tags=["meta"], summary="API is up")
def api_health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


def _mount_routers() -> None:
    from carefront.accounts.api import router as accounts_router
    from carefront.accounts.api_timeline import router as timeline_router
    from carefront.api.meta import router as meta_router
    from carefront.desk.api import router as desk_router
    from carefront.desk.api_conversations import router as conversations_router
    from carefront.desk.api_macros import router as macros_router
    from carefront.desk.api_routing import router as routing_router
    from carefront.desk.api_sla import router as sla_router
    from carefront.feedback.api import router as feedback_router
    from carefront.feedback.api_clients import router as client_surveys_router
    from carefront.insights.api import router as insights_router
    from carefront.insights.api_goals import router as goals_router
    from carefront.insights.api_metrics import router as metrics_router
    from carefront.knowledge.api import router as knowledge_router
    from carefront.mail.api import router as mail_router
    from carefront.relationships.api import router as relationships_router
    from carefront.relationships.api_checkins import router as checkins_router
    from carefront.relationships.api_followups import router as followups_router
    from carefront.relationships.api_health import router as health_router
    from carefront.relationships.api_incidents import router as incidents_router
    from carefront.relationships.api_portfolio import router as portfolio_router
    from carefront.relationships.api_profile import router as profile_router

    api.add_router("/", meta_router)
    api.add_router("/", accounts_router)
    api.add_router("/", timeline_router)
    api.add_router("/", desk_router)
    api.add_router("/", sla_router)
    api.add_router("/", macros_router)
    api.add_router("/", routing_router)
    api.add_router("/", conversations_router)
    api.add_router("/", knowledge_router)
    api.add_router("/", insights_router)
    api.add_router("/", metrics_router)
    api.add_router("/", goals_router)
    api.add_router("/", mail_router)
    api.add_router("/", relationships_router)
    api.add_router("/", incidents_router)
    api.add_router("/", checkins_router)
    api.add_router("/", portfolio_router)
    api.add_router("/", followups_router)
    api.add_router("/", health_router)
    api.add_router("/", profile_router)
    api.add_router("/", feedback_router)
    api.add_router("/", client_surveys_router)


_mount_routers()
