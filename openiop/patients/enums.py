from django.db import models


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Portal message"


class CoverageKind(models.TextChoices):
    MEDICAID = "medicaid", "Medicaid"
    MEDICARE = "medicare", "Medicare"
    COMMERCIAL = "commercial", "Commercial"
    SELF_PAY = "self_pay", "Self-pay"


class Relationship(models.TextChoices):
    SPOUSE = "spouse", "Spouse or partner"
    PARENT = "parent", "Parent"
    CHILD = "child", "Adult child"
    SIBLING = "sibling", "Sibling"
    FRIEND = "friend", "Friend"
    GUARDIAN = "guardian", "Legal guardian"
    OTHER = "other", "Other"
