"""Health endpoints for load balancers and orchestrators."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from carefront.core.selectors import readiness_problems


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    problems = readiness_problems()
    if problems:
        return JsonResponse({"status": "unavailable", "detail": "; ".join(problems), "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})
