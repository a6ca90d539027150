"""The mixed-traffic load test's report: locust's CSV read back, the markdown table, and its
section in docs/benchmarks.md written between its markers without touching the rest."""

from __future__ import annotations

from benchmarks import load_mixed

STATS = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,/me/,1200,0,41,48.2,12,390,20510,20.0,0.0,41,50,57,61,75,92,120,150,300,390,390
POST,/api/v1/signoffs/,180,2,63,70.1,30,410,900,3.0,0.03,63,70,75,80,95,130,200,300,410,410,410
,Aggregated,1380,2,44,51.0,12,410,17950,23.0,0.03,44,52,59,63,78,97,130,160,320,410,410
"""


def test_locust_statistics_are_read_per_action_and_in_total(tmp_path):
    (tmp_path / "stats_stats.csv").write_text(STATS)

    endpoints, total, failures = load_mixed.read_stats(tmp_path / "stats")

    assert endpoints == [
        {
            "method": "POST",
            "name": "/api/v1/signoffs/",
            "requests": 180,
            "errors": 2,
            "p50_ms": 63.0,
            "p95_ms": 130.0,
            "rps": 3.0,
        },
        {"method": "GET", "name": "/me/", "requests": 1200, "errors": 0, "p50_ms": 41.0, "p95_ms": 92.0, "rps": 20.0},
    ]
    assert total == {
        "method": "",
        "name": "Aggregated",
        "requests": 1380,
        "errors": 2,
        "p50_ms": 44.0,
        "p95_ms": 97.0,
        "rps": 23.0,
    }
    assert failures == []


def test_the_table_has_a_row_per_action_and_the_total(tmp_path):
    (tmp_path / "stats_stats.csv").write_text(STATS)
    endpoints, total, _ = load_mixed.read_stats(tmp_path / "stats")
    meta = {
        "users": 30,
        "seconds": 60,
        "workers": 3,
        "technicians": 250,
        "site_arg": 6,
        "seed": 42,
        "date": "2026-11-25",
        "employed": 109,
        "sites": 6,
        "machine": "2 CPU cores",
        "signoffs_answered": 178,
        "signoffs_stored": 178,
    }

    table = load_mixed.markdown(endpoints, total, meta=meta)

    assert table.startswith("## Mixed-traffic load test\n")
    assert "| POST `/api/v1/signoffs/` | 180 | 2 | 63 | 130 | 3.0 |\n" in table
    assert "| GET `/me/` | 1200 | 0 | 41 | 92 | 20.0 |\n" in table
    assert "| **all** | **1380** | **2** | **44** | **97** | **23.0** |\n" in table
    assert "Sign-offs answered 201: 178; new sign-off rows in the database: 178 (" in table


def test_the_section_goes_between_its_markers_and_leaves_the_rest_alone(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nPages at scale: fast.\n")

    load_mixed.write_doc("## Mixed-traffic load test\n\nfirst\n", doc)
    load_mixed.write_doc("## Mixed-traffic load test\n\nsecond\n", doc)

    assert doc.read_text() == (
        "# Benchmarks\n\nPages at scale: fast.\n\n"
        "<!-- load-mixed:start -->\n## Mixed-traffic load test\n\nsecond\n<!-- load-mixed:end -->\n"
    )


def test_a_missing_document_is_created(tmp_path):
    doc = tmp_path / "benchmarks.md"

    load_mixed.write_doc("## Mixed-traffic load test\n", doc)

    assert (
        doc.read_text()
        == "# Benchmarks\n\n<!-- load-mixed:start -->\n## Mixed-traffic load test\n<!-- load-mixed:end -->\n"
    )
