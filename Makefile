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

.PHONY: all deps configure demo test bench install sanitize fuzz format format-check clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@$(DEPS) build

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

demo: all
	@mkdir -p $(BUILD)/demo
	@echo '$$ dial models'
	@$(DIAL) models
	@echo; echo '$$ dial cv logistic data/breast_cancer.csv --target diagnosis --folds 5 --repeats 2'
	@$(DIAL) cv logistic data/breast_cancer.csv --target diagnosis --folds 5 --repeats 2
	@echo; echo '$$ dial fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o $(BUILD)/demo/bc.dial'
	@$(DIAL) fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o $(BUILD)/demo/bc.dial
	@echo; echo '$$ dial predict $(BUILD)/demo/bc.dial data/breast_cancer.csv --proba -o $(BUILD)/demo/predictions.csv'
	@$(DIAL) predict $(BUILD)/demo/bc.dial data/breast_cancer.csv --proba -o $(BUILD)/demo/predictions.csv
	@head -n 4 $(BUILD)/demo/predictions.csv
	@echo; echo '$$ dial inspect $(BUILD)/demo/bc.dial'
	@$(DIAL) inspect $(BUILD)/demo/bc.dial | head -n 40

test:
	@$(DEPS) build test
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

sanitize:
	@$(DEPS) build test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDIAL_SANITIZE=ON
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
