#!/usr/bin/env bash
# Build a Terraform or OpenTofu binary from its source on the Go module proxy.
#
#   scripts/build-tf-binary.sh terraform 1.16.4 CACHE_DIR
#   scripts/build-tf-binary.sh tofu      1.12.6 CACHE_DIR
#
# The binary goes to CACHE_DIR/<kind>-<version>/<kind>; the path is the only
# line written to stdout, progress goes to stderr. A binary already there is
# reused when its `version` output names the wanted version.
#
# Recipes:
#   tofu       `go build ./cmd/tofu` in a writable copy of the module.
#   terraform  The module zip lacks Terraform's nested remote-state backend
#              modules (azure, consul, cos, gcs, kubernetes, oci, oss, pg,
#              s3), so their imports and backend entries are cut out of
#              internal/backend/init/init.go and their require/replace lines
#              out of go.mod; then `go build .`. The backends local, http,
#              inmem, remote and cloud remain.
# Both are built like their releases: CGO_ENABLED=0, -trimpath, and
# version.dev=no so that `version` prints no "-dev" suffix.
set -euo pipefail

prog=build-tf-binary
die() {
	echo "$prog: error: $*" >&2
	exit 1
}
log() { echo "$prog: $*" >&2; }

[ $# -eq 3 ] || die "usage: $0 terraform|tofu VERSION CACHE_DIR"
kind=$1
version=${2#v}
cache=$3
[ -n "$version" ] || die "empty version"
[ -n "$cache" ] || die "empty cache directory"

# The removed remote-state backends of Terraform (directory names under
# internal/backend/remote-state) and their aliases in init.go.
tf_cut_dirs='azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3'
tf_cut_aliases='backendAzure|backendConsul|backendCos|backendGCS|backendKubernetes|backendOCI|backendOSS|backendPg|backendS3'
tf_keep_aliases='backendLocal backendRemote backendHTTP backendInmem backendCloud'

case $kind in
terraform)
	module=github.com/hashicorp/terraform
	pkg=.
	want="Terraform v$version"
	;;
tofu)
	module=github.com/opentofu/opentofu
	pkg=./cmd/tofu
	want="OpenTofu v$version"
	;;
*) die "unknown kind '$kind' (want terraform or tofu)" ;;
esac

command -v go >/dev/null || die "go is not on PATH"

dest_dir=$cache/$kind-$version
dest=$dest_dir/$kind

# A CLI configuration that exists, so that `version` reads no stray file.
rc=$(cd "$(dirname "$0")/.." && pwd)/.ci/terraform.rc
[ -f "$rc" ] || die "$rc is missing"

# version_of BIN prints the first line of `BIN version` (read whole: a pipe
# into head could kill the binary with SIGPIPE and fail under pipefail).
version_of() {
	local out
	out=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=$rc "$1" version 2>/dev/null) || return 1
	printf '%s\n' "${out%%$'\n'*}"
}

if [ -x "$dest" ]; then
	have=$(version_of "$dest" || true)
	if [ "$have" = "$want" ]; then
		log "reusing $dest ($have)"
		echo "$dest"
		exit 0
	fi
	log "$dest reports '${have:-nothing}', want '$want': rebuilding"
fi

mkdir -p "$dest_dir" || die "cannot create $dest_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/regfish-$kind-$version.XXXXXX") || die "mktemp failed"
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start=$SECONDS
log "downloading $module@v$version from the Go module proxy ($(go env GOPROXY))"
if ! json=$(GOFLAGS=-mod=mod go mod download -json "$module@v$version" 2>&1); then
	die "go mod download $module@v$version failed:
$json"
fi
moddir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[ -n "$moddir" ] && [ -d "$moddir" ] || die "go mod download gave no module directory:
$json"

log "copying $moddir to a writable directory"
cp -R "$moddir/." "$work/src" || die "copying the module source failed"
chmod -R u+w "$work/src" || die "chmod of the module copy failed"
cd "$work/src"

if [ "$kind" = terraform ]; then
	init=internal/backend/init/init.go
	[ -f "$init" ] || die "$init not found in $module@v$version: the recipe does not fit this version"
	for d in ${tf_cut_dirs//|/ }; do
		grep -Eq "\"$module/internal/backend/remote-state/$d\"" "$init" ||
			die "$init does not import the $d backend: the recipe does not fit $module@v$version"
	done
	n_init=$(grep -Ec "($tf_cut_aliases)[ .]" "$init" || true)
	n_mod=$(grep -Ec "^[[:space:]]*(replace[[:space:]]+)?$module/internal/backend/remote-state/($tf_cut_dirs)[[:space:]]" go.mod || true)
	log "cutting the azure, consul, cos, gcs, kubernetes, oci, oss, pg and s3 backends ($n_init lines of init.go, $n_mod of go.mod)"
	sed -Ei "/($tf_cut_aliases)[ .]/d" "$init" || die "editing $init failed"
	sed -Ei "\\#^[[:space:]]*(replace[[:space:]]+)?$module/internal/backend/remote-state/($tf_cut_dirs)[[:space:]]#d" go.mod ||
		die "editing go.mod failed"
	if grep -Eq "remote-state/($tf_cut_dirs)\"" "$init" || grep -Eq "remote-state/($tf_cut_dirs)[[:space:]]" go.mod; then
		die "the cut left references to removed backends in $init or go.mod"
	fi
	for a in $tf_keep_aliases; do
		grep -q "$a\\.New" "$init" || die "backend $a is gone from $init after the cut: the recipe does not fit $module@v$version"
	done
fi

log "building $module@v$version ($pkg); this takes minutes on a cold build cache"
# -mod=mod: the edited go.mod (and the module's go.sum) may need updating.
if ! GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" GOWORK=off CGO_ENABLED=0 \
	go build -trimpath -ldflags "-s -w -X '$module/version.dev=no'" -o "$work/$kind" "$pkg"; then
	die "go build of $module@v$version failed (see the compiler output above)"
fi

have=$(version_of "$work/$kind" || true)
[ "$have" = "$want" ] || die "the built binary reports '${have:-nothing}' from '$kind version', want '$want'"
# Copy next to the destination, then rename: a reader never sees half a binary.
cp "$work/$kind" "$dest.tmp.$$" && mv -f "$dest.tmp.$$" "$dest" || die "cannot install the binary as $dest"
log "built $dest ($have) in $((SECONDS - start))s"
echo "$dest"
