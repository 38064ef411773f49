#!/usr/bin/env bash
# dial inspect --tree on gbdt: each boosting tree as if/else rules whose
# leaves say what they add to which raw score (the log-odds of the second
# class with two classes, one score per class with more, the prediction in
# regression), from the library's family-neutral trees (dial_model_tree_get).
# Before, every gbdt model answered "model 'gbdt' has no trees".
source "$(dirname "$0")/lib.sh" "$@"

# expect: the last stdout is exactly the text on stdin.
expect() {
    diff -u - "$TMP/out" || fail "the rules differ from the expected ones (above)"
    passed=$((passed + 1))
}

# Two classes, a native split on a categorical feature (Records).
check 0 "" fit gbdt data/credit_data.csv --target Status -s max_depth=1 -s n_estimators=2 \
    -o "$TMP/binary.dial"
check 0 "" inspect "$TMP/binary.dial" --tree
expect <<'OUT'
# tree 0 of 2 (round 0): 3 nodes, 2 leaves, depth 1
# a leaf adds to the log-odds of class 'good', which starts at 0.936812 (learning rate included)
if Records in {no}:
  log-odds(good) += 0.0283491
else:  # Records not in {no}
  log-odds(good) += -0.13432
OUT
check 0 "" inspect "$TMP/binary.dial" --tree=1
expect <<'OUT'
# tree 1 of 2 (round 1): 3 nodes, 2 leaves, depth 1
# a leaf adds to the log-odds of class 'good', which starts at 0.936812 (learning rate included)
if Seniority <= 2.5:
  log-odds(good) += -0.0858927
else:  # Seniority > 2.5
  log-odds(good) += 0.0437856
OUT
check 2 "dial: --tree 2 is out of range: the gbdt has 2 trees (0 to 1)" \
    inspect "$TMP/binary.dial" --tree=2

# The same split one-hot encoded reads as a level test.
check 0 "" fit gbdt data/credit_data.csv --target Status -s max_depth=1 -s n_estimators=1 \
    -s categorical=onehot -o "$TMP/onehot.dial"
check 0 "" inspect "$TMP/onehot.dial" --tree
has "if Records is not no:"
check 2 "dial: --tree 1 is out of range: the gbdt has 1 tree (0 to 0)" \
    inspect "$TMP/onehot.dial" --tree=1

# Three classes: one tree per class a round, tree t adding to class t % 3.
check 0 "" fit gbdt data/iris.csv -s max_depth=1 -s n_estimators=2 -o "$TMP/multi.dial"
check 0 "" inspect "$TMP/multi.dial" --tree=4
expect <<'OUT'
# tree 4 of 6 (round 1, class versicolor): 3 nodes, 2 leaves, depth 1
# a leaf adds to the score of class 'versicolor', which starts at -1.09861 (learning rate included)
if petal_length <= 2.45:
  score(versicolor) += -0.0690108
else:  # petal_length > 2.45
  score(versicolor) += 0.0333537
OUT
check 0 "" inspect "$TMP/multi.dial" --tree=2
has "# tree 2 of 6 (round 0, class virginica): 3 nodes, 2 leaves, depth 1"

# Regression: the leaves add to the prediction itself.
check 0 "" fit gbdt data/diabetes.csv -s max_depth=1 -s n_estimators=2 -o "$TMP/regression.dial"
check 0 "" inspect "$TMP/regression.dial" --tree=1
expect <<'OUT'
# tree 1 of 2 (round 1): 3 nodes, 2 leaves, depth 1
# a leaf adds to the prediction of progression, which starts at 152.133 (learning rate included)
if bmi <= 27.25:
  progression += -3.01613
else:  # bmi > 27.25
  progression += 5.05105
OUT
finish
