# The two commands of the README's quick start. Each bootstraps what it needs.
.PHONY: demo test test-long lint bench

demo:
	@scripts/bootstrap.sh
	.venv/bin/ai-employee demo

test:
	@scripts/bootstrap.sh
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/pytest -q -n 2 --dist loadgroup
	@scripts/shifted_clock_tests.sh

# The security suite with its long variants: every mail of the prompt-injection corpus,
# and 1,000 examples of the hostile-vault fuzzer (40 in make test).
test-long:
	@scripts/bootstrap.sh
	AIE_CORPUS=all AIE_FUZZ_EXAMPLES=1000 .venv/bin/pytest -q -n 2 --dist loadgroup tests/security

bench:
	@scripts/bootstrap.sh
	.venv/bin/python -m benchmarks
