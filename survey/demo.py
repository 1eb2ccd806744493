"""Demo data for `feedloop seed-demo`: a believable Pipewise customer base and its feedback.

Everything is drawn from one `random.Random(42)` and dated relative to `now`, so two seeds of an empty
database produce the same rows. Comments are composed from clause banks (per root-cause category and
polarity, plus praise, referral and churn phrasings) so the first screen a visitor sees is varied.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Category, Contact, Response, Survey, User, Verbatim
from survey.services.users import hash_password

DEMO_PASSWORD = "demo1234"
PRODUCT = "Pipewise"
NPS_RESPONSES = 340
CSAT_RESPONSES = 24
HISTORY_DAYS = 180
TAXONOMY_FILE = Path(__file__).resolve().parent.parent / "nlp" / "data" / "taxonomy.json"


@dataclass
class SeedResult:
    """What seed() created, for the CLI's summary and its analysis queue."""

    accounts: int
    contacts: int
    responses: int
    verbatim_ids: list[int]  # every Verbatim created (analysis status 'pending'), for the caller to enqueue


# ---------------------------------------------------------------- staff, surveys, accounts

# (email, name, role, team)
STAFF: tuple[tuple[str, str, str, str | None], ...] = (
    ("admin@example.com", "Avery Admin", "admin", None),
    ("csm@example.com", "Casey Morgan", "csm", "Enterprise"),
    ("csm2@example.com", "Jordan Lee", "csm", "Mid-market"),
    ("product@example.com", "Priya Natarajan", "product", None),
    ("marketing@example.com", "Sam Rivera", "marketing", None),
)
CSM_EMAILS = {"casey": "csm@example.com", "jordan": "csm2@example.com"}
SUPPORT_AGENTS = ("Maya", "Luis", "Hannah", "Ravi")  # named in text only; not app users
NEGLECT_ODDS = {"Jordan": 0.35, "Casey": 0.04}  # the story: Jordan's mid-market book is stretched thin
ONBOARDING_LEAD = "Elena"


@dataclass(frozen=True)
class AccountSpec:
    """A hand-written demo customer: health steers its scores, renewal_in_days its urgency."""

    name: str
    slug: str
    segment: str
    plan: str
    arr: int
    owner: str | None  # key of CSM_EMAILS
    renewal_in_days: int
    health: float  # 0 (about to churn) .. 1 (champion)
    locale: str = "en"


# Domains use the reserved .example TLD so nothing the demo sends can reach a real company.
ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("Northwind Freight", "northwindfreight", "Enterprise", "Enterprise", 312_000,
                owner="casey", renewal_in_days=205, health=0.85),
    AccountSpec("Brightlane Health", "brightlanehealth", "Enterprise", "Enterprise", 238_000,
                owner="casey", renewal_in_days=96, health=0.75),
    AccountSpec("Kestrel Robotics", "kestrelrobotics", "Enterprise", "Enterprise", 385_000,
                owner="casey", renewal_in_days=38, health=0.25),
    AccountSpec("Meridian Cloud Systems", "meridiancloud", "Enterprise", "Enterprise", 274_000,
                owner="casey", renewal_in_days=150, health=0.7),
    AccountSpec("Tidewater Payments", "tidewaterpay", "Enterprise", "Enterprise", 176_000,
                owner="casey", renewal_in_days=52, health=0.45),
    AccountSpec("Orchard & Vine Hospitality", "orchardvine", "Mid-market", "Growth", 64_000,
                owner="jordan", renewal_in_days=44, health=0.35),
    AccountSpec("Halcyon Security", "halcyonsec", "Mid-market", "Enterprise", 92_000,
                owner="jordan", renewal_in_days=120, health=0.3),
    AccountSpec("Lumen Learning Co", "lumenlearning", "Mid-market", "Growth", 48_000,
                owner="jordan", renewal_in_days=290, health=0.65),
    AccountSpec("Fernhill Legal", "fernhilllegal", "Mid-market", "Growth", 55_000,
                owner="jordan", renewal_in_days=75, health=0.55),
    AccountSpec("Bluebird Staffing", "bluebirdstaffing", "Mid-market", "Growth", 38_000,
                owner="jordan", renewal_in_days=33, health=0.25),
    AccountSpec("Atlas Paketdienst GmbH", "atlas-paket", "Mid-market", "Growth", 72_000,
                owner="jordan", renewal_in_days=165, health=0.6, locale="de"),
    AccountSpec("Voltaire Logiciels SAS", "voltaire-logiciels", "Mid-market", "Growth", 41_000,
                owner="casey", renewal_in_days=240, health=0.7, locale="fr"),
    AccountSpec("Copperleaf Analytics", "copperleaf", "SMB", "Starter", 14_000,
                owner=None, renewal_in_days=58, health=0.5),
    AccountSpec("Summit Ridge Outdoors", "summitridge", "SMB", "Growth", 9_000,
                owner="jordan", renewal_in_days=330, health=0.8),
    AccountSpec("Quarry Labs", "quarrylabs", "SMB", "Starter", 6_000,
                owner=None, renewal_in_days=270, health=0.4),
    AccountSpec("Pinecrest Dental Group", "pinecrestdental", "SMB", "Starter", 12_000,
                owner="jordan", renewal_in_days=185, health=0.9),
)
CONTACTS_PER_SEGMENT = {"Enterprise": (13, 16), "Mid-market": (7, 10), "SMB": (3, 5)}

