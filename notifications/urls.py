from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/lue/", views.mark_read, name="mark_read"),
    path("tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("mobile/", views.phone, name="phone"),
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
