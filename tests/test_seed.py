"""Demo people tell one coherent story each: the school type fits the school's name and the
subjects taught there; a professional's job, field, sector, company and education fit."""

import random

from sqlalchemy import select
from sqlmodel import Session

from app.db import get_engine
from app.models import Profile, User
from app.seed import (
    COMPANIES,
    DEMO_ACCOUNTS,
    PROFESSIONS,
    SCHOOL_SUBJECTS,
    _people,
    seed_participants,
)
from app.services.profiles import missing_fields
from app.vocabulary import get_vocabulary

SCHOOL_WORDS = {
    "havo_vwo": ("Lyceum", "College"),
    "gymnasium": ("Gymnasium",),
    "scholengemeenschap": ("Scholengemeenschap", "College"),
    "vmbo": ("Vakcollege", "Mavo"),
    "mbo": ("ROC", "MBO College"),
    "praktijkonderwijs": ("Praktijkschool",),
    "speciaal_onderwijs": ("VSO",),
    "isk": ("ISK",),
}


def test_every_demo_person_is_coherent() -> None:
    vocab = get_vocabulary()
    sides = {o["code"]: o["side"] for o in vocab.organisation_types}
    subject_codes = {s["code"] for s in vocab.subjects}
    jobs = {
        (field, headline): (sectors, educations)
        for field, headline, sectors, educations in PROFESSIONS
    }
    people = list(_people(400, random.Random(7)))
    for person in people:
        profile = person["profile"]
        side, org_type = person["side"], profile["organisation_type"]
        assert sides[org_type] == side, profile
        assert set(profile["subjects"]) <= subject_codes
        assert profile["organisation"] in profile["bio"] and profile["place"]
        if side == "teacher":
            assert set(profile["subjects"]) <= set(SCHOOL_SUBJECTS[org_type]), profile
            assert any(word in profile["organisation"] for word in SCHOOL_WORDS[org_type])
            subject = profile["headline"].removeprefix("Docent ")
            assert subject in profile["education"] and subject in profile["bio"], profile
        else:
            sectors, educations = jobs[(profile["subjects"][0], profile["headline"])]
            assert org_type in sectors and profile["organisation"] in COMPANIES[org_type]
            assert profile["education"] in educations
    assert {p["profile"]["organisation_type"] for p in people} >= {"havo_vwo", "vmbo"}


def test_seeded_demo_accounts_are_complete_and_coherent() -> None:
    seed_participants(20, seed=3)
    with Session(get_engine()) as session:
        rows = session.execute(
            select(User, Profile).join(Profile).where(User.email.in_(list(DEMO_ACCOUNTS)))  # type: ignore[attr-defined]
        ).all()
        stories = {user.email: profile for user, profile in rows}
        assert len(session.scalars(select(Profile)).all()) == 22
        for profile in session.scalars(select(Profile)):
            assert not missing_fields(profile)
    teacher, engineer = stories["docent@example.org"], stories["professional@example.org"]
    assert (teacher.headline, teacher.organisation_type) == ("Docent natuurkunde", "havo_vwo")
    assert "natuurkunde" in teacher.education and "natuurkunde" in teacher.bio
    assert (engineer.organisation, engineer.organisation_type) == ("RET", "openbaar_vervoer")
    assert "tram" in engineer.bio
