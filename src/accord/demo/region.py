"""The demo region: five Baltic Sea states, their agencies, and four weeks of alerts.

The alerts are made up but shaped like the real thing: storm and flood warnings from the
weather services, forest fires, an avian influenza outbreak, an oil spill, GNSS jamming
over the sea, damage to an undersea cable, a chemical release, a joint exercise and a
test message — spread over categories, TLP levels and threads (alerts that are updated,
cancelled or left to expire).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from accord.domain.alerts.cap import Alert, Area, Info

SECRETARIAT = ("BSRC", "Baltic Sea Regional Cooperation Secretariat", "organisation")
OBSERVERS = ("OBSV", "Independent Verification Mission", "organisation")

# code, name, (min_lon, min_lat, max_lon, max_lat) of a rough outline, agencies
Outline = tuple[float, float, float, float]
STATES: tuple[tuple[str, str, Outline, tuple[tuple[str, str], ...]], ...] = (
    (
        "EE",
        "Estonia",
        (21.8, 57.5, 28.2, 59.7),
        (
            ("Estonian Rescue Board", "disaster"),
            ("Health Board", "health"),
            ("Environmental Board", "environment"),
            ("Estonian Defence Forces", "defence"),
        ),
    ),
    (
        "LV",
        "Latvia",
        (20.9, 55.7, 28.2, 58.1),
        (
            ("State Fire and Rescue Service", "disaster"),
            ("Centre for Disease Prevention and Control", "health"),
            ("State Border Guard", "border"),
        ),
    ),
    (
        "LT",
        "Lithuania",
        (20.9, 53.9, 26.8, 56.45),
        (
            ("Fire and Rescue Department", "disaster"),
            ("National Public Health Centre", "health"),
            ("National Cyber Security Centre", "cyber"),
        ),
    ),
    (
        "FI",
        "Finland",
        (20.6, 59.8, 31.6, 70.1),
        (
            ("Finnish Meteorological Institute", "environment"),
            ("Border Guard", "border"),
            ("Ministry for Foreign Affairs", "foreign-affairs"),
        ),
    ),
    (
        "SE",
        "Sweden",
        (11.1, 55.3, 24.2, 69.1),
        (
            ("Swedish Civil Contingencies Agency", "disaster"),
            ("Public Health Agency", "health"),
            ("Swedish Armed Forces", "defence"),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DemoAlert:
    """One message of the demo, with who sends it and how it is scoped."""

    author: str
    alert: Alert
    tlp: str
    audience: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Story:
    author: str
    sender: str
    sender_name: str
    category: str
    event: str
    headline: str
    description: str
    area_desc: str
    polygon: str | None
    circle: str | None
    urgency: str
    severity: str
    certainty: str
    tlp: str
    days_ago: float
    hours_valid: float
    then: tuple[str, ...] = ()  # "Update" / "Cancel", in order
    status: str = "Actual"
    audience: tuple[str, ...] = ()


def _box(min_lat: float, min_lon: float, max_lat: float, max_lon: float) -> str:
    return (
        f"{min_lat},{min_lon} {min_lat},{max_lon} {max_lat},{max_lon} "
        f"{max_lat},{min_lon} {min_lat},{min_lon}"
    )


STORIES: tuple[_Story, ...] = (
    _Story(
        "FI",
        "ilmatieteenlaitos@fmi.fi",
        "Finnish Meteorological Institute",
        "Met",
        "Storm",
        "Storm warning for the Gulf of Finland",
        "Westerly winds of 25 m/s with gusts to 32 m/s expected over the Gulf of Finland.",
        "Gulf of Finland",
        _box(59.4, 22.5, 60.3, 28.0),
        None,
        "Expected",
        "Severe",
        "Likely",
        "CLEAR",
        26,
        36,
        ("Update",),
    ),
    _Story(
        "EE",
        "info@rescue.ee",
        "Estonian Rescue Board",
        "Fire",
        "Forest fire",
        "Forest fire near Kuusalu; keep away from the area",
        "A forest fire of about 40 hectares is burning north of Kuusalu.",
        "Kuusalu parish",
        None,
        "59.45,25.43 8",
        "Immediate",
        "Severe",
        "Observed",
        "CLEAR",
        20,
        48,
        ("Update", "Cancel"),
    ),
    _Story(
        "LV",
        "alerts@spkc.gov.lv",
        "Centre for Disease Prevention and Control",
        "Health",
        "Avian influenza",
        "Highly pathogenic avian influenza H5N1 in wild birds",
        "H5N1 confirmed in wild swans at Lake Engure; poultry keepers must house birds.",
        "Engure and Tukums municipalities",
        _box(57.0, 22.9, 57.4, 23.5),
        None,
        "Expected",
        "Moderate",
        "Observed",
        "GREEN",
        18,
        24 * 14,
        ("Update",),
    ),
    _Story(
        "SE",
        "krisinformation@msb.se",
        "Swedish Civil Contingencies Agency",
        "Env",
        "Oil spill",
        "Oil slick observed south of Gotland",
        "Coast guard aircraft observed an oil slick of 12 km2 drifting north-east.",
        "Baltic Sea south of Gotland",
        _box(56.5, 17.8, 57.0, 18.9),
        None,
        "Expected",
        "Moderate",
        "Observed",
        "AMBER",
        15,
        72,
        ("Update",),
        audience=("EE", "LV"),
    ),
    _Story(
        "LT",
        "alerts@nksc.lt",
        "National Cyber Security Centre",
        "Security",
        "GNSS interference",
        "GNSS jamming affecting aviation and shipping",
        "Widespread GNSS jamming reported by aircraft over the south-eastern Baltic Sea.",
        "South-eastern Baltic Sea",
        _box(54.8, 18.5, 56.5, 21.0),
        None,
        "Immediate",
        "Moderate",
        "Observed",
        "AMBER+STRICT",
        12,
        24 * 5,
        ("Update",),
    ),
    _Story(
        "FI",
        "raja@raja.fi",
        "Border Guard",
        "Infra",
        "Undersea cable damage",
        "Damage to a subsea data cable in the Gulf of Finland",
        "Traffic on a subsea cable between Finland and Estonia was interrupted at 02:13.",
        "Gulf of Finland, cable route",
        _box(59.6, 24.6, 60.1, 25.1),
        None,
        "Immediate",
        "Severe",
        "Observed",
        "RED",
        9,
        24 * 14,
        ("Update",),
        audience=("EE",),
    ),
    _Story(
        "EE",
        "info@terviseamet.ee",
        "Health Board",
        "Health",
        "Measles",
        "Measles cases in Tallinn",
        "Four confirmed measles cases linked to one school; check vaccination status.",
        "Tallinn",
        _box(59.35, 24.55, 59.5, 24.95),
        None,
        "Expected",
        "Moderate",
        "Observed",
        "CLEAR",
        7,
        24 * 10,
    ),
    _Story(
        "SE",
        "smhi@smhi.se",
        "Swedish Meteorological and Hydrological Institute",
        "Met",
        "Flood",
        "Risk of flooding along the Dalälven river",
        "Snowmelt and rain raise the Dalälven above the 50-year flow at Avesta.",
        "Dalälven at Avesta",
        _box(60.05, 16.0, 60.25, 16.4),
        None,
        "Future",
        "Moderate",
        "Possible",
        "CLEAR",
        5,
        72,
        ("Cancel",),
    ),
    _Story(
        "LV",
        "vugd@vugd.gov.lv",
        "State Fire and Rescue Service",
        "CBRNE",
        "Chemical release",
        "Ammonia release at the port of Ventspils",
        "An ammonia leak at a terminal in Ventspils port; stay indoors, close windows.",
        "Ventspils port",
        None,
        "57.40,21.56 3",
        "Immediate",
        "Extreme",
        "Observed",
        "CLEAR",
        3,
        12,
        ("Update", "Cancel"),
    ),
    _Story(
        "EE",
        "info@mil.ee",
        "Estonian Defence Forces",
        "Security",
        "Military exercise",
        "Joint exercise BALTIC SHIELD (exercise)",
        "EXERCISE EXERCISE EXERCISE. Joint search-and-rescue exercise at sea.",
        "Gulf of Riga",
        _box(57.4, 22.6, 58.3, 24.2),
        None,
        "Future",
        "Minor",
        "Likely",
        "GREEN",
        2,
        48,
        status="Exercise",
    ),
    _Story(
        "LT",
        "pagd@vpgt.lt",
        "Fire and Rescue Department",
        "Safety",
        "Siren test",
        "Monthly public warning siren test",
        "Monthly test of public warning sirens in Vilnius; no action needed.",
        "Vilnius",
        _box(54.6, 25.1, 54.8, 25.4),
        None,
        "Future",
        "Minor",
        "Likely",
        "CLEAR",
        1,
        2,
        status="Test",
    ),
    _Story(
        "FI",
        "ilmatieteenlaitos@fmi.fi",
        "Finnish Meteorological Institute",
        "Met",
        "Heavy snow",
        "Heavy snowfall in Lapland",
        "Up to 40 cm of new snow expected in northern Lapland in 24 hours.",
        "Northern Lapland",
        _box(67.5, 23.0, 69.5, 29.0),
        None,
        "Expected",
        "Moderate",
        "Likely",
        "CLEAR",
        0.5,
        48,
    ),
)


UNANSWERED_SENDER = ("LV", "vugd@lv.example")


def demo_senders() -> dict[str, str]:
    """The domain each demo participant sends from, as it registers them: a story's
    sender is its author's, and nobody else may issue under it."""
    found = {story.sender.rpartition("@")[2]: story.author for story in STORIES}
    found[UNANSWERED_SENDER[1].rpartition("@")[2]] = UNANSWERED_SENDER[0]
    return found


