#!/usr/bin/env bash
# tools/check-install.sh [BUILD_DIR] - installs kumo from BUILD_DIR (default
# build) into a temporary prefix, then builds docs/examples/provision_host
# outside the source tree against the installed files only, once through the
# CMake package (find_package(kumo) -> kumo::kumo) and once through
# pkg-config, runs both and checks their output. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/kumo-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

echo "check-install: installing $build_dir into $prefix"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null

# only the public API is exported from the shared library
bad_symbols="$(nm -D --defined-only "$prefix/lib/libkumo.so" | awk '{print $3}' |
               grep -v -E '^kumo_(runtime|error|free|version|http_response|host_call|sandbox_(access_key_id|secret_access_key|serve))' || true)"
if [ -n "$bad_symbols" ]; then
    echo "check-install: libkumo.so exports non-public symbols:" >&2
    echo "$bad_symbols" >&2
    exit 1
fi
readelf -d "$prefix/lib/libkumo.so" | grep -q 'SONAME.*libkumo\.so\.0' ||
    { echo "check-install: libkumo.so has no SONAME libkumo.so.0" >&2; exit 1; }

# the example, copied out of the tree so nothing but the prefix is visible
cp -r docs/examples "$tmp/example"

check_output() { # name output-file
    local name="$1" out="$2"
    grep -q '^\[host\] notify \["vpc vpc-[0-9a-f]* created"\]$' "$out" &&
        grep -q '^\[host\] notify \["security group sg-[0-9a-f]*"\]$' "$out" &&
        grep -q '"web_group_id": "sg-[0-9a-f]*"' "$out" &&
        grep -q '"vpc_id": "vpc-[0-9a-f]*"' "$out" &&
        grep -q '^greedy script: status 9, MemoryLimitExceeded$' "$out" ||
        { echo "check-install: unexpected output from the $name build:" >&2; cat "$out" >&2; exit 1; }
    echo "check-install: $name build OK"
}

echo "check-install: building the example with CMake (find_package(kumo))"
cmake -S "$tmp/example" -B "$tmp/build-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/build-cmake" >/dev/null
"$tmp/build-cmake/provision_host" cmake >"$tmp/cmake.out"
check_output cmake "$tmp/cmake.out"

echo "check-install: building the example with pkg-config"
make -s -C "$tmp/example" PKG_CONFIG_PATH="$prefix/lib/pkgconfig" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$tmp/example/provision_host" pkgconfig >"$tmp/pkgconfig.out"
check_output pkg-config "$tmp/pkgconfig.out"
cat "$tmp/pkgconfig.out"
