"""KPI snapshots live here (see the KPI issue)."""
