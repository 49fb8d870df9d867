# One target per thing a person does; each is a thin call into a script or a CLI.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MODEL ?=
PORT ?= 8088
# Every library's package (libs/<name>/aimed_<name>), so mypy covers a new library without an edit here.
LIB_PACKAGES := $(patsubst %/__init__.py,%,$(wildcard libs/*/aimed_*/__init__.py))

.PHONY: help setup run stop test test-fast lint fmt bench bench-judge llama model llama-start llama-stop \
        train train-validate train-export train-eval docs learner

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

setup: ## install everything (system packages, .venv, llama.cpp toolchain, demo model, frontend libs)
	@bash infra/scripts/bootstrap.sh

run: setup ## start the whole system locally (SQLite, demo model) and print the URL and token
	@bash infra/scripts/run.sh

stop: ## stop what `make run` started
	@bash infra/scripts/stop.sh

test: setup ## run the whole test suite (both databases, real llama-server, real nginx, real browser)
	@bash infra/scripts/test.sh

test-fast: setup ## run the tests that need neither llama-server nor a browser
	@bash infra/scripts/test.sh -m "not llama and not browser"

lint: ## ruff lint + format check, mypy on libs/ and the SRS core
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy $(LIB_PACKAGES) services/scheduler/aimed_scheduler

fmt: ## apply ruff fixes and formatting
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

bench: setup ## run every benchmark and print the figures recorded in docs/benchmarks.md
	@bash infra/scripts/bench.sh

bench-judge: setup ## the judge's accuracy on the labeled corpus: make bench-judge JUDGE_URL=http://127.0.0.1:1234 [JUDGE_MODEL=name]
	@test -n "$(JUDGE_URL)" || { echo "JUDGE_URL is required: an OpenAI-compatible server (LM Studio, Ollama, llama-server), e.g. JUDGE_URL=http://127.0.0.1:1234"; exit 2; }
	@$(VENV)/bin/python bench/grounding_judge_cost.py --corpus --judge-url "$(JUDGE_URL)" \
	  --judge-backend "$(or $(JUDGE_BACKEND),openai)" $(if $(JUDGE_MODEL),--judge-model "$(JUDGE_MODEL)")

llama: ## build llama-server and llama-quantize (cached outside git)
	@bash infra/llama/build.sh

model: ## extract the demo GGUF into models/
	@bash infra/llama/fetch_model.sh

llama-start: setup ## start llama-server on MODEL (default: the demo GGUF) at PORT
	@MODEL_PATH="$(MODEL)" LLAMA_PORT="$(PORT)" $(PY) -m infra.llama.serve start

llama-stop: ## stop the llama-server started by llama-start
	@LLAMA_PORT="$(PORT)" $(PY) -m infra.llama.serve stop

train-validate: ## validate a training JSONL (DATA=training/data/train.jsonl)
	@$(VENV)/bin/aimed-train validate $(or $(DATA),training/data/train.jsonl)

train: ## fine-tune with CONFIG (default training/configs/default.yaml)
	@$(VENV)/bin/aimed-train train --config $(or $(CONFIG),training/configs/default.yaml)

train-export: ## export a trained run to GGUF q4_k_m (RUN=path/to/run)
	@$(VENV)/bin/aimed-train export --run $(RUN)

train-eval: ## evaluate a GGUF on the held-out split (MODEL=path.gguf)
	@$(VENV)/bin/aimed-train eval --model $(MODEL) --data training/data/heldout.jsonl

docs: ## regenerate docs/card.schema.json, docs/openapi/*.json and docs/configuration.md
	@$(PY) infra/scripts/export_docs.py

learner: ## create a learner and print its token (NAME=...)
	@$(VENV)/bin/aimed-gateway create-learner --name "$(or $(NAME),local)"