FIRST_NAMES = {
    "en": ("Olivia", "Marcus", "Aisha", "Daniel", "Mei", "Carlos", "Noor", "Tariq", "Grace", "Nikhil",
           "Sofia", "Ethan", "Zainab", "Liam", "Ana", "Kwame", "Rachel", "Hiroshi", "Fatima", "Owen", "Chloe",
           "Diego", "Leah", "Rohan", "Naomi", "Brian", "Ines", "Kevin", "Amara", "Tyler", "Yasmin", "Sean",
           "Lauren", "Jamal", "Erin", "Vikram", "Megan", "Andres", "Kelsey", "Jun", "Bridget", "Omar",
           "Tessa", "Raj", "Molly", "Emeka", "Claire", "Wei", "Dana", "Luca", "Shreya", "Gavin", "Alicia",
           "Ibrahim", "Holly"),
    "de": ("Lukas", "Anja", "Matthias", "Sabine", "Florian", "Katrin", "Jonas", "Stefanie", "Tobias", "Petra",
           "Niklas", "Johanna"),
    "fr": ("Camille", "Julien", "Léa", "Antoine", "Chloé", "Mathieu", "Élodie", "Benoît", "Manon", "Quentin"),
}
LAST_NAMES = {
    "en": ("Bennett", "Okafor", "Chen", "Ramirez", "Patel", "Nguyen", "Kowalski", "O'Brien", "Haddad", "Kim",
           "Fischer", "Mensah", "Walsh", "Tanaka", "Silva", "Goldberg", "Iyer", "Murphy", "Adeyemi", "Larsen",
           "Santos", "Novak", "Hughes", "Khan", "Rossi", "Campbell", "Dubois", "Brooks", "Yamamoto", "Ortiz",
           "Abbott", "Sharma", "Whitfield", "Moreno", "Lindqvist", "Mahmoud", "Carter", "Reyes", "Doyle",
           "Osei"),
    "de": ("Müller", "Schneider", "Becker", "Hoffmann", "Wagner", "Schulz", "Krüger", "Braun", "Zimmermann",
           "Hartmann"),
    "fr": ("Lefèvre", "Moreau", "Girard", "Laurent", "Fontaine", "Rousseau", "Chevalier", "Bertrand",
           "Garnier"),
}
TITLES = (
    "RevOps Manager", "VP Sales", "Sales Ops Analyst", "CRO", "Director of Revenue Operations",
    "Head of Sales", "Sales Manager", "Account Executive", "Head of RevOps", "FP&A Manager",
    "Sales Enablement Lead", "Salesforce Administrator", "VP Customer Success", "Regional Sales Director",
    "Business Systems Analyst", "CFO", "Sales Development Manager", "Revenue Analyst",
)

# ---------------------------------------------------------------- comment banks

