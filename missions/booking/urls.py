"""Proposals and missions: the professional's pages, then HR's (included from missions/urls.py)."""

from django.urls import path

from missions.booking.views import hr, professional

urlpatterns = [
    path("propositions/", professional.proposals, name="proposals"),
    path("propositions/<int:pk>/accepter/", professional.proposal_accept_view, name="proposal_accept"),
    path("propositions/<int:pk>/decliner/", professional.proposal_decline_view, name="proposal_decline"),
    path("mes-missions/", professional.missions_list, name="my_missions"),
    path("mes-missions/<int:pk>/", professional.mission_detail, name="mission_detail"),
    path("revenus/", professional.earnings, name="earnings"),
    path("rh/etablissement/<int:pk>/vacations/", hr.board, name="hr_board"),
    path("rh/vacations/<int:pk>/annuler/", hr.shift_cancel_view, name="hr_shift_cancel"),
    path("rh/missions/<int:pk>/cloturer/", hr.mission_complete_view, name="hr_mission_complete"),
]
