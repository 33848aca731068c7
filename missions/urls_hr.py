from django.urls import path

from missions.views import hr

urlpatterns = [
    path("etablissement/<int:pk>/vacations/", hr.board, name="hr_board"),
    path("vacations/<int:pk>/annuler/", hr.shift_cancel_view, name="hr_shift_cancel"),
    path("missions/<int:pk>/cloturer/", hr.mission_complete_view, name="hr_mission_complete"),
]