# Clauses start lower-case (unless a proper noun leads) and carry no final punctuation, so they can be
# capitalised into a sentence or joined after "but". Placeholders: {csm} {agent} {onboarder} {ask}.
CLAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "reliability_bugs": {
        "neg": (
            "the Salesforce sync breaks about once a week and we only notice when the numbers look off",
            "forecast totals don't match Salesforce, which makes it hard to put them in front of the board",
            "dashboards randomly show 'something went wrong' and we have to refresh three or four times",
            "we lost a week of historical snapshots after the spring update and nobody could tell us why",
            "the deal-change alerts fire twice or not at all",
            "CSV exports quietly drop rows once you go past a few thousand opportunities",
            "the app logged me out in the middle of a QBR, twice",
            "scheduled reports have gone out with blank charts more than once",
            "we had two outages during quarter-end close, which is the worst possible timing",
            "currency conversion is wrong on our EUR deals",
            "closed-won deals sometimes reappear in the open pipeline",
        ),
        "pos": (
            "it has been rock solid since we rolled it out",
            "the numbers finally match Salesforce, which was the whole point",
            "zero downtime that we've noticed this year",
            "the data is reliable enough that our CFO uses it directly",
            "the forecast roll-ups are accurate and consistent week to week",
        ),
    },
    "performance": {
        "neg": (
            "the pipeline dashboard takes 20+ seconds to load for the full team",
            "reports time out whenever we pick more than two quarters",
            "the sync lags hours behind Salesforce, so Monday forecast calls run on stale numbers",
            "it gets painfully slow at quarter end when everyone is in it at once",
            "filtering the deals table by owner freezes the page",
            "the mobile view is really sluggish",
        ),
        "pos": (
            "dashboards load fast even with our whole org's pipeline in them",
            "it's noticeably quicker since the last release",
            "the sync is near real time now, which changed how we run forecast calls",
            "even the big historical reports come back in seconds",
        ),
    },
    "usability": {
        "neg": (
            "the report builder is confusing and most of our managers gave up on it",
            "it takes too many clicks to get from a dashboard to the underlying deals",
            "the new navigation moved everything around and I still can't find the territory settings",
            "new reps find it overwhelming, there's a lot going on on every screen",
            "filters don't stick when you switch between views, which is super annoying",
            "setting up a custom metric feels like it needs an engineering degree",
        ),
        "pos": (
            "it's genuinely intuitive, our reps picked it up in a day",
            "the dashboards are clean and easy to read",
            "I love how easy it is to drill from the forecast into individual deals",
            "the UI is simple enough that our VP actually logs in herself",
            "the deal inspection view is really well designed",
        ),
    },
    "missing_features": {
        "neg": (
            "there's no way to forecast by product line, which we really need",
            "there's no bulk editing of forecast categories, so cleanup takes forever",
            "we still can't schedule a dashboard as a PDF for the exec team",
            "custom fiscal calendars aren't supported, so our 4-4-5 quarters look wrong",
            "there's no multi-currency roll-up yet",
            "there's no sandbox to test changes before they hit everyone",
        ),
        "pos": (
            "the features you've shipped this year are exactly what we asked for",
            "the new scenario planning feature is a big step up",
        ),
    },
    "pricing_value": {
        "neg": (
            "the price jumped 30% at renewal with no new value we can see",
            "it's too expensive for a team our size",
            "having to be on Enterprise just to get SSO feels like a tax",
            "we pay for 40 seats and maybe 25 people log in",
            "invoicing is a mess, we were billed twice in April",
            "per-seat pricing punishes us for rolling it out to managers",
        ),
        "pos": (
            "it's worth every penny",
            "it's great value compared to what we were paying before",
            "it paid for itself in the first quarter",
            "the plan we're on is good value for a team our size",
        ),
    },
    "support_service": {
        "neg": (
            "support takes days to reply, even to P1 issues",
            "every ticket gets a canned answer first and then goes quiet",
            "we had to escalate three times before anyone looked at our sync problem",
            "support keeps closing tickets before the issue is actually fixed",
            "the chat widget says it typically replies in minutes but it's more like a day",
        ),
        "pos": (
            "support is excellent, quick and they actually understand RevOps",
            "{agent} from support was brilliant sorting out our territory mapping",
            "{agent} in support went above and beyond to fix our import",
            "tickets get a real answer within the hour, every time",
            "shout out to {agent} on the support team, an absolute legend",
        ),
    },
    "onboarding_training": {
        "neg": (
            "onboarding was rushed and we were left to figure out the Salesforce field mapping alone",
            "implementation took three months instead of the three weeks we were promised",
            "the training sessions were too generic for our setup",
            "nobody trained our new managers after the initial rollout",
        ),
        "pos": (
            "onboarding was smooth, we were live in two weeks",
            "{onboarder} made the implementation painless",
            "the training webinars were really useful for our new hires",
            "the onboarding team knew Salesforce better than we do",
            "the Pipewise Academy videos got our reps up to speed fast",
        ),
    },
    "documentation": {
        "neg": (
            "the docs are out of date, half the screenshots show the old UI",
            "the API reference has no examples for the snapshot endpoints",
            "the help centre search never finds what I'm looking for",
            "the changelog doesn't say what actually changed, so updates catch us by surprise",
        ),
        "pos": (
            "the help centre articles are clear and actually up to date",
            "the Salesforce setup guide was excellent",
            "the API docs are great, our engineer had the export running in an afternoon",
        ),
    },
    "integrations": {
        "neg": (
            "the HubSpot connector keeps dropping our custom properties",
            "Slack alerts stopped posting after we renamed a channel",
            "the Salesforce integration chokes on our custom opportunity fields",
            "webhooks fire late or not at all",
            "the Snowflake export fails silently",
            "the Outreach integration only pulls half of our sequences",
        ),
        "pos": (
            "the Salesforce integration just works",
            "I love the Slack alerts for slipped deals",
            "the HubSpot sync took ten minutes to set up",
            "the Snowflake share means our data team finally stopped rebuilding pipeline reports",
        ),
    },
    "account_relationship": {
        "neg": (
            "we were sold features in the demo that still don't exist",
            "we've had three CSMs in a year and each one starts from scratch",
            "nobody told us about the outage until we raised a ticket",
            "the renewal process was pushy and last-minute",
            "we only hear from our account manager at renewal time",
        ),
        "pos": (
            "{csm} has been fantastic, always on top of our requests",
            "{csm} is the best CSM we've had with any vendor",
            "our QBRs with {csm} are genuinely useful",
            "you communicate really well about changes and incidents",
            "you feel like a real partner, not just a vendor",
        ),
    },
    "security_compliance": {
        "neg": (
            "SSO through Okta keeps failing for half our users",
            "permissions are too coarse, every manager can see every territory",
            "there are no audit logs, which our security team flagged straight away",
            "getting the DPA signed took two months",
            "SCIM provisioning isn't supported, so offboarding is manual",
        ),
        "pos": (
            "the security review went smoothly, the trust centre had everything our team asked for",
            "SSO with Azure AD worked first time",
            "role-based permissions are exactly what our compliance team wanted",
        ),
    },
}
# How often each theme comes up; segments shift the mix (SMBs talk price, enterprises talk security).
THEME_WEIGHTS = {
    "reliability_bugs": 3.0, "performance": 2.0, "usability": 2.0, "missing_features": 2.0,
    "pricing_value": 2.0, "support_service": 2.0, "onboarding_training": 1.0, "documentation": 1.0,
    "integrations": 3.0, "account_relationship": 1.0, "security_compliance": 1.0,
}
SEGMENT_TILT = {
    "SMB": {"pricing_value": 2.0, "usability": 1.5, "security_compliance": 0.3, "account_relationship": 0.5},
    "Mid-market": {"account_relationship": 1.5},
    "Enterprise": {"security_compliance": 2.5, "integrations": 1.5, "account_relationship": 1.5,
                   "pricing_value": 0.7},
}
ASKS = (
    "a native Microsoft Teams integration", "forecasting by product line",
    "scheduled PDF exports for the exec team", "support for custom fiscal calendars",
    "a proper sandbox environment", "bulk editing of forecast categories", "a dark mode",
    "an API endpoint for historical snapshots", "better rep-level coaching views",
    "dashboard-level permissions", "a Pipedrive connector", "multi-currency roll-ups",
)
WISHES = (
    "would love {ask}", "only wish it had {ask}", "please add {ask}", "we're really missing {ask}",
    "if you shipped {ask} it'd be a 10", "our one ask is {ask}", "next on my wishlist: {ask}",
)
OUTCOMES = (
    "our forecast accuracy went from guesswork to within 5% of actuals",
    "it saves our RevOps team about ten hours a week",
    "we finally have one version of the pipeline truth",
    "it caught three slipping deals last quarter before they fell out",
    "board prep went from two days to two hours",
    "the pipeline coverage view changed how we run our Monday meeting",
    "our win-rate reporting is finally something sales trusts",
    "we hit our number last quarter and Pipewise is a big part of why",
    "our reps actually update their deals now because they can see why it matters",
)
COMPANY_PRAISE = (
    "great company to work with", "the whole Pipewise team is great",
    "your customer success team is excellent", "you've been a great partner through our growth",
    "the product team really listens",
)
SHORT_PRAISE = (
    "great", "Love it!", "Great product.", "Fantastic tool.", "Best tool in our stack.", "Excellent",
    "Keep it up!", "10/10", "Brilliant product, brilliant team.",
    "Can't imagine running forecast calls without it.", "Really good.", "love pipewise",
)
LUKEWARM = (
    "ok", "fine", "does the job", "n/a", "nothing to add", "no complaints", "decent", "meh", "-",
    "still learning it", "ask me again next quarter", "We mostly use it for the weekly forecast.",
    "It's fine for what we use it for.",
)
LUKEWARM_LEADS = (
    "Does the job.", "It's fine overall.", "Solid enough.", "Decent tool.", "Mostly happy.",
    "Works for what we need.", "Good, not great.",
)
DETRACTOR_SHORT = ("n/a", "see my ticket", "disappointed", "no", "Not what we were sold.", "Too many issues.")
DETRACTOR_CLOSERS = (
    "Really disappointed.", "Fix the basics please.", "Not what we were promised.", "Frustrating.",
    "We expected a lot more.", "Please sort this out.",
)
NEGLECT = (
    "{csm} never answers, we've been waiting two weeks for a call back",
    "{csm} hasn't replied to my last three emails",
    "we haven't heard from {csm} since onboarding",
    "{csm} seems stretched far too thin to actually help us",
)
REFERRALS = (
    "I've already recommended you to our sister company",
    "happy to be a reference any time",
    "I've told a couple of other CROs about you",
    "would recommend to any RevOps team",
    "we'd be glad to do a case study",
    "I recommended Pipewise to two peers in my RevOps community",
    "happy to speak on a webinar if that's useful",
    "already left you a review on G2",
    "if you ship {ask} we'd happily do a case study",
)
CHURN = (
    "we're evaluating Clari ahead of renewal",
    "we're looking at Gong's forecasting as a replacement",
    "we're piloting People.ai next quarter",
    "we won't renew unless this gets fixed",
    "honestly, we won't renew at this price",
    "leadership has asked me to find an alternative",
    "we're already talking to Clari",
    "if it doesn't improve by Q3 we're out",
    "we've started a trial of Clari",
    "we'll probably cancel at renewal",
)
CONNECTORS = ("{a}, but {b}.", "{a}. That said, {b}.", "{a}. Only complaint: {b}.", "{a}, however {b}.",
              "{a}... but {b}.", "{a}. Downside is {b}.")
