"""Root URLs: health, the REST API and the back office."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from carefront.api.api import api
from carefront.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("portal/", include("carefront.portal.urls")),
    path("", include("carefront.web.urls")),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

handler400 = "carefront.core.views.bad_request"
handler500 = "carefront.core.views.server_error"
