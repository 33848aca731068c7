from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from ville_hopital import api, installable, second_factor, views

# The admin signs in through allauth's sign-in page (with its second step), not its own password form.
admin.site.login = secure_admin_login(admin.site.login)

api_v1 = [
    path("me/", api.MeView.as_view(), name="me"),
    path("auth/token/", api.TokenObtainView.as_view(), name="token"),
    path("territories/", include("territories.api")),
    path("notifications/", include("notifications.api")),
    path("", include("establishments.api")),
    path("", include("missions.booking.api_hr")),
    path("", include("missions.booking.api")),  # offers/, missions/: both parties
    path("", include("missions.contracts.api")),  # contracts/: both parties
    path("", include("missions.platform.api_hr")),
    path("", include("professionals.api")),  # profile/, availability/…, credentials/…
    path("", include("missions.platform.api_pro")),  # open-shifts/
    path("establishments/<int:establishment_id>/tokens/", include("establishments.api_tokens")),
    path("ars/", include("dashboards.api")),
    path("", include("webhooks.api")),  # establishments/<id>/webhooks/…
]

handler404 = views.page_not_found

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("manifest.webmanifest", installable.manifest, name="manifest"),
    path("sw.js", installable.service_worker, name="service_worker"),
    path("hors-ligne/", installable.offline, name="offline"),
    path("admin/", admin.site.urls),
    path("accounts/double-authentification/", second_factor.enrol, name="second_factor_enrol"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("territoires/", include("territories.urls")),
    path("pro/", include("professionals.urls")),
    path("etablissement/", include("establishments.urls")),
    path("etablissement/", include("webhooks.urls")),  # an admin's webhook pages, beside the establishment's
    path("missions/", include("missions.urls")),
    path("ars/", include("dashboards.urls")),
    path("notifications/", include("notifications.urls")),
    path("journal/", include("ville_hopital.urls_audit")),
    path("", include("ville_hopital.privacy.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # drf-spectacular's pages, with the language of their text (English) on <html>.
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
         name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"),
         name="api-redoc"),
]

# No route serves MEDIA_ROOT, not even with DEBUG on (``make run``): uploads are diplomas, insurance
# certificates and contracts, served only by views that check who asks (``credential_download``,
# ``contract_download``).
