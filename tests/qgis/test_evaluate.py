"""hotblocking:evaluate on a hand-built street whose hit rates are worked out by hand.

Five blocks in a row along y = 0: A (0-100 m), B (100-200), C (200-300), D (300-400) and the
long E (400-1000): 1000 m of network, so 10% of its length is one short block and 20% two.
Window: Fri and Sat nights 22:00-04:00 (2025-01-03 is a Friday). Records of two sources.

Training (before the split on Sat 1 Feb 2025), counted in the window:
  A: Fri 27 Dec, 3, 10 and 17 Jan 23:00                                   -> 4
  B: Sat 11 and 25 Jan 23:30; Sat 1 Feb 01:00, which belongs to the night of Fri 31 Jan
     (a night belongs to the evening it starts), so it trains and does not test -> 3
  C: Fri 3 Jan 23:50, Sat 18 Jan 23:00, and a range Fri 24 Jan 21:00-23:00 of which half
     is in the window                                                      -> 2.5
  D: Fri 31 Jan 22:15 (and Tue 14 Jan 12:00, outside the window)           -> 1
  E: Wed 29 Jan 12:00, outside the window                                  -> 0
Test (February), in the window: A 1 (Fri 7 Feb; Wed 12 Feb noon is outside), B 2 (Sat 8 Feb
23:00 and Sun 9 Feb 02:00, still Saturday's night), C 1, D 0, E 4 (two sources at Fri 21 Feb
23:00, Sat 22 Feb 00:30 and 23:00): 8 records.

Plain counts rank A, B, C, D, E: 10% = A, 1 of 8; 20% = A and B, 3 of 8; 50% = A to D (E
does not fit), 4 of 8 on 40% of the length. The previous period (the 28 days before February,
nights from Sat 4 Jan) counts A 2, B 3, C 1.5, D 1: 10% = B, 2 of 8.

A recency half-life of 7 days, counted from the latest training record (Sat 1 Feb 01:00),
weighs B's recent records most: B 1.69, D 0.99, C 0.58, A 0.46 (0.5 ** (age / 7) summed), so
10% = B, 2 of 8 (better than plain counts' 1), but 20% = B and D, 2 of 8 (worse than 3).
"""

from __future__ import annotations

import subprocess

import pytest
from hb_layers import write_gpkg
from hotblocking_under_test.hotblocking import schema
from hotblocking_under_test.hotblocking.configurations import RISK_DEFAULTS
from hotblocking_under_test.processing.bridge import field_kind
from osgeo import ogr
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsVectorLayer
from qgis.PyQt.QtGui import QImage

X0 = {"A": 0, "B": 100, "C": 200, "D": 300, "E": 400}
X1 = {"A": 100, "B": 200, "C": 300, "D": 400, "E": 1000}
WINDOW = "nights=Fri-Sat 22:00-04:00"
JOINED_FIELDS = [
    ("incident_id", "str"),
    ("block_id", "str"),
    ("source", "str"),
    ("time_start", "datetime"),
    ("time_end", "datetime"),
    ("weight", "real"),
    ("time_precision", "str"),
]
RECORDS = [  # (block, source, start, end)
    ("A", "police", "2024-12-27 23:00", None),
    ("A", "ambulance", "2025-01-03 23:00", None),
    ("A", "police", "2025-01-10 23:00", None),
    ("A", "ambulance", "2025-01-17 23:00", None),
    ("B", "ambulance", "2025-01-11 23:30", None),
    ("B", "police", "2025-01-25 23:30", None),
    ("B", "ambulance", "2025-02-01 01:00", None),
    ("C", "police", "2025-01-03 23:50", None),
    ("C", "ambulance", "2025-01-18 23:00", None),
    ("C", "police", "2025-01-24 21:00", "2025-01-24 23:00"),
    ("D", "police", "2025-01-31 22:15", None),
    ("D", "ambulance", "2025-01-14 12:00", None),
    ("E", "ambulance", "2025-01-29 12:00", None),
    # test period
    ("A", "police", "2025-02-07 23:00", None),
    ("A", "ambulance", "2025-02-12 12:00", None),
    ("B", "ambulance", "2025-02-08 23:00", None),
    ("B", "police", "2025-02-09 02:00", None),
    ("C", "ambulance", "2025-02-14 22:30", None),
    ("E", "ambulance", "2025-02-21 23:00", None),
    ("E", "police", "2025-02-21 23:00", None),
    ("E", "police", "2025-02-22 00:30", None),
    ("E", "ambulance", "2025-02-22 23:00", None),
]


