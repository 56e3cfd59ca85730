"""The figures of the two scorecards (service and relationship), each computed from raw rows by one formula that
`definitions.py` names and `docs/metrics.md` explains."""
