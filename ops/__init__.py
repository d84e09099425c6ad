"""Operating the database as a whole: backup and restore, the demo wave, the app's
PostgreSQL role."""