TYPOS = (
    ("really", "realy"), ("definitely", "definately"), ("because", "becuase"), ("which", "wich"),
    ("until", "untill"), ("the ", "teh "), ("though", "tho"), ("separate", "seperate"), ("weeks", "weeeks"),
    ("you", "u"), ("dashboard", "dashbaord"),
)
NON_ENGLISH = {
    "de": {
        "promoter": (
            "Sehr zufrieden, die Forecast-Dashboards sparen uns jede Woche Stunden.",
            "Läuft stabil, die Salesforce-Anbindung funktioniert einwandfrei.",
            "Der Support ist schnell und kompetent, danke {agent}!",
            "Tolles Produkt, wir haben es schon zwei Partnerfirmen empfohlen.",
        ),
        "passive": (
            "Gutes Tool, aber die Berichte laden sehr langsam.",
            "Funktioniert grundsätzlich, aber uns fehlt ein 4-4-5-Geschäftsjahr.",
            "Ganz ok. Eine deutsche Oberfläche wäre schön.",
        ),
        "detractor": (
            "Die Synchronisierung mit Salesforce bricht ständig ab.",
            "Zu teuer für das, was wir nutzen. Wir prüfen Alternativen.",
            "Der Support antwortet erst nach Tagen, das ist nicht akzeptabel.",
        ),
    },
    "fr": {
        "promoter": (
            "Très bon outil, nos prévisions sont enfin fiables.",
            "Le support est réactif et efficace, merci {agent} !",
            "Interface claire et facile à prendre en main.",
        ),
        "passive": (
            "Bon produit, mais la synchronisation avec HubSpot est parfois lente.",
            "Les tableaux de bord sont utiles, mais il manque l'export PDF.",
            "Correct, sans plus.",
        ),
        "detractor": (
            "Trop cher pour notre équipe et le support met des jours à répondre.",
            "Beaucoup de bugs depuis la dernière mise à jour, nous regardons d'autres solutions.",
        ),
    },
}
CSAT_COMMENTS = {
    5: ("{agent} sorted it out in one reply, thanks!", "Quick and friendly, thank you {agent}.",
        "Fixed within the hour. Great support.", "{agent} walked me through the whole setup, super helpful.",
        "Fast, clear answer with screenshots. Perfect.", "{agent} is a star, problem solved before lunch.",
        "Excellent, exactly the answer I needed."),
    4: ("Good help, took a day but the fix works.", "Thanks {agent}, all good now.",
        "Resolved, though I had to explain the problem twice.",
        "Helpful, the help article link did the trick.", "Sorted quickly once it reached the right person."),
    3: ("Got there in the end.", "fine, a bit slow", "The workaround works but the bug is still there.",
        "Answer was ok but it took three back-and-forths."),
    2: ("Took four days to get a first response.",
        "The answer didn't address my question, I had to open a second ticket.",
        "Was told it's 'on the roadmap'. Not helpful."),
    1: ("Closed my ticket without fixing anything.", "Still broken after a week and three follow-ups.",
        "Nobody replied until I pinged our CSM."),
}


@dataclass(frozen=True)
class ChannelNote:
    """A hand-written non-survey verbatim; mood picks which kind of account sends it."""

    source: str
    text: str
    mood: str = "any"  # risk | happy | any
    needs_csm: bool = False


