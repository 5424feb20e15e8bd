"""hotblocking:computerisk on a hand-built street with planted hot blocks and known counts."""

import datetime

import pytest
from hb_feedback import Log
from hb_layers import write_gpkg
from osgeo import ogr
from qgis.core import QgsProcessingException, QgsVectorLayer

BLOCKS = [  # a chain B1-B4 joined end to end, B5 on its own
    ("LINESTRING (0 0, 100 0)", {"block_id": "B1", "link_id": "L1", "name": "High St"}),
    ("LINESTRING (100 0, 200 0)", {"block_id": "B2", "link_id": "L1", "name": "High St"}),
    ("LINESTRING (200 0, 300 0)", {"block_id": "B3", "link_id": "L2", "name": "Market Pl"}),
    ("LINESTRING (300 0, 400 0)", {"block_id": "B4", "link_id": "L2", "name": "Market Pl"}),
    ("LINESTRING (0 500, 100 500)", {"block_id": "B5", "link_id": "L3", "name": "Back Ln"}),
]
JOINED_FIELDS = [
    ("block_id", "str"),
    ("source", "str"),
    ("time_start", "datetime"),
    ("time_end", "datetime"),
    ("weight", "real"),
]
WINDOWS = "Night=Fri-Sat 22:00-04:00; Lunch=weekdays 11:00-15:00"
FRIDAYS_2025 = [datetime.date(2025, 1, 3) + datetime.timedelta(weeks=k) for k in range(52)]


def incident(block, source, start, end=None, weight=None):
    return (
        "POINT (150 1)",
        {
            "block_id": block,
            "source": source,
            "time_start": start,
            "time_end": end or start,
            "weight": weight,
        },
    )


@pytest.fixture()
def scenario(tmp_path):
    blocks = write_gpkg(
        tmp_path / "blocks.gpkg",
        "blocks",
        ogr.wkbLineString,
        BLOCKS,
        [("block_id", "str"), ("link_id", "str"), ("name", "str")],
    )
    rows = [incident("B2", "ambulance", "2025-06-06T23:00:00.000", weight=10)] * 5  # Fri night
    rows += [
        incident("B2", "police", "2025-06-06T21:00:00.000", "2025-06-06T23:00:00.000")
    ]  # half in
    rows += [incident("B4", "ambulance", "2025-06-09T12:00:00.000")] * 3  # Mon lunch
    rows += [incident("B1", "ambulance", "2025-06-07T02:00:00.000")]  # Fri night, after midnight
    rows += [incident("B3", "police", "2025-06-11T09:00:00.000")]  # Wed morning: in no window
    joined = write_gpkg(tmp_path / "joined.gpkg", "joined", ogr.wkbPoint, rows, JOINED_FIELDS)
    return blocks, joined


def risk_rows(uri):
    layer = QgsVectorLayer(uri, "risk", "ogr")
    assert layer.isValid()
    return {(f["window"], f["block_id"]): f for f in layer.getFeatures()}


def compute(run, tmp_path, blocks, incidents, **extra):
    params = {
        "BLOCKS": blocks,
        "INCIDENTS": incidents,
        "WINDOWS": WINDOWS,
        "HOT_RULE": 0,
        "HOT_VALUE": 1,
        "MERGE_MINUTES": 0,  # the scenario's five copies are meant as five incidents
        "OUTPUT": str(tmp_path / "risk.gpkg"),
    }
    params.update(extra)
    result = run("computerisk", params)
    return result, risk_rows(result["OUTPUT"])


def test_by_default_copies_of_one_record_are_one_event(run, tmp_path, scenario):
    params = {
        "BLOCKS": scenario[0],
        "INCIDENTS": [scenario[1]],
        "WINDOWS": WINDOWS,
        "OUTPUT": str(tmp_path / "default.gpkg"),
    }
    result = run("computerisk", params)
    night = risk_rows(result["OUTPUT"])[("Night", "B2")]
    # five ambulance records at 23:00 are one event; the police range starting at 21:00 is
    # two hours away from them, so it stays an event of its own
    assert night["incidents"] == pytest.approx(5.5)
    assert night["events"] == pytest.approx(1.5)
    # 11 records: 5 + 1 on B2, 3 copies on B4 (one event), B1 and B3 alone: 5 events
    assert (result["EVENTS"], result["MERGED_DUPLICATES"]) == (5, 6)


