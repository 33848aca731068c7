from django.urls import path

from professionals import views

app_name = "professionals"
urlpatterns = [
    path("", views.home, name="home"),
    path("profil/nouveau/", views.profile_create, name="profile_create"),
]
