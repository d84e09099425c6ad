"""Every permission-checked read and write of the survey: pages and the CLI call these.

Each function takes the session and the acting person (`actor=`), checks the permission rules
(`services.permissions`), writes the audit row in the same transaction, and returns plain data."""
