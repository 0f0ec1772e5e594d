"""The Démarches simplifiées connector (GraphQL API v2): pull a démarche's dossiers into a
call folder, publish the verdicts back (docs/teleservice.md)."""