def demo_alerts(now: datetime) -> list[DemoAlert]:
    """Every message of the demo, oldest first, timed relative to ``now``."""
    messages: list[DemoAlert] = []
    for number, story in enumerate(STORIES, start=1):
        messages.extend(_thread(story, number, now))
    return messages


def _thread(story: _Story, number: int, now: datetime) -> list[DemoAlert]:
    sent = (now - timedelta(days=story.days_ago)).replace(microsecond=0)
    identifier = f"DEMO-{story.author}-{number:04d}"
    first = _message(story, identifier, sent, "Alert", None, "")
    messages = [first]
    previous = first.alert
    for step, msg_type in enumerate(story.then, start=1):
        step_sent = sent + timedelta(hours=min(story.hours_valid / 2, 6) * step)
        note = (
            "The situation has changed; see the description."
            if msg_type == "Update"
            else "The threat has passed."
        )
        reference = f"{previous.sender},{previous.identifier},{previous.sent}"
        message = _message(story, f"{identifier}-{step}", step_sent, msg_type, reference, note)
        messages.append(message)
        previous = message.alert
    return messages


def _message(
    story: _Story,
    identifier: str,
    sent: datetime,
    msg_type: str,
    references: str | None,
    note: str,
) -> DemoAlert:
    expires = sent + timedelta(hours=story.hours_valid)
    area = Area(
        area_desc=story.area_desc,
        polygons=(story.polygon,) if story.polygon else (),
        circles=(story.circle,) if story.circle else (),
    )
    headline = story.headline if msg_type != "Cancel" else f"Cancelled: {story.headline}"
    info = Info(
        language="en-GB",
        categories=(story.category,),
        event=story.event,
        response_types=("AllClear",) if msg_type == "Cancel" else ("Monitor",),
        urgency="Past" if msg_type == "Cancel" else story.urgency,
        severity="Minor" if msg_type == "Cancel" else story.severity,
        certainty=story.certainty,
        effective=_cap_time(sent),
        expires=_cap_time(expires),
        sender_name=story.sender_name,
        headline=headline,
        description=story.description if msg_type != "Cancel" else note,
        areas=(area,),
    )
    alert = Alert(
        identifier=identifier,
        sender=story.sender,
        sent=_cap_time(sent),
        status=story.status,
        msg_type=msg_type,
        scope="Public" if story.tlp == "CLEAR" else "Restricted",
        restriction=None if story.tlp == "CLEAR" else f"TLP:{story.tlp}",
        note=("Exercise BALTIC SHIELD" if story.status == "Exercise" else note) or None,
        references=references,
        infos=(info,),
    )
    return DemoAlert(story.author, alert, story.tlp, story.audience)


