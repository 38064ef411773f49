/* dial: train machine-learning models and tune their hyperparameters.
 * The one header to include. */
#ifndef DIAL_H
#define DIAL_H

#include "dial/core.h"
#include "dial/data.h"
#include "dial/drift.h"
#include "dial/eval.h"
#include "dial/knob_importance.h"
#include "dial/knobs.h"
#include "dial/model.h"
#include "dial/modelfile.h"
#include "dial/tune.h"
#include "dial/tune_model.h"

#endif
