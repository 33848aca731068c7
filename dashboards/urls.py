from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:scope>/", views.overview_page, name="overview"),
    path("<slug:scope>/etablissements/", views.establishments_page, name="establishments"),
    path("<slug:scope>/penuries/", views.shortages_page, name="shortages"),
    path("<slug:scope>/export/<slug:table>.<slug:fmt>", views.export, name="export"),
]