def test_exact_counts_ranks_and_complete_map(run, tmp_path, scenario):
    result, rows = compute(run, tmp_path, *scenario[:1], [scenario[1]])
    assert len(rows) == 10  # every block in every window, zeros included
    night = {b: rows[("Night", b)] for b in ("B1", "B2", "B3", "B4", "B5")}
    lunch = {b: rows[("Lunch", b)] for b in ("B1", "B2", "B3", "B4", "B5")}
    assert night["B2"]["incidents"] == pytest.approx(5.5)
    assert night["B2"]["n_ambulance"] == pytest.approx(5)
    assert night["B2"]["n_police"] == pytest.approx(0.5)  # aoristic: 1 of its 2 hours
    assert night["B1"]["incidents"] == pytest.approx(1)  # 02:00 Sat belongs to Fri night
    assert night["B3"]["incidents"] == 0 and night["B4"]["incidents"] == 0
    assert lunch["B4"]["incidents"] == pytest.approx(3)
    assert night["B2"]["rank"] == 1 and lunch["B4"]["rank"] == 1
    assert lunch["B2"]["rank"] != 1 and night["B4"]["rank"] != 1
    assert night["B2"]["hot"] and lunch["B4"]["hot"] and not night["B4"]["hot"]
    assert night["B2"]["name"] == "High St" and night["B2"]["link_id"] == "L1"
    assert night["B2"]["risk_per_km"] == pytest.approx(night["B2"]["risk"] * 10)
    assert night["B2"]["peak"] == "Fri 23:00-24:00"
    assert result["HOT_BLOCKS"] == 2


def test_harm_weighting_and_source_weights(run, tmp_path, scenario):
    _, rows = compute(
        run,
        tmp_path,
        scenario[0],
        [scenario[1]],
        USE_HARM=True,
        SOURCE_WEIGHTS="ambulance=1; police=0",
    )
    assert rows[("Night", "B2")]["harm"] == pytest.approx(5 * 10 + 0.5)  # missing weight = 1
    assert rows[("Night", "B2")]["risk"] == pytest.approx(50)  # police weighs 0


def test_smoothing_conserves_total_and_stays_on_the_network(run, tmp_path, scenario):
    _, plain = compute(run, tmp_path, scenario[0], [scenario[1]])
    _, smooth = compute(
        run,
        tmp_path,
        scenario[0],
        [scenario[1]],
        BANDWIDTH=150,
        OUTPUT=str(tmp_path / "smooth.gpkg"),
    )
    night = lambda rows, b: rows[("Night", b)]["risk"]
    blocks = ("B1", "B2", "B3", "B4", "B5")
    assert sum(night(smooth, b) for b in blocks) == pytest.approx(
        sum(night(plain, b) for b in blocks)
    )
    assert night(smooth, "B3") > 0  # 100 m along the street from B2
    assert night(smooth, "B5") == 0  # not connected
    assert night(smooth, "B2") < night(plain, "B2")


def test_empty_incidents_give_a_complete_zero_map(run, tmp_path, scenario):
    empty = write_gpkg(tmp_path / "none.gpkg", "joined", ogr.wkbPoint, [], JOINED_FIELDS)
    _, rows = compute(run, tmp_path, scenario[0], [empty])
    assert len(rows) == 10
    assert all(f["incidents"] == 0 and f["risk"] == 0 for f in rows.values())


@pytest.mark.parametrize(
    "spec, message",
    [
        ("Fir-Sat 22:00-04:00", "Fri"),
        ("Fri-Sat 22:00", "HH:MM"),
        ("Fri-Sat 25:00-04:00", "25:00"),
    ],
)
def test_bad_window_specs_fail_clearly(run, tmp_path, scenario, spec, message):
    with pytest.raises(QgsProcessingException, match=message):
        compute(run, tmp_path, scenario[0], [scenario[1]], WINDOWS=spec)


def test_blocks_without_block_id_are_refused(run, tmp_path, scenario):
    roads = write_gpkg(
        tmp_path / "roads.gpkg",
        "roads",
        ogr.wkbLineString,
        [("LINESTRING (0 0, 1 1)", {"id": "x"})],
        [("id", "str")],
    )
    with pytest.raises(QgsProcessingException, match="block_id"):
        compute(run, tmp_path, roads, [scenario[1]])


