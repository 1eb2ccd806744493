"""Keyword evidence for the default taxonomy's categories (generic software vocabulary, matched on lemmas)."""

from __future__ import annotations

# Well-known third-party tools and identity providers; naming one is an integrations topic.
THIRD_PARTY_TOOLS = [
    "salesforce", "hubspot", "slack", "microsoft teams", "ms teams", "zapier", "outlook", "gmail", "google workspace",
    "g suite", "google calendar", "google sheets", "google drive", "office 365", "microsoft 365", "okta", "azure ad",
    "entra id", "onelogin", "auth0", "ping identity", "snowflake", "bigquery", "redshift", "databricks", "jira",
    "zendesk", "intercom", "freshdesk", "marketo", "pardot", "mailchimp", "shopify", "stripe", "quickbooks", "xero",
    "netsuite", "sap", "workday", "linkedin", "sales navigator", "dropbox", "box.com", "sharepoint", "onedrive",
    "notion", "asana", "trello", "monday.com", "airtable", "tableau", "power bi", "looker", "segment", "twilio",
    "docusign", "calendly", "zoom", "webex", "teams integration", "github", "gitlab", "bitbucket", "confluence",
    "servicenow", "dynamics", "zoho", "azure ad", "entra id", "active directory", "ldap", "auth0", "pipedrive", "gong", "outreach", "salesloft", "clari", "chrome extension",
    "add-in", "plugin", "plug-in", "extension", "iframe", "embed",
]

