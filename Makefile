# The two commands of the README's quick start. Each bootstraps what it needs.
.PHONY: demo test lint bench

demo:
	@scripts/bootstrap.sh
	.venv/bin/ai-employee demo

test:
	@scripts/bootstrap.sh
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest -q -n 2 --dist loadgroup
	@scripts/shifted_clock_tests.sh

bench:
	@scripts/bootstrap.sh
	.venv/bin/python -m benchmarks
