# Makefile - the entry points: `make run` (install what is missing, build, and
# run the bundled job against the offline sandbox), `make test` (build and
# run every test), `make build`, `make asan` (the suite under AddressSanitizer
# and UndefinedBehaviorSanitizer), `make format-check`, `make clean`.

BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEB_PACKAGES := cmake pkg-config gcc make liblua5.4-dev libcurl4-openssl-dev libssl-dev \
                libxml2-dev libcjson-dev libcmocka-dev ca-certificates

SANDBOX_STATE ?= $(BUILD_DIR)/sandbox-state.json

.PHONY: all build run test asan deps format format-check clean

all: build

deps:
	@sh tools/install-deps.sh $(DEB_PACKAGES)

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The quick start: the book's VPC, then the two security groups, in the
# offline sandbox (state kept in $(SANDBOX_STATE), so a second run changes
# nothing). No AWS account, credentials or network needed.
run: deps
	@echo "kumo: building (log in $(BUILD_DIR)/build.log)"
	@{ [ -f $(BUILD_DIR)/CMakeCache.txt ] || cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo; } \
	  > $(BUILD_DIR).log 2>&1 && cmake --build $(BUILD_DIR) -j $(JOBS) >> $(BUILD_DIR).log 2>&1 \
	  && mv $(BUILD_DIR).log $(BUILD_DIR)/build.log || { cat $(BUILD_DIR).log; exit 1; }
	@$(BUILD_DIR)/kumo run scripts/zenn_clone_vpc.lua --sandbox=$(SANDBOX_STATE)
	@$(BUILD_DIR)/kumo run scripts/zenn_clone_sg.lua --sandbox=$(SANDBOX_STATE) --output -

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DKUMO_SANITIZE=ON
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
