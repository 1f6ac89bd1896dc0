#!/usr/bin/env bash
# The version matrix: run the acceptance suite (internal/provider, TF_ACC=1)
# against several Terraform/OpenTofu binaries and print a table of versions,
# test counts and durations. Called by `make matrix`; the variables below are
# the knobs (the GNUmakefile passes them on).
#
#   MATRIX_CACHE        where built binaries are kept and reused
#                       (default ${XDG_CACHE_HOME:-$HOME/.cache}/regfish-tf-matrix)
#   MATRIX_TERRAFORM    Terraform version built from source (default 1.16.4; empty: skip)
#   MATRIX_TOFU         OpenTofu version built from source (default 1.12.6; empty: skip)
#   MATRIX_DEFAULT      the binary found on PATH (terraform, else tofu) or a
#                       path; "none" leaves it out (default: look it up)
#   MATRIX_TIMEOUT      go test -timeout per binary (default 25m)
#   MATRIX_JOBS         how many binaries' suites run at the same time
#                       (default 1; the suite mostly waits on terraform
#                       processes, so 2 saves wall time even on 2 cores)
#
# Arguments are passed on to go test, e.g. scripts/tf-matrix.sh -run '^TestAccDNSRecord_'.
# Exits non-zero when a build fails or any binary's suite has a failure.
set -euo pipefail

prog=tf-matrix
die() {
	echo "$prog: error: $*" >&2
	exit 1
}
log() { echo "$prog: $*" >&2; }

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cache=${MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/regfish-tf-matrix}
tf_version=${MATRIX_TERRAFORM-1.16.4}
tofu_version=${MATRIX_TOFU-1.12.6}
default_bin=${MATRIX_DEFAULT:-$(command -v terraform 2>/dev/null || command -v tofu 2>/dev/null || true)}
timeout=${MATRIX_TIMEOUT:-25m}
jobs=${MATRIX_JOBS:-1}
testargs=("$@")
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "MATRIX_JOBS=$jobs is not a positive number"

# The acceptance tests read TF_ACC_TERRAFORM_PATH; a version pin from the
# environment would make terraform-plugin-testing download a binary instead.
unset TF_ACC_TERRAFORM_VERSION TF_ACC_PROVIDER_HOST
export TF_CLI_CONFIG_FILE=$root/.ci/terraform.rc
export CHECKPOINT_DISABLE=1
[ -f "$TF_CLI_CONFIG_FILE" ] || die "$TF_CLI_CONFIG_FILE is missing"
command -v go >/dev/null || die "go is not on PATH"

logs=$cache/logs
mkdir -p "$logs" || die "cannot create $logs"

# Build (or reuse) first, so that a broken build fails before minutes of tests.
labels=() bins=()
if [ "$default_bin" != none ]; then
	[ -n "$default_bin" ] || die "neither terraform nor tofu is on PATH; set MATRIX_DEFAULT=/path/to/binary or MATRIX_DEFAULT=none"
	[ -x "$default_bin" ] || die "MATRIX_DEFAULT=$default_bin is not an executable"
	labels+=("default ($default_bin)")
	bins+=("$default_bin")
fi
if [ -n "$tf_version" ]; then
	bin=$("$root/scripts/build-tf-binary.sh" terraform "$tf_version" "$cache") || die "building Terraform $tf_version failed"
	labels+=("terraform $tf_version (built)")
	bins+=("$bin")
fi
if [ -n "$tofu_version" ]; then
	bin=$("$root/scripts/build-tf-binary.sh" tofu "$tofu_version" "$cache") || die "building OpenTofu $tofu_version failed"
	labels+=("tofu $tofu_version (built)")
	bins+=("$bin")
