# dial: the top-level commands. CMake does the building; this file wraps it.
#   make          build libdial and the dial program (build/)
#   make demo     fit, evaluate, save and use a model on a bundled dataset
#   make test     build and run the whole test suite
#   make bench    run the benchmarks against scikit-learn and pandas
#   make install  install the library, headers, dial.pc and the program (PREFIX=/usr/local)
#   make sanitize run the test suite under AddressSanitizer and UBSan (build-asan/)
#   make fuzz     run each libFuzzer target for FUZZ_SECONDS (build-fuzz/, clang)
#   make format   reformat the C sources; make format-check only checks

BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
DEPS = scripts/install-deps.sh
DIAL = $(BUILD)/dial
C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find src include tests examples bench fuzz -name '*.[ch]')

.PHONY: all deps configure quiet-build demo test bench install sanitize fuzz format format-check clean

# CMake is asked every time rather than only when no cache exists: a
# configure that failed (a package missing) leaves a cache behind, and the
# next command must configure again instead of finding no Makefile.
# DIAL_TESTS=AUTO builds the tests only when cmocka is there; `make test`
# says ON, which requires it.
CONFIGURE = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@$(DEPS) build

configure: deps
	@$(CONFIGURE) -DDIAL_TESTS=AUTO

# The build for `make demo`: CMake's and make's chatter goes to a log that
# is shown only when something fails.
quiet-build: deps
	@mkdir -p $(BUILD)
	@echo "building dial in $(BUILD)/ (log: $(BUILD)/build.log)"
	@{ $(CONFIGURE) -DDIAL_TESTS=AUTO && cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory; } \
		> $(BUILD)/build.log 2>&1 || { tail -n 40 $(BUILD)/build.log; echo "make: the build failed; the whole log is $(BUILD)/build.log" >&2; exit 1; }

# What dial is for, on bundled data: explain, estimate, fit, use, inspect,
# then tune into a study file, read its best trial and refit it. Each
# command is printed as `$$ dial ...` before its output.
DEMO = $(BUILD)/demo
demo: quiet-build
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo; echo '$$ dial models'
	@$(DIAL) models
	@echo; echo '$$ dial cv logistic data/breast_cancer.csv --target diagnosis --folds 5 --repeats 2'
	@$(DIAL) cv logistic data/breast_cancer.csv --target diagnosis --folds 5 --repeats 2
	@echo; echo '$$ dial fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o $(DEMO)/bc.dial'
	@$(DIAL) fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o $(DEMO)/bc.dial
	@echo; echo '$$ dial predict $(DEMO)/bc.dial data/breast_cancer.csv --proba -o $(DEMO)/predictions.csv'
	@$(DIAL) predict $(DEMO)/bc.dial data/breast_cancer.csv --proba -o $(DEMO)/predictions.csv
	@echo '$$ head -n 4 $(DEMO)/predictions.csv'
	@head -n 4 $(DEMO)/predictions.csv
	@echo; echo '$$ dial inspect $(DEMO)/bc.dial'
	@$(DIAL) inspect $(DEMO)/bc.dial | head -n 40
	@echo; echo '$$ dial knobs knn'
	@$(DIAL) knobs knn
	@echo; echo '$$ dial tune knn data/wine.csv --target cultivar --trials 30 --study $(DEMO)/wine.db --quiet'
	@$(DIAL) tune knn data/wine.csv --target cultivar --trials 30 --study $(DEMO)/wine.db --quiet
	@echo; echo '$$ dial best $(DEMO)/wine.db'
	@$(DIAL) best $(DEMO)/wine.db
	@echo; echo '# the same command with -o continues the study (it already holds 30 trials) and refits its best trial'
	@echo '$$ dial tune knn data/wine.csv --target cultivar --trials 30 --study $(DEMO)/wine.db --quiet -o $(DEMO)/wine.dial'
	@$(DIAL) tune knn data/wine.csv --target cultivar --trials 30 --study $(DEMO)/wine.db --quiet -o $(DEMO)/wine.dial | tail -n 3
	@echo; echo '$$ dial inspect $(DEMO)/wine.dial'
	@$(DIAL) inspect $(DEMO)/wine.dial | head -n 30

# DIAL_TESTS=ON: the tests are required here (cmocka was just installed).
test:
	@$(DEPS) build test browser
	@$(CONFIGURE) -DDIAL_TESTS=ON
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

sanitize:
	@$(DEPS) build test browser
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDIAL_SANITIZE=ON -DDIAL_TESTS=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz:
	@$(DEPS) build fuzz
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DDIAL_FUZZ=ON -DDIAL_TESTS=OFF
	cmake --build build-fuzz -j $(JOBS)
	@set -e; for target in $$(cd fuzz && ls fuzz_*.c | sed 's/\.c$$//'); do \
		corpus=$$(mktemp -d); cp -r fuzz/corpus/$${target#fuzz_}/. $$corpus/ 2>/dev/null || true; \
		echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
		status=0; build-fuzz/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $$corpus \
			> build-fuzz/$$target.log 2>&1 || status=$$?; \
		tail -n 2 build-fuzz/$$target.log; rm -rf $$corpus; \
		if [ $$status -ne 0 ]; then tail -n 60 build-fuzz/$$target.log; exit $$status; fi; \
	done

# Every benchmark runs dial and its peer in the same run on the same data and
# prints both figures and their ratio; bench/RESULTS.md keeps the latest.
PY = /usr/bin/python3
bench: all
	@$(DEPS) build bench
	cmake --build $(BUILD) --target bench_programs -j $(JOBS)
	$(PY) bench/models_vs_sklearn.py $(BUILD)/bench_models
	$(PY) bench/csv_vs_pandas.py --bench $(BUILD)/bench_csv
	$(PY) bench/tune_vs_optuna.py $(BUILD)/tune_overhead
	$(PY) bench/svm_vs_libsvm.py $(DIAL)
	$(PY) bench/svm_grid_vs_sklearn.py $(DIAL) $(BUILD)/tune_folds
	$(PY) bench/mlp_vs_sklearn.py $(DIAL)
	$(PY) bench/knn_grid_vs_sklearn.py $(DIAL) $(BUILD)/tune_folds
	$(PY) bench/forest_vs_sklearn.py $(DIAL)
	$(PY) bench/gbdt_vs_xgboost.py $(DIAL)
	$(PY) bench/gbdt_tune_vs_xgboost.py $(DIAL) $(BUILD)/tune_folds
	@$(DEPS) test
	$(PY) bench/scaling.py $(DIAL)

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	@$(DEPS) format
	clang-format -i $(C_SOURCES)

format-check:
	@$(DEPS) format
	clang-format --dry-run --Werror $(C_SOURCES)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
