# checkpoint-relay. `make test` is what CI runs; `make run` starts the whole
# relay locally; `make build` builds every Lambda for arm64 with the same
# build-<LogicalId> targets `sam build` runs (BuildMethod makefile).
SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := 2026.1
FUNCTIONS := $(notdir $(wildcard functions/*))

.PHONY: all test lint fmt-check vet staticcheck unit asl-validate worker-test build coldstart run bench fuzz load clean tools node_modules

all: test

node_modules: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund
	@touch $@

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@latest

tools: $(STATICCHECK) node_modules

## test: everything CI checks
test: fmt-check vet staticcheck asl-validate worker-test unit

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

## worker-test: the Cloudflare Email Worker's signing, with Node's own test runner
worker-test:
	cd integrations/cloudflare-email-worker && node --test test/

unit: node_modules
	$(GO) test -race -count=1 -timeout 9m ./...

## build: one bootstrap per Lambda in bin/<name>/, through the targets sam build runs
build:
	@for f in $(FUNCTIONS); do \
		id=$$(echo "$$f" | sed -E 's/(^|-)([a-z])/\U\2/g')Function; \
		$(MAKE) -s build-$$id ARTIFACTS_DIR=$(CURDIR)/bin/$$f || exit 1; \
		printf '%-16s %s bytes\n' $$f $$(stat -c %s bin/$$f/bootstrap); \
	done

# build-<LogicalId>: what `sam build` runs for each function of template.yaml
# (BuildMethod makefile, from the repository root), writing
# $(ARTIFACTS_DIR)/bootstrap. The logical id names the directory:
# SmsWebhookFunction builds ./functions/sms-webhook. lambda.norpc drops the
# RPC mode provided.al2023 never uses; -trimpath, -buildvcs=false and
# -s -w make the binary the same wherever it is built (a SAM scratch copy
# included) and strip what Lambda does not need.
# LAMBDA_GOARCH=amd64 builds for an x86 host (cmd/coldstart runs the binaries here).
LAMBDA_GOARCH ?= arm64
LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc -trimpath -buildvcs=false -ldflags "-s -w"
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 2; }
	@dir=functions/$$(echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr A-Z a-z); \
	test -f $$dir/main.go || { echo "build-$*Function: no $$dir/main.go" >&2; exit 2; }; \
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./$$dir

## coldstart: each function's init, timed against a local Lambda Runtime API
coldstart:
	$(GO) run ./cmd/coldstart $(COLDSTART_FLAGS)

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
