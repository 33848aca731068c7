from django.urls import path

from establishments import views

app_name = "establishments"
urlpatterns = [
    path("", views.home, name="home"),
    path("inscription/", views.onboarding, name="onboarding"),
]
