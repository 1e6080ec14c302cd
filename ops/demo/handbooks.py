"""The five handbook tenants of shared/seeds (seeds/README.md), as tenant configuration.

Only what differs between the companies lives here, as data: each app's ``seed.py``
reads the entry for the tenant it seeds (``HANDBOOKS[slug]``) and writes its own
configuration and demo data.
"""

from __future__ import annotations

from core.seeding import AGENT_FACTORY, MARKETINGAI_PRO, MODULAR_CS, RAG_FORTRESS, TECHCORP

HANDBOOKS: dict[str, dict] = {
    RAG_FORTRESS: {
        "name": "RAG Fortress",
        "handbook": "000_8271e7587d39b0d2.txt",
        "domain": "ragfortress.example",
        "timezone": "America/Los_Angeles",
        "currency": "USD",
        "segments": [
            {"key": "enterprise", "label": "Enterprise", "min_arr": "100000"},
            {"key": "mid_market", "label": "Mid-Market", "min_arr": "25000"},
            {"key": "smb", "label": "SMB", "min_arr": "0"},
        ],
        "tiers": [],
        "industries": ["Legal", "Financial Services", "Healthcare", "Insurance", "Government", "Consulting"],
        "people": {
            "vp": [("Amanda Williams", "amanda.williams")],
            "csm": [("Priya Shah", "priya.shah"), ("Marcus Lee", "marcus.lee"), ("Elena Rossi", "elena.rossi")],
            "support_engineer": [("Tom Becker", "tom.becker"), ("Aisha Khan", "aisha.khan"), ("Diego Alvarez", "diego.alvarez")],
            "onboarding_specialist": [("Hannah Cho", "hannah.cho")],
            "support_manager": [("Victor Nguyen", "victor.nguyen")],
            "viewer": [("Finance Viewer", "finance")],
        },
        "competitors": ["Glean", "Coveo", "Elastic Enterprise Search"],
        "products": [],
    },
    MODULAR_CS: {
        "name": "Modular CS Co",
        "handbook": "001_6cab6b87bc373d7b.txt",
        "domain": "modularcs.example",
        "timezone": "America/New_York",
        "currency": "USD",
        "segments": None,
        "tiers": [],
        "industries": ["Retail", "Manufacturing", "Media", "Logistics", "Education"],
        "people": {
            "vp": [("Jordan Blake", "jordan.blake")],
            "csm": [("Sam Ortiz", "sam.ortiz"), ("Lena Park", "lena.park"), ("Noah Fischer", "noah.fischer"), ("Maya Singh", "maya.singh")],
            "support_engineer": [("Chris Doyle", "chris.doyle"), ("Ivy Chen", "ivy.chen")],
            "onboarding_specialist": [("Omar Haddad", "omar.haddad")],
            "support_manager": [("Rita Gomez", "rita.gomez")],
            "viewer": [("Board Observer", "observer")],
        },
        "competitors": ["Gainsight", "ChurnZero", "Totango"],
        "products": [],
    },
    TECHCORP: {
        "name": "TechCorp",
        "handbook": "002_d87ecc9c1287e80a.txt",
        "domain": "techcorp.example",
        "timezone": "America/Chicago",
        "currency": "USD",
        "segments": [
            {"key": "enterprise", "label": "Enterprise", "min_arr": "100000"},
            {"key": "mid_market", "label": "Mid-Market", "min_arr": "25000"},
            {"key": "smb", "label": "SMB", "min_arr": "0"},
        ],
        "tiers": [],
        "industries": ["Retail Analytics", "Banking", "Telecom", "Pharma", "E-commerce"],
        "people": {
            "vp": [("Grace Holloway", "grace.holloway")],
            "csm": [("Ben Carter", "ben.carter"), ("Sofia Marin", "sofia.marin"), ("Kenji Watanabe", "kenji.watanabe")],
            "support_engineer": [("Leo Schmidt", "leo.schmidt"), ("Nina Petrova", "nina.petrova")],
            "onboarding_specialist": [("Ravi Kumar", "ravi.kumar")],
            "support_manager": [("Olivia Brown", "olivia.brown")],
            "viewer": [("Sales Viewer", "sales")],
        },
        "competitors": ["Tableau", "Looker", "Power BI"],
        "products": ["DataFlow", "IntelliReports", "TechCorp AI"],
    },
    MARKETINGAI_PRO: {
        "name": "MarketingAI Pro",
        "handbook": "003_a41f41a0e6a73809.txt",
        "domain": "marketingaipro.example",
        "timezone": "America/New_York",
        "currency": "USD",
        "segments": None,
        "tiers": [],
        "industries": ["Agency", "E-commerce", "SaaS", "Consumer Goods", "Travel"],
        "people": {
            "vp": [("Chloe Martin", "chloe.martin")],
            "csm": [("Ethan Wright", "ethan.wright"), ("Zoe Adams", "zoe.adams")],
            "support_engineer": [("Liam Torres", "liam.torres"), ("Mia Rossi", "mia.rossi")],
            "onboarding_specialist": [("Ava Johnson", "ava.johnson")],
            "support_manager": [("Lucas Meyer", "lucas.meyer")],
            "viewer": [("Marketing Viewer", "marketing")],
        },
        "competitors": ["Jasper", "HubSpot", "Copy.ai"],
        "products": [],
    },
    AGENT_FACTORY: {
        "name": "Agent Factory Platform",
        "handbook": "004_31d1354f5843541f.txt",
        "domain": "agentfactory.example",
        "timezone": "UTC",
        "currency": "USD",
        "segments": None,
        "tiers": ["Starter", "Pro", "Enterprise"],
        "industries": ["Fintech", "Insurance", "Customer Service", "Healthcare", "Software"],
        "people": {
            "vp": [("Daniel Kim", "daniel.kim")],
            "csm": [("Sara Lopez", "sara.lopez")],
            "support_engineer": [("Max Novak", "max.novak")],
            "onboarding_specialist": [("Julia Weber", "julia.weber")],
            "support_manager": [("Owen Price", "owen.price")],
            "viewer": [("Investor Viewer", "investor")],
        },
        "competitors": ["LangChain", "CrewAI", "Relevance AI"],
        "products": [],
    },
}

DEMO_PASSWORD = "demo-password-2026"
