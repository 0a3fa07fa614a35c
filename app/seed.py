"""Realistic, varied demo participants on both sides, spread over the regions.

Deterministic for a given seed. Every demo account shares one password (DEMO_PASSWORD), hashed
once, so seeding 100 000 participants takes seconds rather than hours of Argon2.
"""

import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from app import clock
from app.db import get_engine, new_session
from app.models import CoordinatorRegion, Profile, Role, User
from app.security import hash_password
from app.services.profiles import missing_fields
from app.vocabulary import get_vocabulary

DEMO_PASSWORD = "demo-wachtwoord"  # noqa: S105 - documented demo credential, demo data only
DEMO_ACCOUNTS = {
    "docent@example.org": ("Fatima El Amrani", "teacher"),
    "professional@example.org": ("Jeroen de Vries", "professional"),
}
DEMO_COORDINATOR = ("coordinator@example.org", "Marieke Jansen", ["rotterdam", "amsterdam"])

FIRST = (
    "Anouk Bram Daan Emma Fatima Jeroen Joris Julia Kees Lieke Lotte Mark Mohammed Noah Noor "
    "Priya Sanne Sem Sophie Thijs Tim Yusuf Zeynep Ayoub Esther Hanneke Ruben Saskia Wouter "
    "Ilse Koen Marloes Bas Inge Rachid Chantal Dewi Gijs Femke Hamza Iris Jesse Maud Niels Olga"
).split()
LAST = (
    "de Vries|Jansen|de Jong|van den Berg|Bakker|Visser|Smit|Meijer|Mulder|de Boer|Bos|Vos|"
    "Peters|Hendriks|van Dijk|Dekker|El Amrani|Yilmaz|Kaya|Brouwer|de Graaf|van Leeuwen|"
    "Kramer|Hoekstra|Koster|Verhoeven|Prins|Postma|Bouali|Tahiri|van der Meer|Willems"
).split("|")
SCHOOLS = ("Lyceum", "College", "Scholengemeenschap", "Gymnasium", "Vakcollege", "Mavo")
SCHOOL_NAMES = (
    "Erasmus",
    "Spinoza",
    "Comenius",
    "Da Vinci",
    "Montessori",
    "Wolfert",
    "Hofstad",
    "Stedelijk",
    "Christelijk",
    "Openbaar",
    "Marnix",
    "Vathorst",
    "Helen Parkhurst",
)
COMPANIES = {
    "openbaar_vervoer": ("RET", "GVB", "HTM", "NS", "Arriva", "Hermes"),
    "ict": ("Bit Labs", "Topicus", "Cognizant NL", "Exact", "Bol.com tech", "Ordina"),
    "financiele_dienstverlening": ("ING", "Rabobank", "ABN AMRO", "Achmea", "NN Group"),
    "zorg": ("Erasmus MC", "Amsterdam UMC", "Catharina Ziekenhuis", "Zorggroep Rijnmond"),
    "industrie": ("ASML", "Stork", "VDL", "Philips", "Damen Shipyards", "Tata Steel"),
    "energie": ("Eneco", "Vattenfall", "TenneT", "Alliander"),
    "logistiek": ("Port of Rotterdam", "PostNL", "DHL Supply Chain", "Schiphol"),
    "chemie": ("Shell Pernis", "Dow Benelux", "AkzoNobel", "DSM-Firmenich"),
    "overheid": (
        "Gemeente Rotterdam",
        "Rijkswaterstaat",
        "Belastingdienst",
        "Provincie Gelderland",
    ),
    "media": ("NOS", "Talpa", "DPG Media", "Studio Moio"),
    "zakelijke_dienstverlening": ("Deloitte", "Arcadis", "Randstad", "Accenture"),
    "bouw": ("BAM", "Heijmans", "Dura Vermeer"),
    "handel": ("Ahold Delhaize", "Coolblue", "HEMA"),
}
FIELD_TITLES = {
    "werktuigbouwkunde": "Ingenieur werktuigbouw",
    "elektrotechniek": "Elektrotechnisch ingenieur",
    "transporttechniek": "Ingenieur tramonderhoud",
    "it_software": "Softwareontwikkelaar",
    "data_ai": "Data scientist",
    "finance_accounting": "Financieel controller",
    "bank_verzekeringen": "Risicomanager",
    "marketing_communicatie": "Marketingmanager",
    "sales": "Salesmanager",
    "international_business": "Export manager",
    "gezondheidszorg": "Verpleegkundig specialist",
    "procesindustrie": "Procestechnoloog",
    "energie": "Energieadviseur",
    "logistiek": "Supply chain planner",
    "recht": "Bedrijfsjurist",
    "hr": "HR-adviseur",
    "overheid_beleid": "Beleidsadviseur",
    "kunst_media_design": "UX-designer",
    "journalistiek": "Redacteur",
    "ondernemerschap": "Oprichter start-up",
    "bouw": "Projectleider bouw",
    "civiele_techniek": "Constructeur",
    "food": "Levensmiddelentechnoloog",
}
HUB_PLACES = (
    "rotterdam",
    "amsterdam",
    "den-haag",
    "utrecht",
    "eindhoven",
    "arnhem",
    "nijmegen",
    "delft",
    "leiden",
    "haarlem",
    "dordrecht",
    "zoetermeer",
    "gouda",
    "amersfoort",
    "tilburg",
    "breda",
    "s-hertogenbosch",
    "zwolle",
    "groningen",
    "maastricht",
)


