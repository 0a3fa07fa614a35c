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
from app.models import CoordinatorRegion, Profile, Role, Side, User
from app.security import hash_password
from app.services.profiles import missing_fields
from app.vocabulary import get_vocabulary

DEMO_PASSWORD = "demo-wachtwoord"  # noqa: S105 - documented demo credential, demo data only
DEMO_ACCOUNTS = {
    "docent@example.org": ("Fatima El Amrani", Side.teacher),
    "professional@example.org": ("Jeroen de Vries", Side.professional),
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
SCHOOL_NAMES = (
    "Erasmus",
    "Spinoza",
    "Comenius",
    "Da Vinci",
    "Montessori",
    "Wolfert",
    "Hofstad",
    "Marnix",
    "Vathorst",
    "Helen Parkhurst",
    "Johan de Witt",
    "Christiaan Huygens",
)
# A school's name fits its type: "{name}" is one of SCHOOL_NAMES.
SCHOOL_PATTERNS = {
    "havo_vwo": ("{name} Lyceum", "{name} College"),
    "gymnasium": ("Stedelijk Gymnasium {name}", "{name} Gymnasium"),
    "scholengemeenschap": ("Scholengemeenschap {name}", "{name} College"),
    "vmbo": ("{name} Vakcollege", "{name} Mavo"),
    "mbo": ("ROC {name}", "{name} MBO College"),
    "praktijkonderwijs": ("Praktijkschool {name}",),
    "speciaal_onderwijs": ("{name} VSO",),
    "isk": ("ISK {name}",),
}
GENERAL = (
    "nederlands engels duits frans wiskunde natuurkunde scheikunde biologie aardrijkskunde "
    "geschiedenis economie maatschappijleer lichamelijke_opvoeding kunst_ckv informatica"
).split()
VMBO_PROFILES = (
    "zorg_welzijn bouwen_wonen_interieur produceren_installeren_energie mobiliteit_transport "
    "economie_ondernemen horeca_bakkerij_recreatie groen media_vormgeving_ict"
).split()
# What is taught at each school type (the first subject is the one in the headline).
SCHOOL_SUBJECTS = {
    "havo_vwo": (*GENERAL, "bedrijfseconomie", "filosofie", "onderzoek_ontwerpen", "spaans"),
    "gymnasium": (*GENERAL, "klassieke_talen", "klassieke_talen", "filosofie"),
    "scholengemeenschap": (*GENERAL, "nask", "techniek", "bedrijfseconomie"),
    "vmbo": ("nederlands", "engels", "wiskunde", "nask", "biologie", "economie", *VMBO_PROFILES),
    "mbo": (*VMBO_PROFILES, "nederlands", "engels", "loopbaanorientatie"),
    "praktijkonderwijs": ("techniek", "groen", "horeca_bakkerij_recreatie", "nederlands"),
    "speciaal_onderwijs": ("nederlands", "wiskunde", "techniek", "lichamelijke_opvoeding"),
    "isk": ("nederlands", "engels", "wiskunde", "maatschappijleer"),
}
# Weights: most teachers in the programme work at havo/vwo, vmbo and broad schools.
SCHOOL_TYPE_WEIGHTS = {
    "havo_vwo": 6,
    "gymnasium": 2,
    "scholengemeenschap": 5,
    "vmbo": 5,
    "mbo": 3,
    "praktijkonderwijs": 1,
    "speciaal_onderwijs": 1,
    "isk": 1,
}
FIRST_DEGREE = ("havo_vwo", "gymnasium")  # upper secondary: a first-degree teaching licence
COMPANIES = {
    "openbaar_vervoer": ("RET", "GVB", "HTM", "NS", "Arriva", "Hermes"),
    "ict": ("Bit Labs", "Topicus", "Cognizant NL", "Exact", "Bol.com tech", "Ordina"),
    "financiele_dienstverlening": ("ING", "Rabobank", "ABN AMRO", "Achmea", "NN Group"),
    "zorg": ("Erasmus MC", "Amsterdam UMC", "Catharina Ziekenhuis", "Zorggroep Rijnmond"),
    "industrie": ("ASML", "Stork", "VDL", "Philips", "Tata Steel"),
    "maritiem": ("Damen Shipyards", "Boskalis", "Van Oord", "Port of Rotterdam"),
    "energie": ("Eneco", "Vattenfall", "TenneT", "Alliander"),
    "logistiek": ("PostNL", "DHL Supply Chain", "Schiphol", "Bol.com logistiek"),
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
    "agri_food": ("FrieslandCampina", "Vion", "Royal Cosun"),
    "onderzoek": ("TNO", "Deltares", "AMOLF"),
}
# One coherent professional: (field, headline, sectors where that job is, educations).
PROFESSIONS = (
    (
        "werktuigbouwkunde",
        "Ingenieur werktuigbouw",
        ("industrie", "maritiem", "energie"),
        ("HBO Werktuigbouwkunde", "WO Werktuigbouwkunde (TU Delft)"),
    ),
    (
        "elektrotechniek",
        "Elektrotechnisch ingenieur",
        ("industrie", "energie", "openbaar_vervoer"),
        ("HBO Elektrotechniek", "WO Electrical Engineering (TU/e)"),
    ),
    (
        "transporttechniek",
        "Ingenieur tramonderhoud",
        ("openbaar_vervoer",),
        ("HBO Werktuigbouwkunde", "MBO-4 Mechatronica + HBO Technische Bedrijfskunde"),
    ),
    (
        "civiele_techniek",
        "Constructeur",
        ("bouw", "overheid"),
        ("HBO Civiele Techniek", "WO Civiele Techniek (TU Delft)"),
    ),
    (
        "it_software",
        "Softwareontwikkelaar",
        ("ict", "financiele_dienstverlening", "handel"),
        ("HBO-ICT", "WO Informatica"),
    ),
    (
        "data_ai",
        "Data scientist",
        ("ict", "financiele_dienstverlening", "zorg"),
        ("WO Data Science", "WO Econometrie"),
    ),
    (
        "finance_accounting",
        "Financieel controller",
        ("financiele_dienstverlening", "zakelijke_dienstverlening", "handel"),
        ("HBO Accountancy", "WO Bedrijfseconomie"),
    ),
    (
        "bank_verzekeringen",
        "Risicomanager",
        ("financiele_dienstverlening",),
        ("WO Econometrie", "WO Economie"),
    ),
    (
        "marketing_communicatie",
        "Marketingmanager",
        ("media", "handel"),
        ("HBO Communicatie", "WO Communicatiewetenschap"),
    ),
    (
        "gezondheidszorg",
        "Verpleegkundig specialist",
        ("zorg",),
        ("HBO Verpleegkunde + master Advanced Nursing Practice",),
    ),
    (
        "procesindustrie",
        "Procestechnoloog",
        ("chemie",),
        ("HBO Chemische Technologie", "WO Scheikundige Technologie"),
    ),
    (
        "energie",
        "Energieadviseur",
        ("energie",),
        ("HBO Werktuigbouwkunde", "WO Sustainable Energy Technology"),
    ),
    (
        "logistiek",
        "Supply chain planner",
        ("logistiek", "handel"),
        ("HBO Logistiek", "WO Bedrijfskunde"),
    ),
    (
        "maritiem_havens",
        "Havencoördinator",
        ("maritiem",),
        ("HBO Maritiem Officier", "HBO Logistiek"),
    ),
    ("recht", "Bedrijfsjurist", ("zakelijke_dienstverlening", "overheid"), ("WO Rechten",)),
    (
        "hr",
        "HR-adviseur",
        ("zakelijke_dienstverlening", "overheid", "zorg"),
        ("HBO Human Resource Management", "WO Arbeids- en organisatiepsychologie"),
    ),
    ("overheid_beleid", "Beleidsadviseur", ("overheid",), ("WO Bestuurskunde", "WO Politicologie")),
    (
        "kunst_media_design",
        "UX-designer",
        ("media", "ict"),
        ("HBO Communication & Multimedia Design",),
    ),
    ("journalistiek", "Redacteur", ("media",), ("HBO Journalistiek",)),
    ("bouw", "Projectleider bouw", ("bouw",), ("HBO Bouwkunde",)),
    (
        "food",
        "Levensmiddelentechnoloog",
        ("agri_food",),
        ("HBO Food Technology", "WO Levensmiddelentechnologie (WUR)"),
    ),
    (
        "duurzaamheid_milieu",
        "Duurzaamheidsadviseur",
        ("energie", "overheid", "zakelijke_dienstverlening"),
        ("WO Milieukunde", "HBO Milieukunde"),
    ),
    (
        "onderzoek_wetenschap",
        "Onderzoeker",
        ("onderzoek",),
        ("Promotie natuurkunde", "Promotie scheikunde"),
    ),
)
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


LANGUAGES = {"nederlands", "engels", "duits", "frans", "spaans"}


def _subject_name(code: str, labels: dict[str, str]) -> str:
    """'natuurkunde', 'Duits', 'zorg & welzijn': the label as it reads inside a sentence."""
    label = labels[code].split(" (")[0].split(" / ")[0]
    return label if code in LANGUAGES else label.lower()


def _teacher(rng: random.Random, labels: dict[str, str], town: str) -> dict[str, Any]:
    """A teacher whose school type, school name, subjects, education and bio fit together."""
    org_type = rng.choices(list(SCHOOL_TYPE_WEIGHTS), weights=list(SCHOOL_TYPE_WEIGHTS.values()))[0]
    taught = SCHOOL_SUBJECTS[org_type]
    first = rng.choice(taught)
    second = rng.choice([s for s in taught if s != first])
    subjects = [first] if rng.random() < 0.5 else [first, second]
    subject = _subject_name(first, labels)
    organisation = rng.choice(SCHOOL_PATTERNS[org_type]).format(name=rng.choice(SCHOOL_NAMES))
    degree = "Eerstegraads" if org_type in FIRST_DEGREE else "Tweedegraads"
    education = rng.choice(
        (f"{degree} lerarenopleiding {subject}", f"Master Leraar VHO {subject}")
        if org_type in FIRST_DEGREE
        else (f"{degree} lerarenopleiding {subject}",)
    )
    return {
        "org_type": org_type,
        "subjects": subjects,
        "headline": f"Docent {subject}",
        "organisation": organisation,
        "education": education,
        "bio": f"Ik geef {subject} op {organisation} in {town}. Ik wil zien hoe mijn vak "
        "buiten school gebruikt wordt en dat terugbrengen in mijn lessen.",
    }


def _professional(rng: random.Random, labels: dict[str, str], town: str) -> dict[str, Any]:
    """A professional whose job, sector, company, field, education and bio fit together."""
    field, headline, sectors, educations = rng.choice(PROFESSIONS)
    org_type = rng.choice(sectors)
    neighbours = [p[0] for p in PROFESSIONS if p[0] != field and set(p[2]) & set(sectors)]
    subjects = [field] + ([rng.choice(neighbours)] if neighbours and rng.random() < 0.5 else [])
    organisation = rng.choice(COMPANIES[org_type])
    return {
        "org_type": org_type,
        "subjects": subjects,
        "headline": headline,
        "organisation": organisation,
        "education": rng.choice(educations),
        "bio": f"{headline} bij {organisation} in {town}; mijn vakgebied is "
        f"{_subject_name(field, labels)}. Ik wil leerlingen laten zien wat mijn werk inhoudt.",
    }


def _people(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    vocab = get_vocabulary()
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
        town = vocab.places[place].name
        make = _teacher if side == "teacher" else _professional
        story = make(rng, labels, town)
        subjects, org_type = story["subjects"], story["org_type"]
        headline, organisation = story["headline"], story["organisation"]
        education = story["education"]
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
                "bio": story["bio"],
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
            role=Role.participant,
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
        organisation = "Wolfert Lyceum" if side == "teacher" else "RET"
        profile = person["profile"] | {
            "education": "Eerstegraads lerarenopleiding natuurkunde"
            if side == "teacher"
            else "HBO Werktuigbouwkunde",
            "bio": "Ik geef natuurkunde en wiskunde op het Wolfert Lyceum (havo/vwo) in "
            "Rotterdam. Ik wil weten hoe ingenieurs natuurkunde gebruiken en dat laten zien "
            "in mijn lessen."
            if side == "teacher"
            else "Ingenieur tramonderhoud bij de RET in Rotterdam: ik zorg dat de trams "
            "rijden. Ik wil leerlingen laten zien hoeveel natuurkunde er in een tram zit.",
            "place": "rotterdam",
            "region": "rotterdam",
            "subjects": fields,
            "headline": headline,
            "organisation": organisation,
            "organisation_type": "havo_vwo" if side == "teacher" else "openbaar_vervoer",
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
            role=Role.coordinator,
            email_verified_at=clock.now(),
        )
        session.add(coordinator)
        session.flush()
        assert coordinator.id is not None
        for region in regions:
            session.add(CoordinatorRegion(user_id=coordinator.id, region=region))
    session.flush()
