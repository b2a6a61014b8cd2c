# scripts: setup, the cron job and benchmarks
EXTRA_DIST += scripts/setup
EXTRA_DIST += examples/demo
