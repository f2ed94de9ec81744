"""The REST API's views: `patient` and `questionnaires` (/api/v1/me/…), `clinic`
(/api/v1/clinic/…), `docs` (the schema's docs page), `common` (what they share)."""
