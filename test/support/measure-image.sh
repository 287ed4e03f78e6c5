#!/usr/bin/env bash
# Measures the app image: size, cold build time (no build cache), and rebuild time after a
# source-only change. Prints the figures that docs/app.md records.
#
# Needs a running Docker engine and the base image node:24-bookworm-slim in the local store
# (`npx vitest run test/app/docker.test.ts` provides both on a machine without a registry).
# Builds from a copy of app/, so the working tree is never modified.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tag=twelve-factor-app:measure
# DOCKER_BUILDKIT=0 below: see test/support/docker.ts: BuildKit needs the registry for base image metadata

docker image inspect node:24-bookworm-slim >/dev/null \
  || { echo "node:24-bookworm-slim is not available locally; run the docker test first" >&2; exit 1; }

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx" "$ctx.log"; docker image rm -f "$tag" >/dev/null 2>&1 || true; docker image prune -f >/dev/null' EXIT
tar -C "$root/app" --exclude=node_modules -c . | tar -C "$ctx" -x

# Quiet unless it fails: the classic builder prints a deprecation notice on every build.
build() { DOCKER_BUILDKIT=0 docker build --network host -q -t "$tag" "$@" "$ctx" >"$ctx.log" 2>&1 || { cat "$ctx.log" >&2; exit 1; }; }
seconds() { local start=$1 end; end=$(date +%s.%N); awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'; }

docker image rm -f "$tag" >/dev/null 2>&1 || true
docker builder prune -af >/dev/null
docker image prune -f >/dev/null

start=$(date +%s.%N)
build --no-cache
cold=$(seconds "$start")

size=$(docker image inspect --format '{{.Size}}' "$tag")
base=$(docker image inspect --format '{{.Size}}' node:24-bookworm-slim)

echo "// measured $(date -u +%Y-%m-%dT%H:%MZ)" >> "$ctx/src/web.js"
start=$(date +%s.%N)
build
rebuild=$(seconds "$start")

start=$(date +%s.%N)
build
unchanged=$(seconds "$start")

echo "date:                 $(date -u +%Y-%m-%d)"
echo "docker:               client $(docker version --format '{{.Client.Version}}'), engine $(docker version --format '{{.Server.Version}}'), classic builder"
echo "base image:           node:24-bookworm-slim, $base bytes ($(docker image inspect --format '{{index .Config.Labels "org.twelve-factor.stand-in"}}' node:24-bookworm-slim))"
echo "image size:           $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }') MB), of which the app adds $((size - base)) bytes"
echo "cold build:           ${cold} s (builder cache pruned, --no-cache, includes npm ci from the registry)"
echo "rebuild, src changed: ${rebuild} s"
echo "rebuild, no change:   ${unchanged} s"