def _people(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    vocab = get_vocabulary()
    school_subjects = [s["code"] for s in vocab.subjects if s["group"] == "school"]
    fields = [s["code"] for s in vocab.subjects if s["group"] == "field"]
    teacher_orgs = [o["code"] for o in vocab.organisation_types if o["side"] == "teacher"]
    goals = {
        side: [g["code"] for g in vocab.goals if side in g.get("sides", [side])]
        for side in ("teacher", "professional")
    }
    outcomes = [o["code"] for o in vocab.outcomes]
    places = [p for p in vocab.places if p in vocab.places]
    hubs = [p for p in HUB_PLACES if p in vocab.places]
    labels = {s["code"]: s["nl"] for s in vocab.subjects}
    for n in range(count):
        side = "teacher" if n % 2 == 0 else "professional"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        place = rng.choice(hubs) if rng.random() < 0.7 else rng.choice(places)
        if side == "teacher":
            subjects = rng.sample(school_subjects, rng.choice((1, 1, 2, 2, 3)))
            org_type = rng.choice(teacher_orgs)
            headline = f"Docent {labels[subjects[0]].lower()}"
            organisation = f"{rng.choice(SCHOOL_NAMES)} {rng.choice(SCHOOLS)}"
            education = rng.choice(
                (
                    "Lerarenopleiding (tweedegraads)",
                    "Universitaire lerarenopleiding",
                    "Master Leraar VHO",
                    "Pabo + bijscholing",
                )
            )
        else:
            subjects = rng.sample(fields, rng.choice((1, 2, 2, 3)))
            org_type = rng.choice(list(COMPANIES))
            headline = FIELD_TITLES.get(subjects[0], f"Specialist {labels[subjects[0]].lower()}")
            organisation = rng.choice(COMPANIES[org_type])
            education = rng.choice(
                (
                    "HBO Werktuigbouwkunde",
                    "WO Technische Natuurkunde",
                    "HBO Bedrijfskunde",
                    "WO Econometrie",
                    "MBO-4 Techniek",
                    "WO Informatica",
                    "HBO Communicatie",
                    "WO Rechten",
                )
            )
        start = rng.randint(1, 12)
        months = sorted({(start + k - 1) % 12 + 1 for k in range(rng.randint(3, 8))})
        mode = rng.choices(("balanced", "subject", "surprise"), weights=(6, 3, 1))[0]
        yield {
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{n}@demo.example.org".lower().replace(" ", ""),
            "side": side,
            "profile": {
                "headline": headline,
                "organisation": organisation,
                "organisation_type": org_type,
                "bio": f"{headline} bij {organisation}. Benieuwd naar de andere kant.",
                "subjects": subjects,
                "education": education,
                "place": place,
                "region": vocab.places[place].region,
                "max_travel_km": rng.choice((15, 25, 30, 30, 40, 60)),
                "hours_per_month": rng.choice((4, 6, 7.5, 8, 8, 10, 12)),
                "available_months": months,
                "duration_months": rng.choice((3, 3, 4, 6)),
                "goals": rng.sample(goals[side], rng.randint(1, 3)),
                "outcomes": rng.sample(outcomes, rng.randint(1, 4)),
                "motivation": "Ik wil leren van iemand uit een andere wereld.",
                "match_mode": mode,
                "manager_approval": rng.random() < 0.8,
                "contact": {"email": f"{first}.{n}@demo.example.org".lower()},
                "discoverable": rng.random() < 0.95,
            },
        }


def seed_participants(count: int, *, seed: int = 2016, batch: int = 2000) -> int:
    """Insert `count` demo participants with complete profiles (plus the demo accounts)."""
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    now = clock.now()
    created = 0
    with new_session(write=True) as session:
        _ensure_demo_accounts(session, password_hash)
        taken = set(session.scalars(select(col(User.email))))
        people = [p for p in _people(count, rng) if p["email"] not in taken]
        for start in range(0, len(people), batch):
            chunk = people[start : start + batch]
            ids = session.scalars(
                insert(User).returning(col(User.id), sort_by_parameter_order=True),
                [
                    {
                        "email": p["email"],
                        "password_hash": password_hash,
                        "name": p["name"],
                        "role": Role.participant.value,
                        "side": p["side"],
                        "created_at": now,
                        "email_verified_at": now,  # demo addresses count as verified
                    }
                    for p in chunk
                ],
            ).all()
            rows = []
            for user_id, person in zip(ids, chunk, strict=True):
                row = person["profile"] | {
                    "user_id": user_id,
                    "side": person["side"],
                    "created_at": now,
                    "updated_at": now,
                }
                row["complete"] = not missing_fields(Profile(**row))
                rows.append(row)
            session.execute(insert(Profile), rows)
            created += len(chunk)
        session.commit()
    _analyze()
    return created


def _analyze() -> None:
    """Bring freshly loaded tables to a steady state: planner statistics, and hint bits and
    the visibility map set once now instead of by the first requests that read each page
    (autovacuum would get there later)."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) users, profiles")


def _ensure_demo_accounts(session: Any, password_hash: str) -> None:
    existing = set(
        session.scalars(
            select(col(User.email)).where(
                col(User.email).in_([*DEMO_ACCOUNTS, DEMO_COORDINATOR[0]])
            )
        )
    )
    rng = random.Random(1)
    for email, (name, side) in DEMO_ACCOUNTS.items():
        if email in existing:
            continue
        user = User(
            email=email,
            password_hash=password_hash,
            name=name,
            role=Role.participant.value,
            side=side,
            email_verified_at=clock.now(),
        )
        session.add(user)
        session.flush()
        person = next(_people(2, rng)) if side == "teacher" else list(_people(2, rng))[1]
        fields = (
            ["natuurkunde", "wiskunde"]
            if side == "teacher"
            else ["transporttechniek", "werktuigbouwkunde"]
        )
        headline = "Docent natuurkunde" if side == "teacher" else "Ingenieur tramonderhoud"
        organisation = "Erasmiaans Gymnasium" if side == "teacher" else "RET"
        profile = person["profile"] | {
            "place": "rotterdam",
            "region": "rotterdam",
            "subjects": fields,
            "headline": headline,
            "organisation": organisation,
            "organisation_type": "gymnasium" if side == "teacher" else "openbaar_vervoer",
            "goals": ["other_world", "hybrid_career"],
            "available_months": [1, 2, 3, 4, 5, 6],
            "hours_per_month": 8,
            "discoverable": True,
        }
        assert user.id is not None
        session.add(Profile(user_id=user.id, side=side, complete=True, **profile))
    email, name, regions = DEMO_COORDINATOR
    if email not in existing:
        coordinator = User(
            email=email,
            password_hash=password_hash,
            name=name,
            role=Role.coordinator.value,
            email_verified_at=clock.now(),
        )
        session.add(coordinator)
        session.flush()
        assert coordinator.id is not None
        for region in regions:
            session.add(CoordinatorRegion(user_id=coordinator.id, region=region))
    session.flush()
