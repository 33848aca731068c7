from directories.finess import FINESS_FORMAT
from directories.loading import DirectoryImportCommand


class Command(DirectoryImportCommand):
    help = (
        "Import the FINESS extraction (etalab-cs1100507-stock-*.csv) from a file. "
        "All or nothing, idempotent; rows no longer in the file are removed (docs/directories.md)."
    )
    fmt = FINESS_FORMAT
