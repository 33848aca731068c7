"""The models of the missions app, each defined in the sub-package that owns it and imported here so
that Django registers them under the ``missions`` app label (their migrations are this app's).

Nothing inside missions imports this module: code imports a model from where it is defined.
"""

from missions.contracts.models import Contract, ContractSignature
from missions.core.models import EstablishmentBlock, MatchingRun, Mission, Proposal

__all__ = ["Contract", "ContractSignature", "EstablishmentBlock", "MatchingRun", "Mission", "Proposal"]