# Placeholders: {first} (the contact), {csm}, {agent}, {account}, {title}, {renewal_days}.
CHANNEL_NOTES: tuple[ChannelNote, ...] = (
    ChannelNote("support_ticket",
                "Hi team, since this morning the pipeline dashboard shows $0 for all of Q3 even though "
                "Salesforce has about $4M open. Could you take a look? Thanks, {first}"),
    ChannelNote("support_ticket",
                "Hello, the weekly forecast email went out with empty charts again this Monday. Not "
                "urgent, but our execs noticed. Best, {first}"),
    ChannelNote("support_ticket",
                "Quick question: how do I add a custom field from the Opportunity object to the deal "
                "inspection view? I couldn't find it in the docs."),
    ChannelNote("support_ticket",
                "Is there a way to change our fiscal year start to February? Thanks!"),
    ChannelNote("support_ticket",
                "Thanks so much for fixing the duplicate alerts so quickly, everything looks right now. "
                "Maya was brilliant.", "happy"),
    ChannelNote("support_ticket",
                "Our Okta SSO login loops back to the sign-in page for about a third of users. We've "
                "checked our SAML config twice. Can someone help?", "risk"),
    ChannelNote("support_ticket",
                "Hi, the HubSpot sync has been stuck on 'in progress' for 14 hours. Could you check on "
                "your side? Cheers, {first}"),
    ChannelNote("support_ticket",
                "We were invoiced for 45 seats this month but we went down to 30 in May. Can you correct "
                "the invoice please?"),
    ChannelNote("support_ticket",
                "Feature request: could you add a Microsoft Teams version of the Slack deal alerts? Most "
                "of our company lives in Teams."),
    ChannelNote("support_ticket",
                "Thank you {agent}! The CSV export works perfectly now. Really appreciate the quick "
                "turnaround.", "happy"),
    ChannelNote("support_ticket",
                "How do we give a new sales manager access to only their own region's dashboards?"),
    ChannelNote("support_ticket",
                "Third ticket about this: currency conversion on EUR opportunities is still wrong. We "
                "need an ETA please.", "risk"),
    ChannelNote("email",
                "Hi {csm}, giving you a heads-up that we're evaluating Clari ahead of renewal. The sync "
                "issues over the last two quarters have cost us credibility with the board. Can we set up "
                "a call this week? {first}", "risk", True),
    ChannelNote("email",
                "Hi {csm}, just wanted to say the new forecast view is a hit with our leadership. I've "
                "already recommended you to two peers who run RevOps elsewhere, so expect a call. {first}",
                "happy", True),
    ChannelNote("email",
                "Hi {csm}, ahead of our renewal could you send over pricing for adding 15 seats? We'd "
                "also like to understand our upgrade options. Thanks, {first}", "any", True),
    ChannelNote("email",
                "{csm}, we still haven't heard anything about last Tuesday's outage. Our reps had no "
                "forecast data during pipeline review. We need an incident report and better "
                "communication.", "risk", True),
    ChannelNote("email",
                "Hi {csm}, thanks for the QBR yesterday, a really useful session. The team loved the "
                "win-rate analysis. Happy to be a reference customer if that helps. {first}", "happy", True),
    ChannelNote("email",
                "Hello {csm}, our new CFO is asking whether we really need Pipewise alongside Salesforce "
                "reports. Could you help us put together an ROI summary before the budget review?",
                "any", True),
    ChannelNote("email",
                "Hi {csm}, we're pausing the rollout to the EMEA team until the permissions issue is "
                "fixed. Right now every manager can see every territory, which is a non-starter for us.",
                "risk", True),
    ChannelNote("email",
                "Hi {csm}, to be transparent, procurement has asked us to get quotes from Gong and "
                "People.ai before we sign. We'd rather stay, but the price increase is hard to justify. "
                "{first}", "risk", True),
    ChannelNote("review",
                "Pipewise gave our RevOps team one trusted view of pipeline. Setup with Salesforce took a "
                "day and our forecast calls are half as long. Would recommend to any B2B sales org.",
                "happy"),
    ChannelNote("review",
                "Solid forecasting tool with a clean UI. Reporting is flexible, though the custom metric "
                "builder has a learning curve. Support has been responsive."),
    ChannelNote("review",
                "Great dashboards, but the HubSpot integration is not as mature as the Salesforce one. "
                "Pricing is on the high side for smaller teams."),
    ChannelNote("review",
                "We switched from Clari last year and haven't looked back. The deal inspection view alone "
                "is worth it.", "happy"),
    ChannelNote("review",
                "Decent idea but too many bugs for the price. Exports fail, alerts misfire, and support "
                "is slow to acknowledge issues.", "risk"),
    ChannelNote("note",
                "Call with {first} ({title}): frustrated with the Salesforce sync failures and mentioned "
                "they're looking at Clari. Renewal in {renewal_days} days. Needs an engineering "
                "escalation.", "risk"),
    ChannelNote("note",
                "QBR with {account}: very happy with forecast accuracy. VP Sales wants to expand to the "
                "EMEA team next quarter and offered to do a case study.", "happy"),
    ChannelNote("note",
                "{first} said onboarding for their new SDR team was rushed; asked for a refresher "
                "training session."),
    ChannelNote("note",
                "Exec sponsor at {account} has left the company. The new VP hasn't logged in yet; we need "
                "to re-sell the value before renewal.", "risk"),
    ChannelNote("note",
                "{first} asked again about forecasting by product line. Logged as a feature request, "
                "fourth account this quarter."),
    ChannelNote("note",
                "Spoke with {first}: billing confusion resolved, and they now think their plan is good "
                "value.", "happy"),
)
CRM_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
EXTERNAL_ID_FORMATS = {"support_ticket": "ZD-{n}", "email": "EM-{n}", "review": "G2-{n}", "note": "NOTE-{n}"}


# ---------------------------------------------------------------- entry point


def seed(session: Session, only_if_empty: bool = False, now: datetime | None = None) -> SeedResult | None:
    """Load the demo customer base; None when only_if_empty finds a Survey (or the demo is already loaded).

    Flushes so ids exist, never commits: the caller commits, then enqueues `verbatim_ids`.
    """
    has_demo = session.scalar(select(func.count(Survey.id)).where(Survey.public_key == "demo-nps"))
    if has_demo or (only_if_empty and session.scalar(select(func.count(Survey.id)))):
        return None
    now = now or utcnow()
    rng = random.Random(42)
    staff = _ensure_staff(session, now)
    _ensure_categories(session, now)
    nps_survey, csat_survey = _add_surveys(session, now)
    accounts = _build_accounts(rng, staff, now)
    spec_of = {account: spec for spec, account in accounts.items()}
    contacts = _build_contacts(rng, accounts, now)
    responses, verbatims = _nps_responses(rng, CommentWriter(rng), nps_survey, contacts, spec_of, now)
    csat, csat_verbatims = _csat_responses(rng, csat_survey, contacts, now)
    others = _channel_verbatims(rng, contacts, spec_of, now)
    _stamp_last_asked(responses + csat)
    session.add_all([*accounts.values(), *contacts, *responses, *csat])
    session.add_all([*verbatims, *csat_verbatims, *others])
    session.flush()
    created = verbatims + csat_verbatims + others
    return SeedResult(accounts=len(accounts), contacts=len(contacts), responses=len(responses) + len(csat),
                      verbatim_ids=[v.id for v in created])


# ---------------------------------------------------------------- reference rows