CATEGORY_KEYWORDS: dict[str, list[str]] = {
    "reliability_bugs": [
        "bug", "buggy", "crash", "crashes", "error", "outage", "downtime", "go down", "went down", "is down", "broken",
        "break", "breaks", "fail", "failing", "failure", "glitch", "glitchy", "wrong data", "wrong number",
        "are wrong", "is wrong", "inconsistent", "duplicate", "data loss", "lost data", "lose data", "lost",
        "stop working", "stopped working", "doesn't work", "not working", "unreliable", "reliable", "reliability",
        "stable", "stability", "unstable", "rock solid", "something went wrong", "500", "502", "503", "incident",
        "freeze", "frozen", "hang", "corrupt", "corrupted", "don't match", "doesn't match", "not match", "mismatch",
        "keep logging out", "logged out", "log out", "sign me out", "sign out", "randomly", "reset", "never arrive",
        "never arrives", "make stuff up", "made up", "hallucinate", "flaky", "intermittent", "quota exceeded",
        "fire twice", "stop firing", "stopped firing", "defect", "regression", "uptime", "down for",
        "wrong", "duplicating", "401", "403", "404", "return an error", "returns an error", "lose", "send twice", "sent twice", "offline", "drop orders", "drops orders", "bounce",
        "restore", "deleted", "missing data", "not loading", "won't load", "data is missing", "went missing",
    ],
    "performance": [
        "slow", "slowness", "slowly", "speed", "fast", "faster", "lag", "laggy", "latency", "load time", "to load",
        "take forever", "takes forever", "time out", "times out", "timeout", "timed out", "504", "spinner", "spin",
        "crawl", "sluggish", "delay", "delayed", "hours late", "at scale", "performance", "responsive",
        "snappy", "quick to load", "battery", "drain", "drains", "memory usage", "cpu", "load in", "loads in", "loading", "throttle", "throttled", "hang",
    ],
    "usability": [
        "confusing", "confused", "intuitive", "unintuitive", "clunky", "click", "clicks", "hard to use", "easy to use",
        "ease of use", "hard to find", "can't find anything", "navigation", "navigate", "ui", "ux", "interface",
        "user interface", "learning curve", "user-friendly", "user friendly", "cluttered", "dated", "convoluted",
        "layout", "redesign", "design", "hard to read", "impossible to read", "cumbersome", "tedious", "awkward",
        "quick to learn", "easy to learn", "to learn", "easy to set up", "simple to set up", "nightmare to", "simple to use", "clean ui", "one by one", "painful", "scattered",
        "menu", "menus", "find anything", "where did", "usability", "user experience", "admin experience",
        "mobile experience", "cut off", "barely needed training",
    ],
    "missing_features": [
        "please add", "wish", "would love", "would be great if", "would be nice", "need a way",
        "feature request", "missing", "lack", "lacks", "lacking", "doesn't have", "don't have", "no way to",
        "support for", "roadmap", "would like", "can you add", "could you add", "pay extra for", "limited", "gap",
        "gaps", "not supported", "still can't", "is there a way", "option to", "ability to", "would be a 10 if",
        "if it had", "need more", "needs more", "more chart", "no sandbox", "offline mode", "dark mode",
        "not available", "doesn't support", "does not support", "can't do", "basic stuff", "need better",
        "would be great to have", "would be nice to have", "nice to have", "please let", "please integrate",
        "please support", "one ask", "one request", "add an option", "can we get", "could we get", "i'd like", "we'd like", "let us", "let admins",
        "allow us", "allow admins", "i'd love", "we'd love", "would help", "never shipped", "still missing",
    ],
    "pricing_value": [
        "price", "pricing", "priced", "cost", "costs", "expensive", "pricey", "cheap", "cheaper", "value",
        "money", "invoice", "invoiced", "billing", "bill", "billed", "charge", "charged", "refund", "seat",
        "seats", "license", "licenses", "licence", "licences", "tier", "plan", "subscription", "quote",
        "discount", "pay", "paying", "paid", "budget", "credit note", "credits", "purchase order", "po",
        "add-on", "uplift", "overcharge", "overcharged", "nickel-and-dime", "nickel-and-diming", "fee", "fees",
        "afford", "affordable", "worth the money", "worth it", "roi", "card", "payment", "non-payment",
        "enterprise plan", "enterprise tier", "starter plan", "growth plan", "free plan", "paywall", "upgrade",
    ],
    "support_service": [
        "support", "support team", "customer service", "customer support", "ticket", "tickets", "agent",
        "helpdesk", "help desk", "escalate", "escalated", "escalation", "chatbot", "response time",
        "answers", "reply", "respond", "responded", "follow up", "resolved", "p1", "sev1",
        "representative", "customer care", "live chat", "hotline", "call center", "call centre",
    ],
    "onboarding_training": [
        "onboarding", "onboard", "implementation", "implement", "setup", "set up", "setting up", "rollout",
        "roll out", "rolled out", "rolling out", "training", "trained", "train", "webinar", "webinars", "academy",
        "walkthrough", "walkthroughs", "kickoff", "kick-off", "go live", "go-live", "live by", "migration",
        "new hires", "certification", "course", "courses", "tutorial", "tutorials", "workshop", "enablement",
        "adoption", "getting started", "consultant", "consultants", "configure",
    ],
    "documentation": [
        "docs", "documentation", "documented", "help center", "help centre", "help article", "article", "articles",
        "guide", "guides", "knowledge base", "changelog", "change log", "release notes", "api reference",
        "reference docs", "manual", "faq", "trust center", "trust centre", "screenshot", "screenshots",
        "written", "instructions", "readme", "examples",
    ],
    "integrations": THIRD_PARTY_TOOLS + [
        "integration", "integrations", "integrate", "integrated", "connector", "connectors", "sync", "syncing",
        "synced", "api", "apis", "webhook", "webhooks", "endpoint", "endpoints", "sso", "saml", "scim",
        "single sign-on", "single sign on", "identity provider", "idp", "oauth", "third-party", "third party",
        "marketplace", "import", "export to", "crm", "erp", "two-way", "native",
    ],
    "account_relationship": [
        "csm", "customer success manager", "account manager", "account management", "account executive",
        "renewal", "renew", "renewed", "renewing", "contract", "contracts", "sales rep", "sales team",
        "were sold", "was sold", "we were promised", "we were told", "were told", "promise", "promised", "overpromise", "overpromised",
        "over-promised", "sla", "qbr", "msa", "auto-renew", "auto-renewed", "notice", "check-in", "check-ins",
        "upsell", "relationship", "vendor", "partner", "communication", "nobody tells", "no one told",
        "heads up", "demo", "demoed", "point of contact", "account team", "executive sponsor", "rfp",
        "procurement", "terms", "order form", "nobody told", "no one told", "told us", "without notice", "no notice",
        "maintenance window", "kept changing", "keeps changing", "status page", "keep us informed",
        "kept us informed", "keep our customers informed",
    ],
    "security_compliance": [
        "security", "secure", "sso", "saml", "scim", "mfa", "2fa", "two-factor", "permission", "permissions",
        "role", "roles", "access control", "read-only", "access", "audit log", "audit logs", "audit", "gdpr", "dpa",
        "privacy", "soc 2", "soc2", "iso 27001", "hipaa", "finra", "compliance", "compliant", "encryption",
        "pen test", "penetration test", "data residency", "eu region", "token", "tokens", "allowlist",
        "allowlisting", "whitelist", "ip", "infosec", "sub-processor", "sub-processors", "vulnerability",
        "admin approval", "field-level", "provisioning", "deletion request", "data subject", "ccpa",
        "retention", "works council", "anonymize", "locked out",
    ],
}

# Guideline couplings: the first category implies the second ("SSO is both security and integrations").
_IDENTITY = ["sso", "saml", "scim", "okta", "azure ad", "entra id", "single sign-on", "single sign on",
             "identity provider", "onelogin", "ping identity", "auth0", "active directory", "ldap"]
IMPLIED_PAIRS: list[tuple[str, str, list[str]]] = [
    ("security_compliance", "integrations", _IDENTITY),
    ("integrations", "security_compliance", _IDENTITY),
]