def _iso(text):
    return text.replace(" ", "T") + ":00.000"


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    blocks = write_gpkg(
        folder / "blocks.gpkg",
        "blocks",
        ogr.wkbLineString,
        [
            (f"LINESTRING ({X0[b]} 0, {X1[b]} 0)", {"block_id": b, "link_id": b, "name": b})
            for b in X0
        ],
        [("block_id", "str"), ("link_id", "str"), ("name", "str")],
    )
    layers = []
    for source in ("ambulance", "police"):
        rows = [
            (
                f"POINT ({(X0[b] + X1[b]) / 2} 1)",
                {
                    "incident_id": f"{source}:{k}",
                    "block_id": b,
                    "source": source,
                    "time_start": _iso(start),
                    "time_end": _iso(end or start),
                    "time_precision": "range" if end else "instant",
                },
            )
            for k, (b, s, start, end) in enumerate(RECORDS)
            if s == source
        ]
        layers.append(
            write_gpkg(
                folder / f"joined_{source}.gpkg", "joined", ogr.wkbPoint, rows, JOINED_FIELDS
            )
        )
    return {"blocks": blocks, "joined": layers, "folder": folder}


def evaluate(run, street, name, **extra):
    folder = street["folder"]
    params = {
        "BLOCKS": street["blocks"],
        "INCIDENTS": street["joined"],
        "WINDOWS": WINDOW,
        "SPLIT_DATE": "2025-02-01",
        "CONFIGURATIONS": "defaults:",
        "COVERAGES": "10, 20, 50",
        "TOP_N": 2,
        "SEARCH_LEVEL": 10,
        "OUTPUT": str(folder / f"{name}.gpkg"),
        **extra,
    }
    return run("evaluate", params)


def rows(result) -> dict:
    layer = QgsVectorLayer(result["OUTPUT"], "evaluation", "ogr")
    assert layer.isValid()
    return {(f["method"], f["origin"], f["level"]): f for f in layer.getFeatures()}


def test_exact_hit_rates_pai_and_rri_by_hand(run, street):
    table = rows(evaluate(run, street, "split", BASELINES=[0, 1]))
    plain = {level: table[("plain counts", "2025-02-01", level)] for level in ("10%", "20%", "50%")}
    assert [plain[lv]["hit_rate"] for lv in plain] == pytest.approx([1 / 8, 3 / 8, 4 / 8])
    assert [plain[lv]["coverage"] for lv in plain] == pytest.approx([0.1, 0.2, 0.4])
    assert [plain[lv]["pai"] for lv in plain] == pytest.approx([1.25, 1.875, 1.25])
    assert [plain[lv]["blocks"] for lv in plain] == [1, 2, 4]
    assert plain["10%"]["test_incidents"] == 8 and plain["20%"]["hits"] == 3
    assert plain["10%"]["rri"] == pytest.approx((1 / 4) / (8 / 10.5))
    assert plain["20%"]["rri"] == pytest.approx((3 / 7) / (8 / 10.5))
    assert plain["10%"]["test_end"] == "2025-02-22"  # the last record's day
    assert table[("plain counts", "2025-02-01", "top 2")]["hit_rate"] == pytest.approx(3 / 8)
    previous = table[("previous period", "2025-02-01", "10%")]
    assert previous["hit_rate"] == pytest.approx(2 / 8)
    assert previous["gain"] == pytest.approx(2 / 8 - 1 / 8)
    # computerisk as shipped: no record here is within 30 minutes of another on the same or
    # an adjacent block, so it ranks as plain counts do.
    defaults = table[("defaults", "2025-02-01", "20%")]
    assert defaults["hit_rate"] == pytest.approx(3 / 8) and defaults["gain"] == 0
    assert "MERGE_MINUTES=30" in defaults["settings"]
    summary = table[("plain counts", "all origins", "10%")]
    assert summary["origins"] == 1 and summary["hit_rate"] == pytest.approx(1 / 8)
    assert summary["hit_rate_low"] <= 1 / 8 <= summary["hit_rate_high"]