def _ensure_staff(session: Session, now: datetime) -> dict[str, User]:
    """Demo staff by email, reusing any that exist (an admin may have been created before the demo)."""
    emails = [email for email, *_ in STAFF]
    existing = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    # scrypt is deliberately slow: hash once and share it across every new demo user.
    password_hash = hash_password(DEMO_PASSWORD) if len(existing) < len(STAFF) else ""
    for email, name, role, team in STAFF:
        if email not in existing:
            existing[email] = User(email=email, name=name, role=role, team=team, password_hash=password_hash,
                                   created_at=now - timedelta(days=400))
            session.add(existing[email])
    session.flush()
    return existing


def _ensure_categories(session: Session, now: datetime) -> None:
    """One Category per default taxonomy category, so the NLP engine and filters share the user's taxonomy."""
    have = set(session.scalars(select(Category.key)))
    session.add_all(
        Category(key=key, name=name, description=description, seed_examples=examples, created_at=now)
        for key, name, description, examples in _default_taxonomy()
        if key not in have
    )
    session.flush()


def _default_taxonomy() -> list[tuple[str, str, str, list[str]]]:
    """(key, name, description, seeds) from nlp.taxonomy, or from its JSON file if that module is unusable."""
    try:
        from nlp.taxonomy import Taxonomy

        return [(c.key, c.name, c.description, list(c.seed_examples)) for c in Taxonomy.default().categories]
    except (ImportError, AttributeError):
        raw = json.loads(TAXONOMY_FILE.read_text("utf-8"))["categories"]
        return [(key, key.replace("_", " ").title(), str(desc), []) for key, desc in raw.items()]


def _add_surveys(session: Session, now: datetime) -> tuple[Survey, Survey]:
    """The relationship NPS survey the demo link points at, and a support CSAT survey."""
    common = {"product_name": PRODUCT, "status": "active", "anonymous": False,
              "created_at": now - timedelta(days=HISTORY_DAYS + 10)}
    nps_survey = Survey(public_key="demo-nps", kind="nps", name="Relationship NPS", **common,
                        question=f"How likely are you to recommend {PRODUCT} to a friend or colleague?")
    csat_survey = Survey(public_key="demo-csat", kind="csat", name="Support satisfaction", **common,
                         question="How satisfied were you with the support you received?")
    session.add_all([nps_survey, csat_survey])
    session.flush()
    return nps_survey, csat_survey


# ---------------------------------------------------------------- customers


def _build_accounts(rng: random.Random, staff: dict[str, User], now: datetime) -> dict[AccountSpec, Account]:
    """Accounts from the specs, owned by the CSM the spec names, renewing relative to now."""
    accounts: dict[AccountSpec, Account] = {}
    for spec in ACCOUNTS:
        owner = staff[CSM_EMAILS[spec.owner]] if spec.owner else None
        accounts[spec] = Account(
            external_id="001" + "".join(rng.choices(CRM_ID_ALPHABET, k=12)),  # looks like a Salesforce id
            name=spec.name, domain=f"{spec.slug}.example", plan=spec.plan, arr=spec.arr, segment=spec.segment,
            owner=owner, renewal_date=now.date() + timedelta(days=spec.renewal_in_days),
            created_at=now - timedelta(days=365 - spec.renewal_in_days + 365 * rng.randint(0, 2)),
        )
    return accounts


def _build_contacts(rng: random.Random, accounts: dict[AccountSpec, Account], now: datetime) -> list[Contact]:
    """People at each account, more at bigger ones, named and localised to fit the company."""
    contacts: list[Contact] = []
    used_names: set[str] = set()
    for spec, account in accounts.items():
        low, high = CONTACTS_PER_SEGMENT[spec.segment]
        for _ in range(rng.randint(low, high)):
            locale = spec.locale if rng.random() < 0.85 else "en"
            if locale == "en" and rng.random() < 0.04:
                locale = rng.choice(("de", "fr"))  # a few European staff at US companies
            name = _unique_name(rng, locale, used_names)
            unsubscribed = rng.random() < 0.05
            contacts.append(Contact(
                account=account, name=name, email=f"{_email_local(name)}@{account.domain}",
                title=rng.choice(TITLES), locale=locale, unsubscribed=unsubscribed,
                marketing_consent=not unsubscribed and rng.random() < 0.62,
                created_at=account.created_at + timedelta(days=rng.randint(0, 60)),
            ))
    return contacts


def _unique_name(rng: random.Random, locale: str, used: set[str]) -> str:
    """A first-and-last name not yet used, so emails and the people list stay unambiguous."""
    while True:
        name = f"{rng.choice(FIRST_NAMES[locale])} {rng.choice(LAST_NAMES[locale])}"
        if name not in used:
            used.add(name)
            return name


def _email_local(name: str) -> str:
    """first.last in plain ASCII, as most companies spell addresses."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(part.lower().replace("'", "") for part in ascii_name.split())


# ---------------------------------------------------------------- responses and verbatims


def _nps_responses(
    rng: random.Random, writer: CommentWriter, survey: Survey, contacts: Sequence[Contact],
    spec_of: dict[Account, AccountSpec], now: datetime,
) -> tuple[list[Response], list[Verbatim]]:
    """NPS answers over the last 180 days, bucketed 45/30/25 with unhealthy accounts scoring lower."""
    slots = _answer_slots(rng, contacts, NPS_RESPONSES, now)
    # Rank by account health, a slight upward trend over time and noise, then cut into exact bucket shares.
    ranked = sorted(slots, key=lambda s: _propensity(rng, spec_of[_account(s[0])].health, s[1], now))
    n_detractors, n_passives = round(0.25 * len(ranked)), round(0.30 * len(ranked))
    responses: list[Response] = []
    verbatims: list[Verbatim] = []
    for rank, (contact, answered_at) in enumerate(ranked):
        score = (_detractor_score(rng) if rank < n_detractors
                 else rng.choice((7, 8)) if rank < n_detractors + n_passives
                 else rng.choices((9, 10), weights=(4, 6))[0])
        response = _response(rng, survey, contact, score, answered_at)
        responses.append(response)
        if rng.random() < 0.85:
            text = writer.nps_comment(score, _account(contact), contact.locale or "en")
            verbatims.append(_survey_verbatim(response, text))
    responses.sort(key=lambda r: r.answered_at)
    verbatims.sort(key=lambda v: v.created_at)
    for n, response in enumerate(responses, start=1):
        response.submission_id = f"demo-nps-{n:04d}"
    return responses, verbatims


def _account(contact: Contact) -> Account:
    """The demo contact's account (every demo contact has one)."""
    assert contact.account is not None
    return contact.account


