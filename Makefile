# checkpoint-relay. `make test` is what CI runs; `make run` starts the whole
# relay locally; `make build` builds every Lambda for arm64 as SAM would.
SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := 2026.1
FUNCTIONS := $(notdir $(wildcard functions/*))

.PHONY: all test lint fmt-check vet staticcheck unit asl-validate build run bench fuzz load clean tools node_modules

all: test

node_modules: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund
	@touch $@

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@latest

tools: $(STATICCHECK) node_modules

## test: everything CI checks
test: fmt-check vet staticcheck asl-validate unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

asl-validate: node_modules
	@for f in statemachine/*.asl.json; do [ -e "$$f" ] || continue; \
		npx --no-install asl-validator --json-path "$$f" || exit 1; done

unit: node_modules
	$(GO) test -race -count=1 -timeout 9m ./...

## build: one bootstrap per Lambda, as `sam build` does with BuildMethod go1.x
build:
	@mkdir -p bin
	@for f in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" \
			-o bin/$$f/bootstrap ./functions/$$f || exit 1; \
		printf '%-16s %s bytes\n' $$f $$(stat -c %s bin/$$f/bootstrap); \
	done

## run: the whole relay on this machine (dynalite, gateway, Step Functions runner, simulator).
## The binary replaces the recipe's shell (exec), so the signal make forwards
## on SIGTERM, or Ctrl-C, reaches serve itself, which stops all it started.
run: node_modules
	$(GO) build -o bin/checkpoint-relay ./cmd/checkpoint-relay
	exec bin/checkpoint-relay serve $(RUN_FLAGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## load: 1,000 checkpoints through an in-process local stack at once; prints latency, transitions, provider calls, losses
load: node_modules
	$(GO) run ./cmd/loadtest $(LOAD_FLAGS)

clean:
	rm -rf bin .aws-sam