def test_rolling_origins_predict_each_month_from_the_one_before(run, street):
    result = evaluate(run, street, "rolling", SPLIT_DATE=None, TRAIN_MONTHS=1, BASELINES=[0])
    assert result["ORIGINS"] == 2
    table = rows(result)
    # January from December (A alone scored): A holds 3 of January's 9.5 (C's range: 0.5).
    january = table[("plain counts", "2025-01-01", "10%")]
    assert january["test_incidents"] == pytest.approx(9.5)
    assert january["hit_rate"] == pytest.approx(3 / 9.5)
    assert january["test_end"] == "2025-01-31"
    # February from January only (Dec 27 left out): A 3, B 3, C 2.5, D 1 -> A and B.
    february = table[("plain counts", "2025-02-01", "20%")]
    assert february["hit_rate"] == pytest.approx(3 / 8)
    assert february["rri"] == pytest.approx((3 / 6) / (8 / 9.5))
    assert table[("plain counts", "all origins", "20%")]["origins"] == 2


@pytest.mark.parametrize(
    ("level", "best", "rate"),
    [(10, "search: BANDWIDTH=0, HALF_LIFE_DAYS=7", 2 / 8), (20, "defaults", 3 / 8)],
)
def test_search_picks_the_known_best_at_the_chosen_coverage(run, street, level, best, rate):
    result = evaluate(
        run,
        street,
        f"search{level}",
        BASELINES=[0],
        SEARCH_BANDWIDTHS="0",
        SEARCH_HALF_LIVES="0, 7",
        SEARCH_LEVEL=level,
    )
    # At 20% "defaults" ties "search: ... HALF_LIFE_DAYS=0" (both 3 of 8) and is listed first.
    assert result["BEST_METHOD"] == best
    assert result["BEST_HIT_RATE"] == pytest.approx(rate)
    assert result["BEST_GAIN"] == pytest.approx(rate - {10: 1 / 8, 20: 3 / 8}[level])
    assert result["BEST_WINDOW"] == "nights"
    assert result["BEST_HIT_RATE_LOW"] <= rate <= result["BEST_HIT_RATE_HIGH"]
    marked = [key for key, f in rows(result).items() if f["best"]]
    assert marked == [(best, "all origins", f"{level}%")]


def test_the_same_seed_gives_the_same_table(run, street):
    def values(name, seed):
        result = evaluate(run, street, name, SEED=seed, BASELINES=[0, 1, 2, 3, 4])
        layer = QgsVectorLayer(result["OUTPUT"], "evaluation", "ogr")
        return [f.attributes()[1:] for f in layer.getFeatures()]  # without the fid

    first, again = values("seed_a", 7), values("seed_b", 7)
    assert first == again and len(first) > 40


def test_table_fields_are_the_declared_schema(run, street):
    result = evaluate(run, street, "schema", BASELINES=[0, 3, 4])
    layer = QgsVectorLayer(result["OUTPUT"], "evaluation", "ogr")
    fields = [(f.name(), field_kind(f)) for f in layer.fields() if f.name() != "fid"]
    assert fields == [(n, schema.EVALUATION.field(n).kind) for n in schema.EVALUATION.names()]
    assert not layer.isSpatial()


