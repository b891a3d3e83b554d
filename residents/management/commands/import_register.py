from residents.import_command import ImportCommand
from residents.models import ImportBatch


class Command(ImportCommand):
    help = "Import a household register (CSV in UTF-8/BOM/GB18030, or XLSX)."
    kind = ImportBatch.Kind.REGISTER
