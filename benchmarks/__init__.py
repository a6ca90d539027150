"""The performance benchmark (``make bench``): a data-set generator at health-system scale and a
runner that measures pages, KPI jobs, query counts and throughput against their floors."""
