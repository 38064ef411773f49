#!/usr/bin/env python3
"""Text-like sparse classification data in LIBSVM format, at any size, from a seed.

No public text corpus can be downloaded where dial is built and benchmarked,
so this makes one that looks like bag-of-words text to a linear model:

- a vocabulary of --vocabulary words whose background frequencies follow
  Zipf's law (the r-th most frequent word has weight 1 / r^--zipf);
- per class a topic: --topic-words words drawn from the vocabulary (rarer
  words more likely, as topical words are), with Zipf weights of their own;
  topics of different classes overlap by chance;
- a document of its class: a length uniform in --min-words..--max-words, each
  word drawn from the class's topic with probability --topic-share and from
  the background otherwise;
- features: word counts (--values counts) or tf-idf (--values tfidf, the
  default: count x (log((1 + n) / (1 + df)) + 1), each row scaled to unit
  Euclidean length, as scikit-learn's TfidfVectorizer does by default).

Python's standard library only, so tests can run it. The same arguments give
the same file, byte for byte (random.Random(seed), and tf-idf's document
frequencies come from a first pass that regenerates the same documents).

The default setting (5 classes, --topic-share 0.02) is one where
liblinear-train -s 0 scores near 90%, not 100%: on 5,000 rows,
`liblinear-train -s 0 -v 5` gives 89.9%.

    python3 bench/gen_text.py --rows 100000 --seed 1 > text_100k.libsvm
"""
import argparse
import bisect
import itertools
import math
import random
import sys


def cumulative(weights):
    return list(itertools.accumulate(weights))


class Generator:
    def __init__(self, args):
        self.args = args
        rng = random.Random(args.seed)
        v = args.vocabulary
        self.background = cumulative(1.0 / (r + 1) ** args.zipf for r in range(v))
        self.topics = []
        for _ in range(args.classes):
            # Topic words lean towards the rarer half of the vocabulary: the
            # common words ("the", "of") are shared by every topic already.
            words = sorted({rng.randrange(v // 20, v) for _ in range(args.topic_words)})
            rng.shuffle(words)
            weights = cumulative(1.0 / (r + 1) ** args.zipf for r in range(len(words)))
            self.topics.append((words, weights))

    def documents(self):
        """Yields (class, {word: count}) for every row, the same each time."""
        a = self.args
        rng = random.Random(a.seed * 1000003 + 17)
        background, total = self.background, self.background[-1]
        for _ in range(a.rows):
            label = rng.randrange(a.classes)
            words, weights = self.topics[label]
            topic_total = weights[-1]
            length = rng.randint(a.min_words, a.max_words)
            counts = {}
            for _ in range(length):
                if rng.random() < a.topic_share:
                    w = words[bisect.bisect_right(weights, rng.random() * topic_total)]
                else:
                    w = min(bisect.bisect_right(background, rng.random() * total), a.vocabulary - 1)
                counts[w] = counts.get(w, 0) + 1
            yield label, counts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1000)
    p.add_argument("--vocabulary", type=int, default=50000)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--topic-words", type=int, default=400)
    p.add_argument("--topic-share", type=float, default=0.02,
                   help="probability that a word comes from the class's topic")
    p.add_argument("--zipf", type=float, default=1.1, help="exponent of Zipf's law")
    p.add_argument("--min-words", type=int, default=20)
    p.add_argument("--max-words", type=int, default=500)
    p.add_argument("--values", choices=["tfidf", "counts"], default="tfidf")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", default="-", help="file to write ('-': stdout)")
    a = p.parse_args()
    if a.rows < 1 or a.vocabulary < 20 or a.classes < 2 or a.topic_words < 1:
        p.error("--rows >= 1, --vocabulary >= 20, --classes >= 2, --topic-words >= 1")
    if not (1 <= a.min_words <= a.max_words) or not (0 <= a.topic_share <= 1):
        p.error("1 <= --min-words <= --max-words and 0 <= --topic-share <= 1")
    gen = Generator(a)
    idf = None
    if a.values == "tfidf":
        df = [0] * a.vocabulary
        for _, counts in gen.documents():
            for w in counts:
                df[w] += 1
        idf = [math.log((1 + a.rows) / (1 + d)) + 1 for d in df]
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    for label, counts in gen.documents():
        words = sorted(counts)
        if idf is None:
            cells = " ".join(f"{w + 1}:{counts[w]}" for w in words)
        else:
            values = [counts[w] * idf[w] for w in words]
            norm = math.sqrt(sum(x * x for x in values))
            cells = " ".join(f"{w + 1}:{x / norm:.6g}" for w, x in zip(words, values))
        out.write(f"{label + 1} {cells}\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
