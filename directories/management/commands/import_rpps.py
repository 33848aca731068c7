from directories.loading import DirectoryImportCommand
from directories.rpps import RPPS_FORMAT


class Command(DirectoryImportCommand):
    help = (
        "Import the RPPS extraction of the Annuaire Santé (PS_LibreAcces_Personne_activite_*.txt) from a file. "
        "All or nothing, idempotent; rows no longer in the file are removed (docs/directories.md)."
    )
    fmt = RPPS_FORMAT
