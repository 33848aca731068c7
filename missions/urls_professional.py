from django.urls import path

from missions.views import professional

urlpatterns = [
    path("propositions/", professional.proposals, name="proposals"),
    path("propositions/<int:pk>/accepter/", professional.proposal_accept_view, name="proposal_accept"),
    path("propositions/<int:pk>/decliner/", professional.proposal_decline_view, name="proposal_decline"),
    path("mes-missions/", professional.missions_list, name="my_missions"),
    path("mes-missions/<int:pk>/", professional.mission_detail, name="mission_detail"),
    path("revenus/", professional.earnings, name="earnings"),
]