fi
[ ${#bins[@]} -gt 0 ] || die "nothing to test: MATRIX_DEFAULT=none and no version to build"

# Compile the test binary once, before the suites start side by side.
go test -count=1 -run '^$' ./internal/provider/ >/dev/null || die "compiling ./internal/provider tests failed"

# suite I ROWFILE: run the suite against bins[I]; write its table row.
suite() {
	local i=$1 rowf=$2 bin=${bins[$1]} label=${labels[$1]} out ver logf rc=0 start=$SECONDS
	local env_extra=()
	# Read the whole output: `| head -n1` could kill it with SIGPIPE.
	out=$("$bin" version 2>/dev/null) || die "'$bin version' failed"
	ver=${out%%$'\n'*}
	[ -n "$ver" ] || die "'$bin version' printed nothing"
	logf=$logs/$(basename "$bin")-${ver##* v}.log
	case $ver in
	OpenTofu*) env_extra=(TF_ACC_PROVIDER_HOST=registry.opentofu.org) ;;
	esac
	log "=== $label: $ver: TF_ACC=1 go test ./internal/provider/ (log: $logf)"
	env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin" "${env_extra[@]}" \
		go test -count=1 -timeout "$timeout" -v ./internal/provider/ "${testargs[@]}" >"$logf" 2>&1 || rc=$?
	local secs=$((SECONDS - start)) pass subpass fail skip status=ok
	pass=$(grep -Ec '^--- PASS: ' "$logf" || true)
	subpass=$(grep -Ec '^[[:space:]]+--- PASS: ' "$logf" || true)
	fail=$(grep -Ec '^[[:space:]]*--- FAIL: ' "$logf" || true)
	skip=$(grep -Ec '^[[:space:]]*--- SKIP: ' "$logf" || true)
	grep -E '^[[:space:]]*--- (FAIL|SKIP): |^(ok|FAIL|panic:)' "$logf" | sed "s|^|[$label] |" >&2 || true
	if [ $rc -ne 0 ] || [ "$fail" -ne 0 ]; then
		log "$label FAILED (go test exit $rc); last lines of $logf:"
		tail -n 60 "$logf" >&2
		status=FAIL
	elif [ "$pass" -eq 0 ]; then
		log "$label ran no test"
		status=FAIL
	fi
	printf '%s|%s|%s|%s|%s|%s|%dm%02ds|%s\n' "$label" "$ver" "$pass" "$subpass" "$skip" "$fail" \
		$((secs / 60)) $((secs % 60)) "$status" >"$rowf"
}

rowdir=$(mktemp -d "${TMPDIR:-/tmp}/regfish-matrix.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$rowdir"' EXIT
running=0
for i in "${!bins[@]}"; do
	if [ "$jobs" -eq 1 ]; then
		suite "$i" "$rowdir/$i"
		continue
	fi
	if [ $running -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	suite "$i" "$rowdir/$i" &
	running=$((running + 1))
done
wait

failed=0
echo
echo "Acceptance suite (./internal/provider, TF_ACC=1) per binary:"
{
	echo "binary|version|tests passed|subtests passed|skipped|failed|duration|result"
	for i in "${!bins[@]}"; do
		if [ -s "$rowdir/$i" ]; then
			cat "$rowdir/$i"
			grep -q '|ok$' "$rowdir/$i" || failed=1
		else
			echo "${labels[$i]}|?|-|-|-|-|-|ERROR"
			failed=1
		fi
	done
} >"$rowdir/table"
awk -F'|' '{ r[NR] = $0; for (i = 1; i <= NF; i++) if (length($i) > w[i]) w[i] = length($i) }
	END { for (n = 1; n <= NR; n++) { k = split(r[n], f, "|"); line = ""
		for (i = 1; i <= k; i++) line = line sprintf(i < k ? "%-" w[i] "s  " : "%s", f[i]); print line } }' "$rowdir/table"
echo "(counted from the '--- PASS/SKIP/FAIL' lines of go test -v; skipped and failed include subtests; logs in $logs)"
[ $failed -eq 0 ] || die "the acceptance suite failed on at least one binary"