def test_chart_and_report_are_drawn(run, street):
    folder = street["folder"]
    result = evaluate(
        run,
        street,
        "drawn",
        WINDOWS=f"{WINDOW}; everything=all",
        BASELINES=[0, 1, 2],
        CHART=str(folder / "chart.png"),
        REPORT=str(folder / "report.pdf"),
    )
    image = QImage(result["CHART"])
    assert (image.width(), image.height()) == (1000, 2 * 560)  # one panel per window
    info = subprocess.run(["pdfinfo", result["REPORT"]], capture_output=True, text=True).stdout
    pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
    assert pages == "4"  # a table and a chart per window
    text = subprocess.run(
        ["pdftotext", "-layout", result["REPORT"], "-"], capture_output=True, text=True
    ).stdout
    for words in ("Backtest: nights", "Backtest: everything", "plain counts", "defaults (best)",
                  "12.5%", "37.5%", "Hit rate against coverage: nights"):  # fmt: skip
        assert words in text, words


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"CONFIGURATIONS": "wide: BANDWITH=150"}, 'unknown setting "BANDWITH"'),
        ({"CONFIGURATIONS": "a: USE_HARM=perhaps"}, 'USE_HARM is yes or no, not "perhaps"'),
        ({"SEARCH_BANDWIDTHS": "0, fifty"}, 'Search: bandwidths needs a number, not "fifty"'),
        ({"COVERAGES": "5, 150"}, "at most 100"),
        ({"WINDOWS": "Fri-Sat 25:00-04:00"}, "25:00"),
        ({"CONFIGURATIONS": "", "BASELINES": []}, "Nothing to evaluate"),
    ],
)
def test_bad_options_are_refused_before_the_run(plugin, street, parameters, message):
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:evaluate")
    values = {
        "BLOCKS": street["blocks"],
        "INCIDENTS": street["joined"],
        "OUTPUT": "unused.gpkg",
        **parameters,
    }
    ok, problem = algorithm.checkParameterValues(values, QgsProcessingContext())
    assert not ok and message in problem, problem


def test_a_bad_configuration_stops_processing_run(run, street):
    with pytest.raises(QgsProcessingException, match="unknown setting"):
        evaluate(run, street, "bad", CONFIGURATIONS="a: BANDWITH=1")
    assert not (street["folder"] / "bad.gpkg").exists()


def test_a_split_before_every_record_is_refused(run, street):
    with pytest.raises(QgsProcessingException, match="leaves nothing to train on"):
        evaluate(run, street, "early", SPLIT_DATE="2024-01-01")


def test_configuration_defaults_are_computerisks(plugin):
    risk = QgsApplication.processingRegistry().algorithmById("hotblocking:computerisk")
    defaults = {p.name(): p.defaultValue() for p in risk.parameterDefinitions()}
    assert RISK_DEFAULTS == {
        "bandwidth_m": defaults["BANDWIDTH"],
        "half_life_days": defaults["HALF_LIFE_DAYS"],
        "use_harm": defaults["USE_HARM"],
        "merge_minutes": defaults["MERGE_MINUTES"],
        "merge_repeats": defaults["MERGE_REPEATS"],
        "source_weights": None if not defaults["SOURCE_WEIGHTS"] else defaults["SOURCE_WEIGHTS"],
    }


