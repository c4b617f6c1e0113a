# Wirebank's two commands: `make run` (the main job) and `make test` (everything else).
SHELL := /bin/bash

.PHONY: run test deps contracts check-contracts build bench

## Installs missing Debian packages and the Python venv (idempotent, quiet when all is there).
deps:
	@Tools/scripts/install-deps.sh

## Regenerates every generated file from Protos/ (never edit generated files by hand).
contracts: deps
	@Tools/generate-contracts.sh

## Fails when the checked-in generated code is not what the generator produces.
check-contracts: deps
	@Tools/check-contracts.sh

build: deps
	@swift build --build-tests -q

## The whole test suite: contract drift check, Swift tests, then the real peers: wire
## compatibility with Python protobuf/protoc, and gRPC interop with grpcio, nghttp and h2load
## (two pytest runs: both register the grpc.* protos in protobuf's default pool).
## `swift test` takes about a minute here; the bound turns a hung test into a failure (its
## start line has no end in the output) instead of running into CI's 90-minute limit.
test: deps check-contracts build
	@timeout --kill-after=30s 20m swift test --skip-build || { rc=$$?; [[ $$rc == 124 ]] && echo "make test: swift test did not finish within 20 minutes" >&2; exit $$rc; }
	@WIREBANK_BIN=.build/debug/wirebank .venv/bin/python -m pytest -q Tests/interop
	@WIREBANK_BIN=.build/debug/wirebank .venv/bin/python -m pytest -q Tests/lending_e2e
	@WIRECOMPAT_PEER=.build/debug/wirecompat-peer .venv/bin/python -m pytest -q Tests/wirecompat

## The main job: Lending end to end on an embedded PostgreSQL (`wirebank demo`). `wirebank up`
## keeps the services running; `wirebank serve NAME --database-url URL` uses a real server.
run: deps
	@swift build --product wirebank -q
	@.build/debug/wirebank demo

## Benchmarks (release builds, their own package): codecs against swift-protobuf, jobs.
bench: deps
	@cd Benchmarks && swift run -c release CodecBenchmarks && swift run -c release JobsBenchmarks
