#!/bin/bash
# Only the fitted model and the model file look inside a dial_model
# (docs/architecture.md): models/model_internal.h is included by files of
# src/models and src/modelfile alone. Another layer that needs something of
# a model asks src/models through a function (tests and fuzzers may look).
#
# Usage: check_model_internal.sh   (run from the source tree)
set -u
[ -d src/models ] || { echo "FAIL: run from the source tree (no src/models here)"; exit 1; }
offending=$(grep -rnE '#[[:space:]]*include[[:space:]]*"models/model_internal\.h"' src |
    grep -vE '^src/(models|modelfile)/')
if [ -n "$offending" ]; then
    echo "FAIL: models/model_internal.h included outside src/models and src/modelfile:"
    echo "$offending" | sed 's/^/  /'
    exit 1
fi
echo "ok: models/model_internal.h is included only in src/models and src/modelfile"
