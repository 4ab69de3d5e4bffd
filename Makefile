# ecprov: `make demo` runs the whole thing on the local emulator; `make test`
# runs every test. Both install what they need (scripts/deps.sh).

FUNCTIONS    := $(notdir $(wildcard functions/*))
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="
GO           ?= go

.PHONY: all build build-local deps test test-unit vet fmt-check sizes ecprov clean bench asl demo synth deploy test-infra

all: build build-local ecprov

## build: linux/arm64 bootstraps for AWS Lambda (provided.al2023), dist/<name>/bootstrap
build:
	@for f in $(FUNCTIONS); do \
	  echo "build dist/$$f/bootstrap (linux/arm64)"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o dist/$$f/bootstrap ./functions/$$f || exit 1; \
	done

## build-local: the same functions for this machine, for the emulator, dist/host/<name>/bootstrap
build-local:
	@for f in $(FUNCTIONS); do \
	  echo "build dist/host/$$f/bootstrap ($$($(GO) env GOOS)/$$($(GO) env GOARCH))"; \
	  CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o dist/host/$$f/bootstrap ./functions/$$f || exit 1; \
	done

## ecprov: the CLI, bin/ecprov
ecprov:
	$(GO) build -o bin/ecprov ./cmd/ecprov

## deps: install what the tests and the demo need (redis-server, Node 22 and the npm tools)
deps:
	@bash scripts/deps.sh
	@bash scripts/node-deps.sh >/dev/null

## test: every test, with the real redis-server; also checks formatting, the state machines and artifact sizes
test: deps fmt-check vet asl build-local test-unit test-infra sizes

## asl: validate every state machine file with asl-validator
asl:
	@for f in statemachine/*.asl.json; do \
	  node_modules/.bin/node node_modules/.bin/asl-validator --json-path "$$f" || exit 1; \
	done

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

test-unit:
	$(GO) test -count=1 -timeout 10m ./...

## sizes: build the Lambda artifacts and check the size limits (12 MB unzipped, 4.5 MB zipped)
sizes: build
	@bash scripts/artifact-sizes.sh $(FUNCTIONS)

clean:
	rm -rf dist bin cdk.out

## bench: measure and regenerate docs/benchmarks.md and docs/benchmarks.json
bench: deps build build-local ecprov
	$(GO) run ./scripts/bench

## demo: the whole job on the local emulator (see README)
demo:
	@bash scripts/demo.sh

CDK_ARGS ?=

## synth: the orchestration stack's template in cdk.out/; cdk-nag findings fail it. Context: CDK_ARGS="-c prefix=... -c project=..."
synth: deps build
	CDK_DISABLE_CLI_TELEMETRY=1 scripts/cdk.sh synth --quiet --no-notices $(CDK_ARGS)

## deploy: build the Lambda artifacts, then cdk deploy with the AWS credentials in the environment
deploy: deps build
	scripts/cdk.sh deploy --require-approval broadening $(CDK_ARGS)

## test-infra: the CDK app's tests (its own Go module): assertions, IAM, cdk-nag, cfn-lint on a real synth
test-infra: build
	$(GO) -C infra vet ./...
	JSII_NODE="$$(scripts/node-deps.sh)" $(GO) -C infra test -count=1 -timeout 15m ./...
