#!/usr/bin/python3
"""Checks the elbow curve of a clustering study's page against the study's
trials, as `dial trials --json` lists them.

usage: check_cluster_curve.py PAGE.html TRIALS.json METRIC COUNT_KNOB [LINE_KNOB]

The figure plot-elbow must hold one point (an svg circle) per value of
COUNT_KNOB (per pair with LINE_KNOB's value, when given) among the complete
trials, whose hover text names the best of those trials (the study's
direction) and its value as dial trials prints it (four decimals), and how
many trials there were; the points of a line lie left to right as the
count grows, and higher values higher up (smaller y) across the figure;
with LINE_KNOB, one polyline per value, titled KNOB=VALUE, through its
points in order. Prints "ok" or one line per failure (exit 1).
Standard library only.
"""
import html.parser
import json
import sys


class Figure(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.marks = []  # [tag, attrs, title]
        self._title = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and a.get("id") == "plot-elbow":
            self.inside = True
        elif self.inside and tag in ("circle", "polyline"):
            self.marks.append([tag, a, None])
        elif self.inside and tag == "title":
            self._title = ""

    def handle_data(self, data):
        if self._title is not None:
            self._title += data

    def handle_endtag(self, tag):
        if tag == "figure":
            self.inside = False
        elif tag == "title" and self._title is not None:
            if self.marks and self.marks[-1][2] is None:
                self.marks[-1][2] = self._title
            self._title = None


def expected_points(trials, count_knob, line_knob, metric):
    better = (lambda a, b: a > b) if trials["direction"] == "maximize" else (lambda a, b: a < b)
    groups = {}
    for t in trials["trials"]:
        if t["state"] != "complete" or t["value"] is None:
            continue
        # a count searched as a list of values (k=2,4,7) is listed as text
        key = (int(t["knobs"][count_knob]), t["knobs"][line_knob] if line_knob else None)
        best, n = groups.get(key, (None, 0))
        if best is None or better(t["value"], best["value"]):
            best = t
        groups[key] = (best, n + 1)
    titles = {}
    for (count, line), (best, n) in groups.items():
        line_text = ", %s=%s" % (line_knob, line) if line_knob else ""
        titles[(count, line)] = "%s=%d%s: %s %.4f (trial %d, the best of %d trial%s)" % (
            count_knob, count, line_text, metric, best["value"], best["number"], n,
            "" if n == 1 else "s")
    return titles, {key: best["value"] for key, (best, _) in groups.items()}


def main():
    page, trials_path, metric, count_knob = sys.argv[1:5]
    line_knob = sys.argv[5] if len(sys.argv) > 5 else None
    trials = json.load(open(trials_path))
    figure = Figure()
    figure.feed(open(page, encoding="utf-8").read())
    failures = []
    circles = [(float(a["cx"]), float(a["cy"]), title) for tag, a, title in figure.marks
               if tag == "circle"]
    if not circles:
        print("no plot-elbow figure with points in %s" % page)
        return 1
    titles, values = expected_points(trials, count_knob, line_knob, metric)
    by_title = {title: (x, y) for x, y, title in circles}
    if sorted(by_title) != sorted(titles.values()) or len(circles) != len(titles):
        failures.append("points %s, expected %s" % (sorted(t for _, _, t in circles),
                                                    sorted(titles.values())))
    else:
        where = {key: by_title[title] for key, title in titles.items()}
        lines = sorted({line for _, line in where}, key=str)
        for line in lines:
            keys = sorted(key for key in where if key[1] == line)
            xs = [where[key][0] for key in keys]
            if xs != sorted(xs) or len(set(xs)) != len(xs):
                failures.append("line %s: x not increasing with %s: %s" % (line, count_knob, xs))
            if line_knob:
                title = "%s=%s" % (line_knob, line)
                polylines = [a["points"] for tag, a, t in figure.marks
                             if tag == "polyline" and t == title]
                drawn = ["%.1f,%.1f" % where[key] for key in keys]
                if polylines != [" ".join(drawn)]:
                    failures.append("polyline %s: %s, expected one through %s" %
                                    (title, polylines, drawn))
        keys = list(where)
        for a in keys:
            for b in keys:
                if values[a] > values[b] and not where[a][1] < where[b][1]:
                    failures.append("%s (%g) is not above %s (%g)" % (a, values[a], b, values[b]))
    for failure in failures:
        print(failure)
    if not failures:
        print("ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