# --- the hot block rule and its one value field -------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "problem"),
    [
        (0, None, None),  # empty: top N's own default (10)
        (0, 3, None),
        (0, "3", None),  # as a batch cell or qgis_process gives it
        (0, 0.05, "top N needs a whole number of blocks, 1 or more (got 0.05)"),
        (0, 2.5, "whole number of blocks, 1 or more (got 2.5)"),
        (0, 0, "whole number of blocks, 1 or more (got 0)"),
        (1, None, None),
        (1, 0.2, None),
        (1, 1, None),
        (1, 10, "between 0 and 1, e.g. 0.05 for 5% (got 10)"),
        (2, None, None),
        (2, 0.05, None),
        (2, 10, "above 0 and below 1, e.g. 0.05 (got 10)"),
        (2, 0, "above 0 and below 1, e.g. 0.05 (got 0)"),
        (2, 1, "above 0 and below 1, e.g. 0.05 (got 1)"),
    ],
)
def test_the_rule_value_is_checked_for_the_chosen_rule(plugin, scenario, rule, value, problem):
    from qgis.core import QgsApplication, QgsProcessingContext

    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hotblocking:computerisk")
    parameters = {
        "BLOCKS": scenario[0],
        "INCIDENTS": [scenario[1]],
        "WINDOWS": WINDOWS,
        "HOT_RULE": rule,
        "OUTPUT": "risk.gpkg",
    }
    if value is not None:
        parameters["HOT_VALUE"] = value
    ok, message = algorithm.checkParameterValues(parameters, QgsProcessingContext())
    if problem is None:
        assert (ok, message) == (True, "")
    else:
        assert not ok
        assert message.startswith("Hot block rule value: ") and problem in message


def test_a_value_that_does_not_fit_the_rule_stops_the_run_before_any_output(
    run, tmp_path, scenario
):
    with pytest.raises(QgsProcessingException, match="above 0 and below 1"):
        compute(run, tmp_path, scenario[0], [scenario[1]], HOT_RULE=2, HOT_VALUE=10)
    assert not (tmp_path / "risk.gpkg").exists()


def test_the_value_field_is_optional_with_no_default_shown(plugin):
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    algorithm = QgsApplication.processingRegistry().algorithmById("hotblocking:computerisk")
    value = algorithm.parameterDefinition("HOT_VALUE")
    assert value.flags() & QgsProcessingParameterDefinition.FlagOptional
    assert value.defaultValue() is None  # the dialog shows "Not set", not 10 for every rule
    assert algorithm.parameterDefinition("HOT_RULE").options() == [  # ids and order kept
        "Top N blocks per window",
        "Top share of network length per window",
        "Significant (Benjamini-Hochberg q below the value)",
    ]


def hot_blocks(rows) -> dict:
    return {
        window: sorted(b for (w, b), f in rows.items() if w == window and f["hot"])
        for window in ("Night", "Lunch")
    }


@pytest.mark.parametrize(
    ("rule", "default", "expected"),
    [
        # top 10 of 5 blocks: every block with risk in the window (B1, B2 at night; B4 at lunch)
        (0, 10, {"Night": ["B1", "B2"], "Lunch": ["B4"]}),
        # 5% of the 500 m network is 25 m: no 100 m block fits
        (1, 0.05, {"Night": [], "Lunch": []}),
    ],
)
def test_an_empty_value_is_the_rules_own_default(run, tmp_path, scenario, rule, default, expected):
    log = Log()
    params = {
        "BLOCKS": scenario[0],
        "INCIDENTS": [scenario[1]],
        "WINDOWS": WINDOWS,
        "HOT_RULE": rule,
        "OUTPUT": str(tmp_path / "default.gpkg"),
    }
    empty = hot_blocks(risk_rows(run("computerisk", params, feedback=log)["OUTPUT"]))
    explicit = hot_blocks(
        risk_rows(
            run(
                "computerisk",
                {**params, "HOT_VALUE": default, "OUTPUT": str(tmp_path / "explicit.gpkg")},
            )["OUTPUT"]
        )
    )
    assert empty == explicit == expected
    assert any(line.endswith(f"value {default:g}.") for line in log.lines)


def test_an_empty_significance_value_is_q_005(run, tmp_path, scenario):
    # 20 Friday-night incidents on B2 (20 Fridays) and one on each other block: against the
    # 4.8 its fifth of the network length predicts, B2 is far beyond q 0.05; one is not.
    fridays = [f"{day.isoformat()}T23:00:00.000" for day in FRIDAYS_2025[:20]]
    rows = [incident("B2", "ambulance", t) for t in fridays]
    rows += [incident(b, "ambulance", "2025-06-06T23:30:00.000") for b in ("B1", "B3", "B4", "B5")]
    joined = write_gpkg(tmp_path / "many.gpkg", "joined", ogr.wkbPoint, rows, JOINED_FIELDS)
    params = {"BLOCKS": scenario[0], "INCIDENTS": [joined], "WINDOWS": WINDOWS, "HOT_RULE": 2}
    empty = risk_rows(run("computerisk", {**params, "OUTPUT": str(tmp_path / "a.gpkg")})["OUTPUT"])
    assert hot_blocks(empty) == {"Night": ["B2"], "Lunch": []}
    for key, feature in empty.items():  # hot exactly where q <= 0.05
        assert bool(feature["hot"]) == (feature["q_value"] <= 0.05), key
