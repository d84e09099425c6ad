"""Pure CSV/XLSX reading and writing for the flat files auditors exchange with Excel: no database.
The services that import and export a wave (`services.imports`, `services.export`) use it."""
