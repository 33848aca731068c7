from django.urls import path

from professionals.pro_sante_connect import views

# Included by allauth under accounts/ (it collects each provider package's urls). The redirect URI
# to declare to PSC is SITE_URL + /accounts/pro-sante-connect/login/callback/.
urlpatterns = [
    path("pro-sante-connect/login/", views.login, name="pro_sante_connect_login"),
    path("pro-sante-connect/login/callback/", views.callback, name="pro_sante_connect_callback"),
]
