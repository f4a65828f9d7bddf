"""PK targets: target texts, the target in force, and the target table from the database."""
