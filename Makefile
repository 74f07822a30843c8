# Thin wrapper over CMake. `make demo` and `make test` are all a newcomer needs:
# both install missing Debian packages first.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps deps-ci asan-configure build package check-package test test-unit test-asan demo sdk-check fuzz format format-check tidy clean

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

# One sanitizer configuration serves both the ASan+UBSan test run and the
# fuzzers: clang-16, every library built with fuzzer-no-link coverage.
ASAN_CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGENT_SANITIZE=ON -DGIGENT_FUZZ=ON \
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
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