def _cap_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def unanswered_alert(now: datetime) -> DemoAlert:
    """An Immediate, Extreme alert sent to Estonia's desks that nobody answers, so the
    demo shows escalation: seeded as if sent 50 minutes before the node starts."""
    sent = now.replace(microsecond=0)
    info = Info(
        language="en-GB",
        categories=("Safety",),
        event="Chemical release",
        response_types=("Shelter",),
        urgency="Immediate",
        severity="Extreme",
        certainty="Observed",
        effective=_cap_time(sent),
        expires=_cap_time(sent + timedelta(hours=12)),
        sender_name="Latvian State Fire and Rescue Service",
        headline="Ammonia cloud drifting north from the port of Ainaži",
        description="A tank leak at the port; the cloud is moving towards Estonia's "
        "south-western coast. Keep windows closed.",
        areas=(
            Area(
                area_desc="Ainaži to Häädemeeste",
                polygons=(_box(57.85, 24.3, 58.15, 24.6),),
            ),
        ),
    )
    alert = Alert(
        identifier="DEMO-LV-UNANSWERED",
        sender=UNANSWERED_SENDER[1],
        sent=_cap_time(sent),
        status="Actual",
        msg_type="Alert",
        scope="Restricted",
        restriction="TLP:GREEN",
        infos=(info,),
    )
    return DemoAlert("LV", alert, "GREEN", ())