def test_evaluate_runs_as_a_step_of_a_model(plugin, street):
    """Built as the graphical modeller builds it: model inputs feed the step, its table is a
    model output."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterVectorLayer,
    )

    import processing

    model = QgsProcessingModelAlgorithm("backtest", "tests")
    model.addModelParameter(
        QgsProcessingParameterVectorLayer("blocks", "Blocks"), QgsProcessingModelParameter("blocks")
    )
    model.addModelParameter(
        QgsProcessingParameterMultipleLayers("joined", "Joined", QgsProcessing.TypeVectorPoint),
        QgsProcessingModelParameter("joined"),
    )
    step = QgsProcessingModelChildAlgorithm("hotblocking:evaluate")
    step.setChildId("evaluate")
    from_input = QgsProcessingModelChildParameterSource.fromModelParameter
    static = QgsProcessingModelChildParameterSource.fromStaticValue
    step.addParameterSources("BLOCKS", [from_input("blocks")])
    step.addParameterSources("INCIDENTS", [from_input("joined")])
    for name, value in (("WINDOWS", WINDOW), ("SPLIT_DATE", "2025-02-01"),
                        ("COVERAGES", "10, 20"), ("BASELINES", [0])):  # fmt: skip
        step.addParameterSources(name, [static(value)])
    output = QgsProcessingModelOutput("Backtest table")
    output.setChildOutputName("OUTPUT")
    output.setChildId("evaluate")
    step.setModelOutputs({"Backtest table": output})
    model.addChildAlgorithm(step)
    path = street["folder"] / "model.gpkg"
    results = processing.run(
        model,
        {
            "blocks": street["blocks"],
            "joined": street["joined"],
            "evaluate:Backtest table": str(path),
        },
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )
    table = rows({"OUTPUT": results["evaluate:Backtest table"]})
    assert table[("plain counts", "2025-02-01", "20%")]["hit_rate"] == pytest.approx(3 / 8)


def test_cancel_stops_the_backtest_without_output(run, street):
    from qgis.core import QgsProcessingFeedback

    class CancelOnProgress(QgsProcessingFeedback):
        """Cancels as soon as the backtest reports its first step of progress."""

        def __init__(self):
            super().__init__()
            self.progressChanged.connect(lambda value: value > 0 and self.cancel())

    path = street["folder"] / "cancelled.gpkg"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(
            "evaluate",
            {
                "BLOCKS": street["blocks"],
                "INCIDENTS": street["joined"],
                "WINDOWS": WINDOW,
                "SPLIT_DATE": "2025-02-01",
                "SEARCH_HALF_LIVES": "0, 7, 30",
                "OUTPUT": str(path),
            },
            feedback=CancelOnProgress(),
        )
    assert not path.exists()


def test_records_that_cannot_take_part_are_named_in_the_log(run, street):
    from qgis.core import QgsProcessingFeedback

    class Warnings(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def pushWarning(self, text):
            self.warnings.append(text)
            super().pushWarning(text)

    stray = write_gpkg(
        street["folder"] / "stray.gpkg",
        "joined",
        ogr.wkbPoint,
        [
            (
                "POINT (50 1)",
                {
                    "incident_id": "x:1",
                    "block_id": "Z",
                    "source": "x",
                    "time_start": _iso("2025-02-07 23:00"),
                    "time_precision": "instant",
                },
            ),
            (
                "POINT (50 1)",
                {"incident_id": "x:2", "block_id": "A", "source": "x", "time_precision": "none"},
            ),
        ],  # fmt: skip
        JOINED_FIELDS,
    )
    feedback = Warnings()
    result = run(
        "evaluate",
        {
            "BLOCKS": street["blocks"],
            "INCIDENTS": [*street["joined"], stray],
            "WINDOWS": WINDOW,
            "SPLIT_DATE": "2025-02-01",
            "BASELINES": [0],
            "COVERAGES": "10",
            "OUTPUT": str(street["folder"] / "stray_out.gpkg"),
        },
        feedback=feedback,
    )
    assert any("1 record(s) have a block_id not in BLOCKS" in w for w in feedback.warnings)
    assert any("1 record(s) have no time" in w for w in feedback.warnings)
    plain = rows(result)[("plain counts", "2025-02-01", "10%")]
    assert plain["test_incidents"] == 8 and plain["hit_rate"] == pytest.approx(1 / 8)