def _answer_slots(rng: random.Random, contacts: Sequence[Contact], total: int,
                  now: datetime) -> list[tuple[Contact, datetime]]:
    """Spread `total` answers over contacts, each contact's answers spaced across the history window."""
    order = list(contacts)
    rng.shuffle(order)
    base, extra = divmod(total, len(order))
    slots: list[tuple[Contact, datetime]] = []
    for i, contact in enumerate(order):
        k = base + (1 if i < extra else 0)
        window = HISTORY_DAYS * 24 * 60 / max(k, 1)
        for j in range(k):
            minutes_ago = int(j * window + rng.uniform(30, window - 30))
            slots.append((contact, now - timedelta(minutes=minutes_ago)))
    return slots


def _propensity(rng: random.Random, health: float, answered_at: datetime, now: datetime) -> float:
    """How happy this answer should be: account health, a slowly improving trend, and noise."""
    recency = 1 - (now - answered_at).days / HISTORY_DAYS
    return health + 0.2 * recency + rng.gauss(0, 0.22)


def _detractor_score(rng: random.Random) -> int:
    """0-6, mostly 5-6 as in real NPS data, with a real tail of 0-3."""
    return rng.choices(range(7), weights=(3, 2, 3, 5, 7, 10, 12))[0]


def _response(rng: random.Random, survey: Survey, contact: Contact, score: int,
              answered_at: datetime) -> Response:
    """One answer, mostly from the email campaign, some from the in-app widget or shared link."""
    return Response(survey=survey, contact=contact, account=contact.account, score=score,
                    locale=contact.locale, answered_at=answered_at,
                    channel=rng.choices(("email", "widget", "link"), weights=(70, 18, 12))[0])


def _survey_verbatim(response: Response, text: str) -> Verbatim:
    """A survey comment, linked to its response, contact and account, waiting for analysis."""
    return Verbatim(text=text, source="survey", response=response, contact=response.contact,
                    account=response.account, created_at=response.answered_at, analysis_status="pending")


def _csat_responses(rng: random.Random, survey: Survey, contacts: Sequence[Contact],
                    now: datetime) -> tuple[list[Response], list[Verbatim]]:
    """Support CSAT answers from the last 90 days, most with a short comment about the ticket."""
    responses: list[Response] = []
    verbatims: list[Verbatim] = []
    for n in range(1, CSAT_RESPONSES + 1):
        contact = rng.choice(contacts)
        score = rng.choices((5, 4, 3, 2, 1), weights=(10, 6, 3, 2, 2))[0]
        answered_at = now - timedelta(minutes=rng.randint(60, 90 * 24 * 60))
        response = _response(rng, survey, contact, score, answered_at)
        response.channel = "email"
        response.submission_id = f"demo-csat-{n:04d}"
        responses.append(response)
        if rng.random() < 0.8:
            text = rng.choice(CSAT_COMMENTS[score]).format(agent=rng.choice(SUPPORT_AGENTS))
            verbatims.append(_survey_verbatim(response, text))
    return responses, verbatims


def _channel_verbatims(rng: random.Random, contacts: Sequence[Contact], spec_of: dict[Account, AccountSpec],
                       now: datetime) -> list[Verbatim]:
    """Tickets, emails to CSMs, reviews and call notes: feedback that arrives without a survey."""
    pools = {
        "risk": [c for c in contacts if spec_of[_account(c)].health < 0.4],
        "happy": [c for c in contacts if spec_of[_account(c)].health >= 0.65],
        "any": list(contacts),
    }
    counters = {source: rng.randint(10_000, 60_000) for source in EXTERNAL_ID_FORMATS}
    verbatims: list[Verbatim] = []
    for note in CHANNEL_NOTES:
        pool = [c for c in pools[note.mood] if not note.needs_csm or _account(c).owner is not None]
        contact = rng.choice(pool)
        account = _account(contact)
        counters[note.source] += rng.randint(3, 400)
        text = note.text.format(
            first=(contact.name or "").split()[0], title=contact.title, account=account.name,
            csm=account.owner.name.split()[0] if account.owner else "team", agent=rng.choice(SUPPORT_AGENTS),
            renewal_days=spec_of[account].renewal_in_days,
        )
        verbatims.append(Verbatim(
            text=text, source=note.source, contact=contact, account=account, analysis_status="pending",
            external_id=EXTERNAL_ID_FORMATS[note.source].format(n=counters[note.source]),
            created_at=now - timedelta(minutes=rng.randint(60, HISTORY_DAYS * 24 * 60)),
        ))
    verbatims.sort(key=lambda v: v.created_at)
    return verbatims


def _stamp_last_asked(responses: Sequence[Response]) -> None:
    """contact.last_asked_at is the latest time we heard from them, so throttling sees the demo history."""
    for response in responses:
        contact = response.contact
        if contact is None:
            continue
        if contact.last_asked_at is None or response.answered_at > contact.last_asked_at:
            contact.last_asked_at = response.answered_at


# ---------------------------------------------------------------- comment writing


