"""Flat files auditors exchange with Excel: export a wave, import one back, all or nothing."""

from db.flatfile.export import export_wave
from db.flatfile.importer import ImportRefused, ImportReport, import_wave
from db.flatfile.table import FlatFileFormat

__all__ = ["FlatFileFormat", "ImportRefused", "ImportReport", "export_wave", "import_wave"]
