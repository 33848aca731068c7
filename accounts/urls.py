from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("ars/invitation/<str:token>/", views.ars_invitation, name="ars_invitation"),
    path("jeton-api/", views.api_token, name="api_token"),
]