class CommentWriter:
    """Composes NPS comments the way customers write them: praise, complaints, mixed, asks, threats, typos."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def nps_comment(self, score: int, account: Account, locale: str) -> str:
        """A comment whose tone fits the score and whose themes fit the account."""
        csm = account.owner.name.split()[0] if account.owner else None
        bucket = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        if locale in NON_ENGLISH and self.rng.random() < 0.35:
            return self.rng.choice(NON_ENGLISH[locale][bucket]).format(agent=self.rng.choice(SUPPORT_AGENTS))
        segment = account.segment or "Mid-market"
        if bucket == "promoter":
            text = self._promoter(segment, csm)
        elif bucket == "passive":
            text = self._passive(segment, csm)
        else:
            text = self._detractor(segment, csm, score)
        return self._casualise(text)

    def _promoter(self, segment: str, csm: str | None) -> str:
        """Praise of outcomes or a theme, sometimes of people, sometimes a referral or a small wish."""
        if self.rng.random() < 0.12:
            return self.rng.choice(SHORT_PRAISE)
        roll = self.rng.random()
        people_theme = ("account_relationship" if roll < 0.2 and csm
                        else "support_service" if roll < 0.35 else None)
        if self.rng.random() < 0.45:
            parts = [self.rng.choice(OUTCOMES)]
        else:  # a praised theme, never the one the people praise below is about
            parts = [self._clause(segment, "pos", csm, skip=(people_theme or "", "account_relationship"))[1]]
        if people_theme:
            parts.append(self._fill(self.rng.choice(CLAUSES[people_theme]["pos"][:3]), csm))
        elif roll < 0.45:
            parts.append(self.rng.choice(COMPANY_PRAISE))
        if self.rng.random() < 0.3:
            parts.append(self._fill(self.rng.choice(REFERRALS), csm))
        if self.rng.random() < 0.15 and "ship" not in parts[-1]:  # one feature ask per comment is plenty
            parts.append(self._wish())
        return self._sentences(parts)

    def _passive(self, segment: str, csm: str | None) -> str:
        """Mostly mixed: something good, then the thing holding the score back."""
        roll = self.rng.random()
        if roll < 0.14:
            return self.rng.choice(LUKEWARM)
        if roll < 0.6:
            theme, neg = self._clause(segment, "neg", csm)
            return self._mixed(self._clause(segment, "pos", csm, skip=(theme,))[1], neg)
        if roll < 0.85:
            return f"{self.rng.choice(LUKEWARM_LEADS)} {self._sentences([self._wish()])}"
        return f"{self._sentences([self._clause(segment, 'neg', csm)[1]])} Otherwise fine."

    def _detractor(self, segment: str, csm: str | None, score: int) -> str:
        """One or two complaints, maybe the neglectful CSM, a churn threat likelier the lower the score."""
        if self.rng.random() < 0.05:
            return self.rng.choice(DETRACTOR_SHORT)
        theme, first = self._clause(segment, "neg", csm)
        rest: list[str] = []
        if self.rng.random() < 0.45:
            rest.append(self._clause(segment, "neg", csm, skip=(theme,))[1])
        if csm and self.rng.random() < NEGLECT_ODDS.get(csm, 0.0):
            rest.append(self.rng.choice(NEGLECT).format(csm=csm))
        if self.rng.random() < (0.55 if score <= 3 else 0.2):
            rest.append(self.rng.choice(CHURN))
        if self.rng.random() < 0.15:  # "the dashboards are nice, but..."
            praise = self._clause(segment, "pos", csm, skip=(theme, "account_relationship"))[1]
            text = f"{self._mixed(praise, first)} {self._sentences(rest)}".rstrip()
        else:
            text = self._sentences([first, *rest], allow_and=True)
        if self.rng.random() < 0.25:
            text = f"{text} {self.rng.choice(DETRACTOR_CLOSERS)}"
        return text

    def _clause(self, segment: str, polarity: str, csm: str | None,
                skip: Sequence[str] = ()) -> tuple[str, str]:
        """(theme, clause) of the given polarity, the theme weighted for the segment and not one of `skip`."""
        tilt = SEGMENT_TILT.get(segment, {})
        themes = [t for t in THEME_WEIGHTS if t not in skip]
        weights = [THEME_WEIGHTS[t] * tilt.get(t, 1.0) for t in themes]
        while True:
            theme = self.rng.choices(themes, weights=weights)[0]
            options = [c for c in CLAUSES[theme][polarity] if csm or "{csm}" not in c]
            if options:
                return theme, self._fill(self.rng.choice(options), csm)

    def _fill(self, clause: str, csm: str | None) -> str:
        """Replace the placeholders with the account's CSM and a support agent or onboarding lead."""
        return clause.format(csm=csm or "our CSM", agent=self.rng.choice(SUPPORT_AGENTS),
                             onboarder=ONBOARDING_LEAD, ask=self.rng.choice(ASKS))

    def _wish(self) -> str:
        """A feature ask in one of several phrasings."""
        return self.rng.choice(WISHES).format(ask=self.rng.choice(ASKS))

    def _mixed(self, pos: str, neg: str) -> str:
        """Join praise and a complaint the way people do: 'love X but Y'."""
        template = self.rng.choice(CONNECTORS)
        return template.format(a=_capitalise(pos), b=neg)

    def _sentences(self, clauses: Sequence[str], allow_and: bool = False) -> str:
        """Clauses as capitalised sentences; two complaints (all with subjects) may run on with 'and'."""
        if allow_and and len(clauses) == 2 and self.rng.random() < 0.3:
            return f"{_capitalise(clauses[0])}, and {clauses[1]}."
        return " ".join(_capitalise(c) + ("" if c[-1] in ".!?" else ".") for c in clauses)

    def _casualise(self, text: str) -> str:
        """Real comments are typed fast: lower case, missing full stops, typos, the odd 'tbh'."""
        roll = self.rng.random()
        if roll < 0.07 and not _mentions_person(text):
            return text.lower().rstrip(".")
        if roll < 0.14:
            for right, wrong in self.rng.sample(TYPOS, len(TYPOS)):
                if right in text:
                    return text.replace(right, wrong, 1)
        if roll < 0.19:
            return text.rstrip(".") + self.rng.choice((" tbh", " imo", "!!", " :)"))
        if roll < 0.23:
            return text.rstrip(".")
        return text


def _capitalise(clause: str) -> str:
    """Upper-case the first letter only, leaving names and acronyms inside alone."""
    return clause[:1].upper() + clause[1:]


def _mentions_person(text: str) -> bool:
    """True when the text names a CSM, agent or onboarding lead, whose capitals the NLP engine relies on."""
    names = ("Casey", "Jordan", ONBOARDING_LEAD, *SUPPORT_AGENTS)
    return any(name in text for name in names)
