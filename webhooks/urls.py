from django.urls import path

from webhooks import views

app_name = "webhooks"
# Mounted under /etablissement/ beside the establishment's own pages (ville_hopital/urls.py).
urlpatterns = [
    path("<int:establishment_id>/webhooks/", views.webhook_list, name="list"),
    path("<int:establishment_id>/webhooks/<int:webhook_id>/supprimer/", views.webhook_delete, name="delete"),
    path("<int:establishment_id>/webhooks/<int:webhook_id>/reactiver/", views.webhook_enable, name="enable"),
    path("<int:establishment_id>/webhooks/<int:webhook_id>/livraisons/", views.webhook_deliveries, name="deliveries"),
]
