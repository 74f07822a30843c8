# Thin wrapper over CMake. `make demo` and `make test` are all a newcomer needs:
# both install missing Debian packages first. Every build made here treats
# warnings as errors (GIGENT_WERROR); a plain `cmake` build does not.
BUILD ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGENT_WERROR=ON

.DEFAULT_GOAL := build
.PHONY: deps deps-ci asan-configure build test test-unit test-release package check-package test-asan demo sdk-check fuzz format \
  format-check tidy clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The .deb (CPack) in $(BUILD)/, then lintian, an install into an empty root,
# --version from it and systemd-analyze verify on the units.
package: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target package

check-package: package
	bash scripts/check-package.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

# The Release build (-O3, what packagers and most users build) with warnings as
# errors, so an optimizer-only warning or bug is caught here first. The whole
# suite runs there: it takes about a minute and a half on 2 cores.
RELEASE_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=Release -DGIGENT_WERROR=ON -DGIGENT_BUILD_BENCH=OFF

$(RELEASE_BUILD)/CMakeCache.txt:
	cmake -S . -B $(RELEASE_BUILD) $(RELEASE_CMAKE_FLAGS)

test-release: deps $(RELEASE_BUILD)/CMakeCache.txt
	cmake --build $(RELEASE_BUILD) -j$(JOBS)
	cd $(RELEASE_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

# One sanitizer configuration serves both the ASan+UBSan test run and the
# fuzzers: clang-16, every library built with fuzzer-no-link coverage.
ASAN_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGENT_WERROR=ON -DGIGENT_SANITIZE=ON -DGIGENT_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DGIGENT_BUILD_BENCH=OFF

deps-ci:
	@bash scripts/install-deps.sh --ci

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) $(ASAN_CMAKE_FLAGS)

asan-configure: deps-ci $(ASAN_BUILD)/CMakeCache.txt

test-asan: asan-configure
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) --timeout 600

demo: build
	@bash scripts/demo.sh $(BUILD)

sdk-check: build
	@EMULATOR=$(abspath $(BUILD))/llm-emulator bash sdk-check/run.sh

fuzz: asan-configure
	@FUZZ_BUILD=$(ASAN_BUILD) bash scripts/fuzz.sh $(or $(SECONDS),20)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.h')

tidy: build
	bash scripts/tidy.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD) build-fuzz
